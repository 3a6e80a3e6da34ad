"""Every role on every route: who may read, who may change. Table-driven over the app's url_map."""

from __future__ import annotations

import copy

import pytest
from flask import Blueprint, url_for

from hub.extensions import db
from hub.models import Organization, SyncRun, VendorCustomer
from hub.web.access import roles
from tests.web.access_table import EXPECTED, PUBLIC
from tests.snapshots import DatabaseSnapshot
from tests.web.access_table_billing import billing_url_values


def api_token(role: str) -> str:
    from hub import api_tokens
    from hub.audit import Actor

    return api_tokens.create_token(f"access {role}", role, Actor.cli("test")).secret

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def app_routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - IGNORED_METHODS}


def test_every_route_has_an_expected_rule(app):
    missing = sorted(app_routes(app) - set(EXPECTED))
    assert not missing, f"routes without a row in tests/web/access_table.py: {missing}"


def test_every_expected_rule_is_a_route(app):
    stale = sorted(set(EXPECTED) - app_routes(app))
    assert not stale, f"rows in access_table.py for routes that no longer exist: {stale}"


def test_code_declarations_match_the_table(app):
    """The ``@roles`` data on each view says the same as the table (admin implied everywhere)."""
    from hub.web.access import SAFE_METHODS

    for (endpoint, method), expected in EXPECTED.items():
        view = app.view_functions[endpoint]
        if expected == PUBLIC:
            assert endpoint == "static" or getattr(view, "hub_public", False), endpoint
            continue
        rule = view.hub_access
        declared = rule.read if method in SAFE_METHODS else rule.change
        assert declared == expected, (endpoint, method, declared)


def _url_args(app, endpoint: str, ids: dict) -> dict:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {"slug": "fake", "customer_id": ids["customer"], "organization_id": ids["organization"],
              "run_id": ids["run"], "filename": "hub.css", **ids["billing"]}
    # other ids (pages added later) get 1: the gate answers before the view looks the object up
    return {arg: values.get(arg, 1) for arg in rule.arguments}


# the world, its ids and the fake vendor's customers, built by the first test that asks (per process)
_BUILT: dict[str, tuple] = {}


@pytest.fixture
def world(request, app, users, fake_vendor):
    """A synced fake vendor with mapped customers and a billing world (an issued invoice, a held change).
    Built once, then restored into each test's own fresh database (``tests/snapshots.py``): the same
    world for every test, at a fraction of the cost."""
    if "world" in _BUILT:
        snapshot, ids, vendor_state = _BUILT["world"]
        snapshot.restore(app)
        fake_vendor.customers, fake_vendor.counts = copy.deepcopy(vendor_state)
        return ids
    mapped_world = request.getfixturevalue("mapped_world")
    run = db.session.execute(db.select(SyncRun).order_by(SyncRun.id)).scalars().first()
    customer = db.session.execute(db.select(VendorCustomer).filter_by(external_id="c-2")).scalar_one()
    org = db.session.execute(db.select(Organization).filter_by(name="Contoso")).scalar_one()
    billing = billing_url_values(fake_vendor, mapped_world)
    ids = {"customer": customer.id, "organization": org.id, "run": run.id, "billing": billing}
    _BUILT["world"] = (DatabaseSnapshot.take(app), ids,
                       copy.deepcopy((fake_vendor.customers, fake_vendor.counts)))
    return ids


ROUTES = sorted(EXPECTED.items(), key=lambda item: item[0])


@pytest.mark.parametrize(("route", "allowed"), ROUTES, ids=[f"{e}:{m}" for (e, m), _ in ROUTES])
def test_role_access(app, client, auth, world, route, allowed):
    endpoint, method = route
    with app.test_request_context():
        url = url_for(endpoint, **_url_args(app, endpoint, world))

    public_api = url.startswith("/api/v1/")  # bearer tokens, not the session: the same role table
    bearer = {}

    def call():
        if public_api:
            return client.open(url, method=method, json={}, headers=bearer)
        return client.open(url, method=method, data={})

    anonymous = call()
    if allowed == PUBLIC:
        assert anonymous.status_code < 400 or endpoint == "auth.login", anonymous.status_code
        return
    if url.startswith("/api/"):
        assert anonymous.status_code == 401
    else:
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    for role in ("viewer", "billing", "admin"):  # least rights first: their calls change nothing
        auth.login(role)
        if public_api:
            bearer = {}
            assert call().status_code == 401, "the public API must not accept the panel's session"
            bearer = {"Authorization": f"Bearer {api_token(role)}"}
        response = call()
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.status_code)
            if endpoint != "auth.logout":  # signing out rightly lands on the login page
                assert "/login" not in response.headers.get("Location", ""), role
            assert response.status_code < 500, (role, response.status_code, response.data[:500])
        else:
            assert response.status_code == 403, (role, response.status_code)
        auth.logout()


def test_a_view_without_roles_is_refused(app, client, auth):
    """Deny by default: a route that forgot ``@roles`` answers 403 even to an admin."""
    bp = Blueprint("forgetful", __name__)

    @bp.get("/forgetful")
    def forgetful():
        return "should never be served"

    @bp.get("/declared")
    @roles()
    def declared():
        return "fine"

    app.register_blueprint(bp)
    auth.login("admin")
    assert client.get("/forgetful").status_code == 403
    assert client.get("/declared").data == b"fine"


def test_unknown_urls_are_404_not_a_login_loop(client, auth):
    assert client.get("/no/such/page").status_code == 404
    auth.login("viewer")
    assert client.get("/no/such/page").status_code == 404
