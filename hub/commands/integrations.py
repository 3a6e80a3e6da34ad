"""``hub plugins``, ``hub integration ...`` and ``hub customers``: configure vendors from scripts."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app

from hub.audit import Actor
from hub.cli import BadInput, emit, known_vendor
from hub.extensions import db
from hub.models import LicenseCount, Organization, VendorCustomer, VendorSku
from hub.plugins import VendorError


def register(app: Flask) -> None:
    @app.cli.command("plugins")
    @click.option("--json", "as_json", is_flag=True)
    def plugins_command(as_json: bool) -> None:
        """List discovered vendor and destination plugins with their versions, and those that failed to load."""
        from hub.web.schema_form import schema_description

        registry = current_app.extensions["hub.plugins"]
        rows = [{"name": p.slug, "display_name": p.info.display_name, "version": p.dist_version or p.info.version,
                 "distribution": p.distribution, "status": "loaded", "hooks": ",".join(registry.hooks_of(p.slug)),
                 "error": None} | ({"config_schema": schema_description(p.info.config_schema)} if as_json else {})
                for p in [*registry.vendors.values(), *registry.destinations.values()]]
        rows += [{"name": e.name, "status": "failed", "error": e.message, "distribution": e.source}
                 for e in registry.errors]
        emit(rows, ["name", "display_name", "version", "status", "distribution", "error"], as_json)

    @app.cli.group("integration")
    def integration_group() -> None:
        """Enable and configure vendor integrations non-interactively."""

    @integration_group.command("configure")
    @click.argument("vendor")
    @click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="A setting; repeat for more.")
    @click.option("--from-json", "json_file", type=click.File("r"), help="Settings as a JSON object ('-' = stdin).")
    @click.option("--interval", type=int, help="Minutes between scheduled syncs.")
    @click.option("--enable/--no-enable", default=None)
    @click.option("--skip-test", is_flag=True, help="Save without testing the connection first.")
    def configure_command(vendor, pairs, json_file, interval, enable, skip_test) -> None:
        """Validate, test and save VENDOR's settings (secrets are stored encrypted)."""
        from hub import integrations

        raw = _settings_from_json(json_file) if json_file else {}
        for pair in pairs:
            if "=" not in pair:
                raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
            key, value = pair.split("=", 1)
            raw[key.strip()] = value
        try:
            result = integrations.configure(vendor, raw, Actor.cli(), enable=enable, interval_minutes=interval,
                                            check_connection=not skip_test)
        except VendorError as err:
            field = getattr(err, "field", None)
            named = field and not err.message.startswith(f"{field}:")  # schema errors name it already
            raise click.ClickException(f"{vendor}: {field + ': ' if named else ''}{err.message}") from None
        message = f"{vendor} saved"
        if result.check:
            message += f"; connection OK: {result.check.message}"
        click.echo(message + (" (enabled)" if result.integration.enabled else " (disabled)"))

    for flag in ("enable", "disable"):
        def toggle(vendor: str, _flag: str = flag) -> None:
            from hub import integrations

            integration = integrations.get_integration(vendor)
            if integration is None:
                raise click.ClickException(f"{vendor} is not configured")
            try:
                integrations.set_enabled(integration, _flag == "enable", Actor.cli())
            except VendorError as err:
                raise click.ClickException(err.message) from None
            db.session.commit()
            click.echo(f"{vendor} {_flag}d")

        integration_group.command(flag, help=f"{flag.title()} VENDOR's scheduled syncs.")(
            click.argument("vendor")(toggle))

    @integration_group.command("rotate-keys")
    def rotate_keys_command() -> None:
        """Re-encrypt stored credentials with the first key of HUB_ENCRYPTION_KEYS (then drop the old key)."""
        from hub import integrations

        from hub.destinations import connections

        count = integrations.rotate_secrets(Actor.cli())
        destinations = connections.rotate_secrets(Actor.cli())
        click.echo(f"re-encrypted the credentials of {count} integration(s) and {destinations} destination(s) "
                   "with the newest key")

    @integration_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    def list_command(as_json: bool) -> None:
        """Show each configured integration with its state and schedule."""
        from hub.models import VendorIntegration

        rows = [{"vendor": i.slug, "enabled": i.enabled, "state": i.state, "interval_minutes": i.interval_minutes,
                 "last_sync_at": i.last_sync_at, "message": i.state_message}
                for i in db.session.execute(db.select(VendorIntegration).order_by(VendorIntegration.slug)).scalars()]
        emit(rows, ["vendor", "enabled", "state", "interval_minutes", "last_sync_at", "message"], as_json)

    @app.cli.command("customers")
    @click.argument("vendor")
    @click.option("--status", type=click.Choice(["mapped", "not_mapped", "detached"]))
    @click.option("--json", "as_json", is_flag=True)
    def customers_command(vendor: str, status: str | None, as_json: bool) -> None:
        """List VENDOR's customers with map status, vendor status and license counts."""
        integration = known_vendor(vendor)
        query = (db.select(VendorCustomer, Organization.name)
                 .outerjoin(Organization, Organization.id == VendorCustomer.organization_id)
                 .where(VendorCustomer.integration_id == integration.id, VendorCustomer.archived_at.is_(None))
                 .order_by(VendorCustomer.name))
        if status:
            query = query.where(VendorCustomer.map_status == status)
        customers = db.session.execute(query).all()
        counts: dict[int, dict[str, str]] = {}
        for cid, sku, qty in db.session.execute(
                db.select(LicenseCount.vendor_customer_id, VendorSku.sku, LicenseCount.quantity)
                .join(VendorSku, VendorSku.id == LicenseCount.sku_id)
                .where(VendorSku.integration_id == integration.id).order_by(VendorSku.sku)):
            counts.setdefault(cid, {})[sku] = _qty(qty)
        rows = [{"id": c.id, "external_id": c.external_id, "name": c.name, "map_status": c.map_status.value,
                 "vendor_status": c.vendor_status, "organization": org,
                 "licenses": counts.get(c.id, {}) if as_json else
                 ", ".join(f"{k}={v}" for k, v in counts.get(c.id, {}).items())}
                for c, org in customers]
        emit(rows, ["external_id", "name", "map_status", "vendor_status", "organization", "licenses"], as_json)


def _settings_from_json(handle) -> dict:
    try:
        raw = json.load(handle)
    except json.JSONDecodeError as err:
        raise BadInput(f"--from-json: not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})") from None
    except UnicodeDecodeError:
        raise BadInput("--from-json: not UTF-8 text") from None
    if not isinstance(raw, dict):
        kind = {list: "an array", str: "a string"}.get(type(raw), type(raw).__name__)
        raise BadInput(f"--from-json: settings must be a JSON object ({{\"key\": value, ...}}), not {kind}")
    return raw


def _qty(value) -> str:
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text
