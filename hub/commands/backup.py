"""``hub backup PATH`` and ``hub restore PATH``: the database to a file and back (see hub/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from hub.cli import CommandFailed


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Write a consistent copy of the hub's database to PATH (a new file), while the hub runs.

        SQLite: the online backup API. PostgreSQL: pg_dump (custom format), which must be on PATH.
        """
        from hub.backup import BackupError, backup

        try:
            size = backup(path)
        except BackupError as err:
            raise CommandFailed(str(err)) from None
        click.echo(f"backup written to {path} ({size:,} bytes)")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def restore_command(path: Path) -> None:
        """Bring the backup at PATH into this hub's database, which must be empty (no tables).

        Then start the hub as usual; `hub db upgrade` brings an older backup up to date.
        """
        from hub.backup import BackupError, restore

        try:
            restored = restore(path)
        except BackupError as err:
            raise CommandFailed(str(err)) from None
        click.echo(f"restored {restored.tables} tables from {path} (schema revision {restored.revision or 'unknown'})")
