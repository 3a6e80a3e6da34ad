"""License counts: usage rows to quantities, batches of 100, and which failures stay per customer."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from hub.plugins import (
    CountFailure,
    LicenseCount,
    VendorAuthError,
    VendorCustomer,
    VendorDataError,
    VendorSession,
    VendorUnavailableError,
)
from hub_acronis.counts import fetch_counts, tenant_counts


def customers_for(ids):
    return [VendorCustomer(external_id=i, name=f"Customer {n}") for n, i in enumerate(ids)]


def tenant_ids(n: int) -> list[str]:
    return [str(uuid.UUID(int=1000 + i, version=4)) for i in range(n)]


def workstations(tenant: str, value: int = 5) -> dict:
    return {"tenant": tenant, "usages": [
        {"application_id": "6e6d758d-8e74-3ae3-ac84-50eb0dff12eb", "name": "pw_base_workstations",
         "edition": "pck_per_workload", "usage_name": "workstations", "type": "count",
         "measurement_unit": "quantity", "range_start": "2025-05-01T00:00:00", "value": value,
         "absolute_value": value, "tenant_id": 1363521}]}


class UsageEndpoint:
    """A /tenants/usages callback: answers each requested tenant, or an error when ``fail`` says so."""

    def __init__(self, load, fail: dict[str, tuple[int, str]] | None = None) -> None:
        self.load, self.fail, self.batches = load, fail or {}, []

    def __call__(self, request):
        ids = parse_qs(urlsplit(request.url).query)["tenants"][0].split(",")
        self.batches.append(ids)
        for tenant in ids:
            if tenant in self.fail:
                status, fixture = self.fail[tenant]
                return status, {"Content-Type": "application/json"}, json.dumps(self.load(fixture))
        return 200, {"Content-Type": "application/json"}, json.dumps({"items": [workstations(t) for t in ids]})


@pytest.fixture
def counted(api, client, session):
    api.token()
    return lambda ids: list(fetch_counts(client, session, customers_for(ids)))


def test_usage_rows_become_counts(api, counted, ids, load):
    api.rsps.get(f"{ids.API}/tenants/usages", json=load("usages_batch.json"))
    results = counted([ids.C1, ids.C2, ids.C3])
    assert results == [
        LicenseCount(ids.C1, "pw_base_workstations", Decimal(42)),
        LicenseCount(ids.C1, "pw_base_servers", Decimal(3)),
        # two storages (infra_id) of one offering item are summed: 500 GiB + 12.5 GiB
        LicenseCount(ids.C1, "pw_base_storage", Decimal("512.50")),
        LicenseCount(ids.C1, "pw_base_adv_dr_compute_points", Decimal("1.50")),  # 5400 s in hours
        LicenseCount(ids.C1, "local_storage", Decimal("3.00")),  # 3 GiB and one byte
        LicenseCount(ids.C2, "pg_base_workstations", Decimal(7)),
        LicenseCount(ids.C2, "pg_base_storage", Decimal("0.01")),  # 0.0099999 GiB rounds half-up
        LicenseCount(ids.C2, "pw_pack_adv_security_edr", Decimal(4)),  # unknown to skus.py, still counted
    ]
    # features (dr_base, m365_mailboxes) and zero values (vms) are not billed; C3 has no usage at all
    query = api.calls_to("/tenants/usages")[0].request.params
    assert query == {"tenants": f"{ids.C1},{ids.C2},{ids.C3}"}


@pytest.mark.parametrize(("unit", "value", "expected"), [
    ("bytes", 1073741824, Decimal("1.00")),
    ("bytes", 1073741824 * 1.005, Decimal("1.01")),   # half-up at the second decimal
    ("bytes", 5368709, Decimal("0")),                  # 0.005 GiB minus a little: rounds to nothing, left out
    ("seconds", 900, Decimal("0.25")),
    ("quantity", 17, Decimal("17")),
    ("quantity", "17.0", Decimal("17")),
    ("n/a", 2, Decimal("2")),
    ("furlongs", 3, Decimal("3")),                     # an unknown unit is billed as sent
])
def test_unit_conversions(unit, value, expected):
    rows = [{"name": "sku", "type": "count", "measurement_unit": unit, "value": value}]
    counts = tenant_counts("t", rows)
    assert [c.quantity for c in counts] == ([expected] if expected else [])


@pytest.mark.parametrize("value", [-1, "lots", True, float("nan"), {"v": 1}, None])
def test_impossible_values_are_refused(value):
    with pytest.raises(ValueError):
        tenant_counts("t", [{"name": "sku", "type": "count", "measurement_unit": "quantity", "value": value}])


def test_more_than_100_tenants_are_read_in_batches(api, counted, ids, load):
    endpoint = UsageEndpoint(load)
    api.rsps.add_callback("GET", f"{ids.API}/tenants/usages", callback=endpoint)
    wanted = tenant_ids(250)
    results = counted(wanted)
    assert [len(b) for b in endpoint.batches] == [100, 100, 50]
    assert [r.customer_external_id for r in results] == wanted
    assert all(isinstance(r, LicenseCount) and r.quantity == 5 for r in results)


def test_a_tenant_gone_since_the_listing_costs_only_that_customer(api, counted, ids, load):
    """Acronis' 404 (tenant not found) on a batch: halves are retried until the missing tenant is alone."""
    wanted = tenant_ids(8)
    endpoint = UsageEndpoint(load, fail={wanted[5]: (404, "error_tenant_not_found.json")})
    api.rsps.add_callback("GET", f"{ids.API}/tenants/usages", callback=endpoint)
    results = counted(wanted)
    failures = [r for r in results if isinstance(r, CountFailure)]
    assert [f.customer_external_id for f in failures] == [wanted[5]]
    assert "Tenant not found" in failures[0].message
    assert {r.customer_external_id for r in results if isinstance(r, LicenseCount)} == set(wanted) - {wanted[5]}
    assert len(endpoint.batches) == 7  # 8 -> 4+4 -> 2+2 -> 1+1


def test_a_refused_batch_costs_that_batch_and_the_others_go_on(api, counted, ids, load):
    wanted = tenant_ids(150)
    endpoint = UsageEndpoint(load, fail={wanted[120]: (400, "error_bad_request.json")})
    api.rsps.add_callback("GET", f"{ids.API}/tenants/usages", callback=endpoint)
    results = counted(wanted)
    assert [r.customer_external_id for r in results if isinstance(r, LicenseCount)] == wanted[:100]
    failures = [r for r in results if isinstance(r, CountFailure)]
    assert [f.customer_external_id for f in failures] == wanted[100:]
    assert "tenants: invalid value" in failures[0].message
    assert len(endpoint.batches) == 2  # a 400 is not bisected


def test_when_every_batch_is_refused_the_run_fails(api, counted, ids, load):
    wanted = tenant_ids(150)
    api.rsps.get(f"{ids.API}/tenants/usages", json=load("error_bad_request.json"), status=400)
    with pytest.raises(VendorDataError, match="no usage batch could be read"):
        counted(wanted)


def test_a_tenant_missing_from_the_answer_or_with_a_bad_row_fails_alone(api, counted, ids):
    a, b, c = tenant_ids(3)
    bad = workstations(b)
    bad["usages"][0]["value"] = -3
    api.rsps.get(f"{ids.API}/tenants/usages", json={"items": [workstations(a), bad]})
    results = counted([a, b, c])
    assert results[0] == LicenseCount(a, "pw_base_workstations", Decimal(5))
    assert [(r.customer_external_id, type(r)) for r in results[1:]] == [(b, CountFailure), (c, CountFailure)]
    assert "impossible value" in results[1].message
    assert "no usage" in results[2].message


def test_a_malformed_batch_fails_its_customers_only(api, counted, ids, load):
    wanted = tenant_ids(120)
    api.rsps.get(f"{ids.API}/tenants/usages", json={"items": [workstations(t) for t in wanted[:100]]})
    api.rsps.get(f"{ids.API}/tenants/usages", body='{"items": [{"tenant": "', content_type="application/json")
    results = counted(wanted)
    assert sum(isinstance(r, LicenseCount) for r in results) == 100
    assert [r.customer_external_id for r in results if isinstance(r, CountFailure)] == wanted[100:]


@pytest.mark.parametrize(("status", "fixture", "error"), [
    (403, "error_access_denied.json", VendorAuthError),
    (503, "error_internal.json", VendorUnavailableError),
    (429, "error_too_many_requests.json", VendorUnavailableError),
])
def test_account_wide_failures_stop_the_counts(api, config, ids, load, status, fixture, error):
    """With two batches in flight, one auth or availability failure ends the run; later batches are skipped."""
    from hub_acronis.client import AcronisClient

    wanted = tenant_ids(450)
    calls = []

    def endpoint(request):
        calls.append(request)
        return status, {"Content-Type": "application/json"}, json.dumps(load(fixture))

    api.token()
    api.rsps.add_callback("GET", f"{ids.API}/tenants/usages", callback=endpoint)
    with VendorSession(sleep=lambda s: None, max_concurrency=2, max_retries=0) as session:
        client = AcronisClient(config, session)
        with pytest.raises(error):
            list(fetch_counts(client, session, customers_for(wanted)))
    assert len(calls) <= 2  # at most the two batches already in flight; not all five


def test_a_401_on_usages_renews_the_token_once(api, counted, ids, load):
    a = tenant_ids(1)[0]
    api.token("token_renewed.json")
    api.rsps.get(f"{ids.API}/tenants/usages", json=load("error_unauthorized.json"), status=401)
    api.rsps.get(f"{ids.API}/tenants/usages", json={"items": [workstations(a, 9)]})
    assert counted([a]) == [LicenseCount(a, "pw_base_workstations", Decimal(9))]


def test_no_customers_means_no_calls(api, counted):
    api.rsps.assert_all_requests_are_fired = False
    assert counted([]) == []
    assert not api.rsps.calls


@pytest.mark.parametrize("unit", [None, 12345, ""])
def test_a_row_without_a_readable_unit_is_refused_not_counted_as_quantity(unit):
    # 500 GiB of storage read as a count would bill 536870912000
    row = {"name": "pw_base_storage", "type": "infra", "value": 536870912000}
    with pytest.raises(ValueError, match="no measurement_unit"):
        tenant_counts("t", [{**row, "measurement_unit": unit}] if unit != "" else [row])
