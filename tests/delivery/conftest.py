"""Delivery fixtures: a local SMTP server, SMTP settings pointing at it, and an issued invoice world."""

from __future__ import annotations

import pytest

from hub.audit import Actor
from hub.delivery import contacts, smtp
# the billing world (Contoso, 20 seats, a monthly recurring invoice with a vendor line) from billing's tests
from tests.billing.conftest import actor, billed, contoso, make_org, make_product, seats, vendor  # noqa: F401
from tests.delivery.smtp_server import SmtpServer

SETUP = Actor.cli("delivery-test")


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_configured(app_ctx, smtp_server):
    smtp.save_settings(smtp_server.settings(), None, SETUP)
    return smtp_server


@pytest.fixture
def contoso_contacts(billed):  # noqa: F811  (billed: the imported fixture)
    invoice, _line = billed
    contacts.set_contacts(invoice.organization_id, "ap@contoso.example, boss@contoso.example",
                          "books@contoso.example", SETUP)
    return billed

