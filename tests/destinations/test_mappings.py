"""Mapping tables: auto-match by name only suggests, a person confirms, pushes use confirmed ones;
manual mapping, unmapping and creating at the provider; every change audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.destinations import mappings
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import AuditEvent, DestinationMapping, DestinationPush
from hub.plugins import VendorConfigError
from tests.destinations.conftest import ADMIN

QUIET = {"sleep": lambda s: None}


def by_key(kind="customer") -> dict[str, DestinationMapping]:
    db.session.expire_all()
    return {m.local_key: m for m in db.session.execute(sa.select(DestinationMapping).filter_by(kind=kind)).scalars()}


def audit(action: str) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent).filter_by(action=action)).scalar()


def test_auto_match_suggests_by_name_and_only_confirmed_mappings_push(qbo, books, qbo_sim):
    exact, apostrophe, nobody = books.org("customer 001"), books.org("O'Brien IT"), books.org("Nobody Ltd")
    assert mappings.auto_match("quickbooks", "customer", ADMIN) == 2
    found = by_key()
    assert set(found) == {str(exact.id), str(apostrophe.id)}
    assert not any(m.confirmed for m in found.values()) and {m.source for m in found.values()} == {"auto"}
    assert found[str(apostrophe.id)].external_name == "O'Brien IT"
    rows = {r.label: r for r in mappings.rows("quickbooks", "customer")}
    assert rows["Nobody Ltd"].mapping is None and rows["O'Brien IT"].mapping is not None
    product = books.product("EP", "Managed Endpoint")
    mappings.auto_match("quickbooks", "item", ADMIN)
    mappings.confirm("quickbooks", "item", [str(product.id)], ADMIN)
    invoice_id = books.issue(exact, product)
    run_pushes(session_options=QUIET)
    push = db.session.execute(sa.select(DestinationPush).filter_by(invoice_id=invoice_id)).scalar_one()
    assert push.state == "blocked" and push.error_field == "customer"  # a suggestion is not a mapping
    assert mappings.confirm("quickbooks", "customer", [str(exact.id)], ADMIN) == 1
    assert by_key()[str(exact.id)].confirmed
    assert audit("destination.map") == 3 and audit("destination.map_confirm") == 2
    assert mappings.auto_match("quickbooks", "customer", ADMIN) == 0  # mapped ones are left alone


def test_manual_mapping_refuses_bad_input_and_changes_nothing(qbo, books):
    org = books.org("Contoso")
    with pytest.raises(VendorConfigError) as err:
        mappings.set_mapping("quickbooks", "customer", str(org.id), "  ", None, ADMIN)
    assert err.value.field == "external_id"
    with pytest.raises(VendorConfigError) as err:
        mappings.set_mapping("quickbooks", "customer", "999", "58", None, ADMIN)
    assert err.value.field == "local_key"
    with pytest.raises(VendorConfigError) as err:
        mappings.set_mapping("quickbooks", "planet", str(org.id), "58", None, ADMIN)
    assert err.value.field == "kind"
    assert by_key() == {} and audit("destination.map") == 0
    mappings.set_mapping("quickbooks", "customer", str(org.id), "58", "Contoso Ltd", ADMIN)
    assert by_key()[str(org.id)].confirmed and by_key()[str(org.id)].source == "manual"
    mappings.unmap("quickbooks", "customer", str(org.id), ADMIN)
    assert by_key() == {} and audit("destination.unmap") == 1


def test_create_at_provider_finds_escaped_names_and_steps_around_a_vendor_of_the_same_name(qbo, books, qbo_sim):
    existing = books.org("O'Brien IT")
    created = mappings.create_at_provider("quickbooks", "customer", str(existing.id), ADMIN)
    assert created.external_name == "O'Brien IT" and created.confirmed
    assert "4000" not in qbo_sim.app.state.fault_codes  # the apostrophe was escaped
    customers_before = len(qbo_sim.app.state.customers)
    assert customers_before == 6  # found, not created
    clash = books.org("Fabrikam Supplies")  # a QuickBooks *vendor* holds this name
    made = mappings.create_at_provider("quickbooks", "customer", str(clash.id), ADMIN)
    assert made.external_name == "Fabrikam Supplies (Customer)" and "6240" in qbo_sim.app.state.fault_codes
    assert len(qbo_sim.app.state.customers) == 7
    # asking again finds it: no second customer
    mappings.unmap("quickbooks", "customer", str(clash.id), ADMIN)
    mappings.create_at_provider("quickbooks", "customer", str(clash.id), ADMIN)
    assert len(qbo_sim.app.state.customers) == 7


def test_untaxed_lines_carry_the_no_tax_code(qbo, books, qbo_sim):
    mappings.set_mapping("quickbooks", "tax_code", mappings.NO_TAX, "NON", "NON", ADMIN)
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint")
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    mappings.create_at_provider("quickbooks", "item", str(product.id), ADMIN)
    books.issue(org, product)
    assert run_pushes(session_options=QUIET)[0].pushed
    [made] = qbo_sim.app.state.invoices.values()
    assert made["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    with pytest.raises(VendorConfigError):
        mappings.create_at_provider("quickbooks", "tax_code", mappings.NO_TAX, ADMIN)
