"""Backups: a consistent copy of the hub's database, and bringing it back into an empty one.

SQLite uses its online backup API (a consistent copy while the hub keeps running). PostgreSQL uses the
server's own tools, ``pg_dump`` (custom format: a snapshot, so consistent too) and ``pg_restore``; they
must be on PATH, ideally of the server's major version. Restoring is allowed only into a database with
no tables, so a restore can never mix two hubs or overwrite one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from hub.extensions import db

#: the first bytes of a ``pg_dump --format=custom`` file and of an SQLite database
PG_DUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Restored:
    tables: int
    revision: str | None


def backup(path: Path) -> int:
    """Write a consistent copy of the database to ``path`` (which must not exist); returns its size."""
    if path.exists():
        raise BackupError(f"{path} exists already: choose a new file (a backup never overwrites one)")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder")
    engine = db.engine
    if engine.dialect.name == "sqlite":
        target = sqlite3.connect(path)
        try:
            with engine.connect() as conn:
                conn.connection.dbapi_connection.backup(target)
        finally:
            target.close()
    elif engine.dialect.name == "postgresql":
        _run_pg_tool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file", str(path)], engine.url)
    else:
        raise BackupError(f"no backup method for {engine.dialect.name}")
    return path.stat().st_size


def restore(path: Path) -> Restored:
    """Bring the backup at ``path`` into this hub's database, which must have no tables yet."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    engine = db.engine
    tables = sa.inspect(engine).get_table_names()
    if tables:
        raise BackupError(f"the database is not empty ({len(tables)} tables): restore into a new, empty database "
                          f"(set HUB_DATABASE_URL to it), never over a hub")
    if engine.dialect.name == "sqlite":
        if head != SQLITE_MAGIC:
            raise BackupError(f"{path} is not an SQLite backup (a PostgreSQL dump restores only into PostgreSQL)")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            with engine.connect() as conn:
                source.backup(conn.connection.dbapi_connection)
        finally:
            source.close()
    elif engine.dialect.name == "postgresql":
        if not head.startswith(PG_DUMP_MAGIC):
            raise BackupError(f"{path} is not a pg_dump backup (an SQLite backup restores only into SQLite)")
        _run_pg_tool("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                                    str(path)], engine.url, database_option="--dbname")
    else:
        raise BackupError(f"no restore method for {engine.dialect.name}")
    engine.dispose()  # connections opened before the restore know nothing of its tables
    inspector = sa.inspect(engine)
    revision = None
    if "alembic_version" in inspector.get_table_names():
        with engine.connect() as conn:
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return Restored(len(inspector.get_table_names()), revision)


def _run_pg_tool(tool: str, args: list[str], url: sa.URL, database_option: str | None = None) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not on PATH: install PostgreSQL's client tools (the server's major version) "
                          f"or run {tool} yourself (see README, Backups)")
    # libpq's own URL form; the password goes by environment, never on a command line others can read
    target = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ, PGPASSWORD=url.password) if url.password else dict(os.environ)
    command = [executable, *args, f"{database_option}={target}" if database_option else target]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise BackupError(f"{tool} failed: {lines[-1] if lines else f'exit status {result.returncode}'}")
