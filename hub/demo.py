"""Demo mode: each plugin's simulator on loopback, its integration pointed there, data synced and mapped.

Everything goes through the real code paths: the plugin's HTTP client talks to its simulator over
a socket, syncs run through the engine, mappings through the mapping service, invoices through
billing. Only the vendor is fake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import Flask

from hub import integrations
from hub.audit import Actor
from hub.extensions import db
from hub.testing.server import ServedApp, serve

log = logging.getLogger("hub.demo")

DEMO_ACTOR = Actor.system("demo")
DEMO_ADMIN = "admin@demo.local"


def start_simulators(app: Flask, customers: int = 30) -> list[ServedApp]:
    """Start every loaded plugin's simulator and point its integration at it (enabled)."""
    running = []
    registry = app.extensions["hub.plugins"]
    with app.app_context():
        for slug in sorted(registry.vendors):
            try:
                simulator = registry.handle(slug).demo_simulator()
            except Exception:
                log.exception("%s: hub_demo_simulator failed", slug)
                continue
            if simulator is None:
                continue
            served = serve(simulator.make_app(customers), name=f"sim-{slug}")
            target = slug
            if registry.vendors[slug].info.instances and simulator.instance_name:
                # a plugin that stands for several vendors: the demo adds one, as an admin would
                target = _demo_instance(slug, simulator.instance_name)
            integrations.configure(target, simulator.config_for(served.base_url), DEMO_ACTOR, enable=True)
            running.append(served)
            app.extensions.setdefault("hub.demo.simulators", {})[target] = served
            log.info("demo: %s simulator on %s", slug, served.base_url)
    return running


def _demo_instance(plugin: str, name: str) -> str:
    slug = "-".join(name.lower().replace("via", "").split())[:40]
    if integrations.get_integration(slug) is None:
        integrations.add_instance(plugin, slug, name, DEMO_ACTOR)
        db.session.commit()
    return slug


def first_syncs() -> None:
    from hub.sync import AlreadyRunning, run_sync

    for integration in integrations.enabled_integrations():
        try:
            run = run_sync(integration.slug, trigger="demo", triggered_by="demo")
            log.info("demo: first sync of %s: %s", integration.slug, run.status)
        except AlreadyRunning:
            pass


def map_some_customers(every: int = 2) -> None:
    """Organizations for every second vendor customer (same name across vendors maps to one)."""
    from hub import mapping
    from hub.models import MapStatus, Organization, VendorCustomer

    for integration in integrations.enabled_integrations():
        customers = db.session.execute(
            db.select(VendorCustomer).where(VendorCustomer.integration_id == integration.id)
            .order_by(VendorCustomer.name)).scalars().all()
        for n, customer in enumerate(customers):
            if customer.map_status is not MapStatus.NOT_MAPPED or n % every:
                continue
            existing = db.session.execute(
                db.select(Organization).where(db.func.lower(Organization.name) == customer.name.lower())
            ).scalar_one_or_none()
            if existing is None:
                mapping.create_organization_from_customer(customer.id, DEMO_ACTOR)
            else:
                mapping.map_customer(customer.id, existing.id, DEMO_ACTOR)


def demo_price(code: str) -> Decimal:
    """A stable, plausible monthly price per product code (demo only)."""
    return Decimal(2 + sum(map(ord, code)) % 9) + Decimal("0.50")


def set_up_billing() -> None:
    """Products for the SKUs seen, and a monthly recurring invoice with vendor lines per Organization."""
    from hub.billing import catalog, recurring
    from hub.models import LicenseCount, Organization, VendorCustomer

    for row in catalog.list_skus(status="unmapped") + catalog.list_skus(status="suggested"):
        if not row.billable:
            continue
        if row.suggested_product_id:
            catalog.map_sku(row.sku_id, row.suggested_product_id, DEMO_ACTOR)
        else:
            code = row.suggested_product_code or f"{row.vendor}-{row.sku}"[:60]
            catalog.create_product_from_sku(row.sku_id, demo_price(code), DEMO_ACTOR, code=code)
    products_by_sku = {(r.integration_id, r.sku_id): r.product_id for r in catalog.list_skus() if r.product_id}
    today = date.today()
    first_of_next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    wanted: dict[int, set[tuple[int, int]]] = {}
    rows = db.session.execute(
        db.select(VendorCustomer.organization_id, VendorCustomer.integration_id, LicenseCount.sku_id)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .where(VendorCustomer.organization_id.is_not(None), LicenseCount.quantity > 0)).all()
    for org_id, integration_id, sku_id in rows:
        product_id = products_by_sku.get((integration_id, sku_id))
        if product_id:
            wanted.setdefault(org_id, set()).add((integration_id, product_id))
    for org_id in sorted(wanted):
        organization = db.session.get(Organization, org_id)
        invoice = recurring.create_recurring_invoice(org_id, DEMO_ACTOR, next_run_date=first_of_next_month,
                                                     memo=f"Security services for {organization.name}")
        for integration_id, product_id in sorted(wanted[org_id]):
            recurring.add_line(invoice.id, DEMO_ACTOR, kind="vendor", product_id=product_id,
                               integration_id=integration_id)


def demo_admin_password() -> str:
    """Create the demo admin, or give it a fresh password: printed at every demo start."""
    from hub.models import Role
    from hub.web.users import create_user, find_user, new_password

    password = new_password()
    user = find_user(DEMO_ADMIN)
    if user is None:
        create_user(DEMO_ADMIN, Role.ADMIN, password, actor=DEMO_ACTOR)
    else:
        user.set_password(password)
        db.session.commit()
    return password


@dataclass
class DemoRun:
    """What a running demo holds: its simulators (the vendor console changes their state) and the
    demo admin's password (printed once by ``hub serve``)."""

    running: list[ServedApp]
    password: str
    simulators: dict[str, ServedApp] = field(default_factory=dict)  # integration slug -> its simulator


def demo_run(app: Flask) -> DemoRun | None:
    """The app's running demo, or None (not in demo mode: the demo-only pages do not exist)."""
    return app.extensions.get("hub.demo")


def start_demo(app: Flask, customers: int = 30) -> DemoRun:
    from hub.models import Organization

    from hub.demo_destinations import map_and_push, start_destinations

    running = start_simulators(app, customers)
    running += start_destinations(app)
    with app.app_context():
        first_syncs()
        if db.session.execute(db.select(Organization.id).limit(1)).first() is None:
            # first demo start on this database; later starts keep what the user did since
            map_some_customers()
            set_up_billing()
            from hub.demo_story import tell_the_story

            tell_the_story(app, DEMO_ACTOR)
        map_and_push()
        password = demo_admin_password()
    demo = DemoRun(running, password, simulators=app.extensions.get("hub.demo.simulators", {}))
    app.extensions["hub.demo"] = demo
    app.config["HUB_DEMO"] = True
    return demo
