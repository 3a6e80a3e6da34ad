"""Demo mode for destinations: each destination plugin's simulator on loopback, connected through the
core's real OAuth flow (the simulator approves at once), mappings made at the provider, and a few
issued invoices pushed by the real push run. Only the accounting system is fake."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

import requests
from flask import Flask

from hub.audit import Actor
from hub.extensions import db
from hub.testing.server import ServedApp, serve

log = logging.getLogger("hub.demo")

DEMO_ACTOR = Actor.system("demo")
#: where the simulators send the browser back; only echoed, never opened in demo mode
DEMO_CALLBACK = "http://127.0.0.1/admin/destinations/{slug}/callback"


def start_destinations(app: Flask) -> list[ServedApp]:
    """Serve, configure, connect and enable every loaded destination that ships a simulator."""
    from hub.destinations import connections, oauth

    running = []
    registry = app.extensions["hub.plugins"]
    with app.app_context():
        for slug in sorted(registry.destinations):
            try:
                simulator = registry.destination_handle(slug).demo_simulator()
                if simulator is None:
                    continue
                served = serve(simulator.make_app(12), name=f"sim-{slug}")
                running.append(served)
                connections.configure(slug, simulator.config_for(served.base_url), DEMO_ACTOR)
                redirect_uri = DEMO_CALLBACK.format(slug=slug)
                answer = requests.get(oauth.start(slug, redirect_uri, DEMO_ACTOR), allow_redirects=False, timeout=10)
                connection = oauth.finish(slug, dict(parse_qsl(urlsplit(answer.headers["Location"]).query)),
                                          redirect_uri, DEMO_ACTOR)
                if connection.account_choices:
                    oauth.choose_account(slug, connection.account_choices[0]["account_id"], DEMO_ACTOR)
                connections.set_enabled(slug, True, DEMO_ACTOR)
                log.info("demo: %s simulator on %s, connected", slug, served.base_url)
            except Exception:
                db.session.rollback()
                log.exception("demo: destination %s could not be set up", slug)
    return running


def map_and_push(issue: int = 3) -> None:
    """Issue ``issue`` invoices when none exist yet, map their Organizations and products at each
    connected destination (a fresh simulator each start), and push what is due."""
    from hub.billing.invoicing import run_due_invoices
    from hub.destinations import connections, mappings
    from hub.destinations.push import run_pushes
    from hub.models import DestinationPush, Invoice, InvoiceLine, MappingKind, RecurringInvoice

    if db.session.execute(db.select(Invoice.id).limit(1)).first() is None:
        first = list(db.session.execute(db.select(RecurringInvoice).order_by(RecurringInvoice.id).limit(issue)).scalars())
        for recurring in first:
            run_due_invoices(recurring.next_run_date, DEMO_ACTOR, recurring_ids=[recurring.id])
    waiting = db.select(DestinationPush.invoice_id).where(DestinationPush.state.in_(("queued", "blocked", "retrying")))
    wanted = {
        MappingKind.CUSTOMER: set(db.session.execute(db.select(Invoice.organization_id).where(
            Invoice.id.in_(waiting))).scalars()),
        MappingKind.ITEM: set(db.session.execute(db.select(InvoiceLine.product_id).where(
            InvoiceLine.invoice_id.in_(waiting), InvoiceLine.product_id.is_not(None))).scalars())}
    for connection in connections.enabled_connections():
        for kind, local_ids in wanted.items():
            for local_id in sorted(local_ids):
                try:
                    mappings.create_at_provider(connection.slug, kind.value, str(local_id), DEMO_ACTOR)
                except Exception as err:
                    db.session.rollback()
                    log.info("demo: %s %s %s not mapped: %s", connection.slug, kind.value, local_id, err)
    from hub.destinations import queue

    queue.push_all_pending(None, DEMO_ACTOR)
    for report in run_pushes():
        log.info("demo: pushed %d invoice(s) to %s", len(report.pushed), report.slug)
