"""Throwaway PostgreSQL databases for tests and benchmarks: a database of their own on a server,
dropped afterwards, so they never touch the database a URL names.

    from hub.testing.databases import throwaway_database

    with throwaway_database("postgresql://postgres@127.0.0.1:5432/postgres", "acme_test") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, ...})
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Iterator

import sqlalchemy as sa

from hub.config import normalise_database_url


class ThrowawayDatabase:
    """A database on the server of ``server_url`` with a new name (``prefix`` and random hex).
    ``url`` is known at once; ``create()`` makes the database, ``drop()`` removes it (connections
    still open included) if it was made. Use ``throwaway_database`` unless creation must wait."""

    def __init__(self, server_url: str, prefix: str = "hub_test") -> None:
        self._server = sa.engine.make_url(normalise_database_url(server_url))
        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.url = self._server.set(database=self.name).render_as_string(hide_password=False)
        self.created = False

    def _execute(self, statement: str) -> None:
        # CREATE/DROP DATABASE cannot run inside a transaction; no pool: nothing stays connected
        admin = sa.create_engine(self._server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(statement))
        finally:
            admin.dispose()

    def create(self) -> str:
        if not self.created:
            self._execute(f'CREATE DATABASE "{self.name}"')
            self.created = True
        return self.url

    def drop(self) -> None:
        if self.created:
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.created = False


@contextlib.contextmanager
def throwaway_database(server_url: str, prefix: str = "hub_test") -> Iterator[str]:
    """A new database on the PostgreSQL server of ``server_url`` (any database the URL names is only
    connected to); yields its URL (``postgresql+psycopg://``) and drops it afterwards."""
    database = ThrowawayDatabase(server_url, prefix)
    database.create()
    try:
        yield database.url
    finally:
        database.drop()
