"""``hub webhook add|list|deliveries|enable|disable|rotate-secret|resend|deliver``: outbound webhooks."""

from __future__ import annotations

import json

import click
from flask import Flask

from hub.audit import Actor
from hub.cli import emit, known_row
from hub.models.webhook import WebhookDeliveryStatus, WebhookEndpoint


def _fail(err) -> None:
    raise click.ClickException(f"{err.field}: {err}")


def endpoint_row(endpoint) -> dict:
    """An endpoint as the CLI (and the API) shows it: never its secret."""
    return {"id": endpoint.id, "url": endpoint.url, "events": list(endpoint.event_types or []),
            "enabled": endpoint.enabled, "state": endpoint.state, "reason": endpoint.state_reason,
            "description": endpoint.description,
            "last_success_at": endpoint.last_success_at.isoformat(timespec="seconds") if endpoint.last_success_at
            else None}


def delivery_row(delivery, event) -> dict:
    return {"id": delivery.id, "endpoint": delivery.endpoint_id, "event": event.type, "webhook_id": event.msg_id,
            "status": delivery.status, "attempts": delivery.attempts, "response_code": delivery.last_response_code,
            "error": delivery.last_error,
            "last_attempt_at": delivery.last_attempt_at.isoformat(timespec="seconds") if delivery.last_attempt_at
            else None, "resend_of": delivery.resend_of}


def _show_secret(registered, as_json: bool, verb: str) -> None:
    if as_json:
        click.echo(json.dumps({**endpoint_row(registered.endpoint), "secret": registered.secret}, indent=2))
        return
    click.echo(f"webhook endpoint {registered.endpoint.id} {verb}: {registered.endpoint.url}")
    click.echo("signing secret (shown once; store it now):")
    click.echo(registered.secret)


def register(app: Flask) -> None:
    @app.cli.group("webhook")
    def webhook_group() -> None:
        """Outbound webhooks: endpoints, their secrets and the delivery log."""

    @webhook_group.command("add")
    @click.argument("url")
    @click.option("--events", required=True, help="Comma-separated event types, or * for every event.")
    @click.option("--description", help="A note for the admin (what receives these events).")
    @click.option("--json", "as_json", is_flag=True, help='Print {"id", "url", "events", ..., "secret"}.')
    def add_command(url: str, events: str, description: str | None, as_json: bool) -> None:
        """Register URL for some event types; prints the signing secret, once (last line)."""
        from hub.webhooks.endpoints import WebhookError, add_endpoint

        try:
            registered = add_endpoint(url, events, Actor.cli("hub webhook add"), description=description)
        except WebhookError as err:
            _fail(err)
        _show_secret(registered, as_json, "registered")

    @webhook_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    def list_command(as_json: bool) -> None:
        """Endpoints with their state (active, failing, disabled) and why."""
        from hub.webhooks.endpoints import list_endpoints

        rows = [endpoint_row(e) for e in list_endpoints()]
        emit([{**r, "events": ",".join(r["events"])} for r in rows] if not as_json else rows,
             ["id", "url", "events", "state", "last_success_at", "reason"], as_json)

    @webhook_group.command("deliveries")
    @click.option("--endpoint", "endpoint_id", type=int, help="Only this endpoint's deliveries.")
    @click.option("--status", type=click.Choice([s.value for s in WebhookDeliveryStatus]))
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
    @click.option("--json", "as_json", is_flag=True)
    def deliveries_command(endpoint_id: int | None, status: str | None, limit: int, as_json: bool) -> None:
        """The delivery log, newest first."""
        from hub.webhooks.deliveries import list_deliveries
        from hub.webhooks.endpoints import WebhookError

        endpoint_id = known_row(WebhookEndpoint, endpoint_id, "--endpoint", "webhook endpoint")
        try:
            rows = [delivery_row(d, e) for d, e in list_deliveries(endpoint_id=endpoint_id, status=status,
                                                                    limit=limit)]
        except WebhookError as err:
            _fail(err)
        emit(rows, ["id", "endpoint", "event", "status", "attempts", "response_code", "last_attempt_at", "error"],
             as_json)

    for name, enabled in (("enable", True), ("disable", False)):
        @webhook_group.command(name, help=f"{name.capitalize()} endpoint ENDPOINT_ID.")
        @click.argument("endpoint_id", type=int)
        def toggle_command(endpoint_id: int, _enabled: bool = enabled, _name: str = name) -> None:
            from hub.webhooks.endpoints import WebhookError, set_enabled

            try:
                endpoint = set_enabled(endpoint_id, _enabled, Actor.cli(f"hub webhook {_name}"))
            except WebhookError as err:
                _fail(err)
            click.echo(f"webhook endpoint {endpoint.id}: {endpoint.state}")

    @webhook_group.command("rotate-secret")
    @click.argument("endpoint_id", type=int)
    @click.option("--json", "as_json", is_flag=True)
    def rotate_command(endpoint_id: int, as_json: bool) -> None:
        """A new signing secret (shown once); the old one also signs for 24 hours."""
        from hub.webhooks.endpoints import WebhookError, rotate_secret

        try:
            registered = rotate_secret(endpoint_id, Actor.cli("hub webhook rotate-secret"))
        except WebhookError as err:
            _fail(err)
        _show_secret(registered, as_json, "has a new secret")

    @webhook_group.command("resend")
    @click.argument("delivery_id", type=int)
    def resend_command(delivery_id: int) -> None:
        """Send one delivery's event again (same webhook-id), as a new delivery."""
        from hub.webhooks.deliveries import resend
        from hub.webhooks.endpoints import WebhookError

        try:
            again = resend(delivery_id, Actor.cli("hub webhook resend"))
        except WebhookError as err:
            _fail(err)
        click.echo(f"delivery {again.id} queued (a resend of {delivery_id})")

    @webhook_group.command("deliver")
    def deliver_command() -> None:
        """Send every due delivery now, in this process (the scheduler does this every few seconds)."""
        from hub.webhooks.worker import deliver_due

        report = deliver_due()
        click.echo(f"{report.attempted} attempted, {report.succeeded} delivered, {report.failed} failed")
