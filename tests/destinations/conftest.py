"""Destination fixtures: the QuickBooks plugin registered in the hub, its simulator served on loopback
(the provider's HTTP is the only thing faked), a connection made through the real OAuth flow, and
invoices issued by the real invoice run."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from hub import mapping
from hub.audit import Actor
from hub.billing import catalog, recurring
from hub.billing.invoicing import run_due_invoices
from hub.destinations import connections, oauth
from hub.testing import serve

ADMIN = Actor.cli("destination-test")
REDIRECT = "http://hub.test/appcenter/destinations/quickbooks/callback"


@pytest.fixture
def qbo_sim():
    import hub_quickbooks.simulator as simulator

    with serve(simulator.make_app(6), name="qbo-sim") as served:
        yield served


@pytest.fixture
def qbo_plugin(app):
    import hub_quickbooks.plugin as plugin

    registry = app.extensions["hub.plugins"]
    assert registry.register(plugin, "quickbooks") is not None, registry.errors
    yield plugin
    registry.unregister("quickbooks")


def sim_config(served) -> dict:
    import hub_quickbooks.plugin as plugin

    return plugin.hub_destination_simulator().config_for(served.base_url)


def sign_in(slug: str = "quickbooks", redirect: str = REDIRECT) -> dict:
    """What the admin's browser does: open the authorize URL, come back with the provider's answer."""
    url = oauth.start(slug, redirect, ADMIN)
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(redirect)
    return dict(parse_qsl(urlsplit(location).query))


@pytest.fixture
def qbo(app_ctx, qbo_plugin, qbo_sim):
    """QuickBooks configured, connected through OAuth and enabled."""
    connections.configure("quickbooks", sim_config(qbo_sim), ADMIN)
    oauth.finish("quickbooks", sign_in(), REDIRECT, ADMIN)
    return connections.set_enabled("quickbooks", True, ADMIN)


class Books:
    """Helpers to make Organizations, products and issued invoices through the hub's real services."""

    def __init__(self) -> None:
        self.day = 0

    def org(self, name: str):
        return mapping.create_organization(name, ADMIN)

    def product(self, code: str, name: str | None = None, price: str = "12.50"):
        return catalog.create_product(code, name or f"Product {code}", price, ADMIN)

    def issue(self, organization, product, quantity: str = "3") -> int:
        """One issued invoice for ``organization`` with one standard line; returns its id."""
        self.day += 1
        schedule = recurring.create_recurring_invoice(organization.id, ADMIN, next_run_date=date(2024, 1, self.day))
        recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=product.id, quantity=quantity)
        result = run_due_invoices(date(2024, 1, self.day), ADMIN, recurring_ids=[schedule.id])
        assert len(result.issued) == 1, result
        return result.issued[0]


@pytest.fixture
def books(app_ctx):
    return Books()


@pytest.fixture
def xero_sim():
    import hub_xero.simulator as simulator

    with serve(simulator.make_app(4), name="xero-sim") as served:
        yield served


@pytest.fixture
def xero_plugin(app):
    import hub_xero.plugin as plugin

    registry = app.extensions["hub.plugins"]
    assert registry.register(plugin, "xero") is not None, registry.errors
    yield plugin
    registry.unregister("xero")


XERO_REDIRECT = "http://hub.test/appcenter/destinations/xero/callback"


def xero_config(served) -> dict:
    import hub_xero.plugin as plugin

    return plugin.hub_destination_simulator().config_for(served.base_url)


@pytest.fixture
def xero(app_ctx, xero_plugin, xero_sim):
    """Xero configured, connected through OAuth (the second tenant chosen) and enabled."""
    from hub.models import ConnectionState

    connections.configure("xero", xero_config(xero_sim), ADMIN)
    connection = oauth.finish("xero", sign_in("xero", XERO_REDIRECT), XERO_REDIRECT, ADMIN)
    assert connection.state == ConnectionState.CHOOSE_ACCOUNT.value
    oauth.choose_account("xero", connection.account_choices[1]["account_id"], ADMIN)
    return connections.set_enabled("xero", True, ADMIN)
