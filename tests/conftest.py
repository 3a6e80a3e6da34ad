"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, ``fake_vendor``.

The suite runs on SQLite (a fresh file per test). With ``HUB_TEST_DATABASE_URL`` set it runs on that
PostgreSQL server instead, in a database created for this session and dropped after it; tables are
emptied after each test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.util import LRUCache

from hub import create_app
from hub.audit import Actor
from hub.extensions import db
from hub.testing.databases import throwaway_database
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A URL per session on PostgreSQL; on SQLite the ``app`` fixture makes a file per test."""
    if not PG_URL:
        yield None
        return
    with throwaway_database(PG_URL, "hub_test") as url:
        yield url


def make_test_config(tmp_path, database_url, **extra):
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "SECRET_KEY": "test-secret",
        "HUB_ENCRYPTION_KEYS": "kJ9l0Xy2bcoV1a7m3tXJ5qQx0Hh4m8l1b9cR2dE6fF0=",
        "HUB_LOAD_ENTRY_POINTS": False,
        "WTF_CSRF_ENABLED": False,
    }
    config.update(extra)
    return config


@pytest.fixture
def app_config(tmp_path, database_url):
    """Override in a module to change the app's config (e.g. to load entry points)."""
    return make_test_config(tmp_path, database_url)


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory):
    """An empty SQLite database with every table, made once: copying it is much faster than
    create_all per test (each CREATE is its own fsync'd transaction on SQLite)."""
    folder = tmp_path_factory.mktemp("schema")
    template = create_app(make_test_config(folder, None))
    with template.app_context():
        db.create_all()
        db.engine.dispose()
    return folder / "hub.sqlite3"


def _sqlite_file(uri: str) -> Path | None:
    return Path(uri[len("sqlite:///"):]) if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:" else None


@pytest.fixture
def app(app_config, request):
    database_file = _sqlite_file(app_config["SQLALCHEMY_DATABASE_URI"])
    if database_file is not None and not database_file.exists():
        database_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), database_file)
    app = create_app(app_config)
    with app.app_context():
        share_compiled_sql(db.engine)
        db.create_all()  # tables a module's own models add (a no-op otherwise)
    yield app
    empty_tables(app)


_SHARED_SQL: dict[tuple, tuple] = {}


def share_compiled_sql(engine) -> None:
    """Every test builds its own app, so its own engine, and SQLAlchemy caches compiled SQL per engine and
    dialect: each test compiled every statement afresh (about a sixth of the suite's time). Engines of one
    driver and options share the first one's dialect and statement cache; the database, its connections
    and pool stay the test's own."""
    key = (engine.url.drivername, engine.dialect.isolation_level, engine.dialect.paramstyle)
    # the whole suite's statements: the engine's default (500) would keep evicting them
    shared = _SHARED_SQL.setdefault(key, (engine.dialect, LRUCache(5000)))
    engine.dialect, engine._compiled_cache = shared


def empty_tables(app) -> None:
    """After a test: PostgreSQL's tables emptied for the next one (SQLite files are per test)."""
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql(emptying_script(db.metadata))
        db.engine.dispose()


_RESTART_USED_SEQUENCES = """DO $$ DECLARE s record; BEGIN
  FOR s IN SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL
  LOOP EXECUTE 'ALTER SEQUENCE ' || quote_ident(s.sequencename) || ' RESTART'; END LOOP; END $$"""


def emptying_script(metadata) -> str:
    """One round trip: DELETE (~10x cheaper than TRUNCATE for the few rows a test leaves) from every table,
    children first, then restart the sequences the test used. billing's guards keep issued invoices unless
    ``hub.allow_purge`` is on for the transaction."""
    deletes = [f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables)]
    return ";\n".join(["SET LOCAL hub.allow_purge = 'on'", *deletes, _RESTART_USED_SEQUENCES])


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def commit_fails(monkeypatch):
    """``commit_fails(rows_queued)``: the next commit first asserts ``rows_queued()`` (what the transaction
    wrote so far, e.g. an outbox row a receiver queued), then fails; the caller rolls back. Failing the commit
    rather than adding a failing signal receiver: blinker calls receivers in no fixed order."""

    def install(rows_queued) -> None:
        def failing_commit():
            assert rows_queued(), "nothing was queued in the transaction"
            monkeypatch.undo()
            raise RuntimeError("the transaction fails at its commit")

        monkeypatch.setattr(db.session, "commit", failing_commit)
    return install


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def fake_vendor(app):
    """A FakeVendor registered as plugin ``fake`` (the datasette register/unregister pattern)."""
    vendor = FakeVendor("fake")
    registry = app.extensions["hub.plugins"]
    assert registry.register(vendor, "fake") is not None, registry.errors
    yield vendor
    registry.unregister("fake")


@pytest.fixture
def fake_integration(app_ctx, fake_vendor):
    """The fake vendor configured and enabled, as an admin would leave it."""
    from hub import integrations

    result = integrations.configure("fake", dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
    return result.integration
