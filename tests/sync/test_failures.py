"""Every way reading the vendor can fail: the run fails with a clear message and changes nothing.

Before each failing run the vendor's data changed in every way a run would apply (a rename, a
customer gone, a new one, new counts), so a run that wrongly applied anything would show in the
whole-database snapshot.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub import integrations, mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import IntegrationState, SyncLease, SyncRun, SyncStatus
from hub.plugins import (
    ConnectionCheck,
    CustomerStatus,
    LicenseCount,
    VendorAuthError,
    VendorConfigError,
    VendorCustomer,
    VendorDataError,
    VendorUnavailableError,
    hookimpl,
)
from hub.sync import run_sync
from tests.dbstate import diff, snapshot
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor
from tests.fakes.http_vendor import MALFORMED, timeout
from tests.sync.helpers import customer, set_vendor

BASE = {f"c{n}": customer(f"Customer {n}", seats=n, mail=1) for n in range(1, 6)}
CHANGED = {**{e: v for e, v in BASE.items() if e != "c1"},
           "c2": customer("Renamed", "suspended", seats=20), "c9": customer("New", seats=1)}

#: a failed run may only touch its own row and the integration's state; last_success_at must stay
FAILED_RUN_WRITES = {"sync_runs": None, "sync_leases": None,
                     "vendor_integrations": {"state", "state_message", "retry_not_before", "last_sync_at",
                                             "updated_at"}}

NEEDS_REAUTH, RETRYING, ERROR = (IntegrationState.NEEDS_REAUTH.value, IntegrationState.RETRYING.value,
                                 IntegrationState.ERROR.value)


def prepared(vendor, slug: str):
    """A first good sync with one customer mapped, then vendor data that would change everything."""
    set_vendor(vendor, BASE)
    first = run_sync(slug)
    assert first.status == SyncStatus.SUCCEEDED.value, first.error_message
    organization = mapping.create_organization("Org", Actor.cli("test"))
    c1 = db.session.execute(db.select(mapping.VendorCustomer).filter_by(external_id="c1")).scalar_one()
    mapping.map_customer(c1.id, organization.id, Actor.cli("test"))
    set_vendor(vendor, CHANGED)


def assert_failed_cleanly(run: SyncRun, before: dict, slug: str, kind: str, state: str, words: str):
    assert run.status == SyncStatus.FAILED.value
    assert run.error_kind == kind, run.error_message
    assert words in run.error_message
    assert run.finished_at is not None
    assert run.customers_added == run.customers_detached == run.counts_changed == 0
    assert diff(before, snapshot(FAILED_RUN_WRITES)) == {}
    integration = integrations.get_integration(slug)
    assert integration.state == state
    assert integration.state_message == run.error_message
    assert db.session.execute(db.select(SyncLease)).first() is None  # the lease was released
    return integration


# -- faults raised by the plugin (in-memory vendor) ------------------------------------------------

PLUGIN_FAULTS = [
    ("auth refused while listing", dict(list_error=VendorAuthError("HTTP 401: API key revoked")),
     "auth_failed", NEEDS_REAUTH, "API key revoked"),
    ("unavailable while listing", dict(list_error=VendorUnavailableError("GET /customers timed out")),
     "unavailable", RETRYING, "timed out"),
    ("malformed payload", dict(list_error=VendorDataError("/customers returned malformed JSON (HTTP 200)")),
     "bad_data", ERROR, "malformed JSON"),
    ("paging cut short", dict(list_cut_after=2),
     "bad_data", ERROR, "page 2 of the customer listing never came"),
    ("bad configuration", dict(list_error=VendorConfigError("tenant not found", field="base_url")),
     "bad_config", ERROR, "tenant not found"),
    ("plugin bug while listing", dict(list_error=KeyError("items")),
     "plugin_error", ERROR, "the fake plugin failed: KeyError"),
    ("auth refused while counting", dict(count_error=VendorAuthError("HTTP 403: licensing scope missing")),
     "auth_failed", NEEDS_REAUTH, "licensing scope missing"),
    ("unavailable while counting", dict(count_error=VendorUnavailableError("HTTP 502", status=502)),
     "unavailable", RETRYING, "HTTP 502"),
    ("plugin bug while counting", dict(count_error=ZeroDivisionError("division by zero")),
     "plugin_error", ERROR, "ZeroDivisionError: division by zero"),
    ("test connection says no", dict(connection_check=ConnectionCheck(ok=False, message="API key expired")),
     "auth_failed", NEEDS_REAUTH, "test connection failed: API key expired"),
    ("test connection raises", dict(connection_error=VendorAuthError("HTTP 401 on /account")),
     "auth_failed", NEEDS_REAUTH, "HTTP 401 on /account"),
    ("test connection crashes", dict(connection_error=AttributeError("'NoneType' has no attribute 'json'")),
     "plugin_error", ERROR, "AttributeError"),
]


@pytest.mark.parametrize("fault, kind, state, words", [p[1:] for p in PLUGIN_FAULTS],
                         ids=[p[0] for p in PLUGIN_FAULTS])
def test_plugin_fault_fails_run_and_changes_nothing(fault, kind, state, words, fake_integration, fake_vendor):
    prepared(fake_vendor, "fake")
    for name, value in fault.items():
        setattr(fake_vendor, name, value)
    before = snapshot(FAILED_RUN_WRITES)
    run = run_sync("fake")
    assert_failed_cleanly(run, before, "fake", kind, state, words)


def test_retry_after_sets_retry_not_before(fake_integration, fake_vendor):
    prepared(fake_vendor, "fake")
    fake_vendor.list_error = VendorUnavailableError("HTTP 429", status=429, retry_after=120)
    run = run_sync("fake")
    integration = integrations.get_integration("fake")
    assert integration.state == RETRYING
    assert integration.retry_not_before == run.finished_at + timedelta(seconds=120)


def test_unavailable_without_retry_after_backs_off(fake_integration, fake_vendor):
    prepared(fake_vendor, "fake")
    fake_vendor.list_error = VendorUnavailableError("connection refused")
    run = run_sync("fake")
    assert integrations.get_integration("fake").retry_not_before == run.finished_at + timedelta(minutes=15)


def test_recovery_clears_the_failure_state(fake_integration, fake_vendor):
    prepared(fake_vendor, "fake")
    fake_vendor.list_error = VendorUnavailableError("HTTP 503", retry_after=60)
    assert run_sync("fake").status == SyncStatus.FAILED.value
    fake_vendor.list_error = None
    run = run_sync("fake")
    assert run.status == SyncStatus.SUCCEEDED.value
    integration = integrations.get_integration("fake")
    assert (integration.state, integration.state_message, integration.retry_not_before) == (
        IntegrationState.READY.value, None, None)
    assert integration.last_success_at == run.finished_at


def test_secrets_in_a_plugin_error_are_redacted(fake_integration, fake_vendor):
    fake_vendor.list_error = RuntimeError(f"GET http://fake.example/c?key={FAKE_CONFIG['api_key']} failed")
    run = run_sync("fake")
    assert FAKE_CONFIG["api_key"] not in run.error_message
    assert "key=*** failed" in run.error_message
    assert FAKE_CONFIG["api_key"] not in integrations.get_integration("fake").state_message


# -- faults at the vendor's HTTP API, through the hub's VendorSession -----------------------------

HTTP_FAULTS = [
    ("401 on the connection test", {"account": [401]}, "auth_failed", NEEDS_REAUTH, "answered HTTP 401"),
    ("403 on page 2 of the listing", {"customers": [None, 403]}, "auth_failed", NEEDS_REAUTH, "HTTP 403"),
    ("timeouts after retries", {"customers": [timeout()] * 4}, "unavailable", RETRYING,
     "GET http://fake.example/customers timed out after 4 attempts"),
    ("5xx after retries", {"customers": [503] * 4}, "unavailable", RETRYING, "answered HTTP 503"),
    ("5xx after retries while counting", {"usage": [500] * 40}, "unavailable", RETRYING, "answered HTTP 500"),
    ("malformed JSON in the listing", {"customers": [None, MALFORMED]}, "bad_data", ERROR, "malformed JSON"),
    ("malformed JSON in one customer's counts", {"usage:c3": [MALFORMED]}, "bad_data", ERROR,
     "/customers/c3/usage returned malformed JSON"),
]


@pytest.mark.parametrize("faults, kind, state, words", [p[1:] for p in HTTP_FAULTS], ids=[p[0] for p in HTTP_FAULTS])
def test_http_fault_fails_run_and_changes_nothing(faults, kind, state, words, http_integration, http_vendor,
                                                  no_sleep):
    waits, session_options = no_sleep
    prepared(http_vendor, "fakehttp")
    http_vendor.faults = {endpoint: list(queue) for endpoint, queue in faults.items()}  # None: served normally
    before = snapshot(FAILED_RUN_WRITES)
    run = run_sync("fakehttp", session_options=session_options)
    assert_failed_cleanly(run, before, "fakehttp", kind, state, words)
    if kind == "unavailable":
        assert len(waits) >= 3  # the session retried (without really sleeping) before giving up


def test_http_retry_after_is_honoured_and_stored(http_integration, http_vendor, no_sleep):
    waits, session_options = no_sleep
    prepared(http_vendor, "fakehttp")
    http_vendor.faults = {"customers": [(503, {"Retry-After": "30"})] * 4}
    run = run_sync("fakehttp", session_options=session_options)
    assert run.error_kind == "unavailable"
    assert waits == [30.0, 30.0, 30.0]
    assert integrations.get_integration("fakehttp").retry_not_before == run.finished_at + timedelta(seconds=30)


def test_http_paging_cut_short_is_a_data_error(http_integration, http_vendor):
    prepared(http_vendor, "fakehttp")
    http_vendor.hide_customers = 1  # the vendor says one more customer exists than it serves
    before = snapshot(FAILED_RUN_WRITES)
    run = run_sync("fakehttp")
    assert_failed_cleanly(run, before, "fakehttp", "bad_data", ERROR, "the customer listing ended after 5 of 6")


def test_http_transient_5xx_is_retried_and_the_sync_succeeds(http_integration, http_vendor, no_sleep):
    waits, session_options = no_sleep
    set_vendor(http_vendor, BASE)
    http_vendor.faults = {"customers": [503, 502]}
    run = run_sync("fakehttp", session_options=session_options)
    assert run.status == SyncStatus.SUCCEEDED.value, run.error_message
    assert (run.customers_added, run.counts_changed, len(waits)) == (5, 10, 2)


# -- plugins that break the contract -------------------------------------------------------------

class ContractBreaker(FakeVendor):
    """Yields exactly what a test puts in ``listing`` and ``results``."""

    listing: list = []
    results: list = []

    @hookimpl
    def hub_list_customers(self, config, session):
        return list(self.listing)

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        return list(self.results)


OK_CUSTOMER = VendorCustomer("x1", "X One")
BREACHES = [
    ("a listing item that is not a VendorCustomer", [{"id": "x1"}], [], "yielded dict, not VendorCustomer"),
    ("an empty external id", [VendorCustomer("", "Nameless")], [], "has no external id"),
    ("an external id that is not a string", [VendorCustomer(17, "Int id")], [], "has no external id"),
    ("the same customer twice", [OK_CUSTOMER, OK_CUSTOMER], [], "listed twice"),
    ("an unknown vendor status", [VendorCustomer("x1", "X", status="deleted")], [], "unknown status 'deleted'"),
    ("a count of a customer not listed", [OK_CUSTOMER], [LicenseCount("zz", "seats", 1)], "which was not listed"),
    ("a SKU counted twice", [OK_CUSTOMER], [LicenseCount("x1", "seats", 1)] * 2, "counted twice"),
    ("a count that is not a LicenseCount", [OK_CUSTOMER], [("x1", "seats", 1)], "yielded tuple"),
]


@pytest.mark.parametrize("listing, results, words", [b[1:] for b in BREACHES], ids=[b[0] for b in BREACHES])
def test_contract_breach_is_a_data_error(listing, results, words, app_ctx, app):
    vendor = ContractBreaker("breaker")
    registry = app.extensions["hub.plugins"]
    assert registry.register(vendor, "breaker") is not None, registry.errors
    try:
        integrations.configure("breaker", dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
        before = snapshot(FAILED_RUN_WRITES)
        vendor.listing, vendor.results = listing, results
        run = run_sync("breaker")
        assert_failed_cleanly(run, before, "breaker", "bad_data", ERROR, words)
    finally:
        registry.unregister("breaker")


def test_contract_good_listing_passes(app_ctx, app):
    """The breaker itself works when it yields valid records (so the table above tests the checks)."""
    vendor = ContractBreaker("breaker")
    app.extensions["hub.plugins"].register(vendor, "breaker")
    try:
        integrations.configure("breaker", dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
        vendor.listing = [OK_CUSTOMER, VendorCustomer("x2", "Two", CustomerStatus.TRIAL)]
        vendor.results = [LicenseCount("x1", "seats", 1)]
        assert run_sync("breaker").status == SyncStatus.SUCCEEDED.value
    finally:
        app.extensions["hub.plugins"].unregister("breaker")
