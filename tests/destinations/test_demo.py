"""Demo mode for destinations: the simulators connected through OAuth, mappings made, a few invoices
issued and pushed through the real push run."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from hub.billing import catalog, recurring
from hub.demo_destinations import map_and_push, start_destinations
from hub.extensions import db
from hub.models import ConnectionState, DestinationConnection, DestinationPush
from tests.destinations.conftest import ADMIN


def test_demo_connects_maps_issues_and_pushes(app, qbo_plugin, xero_plugin, books):
    served = start_destinations(app)
    try:
        with app.app_context():
            states = {c.slug: (c.state, c.enabled) for c in db.session.execute(sa.select(DestinationConnection)).scalars()}
            assert states == {"quickbooks": (ConnectionState.CONNECTED.value, True),
                              "xero": (ConnectionState.CONNECTED.value, True)}
            org = books.org("Contoso")
            product = catalog.create_product("EP", "Managed Endpoint", "12.50", ADMIN)
            schedule = recurring.create_recurring_invoice(org.id, ADMIN, next_run_date=date(2024, 2, 1))
            recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=product.id, quantity="2")
            map_and_push(issue=1)
            pushes = list(db.session.execute(sa.select(DestinationPush)).scalars())
            assert sorted(p.state for p in pushes) == ["pushed", "pushed"]
            quickbooks, xero = (s.app for s in served)
            assert len(quickbooks.state.invoices) == 1 and len(xero.all_invoices()) == 1
    finally:
        for s in served:
            s.stop()


def test_cli_lists_destinations_pushes_and_rotates_keys(app, qbo, books, qbo_sim):
    from hub.destinations import tokens

    books.issue(books.org("Customer 001"), books.product("EP", "Managed Endpoint"))
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["destinations", "list"])
    assert "quickbooks" in listed.output and "Sandbox Company_US_1" in listed.output
    pushed = runner.invoke(args=["destinations", "push", "--all-pending"])
    assert "quickbooks: 0 pushed, 1 blocked" in pushed.output, pushed.output
    assert "quickbooks" in runner.invoke(args=["plugins"]).output
    before = db.session.execute(sa.select(DestinationConnection.tokens_token)).scalar_one()
    rotated = runner.invoke(args=["integration", "rotate-keys"])
    assert "1 destination(s)" in rotated.output, rotated.output
    db.session.expire_all()
    connection = db.session.execute(sa.select(DestinationConnection)).scalar_one()
    assert connection.tokens_token != before and tokens.read_tokens(connection).refresh_token == qbo_sim.app.state.refresh_token
