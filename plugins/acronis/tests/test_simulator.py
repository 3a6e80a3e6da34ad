"""The simulator keeps Acronis' shapes and honours every fault knob the hub's kit flips."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from werkzeug.test import Client

from hub.plugins import CountFailure, CustomerStatus, LicenseCount, VendorSession
from hub.plugins.simulator import Faults
from hub_acronis import plugin
from hub_acronis.simulator import SIM_CLIENT_ID, SIM_CLIENT_SECRET, make_app


@pytest.fixture
def app():
    return make_app(30, page_size=10, sleep=lambda s: None)


@pytest.fixture
def http(app):
    return Client(app)


def token_for(http) -> str:
    response = http.post("/api/2/idp/token", data={"grant_type": "client_credentials"},
                         auth=(SIM_CLIENT_ID, SIM_CLIENT_SECRET))
    assert response.status_code == 200, response.text
    return response.json["access_token"]


def get(http, path, token, **query):
    return http.get(path, query_string=query, headers={"Authorization": f"Bearer {token}"})


def test_seeding_is_deterministic_and_varied():
    one, two = make_app(40), make_app(40)
    customers = one.state.customers()
    assert [(t.id, t.name) for t in customers] == [(t.id, t.name) for t in two.state.customers()]
    assert len(customers) == 40 == one.listed_customer_count()
    assert len({t.name for t in customers}) == 40
    assert sum(not t.enabled for t in customers) >= 3
    assert sum(t.pricing_mode == "trial" for t in customers) >= 3
    kinds = Counter(t.kind for t in one.state.tenants.values())
    assert kinds["folder"] == 2 and kinds["partner"] == 2 and kinds["unit"] >= 1
    assert sum(1 for t in one.state.tenants.values() if t.deleted_at) == 2
    skus = {name for t in customers for (name, _), value in t.usage.items() if value}
    assert len(skus) >= 8


def test_names_stay_unique_for_thousands():
    assert len({t.name for t in make_app(2000).state.customers()}) == 2000


def test_token_and_client_lookup(http, app):
    token = token_for(http)
    client = get(http, f"/api/2/clients/{SIM_CLIENT_ID}", token).json
    assert client["tenant_id"] == app.state.partner_id
    refused = http.post("/api/2/idp/token", data={"grant_type": "client_credentials"}, auth=(SIM_CLIENT_ID, "wrong"))
    assert (refused.status_code, refused.json["error"]) == (401, "invalid_client")


def test_expired_or_missing_tokens_get_401_in_error_scheme(http, app):
    token = token_for(http)
    app.state.expire_tokens()
    response = get(http, f"/api/2/tenants/{app.state.partner_id}", token)
    assert response.status_code == 401
    assert set(response.json["error"]) >= {"code", "domain", "message", "details", "context"}
    assert get(http, f"/api/2/tenants/{app.state.partner_id}", "").status_code == 401


def test_subtree_listing_pages_by_cursor_and_leaves_deleted_tenants_out(http, app):
    token = token_for(http)
    query = {"subtree_root_id": app.state.partner_id, "lod": "basic"}
    items, pages = [], 0
    while True:
        body = get(http, "/api/2/tenants", token, **query).json
        items += body["items"]
        pages += 1
        after = body.get("paging", {}).get("cursors", {}).get("after")
        if not after:
            break
        query = {"after": after}
    assert pages == -(-len(items) // 10)
    assert items[0]["id"] == app.state.partner_id  # the root itself comes first: sorted by level
    assert set(items[0]) == {"id", "parent_id", "version", "created_at", "updated_at", "deleted_at", "contacts",
                             "offering_items", "name", "kind", "enabled"}
    live = {t.id for t in app.state.customers()}
    assert {i["id"] for i in items if i["kind"] == "customer"} == live
    assert not any(i["deleted_at"] for i in items)


def test_usage_batches_are_limited_and_name_missing_tenants(http, app):
    token = token_for(http)
    ids = [t.id for t in app.state.customers()]
    body = get(http, "/api/2/tenants/usages", token, tenants=",".join(ids[:3])).json
    assert [i["tenant"] for i in body["items"]] == ids[:3]
    row = body["items"][0]["usages"][0]
    assert {"name", "edition", "usage_name", "type", "measurement_unit", "value", "range_start"} <= set(row)
    app.state.max_usage_batch = 2
    assert get(http, "/api/2/tenants/usages", token, tenants=",".join(ids[:3])).status_code == 400
    app.state.delete(ids[0])
    gone = get(http, "/api/2/tenants/usages", token, tenants=ids[0])
    assert (gone.status_code, gone.json["error"]["code"]) == (404, 1005)


def test_every_fault_knob_is_honoured(http, app):
    token = token_for(http)
    partner = f"/api/2/tenants/{app.state.partner_id}"
    listing = {"subtree_root_id": app.state.partner_id}
    assert isinstance(app.faults, Faults)

    app.faults.auth = True
    assert http.post("/api/2/idp/token", data={"grant_type": "client_credentials"},
                     auth=(SIM_CLIENT_ID, SIM_CLIENT_SECRET)).status_code == 401
    assert get(http, partner, token).status_code == 401
    app.faults.reset()

    app.faults.unavailable = 503
    assert get(http, partner, token).status_code == 503
    app.faults.reset()

    app.faults.rate_limit_retry_after = 7
    limited = get(http, partner, token)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    app.faults.reset()

    app.faults.malformed = True
    with pytest.raises(ValueError):
        json.loads(get(http, "/api/2/tenants", token, **listing).text)
    assert get(http, partner, token).status_code == 200  # only the customer listing breaks
    app.faults.reset()

    app.faults.cut_listing = True
    first = get(http, "/api/2/tenants", token, **listing).json
    assert first["items"]
    assert get(http, "/api/2/tenants", token, after=first["paging"]["cursors"]["after"]).status_code == 500
    app.state.page_size = 5000  # a listing of one page is cut inside its body instead
    assert "items" not in get(http, "/api/2/tenants", token, **listing).json
    app.faults.reset()


def test_latency_is_added_to_every_request():
    waits = []
    app = make_app(3, sleep=waits.append)
    app.faults.latency = 0.02
    token_for(Client(app))
    assert waits == [0.02]


def test_the_demo_hook_serves_a_working_simulator(sim):
    demo = plugin.hub_demo_simulator()
    assert demo.make_app(5).listed_customer_count() == 5
    config = plugin.hub_vendor_info().config_schema().load(demo.config_for(sim.base_url))
    with VendorSession(sleep=lambda s: None) as session:
        assert plugin.hub_test_connection(config, session).account_name == "Northbridge IT Services"
        customers = list(plugin.hub_list_customers(config, session))
        statuses = Counter(c.status for c in customers)
        counts = list(plugin.hub_fetch_license_counts(config, session, customers))
    assert {c.external_id for c in customers} == {t.id for t in sim.state.customers()}
    assert statuses[CustomerStatus.SUSPENDED] and statuses[CustomerStatus.TRIAL]
    assert counts and all(isinstance(c, LicenseCount) for c in counts)
    # one sync shares one token across its hooks
    assert sum(1 for m, p, q in sim.state.requests if p == "/api/2/idp/token") == 1


def test_a_customer_deleted_between_listing_and_counting_fails_alone(sim):
    config = plugin.hub_vendor_info().config_schema().load(sim.config)
    with VendorSession(sleep=lambda s: None) as session:
        customers = list(plugin.hub_list_customers(config, session))
        sim.state.delete(customers[3].external_id)
        results = list(plugin.hub_fetch_license_counts(config, session, customers))
    failures = [r for r in results if isinstance(r, CountFailure)]
    assert [f.customer_external_id for f in failures] == [customers[3].external_id]
    counted = {r.customer_external_id for r in results if isinstance(r, LicenseCount)}
    assert customers[0].external_id in counted and customers[11].external_id in counted
