"""hub.mapping: the one place the Customer Mapping rules live."""

from __future__ import annotations

import pytest

from hub import events, integrations, mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import AuditEvent, LicenseCount, LicenseCountHistory, Organization, VendorCustomer
from hub.sync import run_sync
from tests.dbstate import diff, snapshot
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor

ADMIN = Actor.cli("admin@example.com")


@pytest.fixture
def customers(fake_integration, fake_vendor):
    """Six synced vendor customers of ``fake`` by external id (six, so one may be detached)."""
    for n in range(1, 7):
        fake_vendor.add(f"c{n}", f"Customer {n}", seats=n)
    assert run_sync("fake").status == "succeeded"
    return {c.external_id: c for c in db.session.execute(db.select(VendorCustomer)).scalars()}


@pytest.fixture
def orgs(app_ctx):
    return [mapping.create_organization(name, ADMIN) for name in ("Acme", "Globex")]


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.execute(db.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).scalars())


def detach(fake_vendor, external_id: str) -> None:
    fake_vendor.remove(external_id)
    assert run_sync("fake").customers_detached == 1


def test_map_remap_unmap(customers, orgs):
    acme, globex = orgs
    c1 = customers["c1"]
    heard = []
    with events.mapping_changed.connected_to(lambda sender, **kw: heard.append(
            (kw["customer_id"], kw["old_organization_id"], kw["new_organization_id"], kw["actor"]))):
        mapping.map_customer(c1.id, acme.id, ADMIN)
        assert (c1.map_status.value, c1.organization_id) == ("mapped", acme.id) and c1.mapped_at is not None
        mapping.map_customer(c1.id, globex.id, ADMIN)
        assert c1.organization_id == globex.id
        mapping.map_customer(c1.id, globex.id, ADMIN)  # already so: nothing happens
        mapping.unmap_customer(c1.id, ADMIN)
        assert (c1.map_status.value, c1.organization_id, c1.mapped_at) == ("not_mapped", None, None)
    assert heard == [(c1.id, None, acme.id, ADMIN), (c1.id, acme.id, globex.id, ADMIN), (c1.id, globex.id, None, ADMIN)]
    rows = [(a.action, a.entity_type, a.entity_id, a.field, a.old_value, a.new_value, a.actor, a.integration_id)
            for a in db.session.execute(db.select(AuditEvent).where(AuditEvent.action.like("mapping.%"))
                                        .order_by(AuditEvent.id)).scalars()]
    iid = c1.integration_id
    assert rows == [
        ("mapping.map", "vendor_customer", str(c1.id), "organization_id", None, str(acme.id), ADMIN.label, iid),
        ("mapping.remap", "vendor_customer", str(c1.id), "organization_id", str(acme.id), str(globex.id),
         ADMIN.label, iid),
        ("mapping.unmap", "vendor_customer", str(c1.id), "organization_id", str(globex.id), None, ADMIN.label, iid),
    ]
    assert audits("mapping.map")[0].details == {"customer": "Customer 1", "organization": "Acme"}


def test_changes_are_committed(customers, orgs):
    mapping.map_customer(customers["c2"].id, orgs[0].id, ADMIN)
    db.session.rollback()
    assert db.session.get(VendorCustomer, customers["c2"].id).organization_id == orgs[0].id
    organization = mapping.create_organization("Initech", ADMIN)
    db.session.rollback()
    assert db.session.get(Organization, organization.id).name == "Initech"


def test_unmapping_a_detached_customer_archives_it_with_its_history(customers, orgs, fake_vendor):
    c1 = customers["c1"]
    mapping.map_customer(c1.id, orgs[0].id, ADMIN)
    detach(fake_vendor, "c1")
    assert c1.map_status.value == "detached" and c1.organization_id == orgs[0].id
    history_before = [(h.id, h.quantity) for h in history_of(c1.id)]
    assert history_before
    assert mapping.unmap_customer(c1.id, ADMIN) is None  # it left the mapping table
    db.session.expire_all()
    kept = db.session.get(VendorCustomer, c1.id)
    assert kept is not None and kept.archived_at is not None and kept.organization_id is None
    assert db.session.execute(db.select(LicenseCount).filter_by(vendor_customer_id=c1.id)).first() is None
    history = history_of(c1.id)
    assert [(h.id, h.quantity) for h in history][:len(history_before)] == history_before  # the past stays
    # ... and records the end: the count left the current counts at the archiving, 1 -> 0
    assert [(h.previous_quantity, h.quantity, h.recorded_at) for h in history[len(history_before):]] == [
        (1, 0, kept.archived_at)]
    assert db.session.execute(db.select(LicenseCount)).first() is not None  # the others' counts stay
    (event,) = audits("mapping.archive_detached")
    assert (event.entity_id, event.old_value, event.new_value) == (str(c1.id), str(orgs[0].id), None)
    assert event.details == {"customer": "Customer 1", "external_id": "c1", "organization": "Acme"}
    # an archived customer can be neither mapped nor unmapped again, and says why
    for call in (lambda: mapping.map_customer(c1.id, orgs[1].id, ADMIN), lambda: mapping.unmap_customer(c1.id, ADMIN)):
        with pytest.raises(mapping.MappingError, match="archived") as info:
            call()
        assert info.value.field == "customer_id"


def test_an_archived_customer_listed_again_comes_back_not_mapped_with_its_history(customers, orgs, fake_vendor):
    c1 = customers["c1"]
    mapping.map_customer(c1.id, orgs[0].id, ADMIN)
    detach(fake_vendor, "c1")
    mapping.unmap_customer(c1.id, ADMIN)
    old_history = [h.id for h in history_of(c1.id)]
    fake_vendor.add("c1", "Customer 1", seats=4)
    assert run_sync("fake").status == "succeeded"
    db.session.expire_all()
    back = db.session.get(VendorCustomer, c1.id)
    assert (back.map_status.value, back.archived_at, back.organization_id) == ("not_mapped", None, None)
    counts = db.session.execute(db.select(LicenseCount.quantity).filter_by(vendor_customer_id=c1.id)).scalars().all()
    assert counts == [4]
    history = history_of(c1.id)
    assert [h.id for h in history][:len(old_history)] == old_history and history[-1].quantity == 4
    reattach = [a for a in audits("customer.reattach") if a.entity_id == str(c1.id)]
    assert reattach and reattach[-1].details == {"was_archived": True}


def test_unmapping_a_detached_never_mapped_customer_archives_it_too(customers, fake_vendor):
    detach(fake_vendor, "c6")
    assert mapping.unmap_customer(customers["c6"].id, ADMIN) is None
    assert db.session.get(VendorCustomer, customers["c6"].id).archived_at is not None


def history_of(customer_id: int) -> list[LicenseCountHistory]:
    return list(db.session.execute(db.select(LicenseCountHistory).filter_by(vendor_customer_id=customer_id)
                                   .order_by(LicenseCountHistory.id)).scalars())


def test_an_organization_has_many_vendor_customers_across_vendors(app, customers, orgs):
    other = FakeVendor("other")
    app.extensions["hub.plugins"].register(other, "other")
    integrations.configure("other", dict(FAKE_CONFIG), ADMIN, enable=True)
    other.add("o1", "Acme at Other", seats=9)
    run_sync("other")
    o1 = db.session.execute(db.select(VendorCustomer).filter_by(external_id="o1")).scalar_one()
    acme = orgs[0]
    for cid in (customers["c1"].id, customers["c2"].id, o1.id):
        mapping.map_customer(cid, acme.id, ADMIN)
    mapped = db.session.execute(db.select(VendorCustomer.external_id).filter_by(organization_id=acme.id)
                                .order_by(VendorCustomer.external_id)).scalars().all()
    assert mapped == ["c1", "c2", "o1"]
    assert {c.integration_id for c in db.session.execute(
        db.select(VendorCustomer).filter_by(organization_id=acme.id)).scalars()} == {
        integrations.get_integration("fake").id, integrations.get_integration("other").id}


def test_create_organization_from_customer(customers):
    c3 = customers["c3"]
    mapping.create_organization_from_customer(c3.id, ADMIN)
    organization = db.session.execute(db.select(Organization).filter_by(name="Customer 3")).scalar_one()
    assert c3.organization_id == organization.id
    assert [a.new_value for a in audits("organization.create")] == ["Customer 3"]
    assert [a.new_value for a in audits("mapping.map")] == [str(organization.id)]
    with pytest.raises(mapping.MappingError) as err:
        mapping.create_organization_from_customer(c3.id, ADMIN)  # mapped now
    assert err.value.field == "customer_id"



def test_create_organization_from_customer_takes_the_typed_name(customers):
    c3 = customers["c3"]
    mapping.create_organization_from_customer(c3.id, ADMIN, name="  Customer Three Ltd ")
    assert c3.organization.name == "Customer Three Ltd"
    assert [a.new_value for a in audits("organization.create")] == ["Customer Three Ltd"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 20_000, 42, ["A"]])
def test_create_organization_from_customer_refuses_a_bad_name_and_changes_nothing(customers, name):
    c3 = customers["c3"]
    with pytest.raises(mapping.MappingError) as err:
        mapping.create_organization_from_customer(c3.id, ADMIN, name=name)
    db.session.rollback()
    assert err.value.field == "name" and len(str(err.value)) < 200
    assert db.session.get(type(c3), c3.id).organization_id is None
    assert audits("organization.create") == [] and audits("mapping.map") == []

ERRORS = [
    ("unknown customer", lambda c, o: mapping.map_customer(999999, o[0].id, ADMIN), "customer_id", "does not exist"),
    ("customer id not a number", lambda c, o: mapping.map_customer("c1", o[0].id, ADMIN), "customer_id",
     "must be a number"),
    ("unknown organization", lambda c, o: mapping.map_customer(c["c1"].id, 999999, ADMIN), "organization_id",
     "does not exist"),
    ("organization id not a number", lambda c, o: mapping.map_customer(c["c1"].id, "acme", ADMIN),
     "organization_id", "must be a number"),
    ("unmap a Not mapped customer", lambda c, o: mapping.unmap_customer(c["c1"].id, ADMIN), "customer_id",
     "not mapped"),
    ("unmap an unknown customer", lambda c, o: mapping.unmap_customer(424242, ADMIN), "customer_id",
     "does not exist"),
    ("organization without a name", lambda c, o: mapping.create_organization("  ", ADMIN), "name", "enter the Organization's name"),
    ("organization name taken (any case)", lambda c, o: mapping.create_organization("ACME", ADMIN), "name",
     "already exists"),
    ("organization name too long", lambda c, o: mapping.create_organization("x" * 201, ADMIN), "name",
     "at most 200"),
]


@pytest.mark.parametrize("call, field, words", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_the_field_and_change_nothing(call, field, words, customers, orgs):
    before = snapshot()
    with pytest.raises(mapping.MappingError, match=words) as err:
        call(customers, orgs)
    assert err.value.field == field
    db.session.rollback()
    assert diff(before, snapshot()) == {}


def test_a_detached_customer_cannot_be_mapped(customers, orgs, fake_vendor):
    detach(fake_vendor, "c2")
    before = snapshot()
    with pytest.raises(mapping.MappingError, match="Detached") as err:
        mapping.map_customer(customers["c2"].id, orgs[0].id, ADMIN)
    assert err.value.field == "customer_id"
    assert diff(before, snapshot()) == {}
