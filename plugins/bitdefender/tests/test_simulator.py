"""The simulator speaks GravityZone's shapes, enforces its rate limits and honours every fault knob."""

import base64
import json

import pytest
from werkzeug.test import Client

from hub.plugins.simulator import Faults
from hub_bitdefender import plugin, simulator
from hub_bitdefender.sim_state import CUSTOMER, PARTNER, TRIAL


class Rpc:
    """JSON-RPC calls straight into the WSGI app (no socket)."""

    def __init__(self, app, key=simulator.DEMO_API_KEY):
        self.app, self.client, self.key, self.n = app, Client(app), key, 0

    def post(self, service, method, params=None, key=None):
        self.n += 1
        auth = base64.b64encode(f"{key or self.key}:".encode()).decode()
        response = self.client.post(f"/api/v1.0/jsonrpc/{service}", headers={"Authorization": f"Basic {auth}"},
                                    json={"jsonrpc": "2.0", "method": method, "params": params or {}, "id": self.n})
        return response

    def result(self, service, method, params=None):
        response = self.post(service, method, params)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["id"] == self.n and "error" not in body, body
        return body["result"]


@pytest.fixture
def small(clock):
    app = simulator.make_app(12, clock=clock.now)
    return app, Rpc(app)


def walk(rpc, parent=None):
    """Every customer below ``parent`` by walking the tree as the docs describe."""
    params = {"parentId": parent} if parent else {}
    found = [c["id"] for c in rpc.result("network", "getCompaniesList", {**params, "filters": {"companyType": 1}})]
    for partner in rpc.result("network", "getCompaniesList", {**params, "filters": {"companyType": 0}}):
        found += walk(rpc, partner["id"])
    return found


def test_seeding_is_deterministic_and_realistic():
    a, b = simulator.make_app(40), simulator.make_app(40)
    state = a.state
    assert [(c.id, c.name) for c in state.companies.values()] == [(c.id, c.name) for c in b.state.companies.values()]
    customers = [c for c in state.companies.values() if c.type == CUSTOMER]
    assert len(customers) == 40 == a.listed_customer_count()
    assert any(c.suspended for c in customers) and any(c.license_type == TRIAL for c in customers)
    nested = [c for c in state.companies.values() if c.type == PARTNER and c.parent_id not in (None, state.root_id)]
    assert nested, "a reseller below a reseller"
    assert all(len(c.id) == 24 and int(c.id, 16) >= 0 for c in state.companies.values())
    assert len({c.name for c in customers}) == len(customers)


def test_the_tree_walk_finds_every_customer(small):
    app, rpc = small
    assert sorted(walk(rpc)) == sorted(app.state.customer_ids())


def test_listing_shapes_and_errors(small):
    app, rpc = small
    first = rpc.result("network", "getCompaniesList", {"filters": {"companyType": 1}})[0]
    assert set(first) == {"id", "name"}
    # a customer as parent, and paging parameters, are refused with -32602 on HTTP 200
    for params in ({"parentId": first["id"]}, {"page": 1, "perPage": 30}):
        response = rpc.post("network", "getCompaniesList", params)
        assert response.status_code == 200 and response.get_json()["error"]["code"] == -32602


def test_details_and_usage_shapes(small):
    app, rpc = small
    suspended = next(c for c in app.state.companies.values() if c.type == CUSTOMER and c.suspended)
    details = rpc.result("companies", "getCompanyDetails", {"companyId": suspended.id})
    assert details["isSuspended"] is True and details["type"] == 1 and details["id"] == suspended.id
    usage = rpc.result("licensing", "getMonthlyUsagePerProductType", {"companyId": suspended.id, "targetMonth": "04/2025"})
    assert usage["usages"][0]["productType"] == 0
    assert "aLaCarteMonhtlyUsage" in usage["usages"][0] and "aLaCarteMonthlyUsage" not in usage["usages"][0]
    flat = rpc.result("licensing", "getMonthlyUsage", {"companyId": suspended.id})
    assert isinstance(flat["minimumUsage"], dict) and "endpointMonthlyUsage" in flat
    bad_month = rpc.post("licensing", "getMonthlyUsage", {"companyId": suspended.id, "targetMonth": "2025-04"})
    assert bad_month.get_json()["error"]["code"] == -32602


def test_state_changes_show_in_the_api(small):
    app, rpc = small
    state = app.state
    new = state.add_customer("Olympia Dental AG", suspended=True, endpointMonthlyUsage=9)
    victim = state.customer_ids()[0]
    state.remove(victim)
    state.rename(new, "Olympia Dental Group AG")
    state.set_counts(new, edrMonthlyUsage=3)
    listed = {c["id"]: c["name"] for c in rpc.result("network", "getCompaniesList", {"filters": {"companyType": 1}})}
    assert listed[new] == "Olympia Dental Group AG" and victim not in listed
    gone = rpc.post("companies", "getCompanyDetails", {"companyId": victim})
    assert gone.status_code == 200 and gone.get_json()["error"]["code"] == -32602
    usage = rpc.result("licensing", "getMonthlyUsagePerProductType", {"companyId": new})
    assert usage["usages"][0]["edrMonthlyUsage"] == 3 and usage["usages"][0]["endpointMonthlyUsage"] == 0
    with pytest.raises(ValueError):
        state.remove(state.companies[state.root_id].id)


def test_a_ghost_is_listed_but_not_found(small):
    app, rpc = small
    ghost = app.state.customer_ids()[1]
    app.state.ghost(ghost)
    assert ghost in walk(rpc)
    assert rpc.post("licensing", "getMonthlyUsage", {"companyId": ghost}).get_json()["error"]["code"] == -32002


def test_a_wrong_key_gets_401_with_a_json_rpc_body(small):
    app, rpc = small
    response = rpc.post("general", "getApiKeyDetails", key="not-the-key")
    body = response.get_json()
    assert response.status_code == 401 and body["error"]["code"] == -32000
    assert "Invalid API key" in body["error"]["data"]["details"]


def test_a_disabled_api_gets_403_minus_32001(small):
    app, rpc = small
    app.state.enabled_apis.discard("licensing")
    response = rpc.post("licensing", "getMonthlyUsage", {"companyId": app.state.customer_ids()[0]})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == -32001
    assert "Licensing" not in [a for a in rpc.result("general", "getApiKeyDetails")["enabledApis"]]


def test_rate_limits_answer_429_with_html_and_retry_after(small, clock):
    app, rpc = small
    company = app.state.customer_ids()[0]
    # 5 licensing calls in any one second: the 6th call in the same instant is refused
    answers = [rpc.post("licensing", "getMonthlyUsage", {"companyId": company}) for _ in range(6)]
    assert [r.status_code for r in answers] == [200] * 5 + [429]
    assert answers[-1].headers["Retry-After"] == "1, 1"
    assert "<html>" in answers[-1].get_data(as_text=True)
    clock.t += 0.999  # still inside the second the first five arrived in
    assert rpc.post("licensing", "getMonthlyUsage", {"companyId": company}).status_code == 429
    # once that second is over, spaced at the documented 5 per second they pass again
    clock.t += 0.001
    for _ in range(20):
        assert rpc.post("licensing", "getMonthlyUsage", {"companyId": company}).status_code == 200
        clock.t += 0.2
    assert app.limits.over_limit == 2
    assert app.limits.peak_per_second["licensing"] == 7  # refused arrivals count at the vendor too


def test_a_sliding_window_catches_eleven_in_one_second_that_a_burst_bucket_allows(small, clock):
    # ten calls 0.1 s apart and an eleventh 0.09 s after the tenth: within one second of the second call
    app, rpc = small
    codes = []
    for step in [0.0] + [0.1] * 9 + [0.09]:
        clock.t += step
        codes.append(rpc.post("general", "getApiKeyDetails").status_code)
    assert codes == [200] * 10 + [429]
    assert app.limits.peak_per_second["key"] == 11


def test_the_key_wide_limit_covers_every_service(small, clock):
    app, rpc = small
    codes = [rpc.post("general", "getApiKeyDetails").status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]
    clock.t += 1.0
    assert rpc.post("general", "getApiKeyDetails").status_code == 200


@pytest.mark.parametrize("knob, value, status", [
    ("auth", True, 401), ("unavailable", 503, 503), ("rate_limit_retry_after", 7, 429),
])
def test_fault_knobs_on_every_call(small, knob, value, status):
    app, rpc = small
    assert isinstance(app.faults, Faults)
    setattr(app.faults, knob, value)
    response = rpc.post("general", "getApiKeyDetails")
    assert response.status_code == status
    if knob == "rate_limit_retry_after":
        assert response.headers["Retry-After"] == "7, 7"
    app.faults.reset()
    assert rpc.post("general", "getApiKeyDetails").status_code == 200


def test_cut_listing_breaks_a_sub_partner_listing_mid_body(small):
    app, rpc = small
    app.faults.cut_listing = True
    assert rpc.result("network", "getCompaniesList", {"filters": {"companyType": 0}})  # first level works
    reseller = rpc.result("network", "getCompaniesList", {"filters": {"companyType": 0}})[0]["id"]
    response = rpc.post("network", "getCompaniesList", {"parentId": reseller, "filters": {"companyType": 1}})
    with pytest.raises(ValueError):
        json.loads(response.get_data(as_text=True))


def test_malformed_answers_the_listing_with_something_not_json(small):
    app, rpc = small
    app.faults.malformed = True
    response = rpc.post("network", "getCompaniesList", {"filters": {"companyType": 1}})
    with pytest.raises(ValueError):
        json.loads(response.get_data(as_text=True))
    assert rpc.post("general", "getApiKeyDetails").status_code == 200  # only the listing


def test_the_plugin_offers_it_for_demo_mode(clock):
    demo = plugin.hub_demo_simulator()
    app = demo.make_app(5)
    assert isinstance(app, simulator.GravityZoneSimulator) and app.listed_customer_count() == 5
    # limits counted, not enforced: the hub's kit drives it with sessions that never wait
    app.clock = clock.now
    rpc = Rpc(app)
    assert [rpc.post("general", "getApiKeyDetails").status_code for _ in range(12)] == [200] * 12
    assert app.limits.over_limit == 2
    assert demo.config_for("http://127.0.0.1:5000") == {"base_url": "http://127.0.0.1:5000/api",
                                                        "api_key": simulator.DEMO_API_KEY}


def test_latency_is_added_to_every_call(small):
    import time

    app, rpc = small
    app.faults.latency = 0.02
    started = time.monotonic()
    rpc.post("general", "getApiKeyDetails")
    assert time.monotonic() - started >= 0.02
