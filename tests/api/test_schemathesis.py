"""Schemathesis against the live app (WSGI): every operation of the OpenAPI document, with seeded data
(the billing pages' world) and an admin token. No 5xx; every status, content type and body as documented.

Bounded: a few examples per operation, so the whole test takes well under a minute per database.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hub import api_tokens, create_app, mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import Organization, VendorCustomer
from hub.webhooks import endpoints
from tests.conftest import empty_tables, make_test_config
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor
from tests.web.billing_fixtures import build_billing

EXAMPLES_PER_OPERATION = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: operations that end the test's own access or remove seeded data run last
LAST = ("/revoke", "DELETE")


def _seed(app) -> str:
    from hub import integrations
    from hub.sync import run_sync

    vendor = FakeVendor("fake")
    app.extensions["hub.plugins"].register(vendor, "fake")
    setup = Actor.cli("schemathesis")
    integrations.configure("fake", dict(FAKE_CONFIG), setup, enable=True)
    for n, name in enumerate(["Contoso Ltd", "Fabrikam", "Northwind Traders", "Tailspin Toys", "Wingtip"], 1):
        vendor.add(f"c-{n}", name, seats=5 if n == 1 else n)
    run_sync("fake", trigger="cli", triggered_by="schemathesis")
    contoso = mapping.create_organization("Contoso", setup, domain="contoso.com", external_ref="psa-1")
    mapping.create_organization("Northwind", setup)
    customers = {c.external_id: c for c in db.session.execute(db.select(VendorCustomer)).scalars()}
    mapping.map_customer(customers["c-1"].id, contoso.id, setup)
    world = {"customers": customers, "orgs": {o.name: o for o in db.session.execute(db.select(Organization)).scalars()}}
    # registered first, so issuing the invoices below logs deliveries to it (nothing sends them here)
    endpoints.add_endpoint("https://93.184.216.34/hook", "*", setup)
    build_billing(vendor, world)
    return api_tokens.create_token("schemathesis", "admin", setup).secret


@pytest.fixture(scope="module")
def live(tmp_path_factory, database_url):
    folder = tmp_path_factory.mktemp("schemathesis")
    app = create_app(make_test_config(folder, database_url, HUB_SYNC_IN_BACKGROUND=False,
                                      HUB_API_RATE_LIMIT="1000000/minute",
                                      HUB_SMTP_TIMEOUT="2"))  # the SMTP settings try hosts it makes up
    with app.app_context():
        db.create_all()
        token = _seed(app)
    yield app, token
    empty_tables(app)


def _order(operation) -> tuple:
    label = f"{operation.method.upper()} {operation.path}"
    return (any(word in label for word in LAST), label)


def test_every_operation_behaves_as_documented(live):
    app, token = live
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    assert len(operations) > 40
    failures = []
    for operation in operations:
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        try:
            exercise()
        except Exception as err:  # collect them all: one report names every operation at fault
            failures.append(f"{operation.method.upper()} {operation.path}: {str(err)[:1500]}")
    assert not failures, "\n\n".join(failures)
