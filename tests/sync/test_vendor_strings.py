"""Vendor strings are untrusted: one bad name, id, SKU or number never stops a vendor's sync, and what is
stored is the same on SQLite and PostgreSQL. A failed apply stores a message without SQL or values."""

from __future__ import annotations

import logging
from decimal import Decimal

import sqlalchemy as sa

from hub import events
from hub.extensions import db
from hub.models import AuditEvent, SyncStatus, VendorSku
from hub.plugins import CustomerStatus, LicenseCount, SkuMapping, VendorCustomer, hookimpl
from hub.sync import run_sync
from tests.dbstate import SYNC_BOOKKEEPING, diff, snapshot
from tests.fakes.fake_vendor import FakeVendor
from tests.sync.helpers import audits_of_run, customer, customers_by_external_id, set_vendor, stored_counts

LONG_NAME = "Ærøskøbing Æbler ApS " * 20  # 420 characters; the column holds 300
LONG_ID = "tenant/" + "x" * 250
LONG_SKU = "bundle-" + "s" * 120  # fits the SKU column (200), not the audit field (60)


class RecordVendor(FakeVendor):
    """Yields exactly the records a test sets: any string a vendor might send."""

    def __init__(self) -> None:
        super().__init__("fake")
        self.listing: list[VendorCustomer] = []
        self.results: list = []
        self.sku_names: dict[str, SkuMapping] = {}

    @hookimpl
    def hub_list_customers(self, config, session):
        return list(self.listing)

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        self.counted_ids = [c.external_id for c in customers]
        return list(self.results)

    @hookimpl
    def hub_map_skus(self, config, skus):
        return [self.sku_names.get(s, SkuMapping(sku=s, name=f"Fake {s}")) for s in skus]


def _register(app):
    vendor = RecordVendor()
    app.extensions["hub.plugins"].register(vendor, "fake")
    return vendor


def hostile_vendor(vendor: RecordVendor) -> None:
    vendor.listing = [
        VendorCustomer("c-nul", "Nul\x00 Byte Ltd"),
        VendorCustomer("c-long", LONG_NAME),
        VendorCustomer("c-ansi", "\x1b[31mRed\x1b[0m\tCorp\r\n\u202eevil", CustomerStatus.TRIAL,
                       extra={"domain": "a\x00b.example", "nested": {"k\x07": ["\x1b]0;title\x07x", 1.5]},
                              "nan": float("nan")}),
        VendorCustomer(LONG_ID, "Long id"),
        VendorCustomer("c-ok", "Plain"),
    ]
    vendor.results = [
        LicenseCount("c-nul", "seats", 2), LicenseCount("c-long", "seats", 3),
        LicenseCount("c-ansi", "se\x00ats", 4), LicenseCount(LONG_ID, LONG_SKU, 5), LicenseCount("c-ok", "seats", 6),
    ]
    vendor.sku_names = {"seats": SkuMapping("seats", "Seats\x00 " + "n" * 400, unit="u" * 80,
                                            suggested_product_code="P" * 150)}


def test_hostile_vendor_strings_sync_and_are_stored_cleaned_and_bounded(app, app_ctx):
    vendor = _register(app)
    from hub import integrations
    from hub.audit import Actor
    from tests.fakes.fake_vendor import FAKE_CONFIG

    integrations.configure("fake", dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
    hostile_vendor(vendor)
    run = run_sync("fake")
    assert run.status == SyncStatus.SUCCEEDED.value, run.error_message
    assert (run.customers_added, run.counts_changed, run.count_failures) == (5, 5, 0)
    assert vendor.counted_ids[3] == LONG_ID  # the plugin is asked about its own ids

    stored = customers_by_external_id()
    assert stored["c-nul"].name == "Nul Byte Ltd"
    long = stored["c-long"]
    assert len(long.name) == 300 and long.name.endswith("\u2026") and LONG_NAME.startswith(long.name[:-1])
    assert long.extra["full_name"] == LONG_NAME
    ansi = stored["c-ansi"]
    assert ansi.name == "Red Corp evil"
    assert ansi.extra == {"domain": "ab.example", "nested": {"k": ["x", 1.5]}, "nan": "nan"}
    long_ids = [e for e in stored if e.startswith("tenant/")]
    assert len(long_ids) == 1 and len(long_ids[0]) == 200
    assert stored[long_ids[0]].extra["full_external_id"] == LONG_ID

    counts = stored_counts()
    assert counts[("c-nul", "seats")] == 2 and counts[("c-ok", "seats")] == 6
    assert [q for (e, s), q in counts.items() if e == "c-ansi"] == [4]
    assert all(("\x00" not in s) for _, s in counts)
    seats = db.session.execute(db.select(VendorSku).filter_by(sku="seats")).scalar_one()
    assert (len(seats.name), len(seats.unit), len(seats.suggested_product_code)) == (300, 40, 100)
    assert "\x00" not in seats.name
    fields = [a.field for a in audits_of_run(run.id) if a.action == "count.change"]
    assert max(len(f) for f in fields) == 60

    # the same hostile answer again is no change at all: normalising is stable
    before = snapshot(SYNC_BOOKKEEPING)
    again = run_sync("fake")
    assert again.status == SyncStatus.SUCCEEDED.value, again.error_message
    assert diff(before, snapshot(SYNC_BOOKKEEPING)) == {}
    assert audits_of_run(again.id) == []


def test_a_vendor_message_with_control_characters_is_stored_cleaned(fake_integration, fake_vendor):
    from hub.plugins import VendorDataError

    set_vendor(fake_vendor, {"c1": customer("One", seats=1)})
    fake_vendor.failing_counts = {"c1": "tenant \x00c1\x1b[2J answered 404"}
    run = run_sync("fake")
    assert run.status == SyncStatus.SUCCEEDED.value, run.error_message
    assert customers_by_external_id()["c1"].count_error == "tenant c1 answered 404"

    fake_vendor.list_error = VendorDataError("bad page\x00 \x1b[31m<b>")
    failed = run_sync("fake")
    assert (failed.status, failed.error_message) == (SyncStatus.FAILED.value, "bad page <b>")


# -- defect 7: an out-of-range count is that customer's failure -------------------------------------

def test_an_absurd_count_fails_only_its_customer(fake_integration, fake_vendor):
    set_vendor(fake_vendor, {"c1": customer("One", seats=1, mail=1), "c2": customer("Two", seats=2)})
    assert run_sync("fake").status == SyncStatus.SUCCEEDED.value
    set_vendor(fake_vendor, {"c1": customer("One", seats=Decimal("1e20"), mail=5),
                             "c2": customer("Two", seats=Decimal("Infinity")),
                             "c3": customer("Three", seats=3)})
    run = run_sync("fake")
    assert run.status == SyncStatus.SUCCEEDED.value, run.error_message
    assert (run.customers_added, run.count_failures) == (1, 2)
    stored = customers_by_external_id()
    assert "1E+20" in stored["c1"].count_error and "'seats'" in stored["c1"].count_error
    assert "Infinity" in stored["c2"].count_error
    assert stored["c3"].count_error is None
    # their last counts stay (the partial answer of c1, mail=5, is not applied); the others apply
    assert stored_counts() == {("c1", "seats"): 1, ("c1", "mail"): 1, ("c2", "seats"): 2, ("c3", "seats"): 3}


def test_the_largest_storable_count_is_applied(fake_integration, fake_vendor):
    largest = Decimal("99999999999999")  # 10^14 - 1 (SQLite keeps 15 digits exactly)
    set_vendor(fake_vendor, {"c1": customer("One", seats=largest)})
    run = run_sync("fake")
    assert (run.status, run.count_failures) == (SyncStatus.SUCCEEDED.value, 0)
    assert stored_counts() == {("c1", "seats"): largest}


# -- a failed apply: a plain message for users, the details in the server log ---------------------

def test_a_database_error_while_applying_stores_no_sql(fake_integration, fake_vendor, caplog):
    set_vendor(fake_vendor, {"c1": customer("One", seats=1)})

    def broken_listener(sender, **_):
        db.session.execute(sa.text("INSERT INTO no_such_table (secretish) VALUES (:v)"), {"v": "row-value-42"})

    events.sync_applied.connect(broken_listener)
    try:
        with caplog.at_level(logging.ERROR, logger="hub.sync"):
            run = run_sync("fake")
    finally:
        events.sync_applied.disconnect(broken_listener)
    assert (run.status, run.error_kind) == (SyncStatus.FAILED.value, "apply_error")
    for leaked in ("INSERT", "no_such_table", "row-value-42", "SELECT", "[parameters"):
        assert leaked not in run.error_message
    assert "nothing was applied" in run.error_message and f"sync run {run.id}" in run.error_message
    assert customers_by_external_id() == {}
    assert db.session.execute(db.select(AuditEvent).filter_by(sync_run_id=run.id)).first() is None
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "no_such_table" in logged  # the server log keeps what an operator needs
