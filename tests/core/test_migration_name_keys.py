"""Migration 0005 backfills ``organizations.name_key`` for existing rows, including names that only
collide under the new key (SQLite could store both before: its lower() knows only ASCII)."""

from __future__ import annotations

import sqlalchemy as sa

from hub.extensions import db
from tests.core.test_migrations import empty_database_url, migrated_app  # noqa: F401  (fixtures)


def test_upgrade_backfills_name_keys_and_keeps_colliding_names(migrated_app):
    runner = migrated_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", "0002"])
    assert result.exit_code == 0, result.output
    with migrated_app.app_context():
        with db.engine.begin() as conn:
            for name in ("Ünï Dup", "ÜNÏ DUP", "Plain"):
                conn.execute(sa.text("INSERT INTO organizations (name, created_at) VALUES (:n, CURRENT_TIMESTAMP)"),
                             {"n": name})
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with migrated_app.app_context():
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, name, name_key FROM organizations ORDER BY id")).all()
            assert [(r.name, r.name_key) for r in rows] == [
                ("Ünï Dup", "ünï dup"), ("ÜNÏ DUP", f"ünï dup #{rows[1].id}"), ("Plain", "plain")]
