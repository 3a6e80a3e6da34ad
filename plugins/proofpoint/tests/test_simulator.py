"""The simulator speaks like the real API (recorded shapes) and honours every fault knob."""

import json

import pytest
from werkzeug.test import Client

from hub.plugins.simulator import Faults
from hub_proofpoint.sim_state import PARTNER_DOMAIN
from hub_proofpoint.simulator import DEMO_CONFIG, make_app

AUTH = {"X-User": DEMO_CONFIG["username"], "X-Password": DEMO_CONFIG["password"]}
LISTING = f"/api/v1/orgs/{PARTNER_DOMAIN}/orgs"


@pytest.fixture
def app():
    return make_app(30)


@pytest.fixture
def http(app):
    return Client(app)


def get(http, path, headers=AUTH):
    response = http.get(path, headers=headers)
    return response.status_code, response


def test_seeding_is_deterministic_and_mixed(app):
    again = make_app(30)
    assert [o.to_json() for o in app.state.orgs.values()] == [o.to_json() for o in again.state.orgs.values()]
    customers = app.state.customers()
    assert len(customers) == 30 == app.listed_customer_count()
    assert len({o.eid for o in customers}) == 30 and len({o.primary_domain for o in customers}) == 30
    assert any(not o.is_active for o in customers) and any(o.is_on_trial for o in customers)
    assert len({o.licensing_package for o in customers}) >= 3
    assert any(o.parent != PARTNER_DOMAIN for o in customers)  # some sold through the sub-partner


def test_org_objects_have_the_recorded_shape(http, api):
    """Every field the recorded org carries, the simulator's carries too, with the same JSON type."""
    status, response = get(http, LISTING)
    assert status == 200 and response.content_type == "application/json"
    recorded = api.load("orgs.json")["orgs"][0]
    simulated = response.get_json()["orgs"][0]
    assert set(recorded) <= set(simulated)
    for key, value in recorded.items():
        if value is not None:
            assert type(simulated[key]) is type(value), key


def test_users_have_the_recorded_shape_and_match_active_users(app, http, api):
    org = next(o for o in app.state.customers() if o.active_users > 0)
    status, response = get(http, f"/api/v1/orgs/{org.primary_domain}/users")
    users = response.get_json()["users"]
    assert status == 200 and set(api.load("users.json")["users"][0]) <= set(users[0])
    assert sum(1 for u in users if u["is_active"] and u["is_billable"]) == org.active_users
    assert any(u["type"] == "functional_account" and not u["is_billable"] for u in users)


def test_me_and_endpoints(http):
    status, response = get(http, "/api/v1/me")
    assert status == 200 and set(response.get_json()) >= {
        "primary_email", "type", "is_partner_admin", "entity_primary_domain"}
    status, response = get(http, f"/api/v1/endpoints/{PARTNER_DOMAIN}")
    assert status == 200 and response.get_json() == {"endpoints": ["localhost"]}


@pytest.mark.parametrize("headers", [{}, {**AUTH, "X-Password": "wrong"}, {"Authorization": "Basic eDp5"}])
def test_every_call_needs_the_headers(http, headers):
    status, response = get(http, LISTING, headers=headers)
    assert status == 401 and "message" in response.get_json()


def test_unknown_and_deleted_orgs_are_404_with_a_message(app, http):
    status, response = get(http, "/api/v1/orgs/nobody.example/orgs")
    assert status == 404 and response.get_json()["message"]
    victim = app.state.customers()[0]
    assert http.delete(f"/api/v1/orgs/{victim.primary_domain}", headers=AUTH).status_code == 204
    assert get(http, f"/api/v1/orgs/{victim.primary_domain}")[0] == 404
    listed = {o["eid"] for o in get(http, LISTING)[1].get_json()["orgs"]}
    assert victim.eid not in listed


def test_patch_suspends_an_org(app, http):
    org = app.state.customers()[0]
    response = http.patch(f"/api/v1/orgs/{org.primary_domain}", json={"is_active": False}, headers=AUTH)
    assert response.status_code == 200 and response.get_json()["is_active"] is False
    assert app.state.find(org.eid).is_active is False
    assert http.patch(f"/api/v1/orgs/{org.primary_domain}", json={"eid": 1}, headers=AUTH).status_code == 422


def test_state_edits_show_in_the_listing(app, http):
    first = next(o for o in app.state.customers() if o.parent == PARTNER_DOMAIN)
    app.state.rename_org(first.eid, "Renamed Co")
    app.state.set_counts(first.primary_domain, active_users=3, user_licenses=4)
    added = app.state.add_org("Brand New Ltd", licensing_package="advanced", active_users=9)
    orgs = {o["eid"]: o for o in get(http, LISTING)[1].get_json()["orgs"]}
    assert (orgs[first.eid]["name"], orgs[first.eid]["active_users"], orgs[first.eid]["user_licenses"]) == (
        "Renamed Co", 3, 4)
    assert orgs[added.eid]["primary_domain"] == "brand-new.example"
    with pytest.raises(ValueError):
        app.state.remove_org(PARTNER_DOMAIN)  # a partner with organizations cannot be deleted


def test_fault_auth(app, http):
    app.faults.auth = True
    assert get(http, "/api/v1/me")[0] == 401


@pytest.mark.parametrize("status", [500, 502, 503])
def test_fault_unavailable(app, http, status):
    app.faults.unavailable = status
    code, response = get(http, "/api/v1/me")
    assert code == status and response.get_json()["message"]


def test_fault_rate_limit(app, http):
    app.faults.rate_limit_retry_after = 9
    code, response = get(http, LISTING)
    assert code == 429 and response.headers["Retry-After"] == "9"


def test_fault_cut_listing_truncates_the_body(app, http):
    whole = get(http, LISTING)[1].get_data(as_text=True)
    app.faults.cut_listing = True
    code, response = get(http, LISTING)
    cut = response.get_data(as_text=True)
    assert code == 200 and whole.startswith(cut) and len(cut) < len(whole)
    with pytest.raises(ValueError):
        json.loads(cut)
    assert get(http, "/api/v1/me")[0] == 200  # only the listing breaks


def test_fault_malformed(app, http):
    app.faults.malformed = True
    code, response = get(http, LISTING)
    assert code == 200
    with pytest.raises(ValueError):
        json.loads(response.get_data(as_text=True))


def test_fault_latency(app, http, monkeypatch):
    slept = []
    monkeypatch.setattr("hub_proofpoint.simulator.time.sleep", slept.append)
    app.faults.latency = 0.02
    get(http, "/api/v1/me")
    assert slept == [0.02]


def test_faults_is_the_hubs_knob_set(app):
    assert isinstance(app.faults, Faults)
    app.faults.auth = True
    app.faults.reset()
    assert app.faults == Faults()
