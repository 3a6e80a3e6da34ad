"""``hub destinations ...``: the destinations' states and the push queue from scripts."""

from __future__ import annotations

import click
from flask import Flask

from hub.audit import Actor
from hub.cli import emit
from hub.extensions import db


def register(app: Flask) -> None:
    @app.cli.group("destinations")
    def destinations_group() -> None:
        """Accounting destinations (QuickBooks, Xero): state, queue, push now."""

    @destinations_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    def list_command(as_json: bool) -> None:
        """Each destination with its state, account and how many pushes wait."""
        from hub.models import DestinationConnection, DestinationPush

        waiting = dict(db.session.execute(db.select(DestinationPush.connection_id, db.func.count()).where(
            DestinationPush.state.in_(("queued", "retrying", "blocked"))).group_by(DestinationPush.connection_id)).all())
        rows = [{"destination": c.slug, "enabled": c.enabled, "state": c.state, "account": c.account_name,
                 "waiting": waiting.get(c.id, 0), "message": c.state_message}
                for c in db.session.execute(db.select(DestinationConnection).order_by(DestinationConnection.slug)).scalars()]
        emit(rows, ["destination", "enabled", "state", "account", "waiting", "message"], as_json)

    @destinations_group.command("push")
    @click.option("--all-pending", is_flag=True, help="Also retry blocked and backing-off pushes now.")
    def push_command(all_pending: bool) -> None:
        """Run the push run now (the scheduler runs it every minute)."""
        from hub.destinations import queue
        from hub.destinations.push import run_pushes

        if all_pending:
            click.echo(f"{queue.push_all_pending(None, Actor.cli())} waiting push(es) made due")
        for report in run_pushes():
            click.echo(f"{report.slug}: {len(report.pushed)} pushed, {len(report.blocked)} blocked, "
                       f"{len(report.retrying)} retrying, {len(report.voided)} voided"
                       + (f"; stopped: {report.stopped}" if report.stopped else ""))
