"""The ``hub`` command: ``hub serve``, ``hub db upgrade``, ``hub plugins``, ``hub sync``, ...

``hub`` is a Flask command group bound to ``create_app``, so ``hub db ...`` (Flask-Migrate),
``hub routes`` and ``hub shell`` come with it. Listings print a table, or JSON with ``--json``.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, Iterable, Sequence

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from hub.plaintext import printable

#: exit statuses every command shares (``hub sync`` adds its outcomes 1, 3, 4, 5; see README)
EXIT_USAGE = 2  # click's own: a wrong option or argument
EXIT_COMMAND_FAILED = 6


def _create_app(*_args: Any) -> Flask:
    from hub import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, add_version_option=False)
def main() -> None:
    """Universal billing hub for MSPs."""


def print_table(rows: Sequence[dict], columns: Iterable[str]) -> None:
    columns = list(columns)
    widths = {c: max([len(c)] + [len(_cell(r.get(c))) for r in rows]) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        click.echo("  ".join(_cell(row.get(c)).ljust(widths[c]) for c in columns).rstrip())


def _cell(value: Any) -> str:
    return printable(value)  # vendor strings may carry terminal escape sequences


def emit(rows: list[dict], columns: Iterable[str], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
    else:
        print_table(rows, columns)


class BadInput(click.ClickException):
    """Input the command cannot use (a file's content, say): one line, exit status 2 like a usage error."""

    exit_code = EXIT_USAGE


class CommandFailed(click.ClickException):
    """The command itself could not do its job (not a usage error, not a sync outcome)."""

    exit_code = EXIT_COMMAND_FAILED


def database_problem(err: SQLAlchemyError) -> str:
    """One line for a database error: never the SQL or its parameters."""
    orig = getattr(err, "orig", None)
    first_line = str(orig or "").strip().splitlines()[0] if str(orig or "").strip() else ""
    if "no such table" in first_line or type(orig).__name__ == "UndefinedTable":
        return "the database has no hub tables (or older ones): run `hub db upgrade` first"
    if isinstance(err, DBAPIError) and err.connection_invalidated or type(orig).__name__ in (
            "OperationalError", "InterfaceError", "AdminShutdown"):
        return f"the database could not be reached: {printable(first_line) or type(orig).__name__}"
    return f"a database error stopped the command ({type(orig or err).__name__}); the log has the details"


class HubCommand(click.Command):
    """A ``hub`` command: a failure is one line on stderr and exit status 6, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError:
            raise
        except click.ClickException as err:
            if err.exit_code == 1:
                err.exit_code = EXIT_COMMAND_FAILED
            raise
        except SQLAlchemyError as err:
            logging.getLogger("hub.cli").debug("database error", exc_info=True)
            raise CommandFailed(database_problem(err)) from None


class HubGroup(AppGroup):
    """``app.cli``: its commands and sub-groups are HubCommands and HubGroups."""

    command_class = HubCommand

    def group(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("cls", HubGroup)  # Flask's AppGroup would make a plain AppGroup
        return super().group(*args, **kwargs)


def register_commands(app: Flask) -> None:
    from hub.commands import register

    group = HubGroup()
    for name, command in app.cli.commands.items():  # Flask-Migrate's ``db`` is there already
        group.add_command(command, name)
    app.cli = group
    register(app)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def known_vendor(slug: str, param_hint: str = "VENDOR"):
    """The configured integration ``slug``, or a usage error (exit 2) that lists the configured ones."""
    from hub.extensions import db
    from hub.models import VendorIntegration

    integrations = {i.slug: i for i in db.session.execute(db.select(VendorIntegration)).scalars()}
    if slug not in integrations:
        valid = ", ".join(sorted(integrations)) or "(no vendor is configured)"
        raise click.BadParameter(f"{slug!r} is not a configured vendor; choose from {valid}", param_hint=param_hint)
    return integrations[slug]


def known_organization(organization_id: int | None, param_hint: str = "--organization") -> int | None:
    """``organization_id`` when that Organization exists (or None), else a usage error (exit 2)."""
    from hub.models import Organization

    return known_row(Organization, organization_id, param_hint, "Organization")


def known_row(model, row_id: int | None, param_hint: str, label: str) -> int | None:
    """``row_id`` when a ``model`` row has it (or None), else a usage error (exit 2) naming the option: a filter
    on an id that does not exist is a mistake, never an empty listing."""
    from hub.extensions import db

    if row_id is not None and db.session.get(model, row_id) is None:
        raise click.BadParameter(f"no {label} with id {row_id}", param_hint=param_hint)
    return row_id
