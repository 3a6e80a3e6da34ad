"""The HTTP client against recorded-shape payloads: listing, envelopes, the partner tree, every error."""

import copy
import json

import pytest
import requests
import responses

from hub.plugins import VendorAuthError, VendorConfigError, VendorDataError, VendorUnavailableError
from hub_proofpoint.client import ProofpointClient



@pytest.fixture
def client(config, session):
    return ProofpointClient(config, session)


def test_lists_every_org_of_the_partner_and_its_sub_partner(api, client, config):
    api.happy(connection=False)
    orgs = list(client.customer_orgs())
    assert [(o.eid, o.name, o.parent_domain) for o in orgs] == [
        ("1183412", "Contoso Ltd", "msp.example"),
        ("1183990", "Fabrikam GmbH", "msp.example"),
        ("1184207", "Tailspin Toys", "msp.example"),
        ("1184301", "Woodgrove Dental", "msp.example"),
        ("1185110", "Alpine Ski House", "summit-it.example"),
    ]
    sent = api.rsps.calls[0].request.headers
    assert (sent["X-User"], sent["X-Password"]) == (config["username"], config["password"])
    assert "Authorization" not in sent  # literal headers, not Basic auth
    assert sent["Accept"] == "application/json"


def test_org_fields_are_read_tolerantly(api, client):
    api.get("/orgs/msp.example/orgs", fixture="orgs.json")
    api.get("/orgs/summit-it.example/orgs", fixture="orgs_empty.json")
    orgs = {o.name: o for o in client.customer_orgs()}
    assert orgs["Fabrikam GmbH"].is_active is False
    assert orgs["Tailspin Toys"].is_on_trial is True
    assert orgs["Tailspin Toys"].package == "professional"  # "Professional" normalised
    assert orgs["Woodgrove Dental"].package == "beginner_plus"
    assert (orgs["Contoso Ltd"].active_users, orgs["Contoso Ltd"].user_licenses) == (47, 50)
    assert orgs["Contoso Ltd"].primary_domain == "contoso.example"
    assert orgs["Tailspin Toys"].eid == "1184207"  # given as a string, kept as the same id


@pytest.mark.parametrize("envelope", ["orgs", "bare", "data"])
def test_tolerant_envelopes(api, client, envelope):
    items = api.load("orgs_sub_partner.json")["orgs"]
    body = {"orgs": items, "bare": items, "data": {"data": items}}[envelope]
    api.get("/orgs/msp.example/orgs", json=body)
    assert [o.name for o in client.customer_orgs()] == ["Alpine Ski House"]


def test_unknown_envelope_is_a_data_error(api, client):
    api.get("/orgs/msp.example/orgs", json={"organizations": api.load("orgs_sub_partner.json")["orgs"]})
    with pytest.raises(VendorDataError, match="no list of orgs"):
        list(client.customer_orgs())


def test_a_large_listing_comes_in_one_body(api, client):
    template = api.load("orgs.json")["orgs"][0]
    many = []
    for n in range(3000):
        org = copy.deepcopy(template)
        org.update(eid=2000000 + n, name=f"Customer {n:04d}", primary_domain=f"customer{n}.example", active_users=n % 97)
        many.append(org)
    api.get("/orgs/msp.example/orgs", json={"orgs": many})
    orgs = list(client.customer_orgs())
    assert len(orgs) == 3000 and len({o.eid for o in orgs}) == 3000
    assert orgs[-1].name == "Customer 2999" and orgs[-1].active_users == 2999 % 97
    assert api.calls_to("/orgs/msp.example/orgs") == 1


def test_an_org_without_eid_stops_the_listing(api, client):
    api.get("/orgs/msp.example/orgs", fixture="orgs_missing_eid.json")
    with pytest.raises(VendorDataError, match="'Northwind Traders' has no eid"):
        list(client.customer_orgs())


@pytest.mark.parametrize("bad", [["not an org"], {"orgs": [{"eid": 5}]}, {"orgs": [{"eid": True, "name": "X"}]}])
def test_broken_org_objects_are_data_errors(api, client, bad):
    api.get("/orgs/msp.example/orgs", json=bad)
    with pytest.raises(VendorDataError):
        list(client.customer_orgs())


def test_partner_cycle_is_walked_once(api, client):
    loop_back = {"eid": 1170001, "name": "Example MSP Inc", "primary_domain": "msp.example", "type": "channel"}
    sub = api.load("orgs_sub_partner.json")
    sub["orgs"].append(loop_back)
    api.get("/orgs/msp.example/orgs", fixture="orgs.json")
    api.get("/orgs/summit-it.example/orgs", json=sub)
    assert len(list(client.customer_orgs())) == 5
    assert api.calls_to("/orgs/msp.example/orgs") == 1


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials(api, client, config, status):
    api.get("/me", fixture="error_401.json", status=status)
    with pytest.raises(VendorAuthError) as err:
        client.me()
    assert err.value.status == status
    assert "invalid X-User or X-Password" in err.value.message
    assert config["password"] not in err.value.message


def test_wrong_password_never_matches_a_recorded_answer(api, config, session):
    """The header matcher is real: a request with other credentials finds no registered answer."""
    api.rsps.assert_all_requests_are_fired = False
    api.get("/me", fixture="me.json")
    wrong = ProofpointClient({**config, "password": "other"}, session)
    with pytest.raises(VendorUnavailableError, match="could not connect"):
        wrong.me()
    assert all(isinstance(call.response, requests.ConnectionError) for call in api.rsps.calls)


def test_429_honours_retry_after_then_succeeds(api, client, sleeps):
    api.get("/orgs/msp.example/orgs", json={"message": "Too many requests"}, status=429, headers={"Retry-After": "7"})
    api.get("/orgs/msp.example/orgs", fixture="orgs_sub_partner.json")
    assert [o.name for o in client.customer_orgs()] == ["Alpine Ski House"]
    assert 7.0 in sleeps


def test_429_that_persists_carries_retry_after(api, client, session):
    for _ in range(session.max_retries + 1):
        api.get("/orgs/msp.example/orgs", json={"message": "Too many requests"}, status=429,
                headers={"Retry-After": "30"})
    with pytest.raises(VendorUnavailableError) as err:
        list(client.customer_orgs())
    assert err.value.retry_after == 30 and err.value.status == 429


def test_5xx_then_success(api, client):
    api.get("/orgs/msp.example/orgs", fixture="error_503.json", status=503)
    api.get("/orgs/msp.example/orgs", body="<html>Bad gateway</html>", status=502)
    api.get("/orgs/msp.example/orgs", fixture="orgs_sub_partner.json")
    assert [o.name for o in client.customer_orgs()] == ["Alpine Ski House"]
    assert api.calls_to("/orgs/msp.example/orgs") == 3


def test_5xx_that_persists_is_unavailable(api, client, session):
    for _ in range(session.max_retries + 1):
        api.get("/orgs/msp.example/orgs", fixture="error_503.json", status=500)
    with pytest.raises(VendorUnavailableError, match="Service temporarily unavailable"):
        list(client.customer_orgs())


def test_timeout_then_success(api, client):
    api.rsps.add(responses.GET, api.url("/me"), body=requests.exceptions.ReadTimeout("read timed out"))
    api.get("/me", fixture="me.json")
    assert client.me()["primary_email"] == "billing@msp.example"


def test_timeout_that_persists_is_unavailable(api, client, session):
    for _ in range(session.max_retries + 1):
        api.rsps.add(responses.GET, api.url("/orgs/msp.example/orgs"),
                     body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(VendorUnavailableError, match="timed out"):
        list(client.customer_orgs())


def test_malformed_json_is_a_data_error(api, client):
    api.get("/orgs/msp.example/orgs", body="<html><body>Scheduled maintenance</body></html>")
    with pytest.raises(VendorDataError, match="not valid JSON"):
        list(client.customer_orgs())


def test_a_listing_cut_short_is_a_data_error(api, client):
    whole = json.dumps(api.load("orgs.json"))
    api.get("/orgs/msp.example/orgs", body=whole[: len(whole) // 2])
    with pytest.raises(VendorDataError, match="cut short"):
        list(client.customer_orgs())


def test_a_sub_partner_listing_cut_short_fails_the_whole_listing(api, client):
    api.get("/orgs/msp.example/orgs", fixture="orgs.json")
    api.get("/orgs/summit-it.example/orgs", body='{"orgs": [{"eid": 1185110, "name": "Alpine')
    with pytest.raises(VendorDataError):
        list(client.customer_orgs())


def test_sub_partner_gone_mid_walk_is_a_data_error(api, client):
    api.get("/orgs/msp.example/orgs", fixture="orgs.json")
    api.get("/orgs/summit-it.example/orgs", fixture="error_404.json", status=404)
    with pytest.raises(VendorDataError, match="walking the partner tree"):
        list(client.customer_orgs())


def test_unknown_partner_domain_names_the_field(api, client):
    api.get("/orgs/msp.example/orgs", fixture="error_404.json", status=404)
    api.get("/endpoints/msp.example", fixture="error_404.json", status=404)
    with pytest.raises(VendorConfigError) as err:
        list(client.customer_orgs())
    assert err.value.field == "partner_domain"
    assert "msp.example" in err.value.message and "Organization not found" in err.value.message


def test_partner_on_another_stack_names_the_base_url(api, client):
    api.get("/orgs/msp.example", fixture="error_404.json", status=404)
    api.get("/endpoints/msp.example", fixture="endpoints_us2.json")
    with pytest.raises(VendorConfigError) as err:
        client.partner_org()
    assert err.value.field == "base_url"
    assert "us2.proofpointessentials.com" in err.value.message


def test_partner_on_this_stack_but_unknown_names_the_partner_domain(api, client):
    api.get("/orgs/msp.example", fixture="error_404.json", status=404)
    api.get("/endpoints/msp.example", json={"endpoints": [{"url": "https://us1.proofpointessentials.com/api/v1"}]})
    with pytest.raises(VendorConfigError) as err:
        client.partner_org()
    assert err.value.field == "partner_domain"


def test_a_host_that_is_not_proofpoint_names_the_base_url(api, client):
    api.get("/me", body='{"message": "Not found"}', status=404)
    with pytest.raises(VendorConfigError) as err:
        client.me()
    assert err.value.field == "base_url"


@pytest.mark.parametrize(("body", "error", "words"), [
    ("<html>login</html>", VendorDataError, "not valid JSON"),
    ('{"uid": 7, "primary_ema', VendorDataError, "not valid JSON"),
    ("[]", VendorDataError, "not an object"),
    ("null", VendorDataError, "not an object"),
    ("{}", VendorDataError, "empty"),
    ("", VendorUnavailableError, "empty body"),
])
def test_a_malformed_or_empty_me_is_a_vendor_problem_not_a_config_error(api, client, body, error, words):
    # the stack answered 200 at /me, so the URL reaches the API; what came back is Proofpoint's (or a
    # gateway's) fault, and "check the stack URL" would send the admin the wrong way
    api.get("/me", body=body, status=200)
    with pytest.raises(error, match=words) as err:
        client.me()
    assert not isinstance(err.value, VendorConfigError)


def test_other_client_errors_are_data_errors(api, client):
    api.get("/orgs/msp.example/orgs", json={"errors": [{"message": "domain is invalid"}]}, status=422)
    with pytest.raises(VendorDataError, match="domain is invalid"):
        list(client.customer_orgs())
