"""A database's rows kept and put back: for test modules whose every test needs the same costly world.

``tests/web/test_access.py`` runs ~280 tests, each on the same synced vendor, mapped customers and issued
invoice; building that world took most of each test's time. The first test builds it and takes a
snapshot; the others restore it into their own fresh database, so every test still starts from exactly
that world, whatever the previous test changed.

SQLite: the file, through SQLite's backup API. PostgreSQL: each table's rows with ``COPY`` and the
sequences' positions; restoring empties the tables first, with triggers off (``session_replication_role``
is ``replica`` for the transaction), because billing's guards refuse rows added to an issued invoice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import sqlalchemy as sa

from hub.extensions import db


@dataclass
class DatabaseSnapshot:
    sqlite_bytes: bytes | None = None
    tables: dict[str, bytes] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)

    @classmethod
    def take(cls, app) -> DatabaseSnapshot:
        with app.app_context():
            db.session.commit()
            if db.engine.dialect.name == "sqlite":
                with _sqlite(db.engine) as source:
                    return cls(sqlite_bytes=source.serialize())
            snapshot = cls()
            with db.engine.connect() as conn:
                raw = conn.connection.driver_connection
                with raw.cursor() as cursor:
                    for table in db.metadata.sorted_tables:
                        with cursor.copy(f'COPY "{table.name}" TO STDOUT') as copy:
                            rows = b"".join(bytes(chunk) for chunk in copy)
                        if rows:
                            snapshot.tables[table.name] = rows
                    cursor.execute("SELECT sequencename, last_value FROM pg_sequences "
                                   "WHERE schemaname = current_schema() AND last_value IS NOT NULL")
                    snapshot.sequences = dict(cursor.fetchall())
            return snapshot

    def restore(self, app) -> None:
        from tests.conftest import emptying_script

        with app.app_context():
            db.session.remove()
            if self.sqlite_bytes is not None:
                db.engine.dispose()
                kept = sqlite3.connect(":memory:")
                try:
                    kept.deserialize(_rollback_journal(self.sqlite_bytes))
                    with _sqlite(db.engine) as target:
                        kept.backup(target)  # every page of the file replaced
                finally:
                    kept.close()
                return
            with db.engine.begin() as conn:
                conn.exec_driver_sql(emptying_script(db.metadata))
                raw = conn.connection.driver_connection
                with raw.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                    for table in db.metadata.sorted_tables:
                        if table.name in self.tables:
                            with cursor.copy(f'COPY "{table.name}" FROM STDIN') as copy:
                                copy.write(self.tables[table.name])
                    for sequence, value in self.sequences.items():
                        cursor.execute("SELECT setval(%s, %s)", (sequence, value))
            db.engine.dispose()


def _rollback_journal(image: bytes) -> bytes:
    """A WAL database's image as a rollback-journal one (header bytes 18-19: 2 -> 1), which a database in
    memory can open; the backup into the WAL file marks the copy WAL again."""
    header = bytearray(image[:100])
    header[18:20] = b"\x01\x01"
    return bytes(header) + image[100:]


class _sqlite:
    """The engine's SQLite file opened with the standard library, closed on exit."""

    def __init__(self, engine: sa.Engine) -> None:
        self.path = engine.url.database

    def __enter__(self) -> sqlite3.Connection:
        self.connection = sqlite3.connect(self.path)
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()
