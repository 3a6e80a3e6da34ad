"""``hub import csv`` and ``hub integration add``: vendors without an API, from scripts."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from hub.audit import Actor
from hub.cli import emit
from hub.extensions import db
from hub.plugins import VendorError

CLI_ACTOR = Actor.cli()
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def register(app: Flask) -> None:
    @app.cli.group("import")
    def import_group() -> None:
        """Import a vendor's file into an integration that reads files."""

    @import_group.command("csv")
    @click.argument("vendor")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--set", "pairs", multiple=True, metavar="KEY=true|false",
                  help="A setting asked with each upload, e.g. complete_listing=true (the file lists every customer).")
    @click.option("--apply", "apply_", is_flag=True, help="Apply the file; without it, only show what it would change.")
    @click.option("--json", "as_json", is_flag=True)
    def import_csv(vendor: str, file: Path, pairs: tuple[str, ...], apply_: bool, as_json: bool) -> None:
        """Show what FILE would change at VENDOR, and with --apply, apply it through a normal sync.

        Exit status: 0 ok, 1 the file cannot be imported (or the sync failed), 3 needs review,
        4 a sync is running, 5 not possible.
        """
        from hub import imports, integrations
        from hub.commands.sync import EXIT_ALREADY_RUNNING, EXIT_NOT_POSSIBLE, _run_row, exit_status
        from hub.sync import AlreadyRunning, SyncNotPossible

        options = _options(pairs)
        try:
            stored = imports.store_upload(vendor, file.name, file.read_bytes())
            integrations.get_or_create_integration(vendor)
            db.session.commit()
            if not apply_:
                preview = imports.preview_upload(vendor, stored, options)
                db.session.rollback()
                _show_preview(preview, as_json)
                sys.exit(1 if preview.error else 0)
            run = imports.apply_upload(vendor, stored, options, CLI_ACTOR)
        except AlreadyRunning as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_ALREADY_RUNNING)
        except SyncNotPossible as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_NOT_POSSIBLE)
        except VendorError as err:
            db.session.rollback()
            field = getattr(err, "field", None)
            click.echo(f"error: {field + ': ' if field else ''}{err.message}", err=True)
            sys.exit(1)
        emit([_run_row(run, vendor)], ["vendor", "run", "status", "customers_seen", "customers_added",
                                       "customers_detached", "counts_changed", "message"], as_json)
        sys.exit(exit_status(run))

    integration_group = app.cli.commands["integration"]  # made by hub.commands.integrations

    @integration_group.command("add")
    @click.argument("plugin")
    @click.argument("slug")
    @click.option("--name", "display_name", required=True, help='What the panel calls it, e.g. "Datto via CSV".')
    def add_command(plugin: str, slug: str, display_name: str) -> None:
        """Add an integration SLUG of PLUGIN (a plugin that stands for several vendors, like csv_import)."""
        from hub import integrations

        try:
            added = integrations.add_instance(plugin, slug, display_name, CLI_ACTOR)
        except VendorError as err:
            db.session.rollback()
            raise click.BadParameter(err.message, param_hint=getattr(err, "field", None)) from None
        db.session.commit()
        click.echo(f"added {added.slug} ({added.display_name}); import a file with: hub import csv {added.slug} FILE")


def _options(pairs: tuple[str, ...]) -> dict[str, bool]:
    options = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if not key or value.lower() not in _TRUE | _FALSE:
            raise click.BadParameter(f"{pair!r} is not KEY=true or KEY=false", param_hint="--set")
        options[key.strip()] = value.lower() in _TRUE
    return options


def _show_preview(preview, as_json: bool) -> None:
    if preview.error is not None:
        problems = getattr(preview.error, "problems", None) or [(0, preview.error.message)]
        for line, text in problems:
            click.echo(f"line {line}: {text}" if line else text, err=True)
        click.echo("nothing would be applied", err=True)
        return
    plan = preview.plan
    emit([{"customers": preview.customers_listed, "new": len(plan.new), "changed": len(plan.changed),
           "reattached": len(plan.reattach), "detached": len(plan.detach), "counts": len(preview.counts),
           "needs_review": preview.needs_review, "complete": preview.complete}],
         ["customers", "new", "changed", "reattached", "detached", "counts", "needs_review", "complete"], as_json)
    if not as_json:
        click.echo("preview only: run again with --apply to apply it")
