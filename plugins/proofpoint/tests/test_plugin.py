"""The hooks, called through the hub's registry exactly as a sync calls them (recorded payloads)."""

import inspect
from decimal import Decimal

import pytest

import hub_proofpoint.plugin
from hub.plugins import CountFailure, CustomerStatus, LicenseCount, VendorAuthError, VendorConfigError
from hub_proofpoint.schema import ProofpointConfig


def counts_by_customer(results):
    return {r.customer_external_id: (r.sku, r.quantity) if isinstance(r, LicenseCount) else r
            for r in results}


def test_plugin_module_holds_only_hook_implementations():
    functions = [name for name, obj in vars(hub_proofpoint.plugin).items()
                 if inspect.isfunction(obj) and obj.__module__ == hub_proofpoint.plugin.__name__]
    assert functions and all(name.startswith("hub_") for name in functions)
    assert all(hasattr(getattr(hub_proofpoint.plugin, name), "hub_impl") for name in functions)


def test_vendor_info(handle):
    info = handle.info
    assert (info.slug, info.display_name) == ("proofpoint", "Proofpoint Essentials")
    assert info.config_schema is ProofpointConfig and info.secret_fields == {"password"}
    assert info.requests_per_second == 2.0 and info.max_concurrency == 1


def test_connection(api, handle, config, session):
    api.get("/me", fixture="me.json")
    api.get("/orgs/msp.example", fixture="partner_org.json")
    check = handle.test_connection(config, session)
    assert check.ok and check.account_name == "Example MSP Inc"
    assert "billing@msp.example" in check.message and "channel_admin" in check.message


def test_connection_with_an_unknown_partner_domain(api, handle, config, session):
    api.get("/me", fixture="me.json")
    api.get("/orgs/msp.example", fixture="error_404.json", status=404)
    api.get("/endpoints/msp.example", fixture="error_404.json", status=404)
    with pytest.raises(VendorConfigError) as err:
        handle.test_connection(config, session)
    assert err.value.field == "partner_domain"


def test_connection_with_bad_credentials(api, handle, config, session):
    api.get("/me", fixture="error_401.json", status=401)
    with pytest.raises(VendorAuthError):
        handle.test_connection(config, session)


def test_connection_against_the_simulator(handle, sim, sleeps):
    config = handle.load_config(sim.config())
    with handle.make_session(config, sleep=sleeps.append) as session:
        check = handle.test_connection(config, session)
    assert check.ok and check.account_name == "Northwind Managed Services"


def test_a_partner_on_another_stack_is_named_in_the_error(handle, sim, sleeps):
    sim.state.other_stacks[sim.state.partner_domain] = "us2.proofpointessentials.com"
    config = handle.load_config(sim.config())
    with handle.make_session(config, sleep=sleeps.append) as session, pytest.raises(VendorConfigError) as err:
        handle.test_connection(config, session)
    assert err.value.field == "base_url" and "us2.proofpointessentials.com" in err.value.message


def test_customers_carry_status_and_domain(api, handle, config, session):
    api.happy(connection=False)
    customers = {c.external_id: c for c in handle.list_customers(config, session)}
    assert {k: (c.name, c.status) for k, c in customers.items()} == {
        "1183412": ("Contoso Ltd", CustomerStatus.ACTIVE),
        "1183990": ("Fabrikam GmbH", CustomerStatus.SUSPENDED),
        "1184207": ("Tailspin Toys", CustomerStatus.TRIAL),
        "1184301": ("Woodgrove Dental", CustomerStatus.ACTIVE),
        "1185110": ("Alpine Ski House", CustomerStatus.ACTIVE),
    }
    assert customers["1183412"].extra == {"domain": "contoso.example"}
    assert customers["1185110"].extra == {"domain": "alpineskihouse.example", "partner": "summit-it.example"}
    assert "1185002" not in customers  # the sub-partner itself is walked, not billed


def test_list_customers_is_a_generator(api, handle, config, session):
    assert inspect.isgenerator(handle.list_customers(config, session))


@pytest.mark.parametrize(("source", "contoso", "fabrikam"), [
    ("active_users", Decimal(47), Decimal(0)),
    ("user_licenses", Decimal(50), Decimal(10)),
])
def test_counts_follow_the_quantity_source(api, handle, raw_config, session, source, contoso, fabrikam):
    config = ProofpointConfig().load({**raw_config, "quantity_source": source})
    api.happy(connection=False)
    customers = list(handle.list_customers(config, session))
    counts = counts_by_customer(handle.fetch_license_counts(config, session, customers))
    assert counts["1183412"] == ("proofpoint_essentials_business", contoso)
    assert counts["1183990"] == ("proofpoint_essentials_advanced", fabrikam)
    assert counts["1184301"][0] == "proofpoint_essentials_beginner_plus"
    assert counts["1185110"][0] == "proofpoint_essentials_advanced"


def test_counts_come_from_the_listing_without_more_calls(api, handle, config, session):
    api.happy(connection=False)
    customers = list(handle.list_customers(config, session))
    calls = len(api.rsps.calls)
    list(handle.fetch_license_counts(config, session, customers))
    assert len(api.rsps.calls) == calls


def test_counts_without_a_listing_in_this_run_list_once(api, handle, config, session, sleeps):
    """A count call on a fresh session (no listing read in it) reads the listing itself, once."""
    api.happy(connection=False)
    customers = list(handle.list_customers(config, session))
    with handle.make_session(config, sleep=sleeps.append) as fresh:
        api.happy(connection=False)
        counts = counts_by_customer(handle.fetch_license_counts(config, fresh, customers))
    assert counts["1183412"] == ("proofpoint_essentials_business", Decimal(47))
    assert api.calls_to("/orgs/msp.example/orgs") == 2


def test_trial_seats_are_not_billable_unless_asked(api, handle, raw_config, session):
    api.happy(connection=False)
    config = ProofpointConfig().load(raw_config)
    customers = list(handle.list_customers(config, session))
    assert counts_by_customer(handle.fetch_license_counts(config, session, customers))["1184207"] == (
        "proofpoint_essentials_professional_trial", Decimal(12))
    billed = ProofpointConfig().load({**raw_config, "bill_trials": True})
    assert counts_by_customer(handle.fetch_license_counts(billed, session, customers))["1184207"] == (
        "proofpoint_essentials_professional", Decimal(12))


def test_an_org_without_a_usable_count_is_a_count_failure(api, handle, config, session):
    listing = api.load("orgs_sub_partner.json")
    broken = dict(listing["orgs"][0], eid=99, name="No Count", active_users=None)
    unknown_package = dict(listing["orgs"][0], eid=98, name="No Package", licensing_package="")
    listing["orgs"] += [broken, unknown_package]
    api.get("/orgs/msp.example/orgs", json=listing)
    customers = list(handle.list_customers(config, session))
    counts = counts_by_customer(handle.fetch_license_counts(config, session, customers))
    assert counts["1185110"] == ("proofpoint_essentials_advanced", Decimal(28))
    assert isinstance(counts["99"], CountFailure) and "active_users" in counts["99"].message
    assert isinstance(counts["98"], CountFailure) and "licensing_package" in counts["98"].message


def test_map_skus(handle, config):
    mappings = {m.sku: m for m in handle.map_skus(config, [
        "proofpoint_essentials_business", "proofpoint_essentials_professional_trial",
        "proofpoint_essentials_beginner_plus", "proofpoint_essentials_platinum", "something_else"])}
    assert set(mappings) == {"proofpoint_essentials_business", "proofpoint_essentials_professional_trial",
                             "proofpoint_essentials_beginner_plus"}  # unknown ones stay unmapped
    business = mappings["proofpoint_essentials_business"]
    assert (business.name, business.unit, business.billable, business.suggested_product_code) == (
        "Proofpoint Essentials Business", "user", True, "PPE-BUSINESS")
    trial = mappings["proofpoint_essentials_professional_trial"]
    assert (trial.billable, trial.name) == (False, "Proofpoint Essentials Professional (trial)")


def test_demo_simulator_points_the_plugin_at_it(handle):
    simulator = handle.demo_simulator()
    config = handle.load_config(simulator.config_for("http://127.0.0.1:5999"))
    assert config["base_url"] == "http://127.0.0.1:5999"
    app = simulator.make_app(5)
    assert len(app.state.customers()) == 5 and app.faults.auth is False


def test_a_base_url_behind_an_api_gateway_works_like_the_stack_itself(handle):
    # the simulator mounted under /proofpoint, as a gateway in front of the API would expose it
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.wrappers import Response

    from hub.testing import serve
    from hub_proofpoint.simulator import DEMO_CONFIG, make_app

    app = make_app(5)
    gateway = DispatcherMiddleware(Response("no route", status=404), {"/proofpoint": app})
    with serve(gateway, name="proofpoint-gateway") as served:
        config = handle.load_config({**DEMO_CONFIG, "base_url": served.base_url + "/proofpoint/api/v1/"})
        assert config["base_url"] == served.base_url + "/proofpoint"
        with handle.make_session(config, sleep=lambda s: None) as session:
            assert handle.test_connection(config, session).ok
            customers = list(handle.list_customers(config, session))
    assert len(customers) == app.listed_customer_count()
