"""The ``hub`` command: ``hub serve``, ``hub db upgrade``, ``hub plugins``, ``hub sync``, ...

``hub`` is a Flask command group bound to ``create_app``, so ``hub db ...`` (Flask-Migrate),
``hub routes`` and ``hub shell`` come with it. Listings print a table, or JSON with ``--json``.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Sequence

import click
from flask import Flask
from flask.cli import FlaskGroup


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
    return "" if value is None else str(value)


def emit(rows: list[dict], columns: Iterable[str], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
    else:
        print_table(rows, columns)


def register_commands(app: Flask) -> None:
    from hub.commands import register

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
    from hub.extensions import db
    from hub.models import Organization

    if organization_id is not None and db.session.get(Organization, organization_id) is None:
        raise click.BadParameter(f"no Organization with id {organization_id}", param_hint=param_hint)
    return organization_id
