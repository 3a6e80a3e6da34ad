"""Demo mode: each plugin's simulator on loopback, its integration pointed there, data synced and mapped.

Everything goes through the real code paths: the plugin's HTTP client talks to its simulator over
a socket, syncs run through the engine, mappings through the mapping service. Only the vendor is fake.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from hub import integrations
from hub.audit import Actor
from hub.extensions import db

log = logging.getLogger("hub.demo")

DEMO_ACTOR = Actor.system("demo")


@dataclass
class RunningSimulator:
    slug: str
    base_url: str
    server: BaseWSGIServer
    app: object

    def stop(self) -> None:
        self.server.shutdown()


def serve_simulator(slug: str, wsgi_app, host: str = "127.0.0.1") -> RunningSimulator:
    """Serve a simulator on a free loopback port in a daemon thread."""
    server = make_server(host, 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"sim-{slug}", daemon=True)
    thread.start()
    return RunningSimulator(slug, f"http://{host}:{server.server_port}", server, wsgi_app)


def start_simulators(app: Flask, customers: int = 30) -> list[RunningSimulator]:
    """Start every loaded plugin's simulator and point its integration at it (enabled)."""
    running = []
    registry = app.extensions["hub.plugins"]
    with app.app_context():
        for slug in sorted(registry.vendors):
            handle = registry.handle(slug)
            try:
                simulator = handle.demo_simulator()
            except Exception:
                log.exception("%s: hub_demo_simulator failed", slug)
                continue
            if simulator is None:
                continue
            sim = serve_simulator(slug, simulator.make_app(customers))
            integrations.configure(slug, simulator.config_for(sim.base_url), DEMO_ACTOR, enable=True)
            running.append(sim)
            log.info("demo: %s simulator on %s", slug, sim.base_url)
    return running


def seed_demo_data(app: Flask, share_mapped: float = 0.5) -> None:
    """First syncs, then Organizations for part of the vendor customers, mapped (once per database)."""
    from hub import mapping
    from hub.models import MapStatus, Organization, VendorCustomer
    from hub.sync import AlreadyRunning, run_sync

    with app.app_context():
        for integration in integrations.enabled_integrations():
            try:
                run = run_sync(integration.slug, trigger="demo", triggered_by="demo")
                log.info("demo: first sync of %s: %s", integration.slug, run.status)
            except AlreadyRunning:
                pass
        if db.session.execute(db.select(Organization.id).limit(1)).first():
            return  # seeded before: keep what the user did since
        for integration in integrations.enabled_integrations():
            customers = db.session.execute(
                db.select(VendorCustomer).where(VendorCustomer.integration_id == integration.id)
                .order_by(VendorCustomer.name)).scalars().all()
            for n, customer in enumerate(customers):
                if customer.map_status is not MapStatus.NOT_MAPPED or n % round(1 / share_mapped) != 0:
                    continue
                existing = db.session.execute(
                    db.select(Organization).where(db.func.lower(Organization.name) == customer.name.lower())
                ).scalar_one_or_none()
                if existing is None:
                    mapping.create_organization_from_customer(customer.id, DEMO_ACTOR)
                else:
                    mapping.map_customer(customer.id, existing.id, DEMO_ACTOR)
        db.session.commit()


def start_demo(app: Flask, customers: int = 30) -> list[RunningSimulator]:
    running = start_simulators(app, customers)
    seed_demo_data(app)
    return running
