"""A real hub app for plugin tests: its own database (temporary SQLite, or a throwaway PostgreSQL
database when a server URL is given), entry points loaded or a plugin object registered directly.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet

from hub.testing.databases import ThrowawayDatabase


class TestDatabase:
    """A database for one hub app: a SQLite file, or a throwaway database on the PostgreSQL server
    ``server_url`` (``None``: ``HUB_TEST_DATABASE_URL``; ``""``: SQLite whatever the environment says).
    The PostgreSQL one is created by ``ensure()``, only when a test first needs tables, and dropped
    by ``drop()``."""

    __test__ = False  # not a pytest class

    def __init__(self, workdir: Path, server_url: str | None = None) -> None:
        if server_url is None:
            server_url = os.environ.get("HUB_TEST_DATABASE_URL")
        self._database = ThrowawayDatabase(server_url, "hub_kit") if server_url else None
        self.url = self._database.url if self._database else f"sqlite:///{workdir / 'hub.sqlite3'}"

    def ensure(self) -> None:
        if self._database is not None:
            self._database.create()

    def drop(self) -> None:
        if self._database is not None:
            self._database.drop()


def make_hub_app(workdir: Path, database_url: str, *, load_entry_points: bool,
                 disabled: list[str] | None = None, fast_sqlite: bool = True, **extra: Any):
    """``create_app`` with a config of its own (no instance folder or environment is read).
    ``fast_sqlite`` skips fsync on a SQLite test database (benchmarks turn it off)."""
    from hub import create_app

    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(workdir / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": uuid.uuid4().hex,
        "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "HUB_LOAD_ENTRY_POINTS": load_entry_points,
        "HUB_DISABLED_PLUGINS": ",".join(disabled or ()),
        "WTF_CSRF_ENABLED": False,
    }
    if fast_sqlite:
        config["HUB_SQLITE_WAL"] = False  # its journal is kept in memory instead (_no_fsync)
    config.update(extra)
    app = create_app(config)
    if fast_sqlite and database_url.startswith("sqlite"):
        _no_fsync(app)
    return app


def _no_fsync(app) -> None:
    """A throwaway test database need not survive a power cut: skip fsync, ten times faster commits."""
    from hub.extensions import db

    def pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.close()

    with app.app_context():
        sa.event.listen(db.engine, "connect", pragmas)


def create_tables(app) -> None:
    from hub.extensions import db

    with app.app_context():
        db.create_all()


def dispose(app) -> None:
    from hub.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


#: tables a sync run legitimately writes even when nothing changed at the vendor
RUN_BOOKKEEPING = frozenset({"sync_runs", "sync_leases", "vendor_integrations"})


def snapshot_rows(skip: frozenset[str] = RUN_BOOKKEEPING) -> dict[str, list[tuple]]:
    """Every row of every table (bar ``skip``), sorted, as plain tuples. Call inside an app context."""
    from hub.extensions import db

    snapshot = {}
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        rows = db.session.execute(sa.select(table)).all()
        snapshot[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return snapshot


def diff_snapshots(before: dict[str, list[tuple]], after: dict[str, list[tuple]], limit: int = 3) -> list[str]:
    """Human-readable differences between two ``snapshot_rows`` results (empty when equal)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, []), after.get(name, [])
        if old == new:
            continue
        old_set, new_set = set(map(repr, old)), set(map(repr, new))
        added = [r for r in map(repr, new) if r not in old_set]
        removed = [r for r in map(repr, old) if r not in new_set]
        lines.append(f"table {name}: {len(added)} row(s) added or changed, {len(removed)} removed or changed"
                     + "".join(f"\n    + {r}" for r in added[:limit])
                     + "".join(f"\n    - {r}" for r in removed[:limit]))
    return lines
