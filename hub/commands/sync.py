"""``hub sync``, ``hub runs``, ``hub scheduler``."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from hub.cli import CommandFailed, HubGroup, emit, known_vendor
from hub.extensions import db
from hub.models import SyncRun, SyncStatus, VendorIntegration

#: exit statuses of ``hub sync``, for scripts
EXIT_OK, EXIT_FAILED, EXIT_NEEDS_REVIEW, EXIT_ALREADY_RUNNING, EXIT_NOT_POSSIBLE = 0, 1, 3, 4, 5


class SyncGroup(HubGroup):
    """``hub sync VENDOR | --all`` syncs (the ``run`` sub-command); ``hub sync release VENDOR`` frees a lease."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def register(app: Flask) -> None:
    @app.cli.group("sync", cls=SyncGroup)
    def sync_group() -> None:
        """Sync one vendor now (hub sync VENDOR), all enabled vendors (hub sync --all), or release the lease
        of a sync whose process is gone (hub sync release VENDOR).

        Exit status: 0 success, 1 failed, 2 usage error, 3 needs review, 4 already running, 5 not possible,
        6 the command failed.
        """

    @sync_group.command("run")
    @click.argument("vendor", required=False)
    @click.option("--all", "all_", is_flag=True, help="Sync every enabled vendor.")
    @click.option("--json", "as_json", is_flag=True)
    def sync_command(vendor: str | None, all_: bool, as_json: bool) -> None:
        """Sync one vendor now, or all enabled vendors (also: hub sync VENDOR).

        Exit status: 0 success, 1 failed, 3 needs review, 4 already running, 5 not possible.
        """
        from hub.integrations import enabled_integrations
        from hub.sync import AlreadyRunning, SyncNotPossible, run_sync

        if bool(vendor) == all_:
            raise click.UsageError("name one VENDOR or pass --all")
        slugs = [i.slug for i in enabled_integrations()] if all_ else [vendor]
        rows, worst = [], EXIT_OK
        for slug in slugs:
            try:
                run = run_sync(slug, trigger="cli", triggered_by="cli")
            except AlreadyRunning as err:
                rows.append({"vendor": slug, "status": "already_running", "message": str(err)})
                worst = max(worst, EXIT_ALREADY_RUNNING)
                continue
            except SyncNotPossible as err:
                rows.append({"vendor": slug, "status": "not_possible", "message": str(err)})
                worst = max(worst, EXIT_NOT_POSSIBLE)
                continue
            rows.append(_run_row(run, slug))
            worst = max(worst, exit_status(run))
        emit(rows, ["vendor", "run", "status", "customers_seen", "customers_added", "customers_detached",
                    "counts_changed", "count_failures", "message"], as_json)
        sys.exit(worst)

    @sync_group.command("release")
    @click.argument("vendor")
    def release_command(vendor: str) -> None:
        """Release VENDOR's sync lease when the process holding it is gone (audited); its run is marked
        interrupted. Exit status 4 when the holder is still running on this machine."""
        from hub.audit import Actor
        from hub.sync.release import LeaseHeld, release_lease

        try:
            released = release_lease(vendor, Actor.cli())
        except LookupError as err:
            raise CommandFailed(str(err)) from None
        except LeaseHeld as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(EXIT_ALREADY_RUNNING)
        if released is None:
            click.echo(f"{vendor}: no sync lease or running sync to release")
            return
        held = f" held by {released.holder} since {released.acquired_at:%Y-%m-%d %H:%M:%S} UTC" if released.holder else ""
        click.echo(f"{vendor}: released the sync lease{held}; "
                   f"{len(released.runs_closed)} run(s) marked interrupted")

    @app.cli.command("runs")
    @click.argument("vendor", required=False)
    @click.option("--limit", default=20, show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    def runs_command(vendor: str | None, limit: int, as_json: bool) -> None:
        """Show the last sync runs."""
        query = (db.select(SyncRun, VendorIntegration.slug).join(VendorIntegration)
                 .order_by(SyncRun.id.desc()).limit(limit))
        if vendor:
            query = query.where(VendorIntegration.slug == known_vendor(vendor).slug)
        rows = [_run_row(run, slug) | {"started_at": run.started_at.isoformat(timespec="seconds"),
                                       "trigger": run.trigger}
                for run, slug in db.session.execute(query).all()]
        emit(rows, ["run", "vendor", "trigger", "started_at", "status", "customers_seen", "counts_changed",
                    "message"], as_json)

    @app.cli.command("scheduler")
    @click.option("--tick", default=60, show_default=True, help="Seconds between checks for due syncs.")
    def scheduler_command(tick: int) -> None:
        """Run the scheduler as its own process (for deployments with several web workers)."""
        from hub.sync.jobs import build_scheduler

        click.echo(f"hub scheduler: checking for due syncs every {tick} s (Ctrl+C to stop)")
        build_scheduler(current_app._get_current_object(), blocking=True, tick_seconds=tick).start()


def exit_status(run: SyncRun) -> int:
    """A finished run as ``hub sync``'s exit status: 0 succeeded, 3 needs review, 1 anything else."""
    return {SyncStatus.SUCCEEDED.value: EXIT_OK, SyncStatus.NEEDS_REVIEW.value: EXIT_NEEDS_REVIEW}.get(
        run.status, EXIT_FAILED)


def _run_row(run: SyncRun, slug: str) -> dict:
    return {
        "vendor": slug, "run": run.id, "status": run.status, "customers_seen": run.customers_seen,
        "customers_added": run.customers_added, "customers_detached": run.customers_detached,
        "counts_changed": run.counts_changed, "count_failures": run.count_failures,
        "message": run.error_message or "",
    }
