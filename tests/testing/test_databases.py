"""``hub.testing.throwaway_database``: a database of its own on a PostgreSQL server, always dropped."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from hub.config import normalise_database_url
from hub.testing import throwaway_database
from hub.testing.databases import ThrowawayDatabase

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(not PG_URL, reason="needs HUB_TEST_DATABASE_URL (a PostgreSQL server)")


def test_the_url_names_a_new_database_on_the_same_server_with_psycopg():
    database = ThrowawayDatabase("postgres://hub:pw@db.example:5433/main", "acme_test")
    url = sa.engine.make_url(database.url)
    assert (url.drivername, url.username, url.password, url.host, url.port) == (
        "postgresql+psycopg", "hub", "pw", "db.example", 5433)
    assert url.database == database.name and database.name.startswith("acme_test_")
    assert ThrowawayDatabase("postgresql://db.example/main", "acme_test").name != database.name
    assert not database.created
    database.drop()  # never created: nothing to do, no connection tried


def databases(server_url: str) -> set[str]:
    engine = sa.create_engine(server_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.text("SELECT datname FROM pg_database")).scalars())
    finally:
        engine.dispose()


@needs_postgres
def test_it_is_created_usable_and_dropped_with_connections_still_open():
    server = normalise_database_url(PG_URL)
    with throwaway_database(PG_URL, "hub_kit_selftest") as url:
        name = sa.engine.make_url(url).database
        assert name.startswith("hub_kit_selftest_") and name in databases(server)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE TABLE t (id integer)"))
            conn.commit()
            assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 0
        left_open = engine.connect()  # the drop must not wait for it
    assert name not in databases(server)
    left_open.close()
    engine.dispose()


@needs_postgres
def test_it_is_dropped_when_the_block_fails():
    seen = []
    with pytest.raises(RuntimeError, match="boom"):
        with throwaway_database(PG_URL, "hub_kit_selftest") as url:
            seen.append(sa.engine.make_url(url).database)
            raise RuntimeError("boom")
    assert seen and seen[0] not in databases(normalise_database_url(PG_URL))
