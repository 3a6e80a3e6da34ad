"""The embedded SQLite database runs with a write-ahead log: a long read (a report, the panel) never holds
up a sync's commit, and a sync's open write never holds up a read."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from hub import create_app
from hub.extensions import db
from tests.conftest import make_test_config


@pytest.fixture
def file_app(tmp_path, database_url):
    if database_url is not None:
        pytest.skip("SQLite's journal: the PostgreSQL run has MVCC")
    app = create_app(make_test_config(tmp_path, None))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_commit_goes_through_while_a_read_is_open(file_app, tmp_path):
    with file_app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        path = db.engine.url.database
    reader = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    writer = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM organizations").fetchone() == (0,)  # a read transaction
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO organizations (name, name_key, tax_exempt, created_at) "
                       "VALUES ('Contoso', 'contoso', 0, '2026-01-01')")
        # in the default (rollback) journal this commit waits for the reader and fails: database is locked
        writer.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM organizations").fetchone() == (0,)  # its snapshot
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM organizations").fetchone() == (1,)
    finally:
        reader.close()
        writer.close()


def test_it_can_be_switched_off_for_a_network_share(tmp_path, database_url):
    if database_url is not None:
        pytest.skip("SQLite only")
    app = create_app(make_test_config(tmp_path, None, HUB_SQLITE_WAL=False))
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "delete"
        db.engine.dispose()
