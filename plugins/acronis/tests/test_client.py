"""AcronisClient against recorded-shape payloads: tokens, error mapping, retries through the session."""

from __future__ import annotations

import logging

import pytest
import requests

from hub.plugins import VendorAuthError, VendorConfigError, VendorDataError, VendorUnavailableError
from hub_acronis.client import AcronisClient


# -- tokens ------------------------------------------------------------------------------------


def test_token_is_requested_with_basic_auth_and_form_body_then_used_as_bearer(api, client, ids):
    api.token()  # the matchers check Basic auth and grant_type=client_credentials
    api.client_lookup()
    assert client.partner_tenant_id() == ids.PARTNER
    lookup = api.calls_to(f"/clients/{ids.CLIENT_ID}")[0].request
    assert lookup.headers["Authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.first-token.sig"
    token_request = api.calls_to("/idp/token")[0].request
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_token_is_cached_between_calls(api, client, ids):
    api.token()
    api.rsps.get(f"{ids.API}/tenants/{ids.PARTNER}", json={"id": ids.PARTNER, "name": "MSP Partner"})
    client.tenant(ids.PARTNER)
    client.tenant(ids.PARTNER)
    assert len(api.calls_to("/idp/token")) == 1
    assert client.tokens_issued == 1


def test_token_is_renewed_before_expires_on(api, client, clock, ids):
    api.token()
    api.rsps.get(f"{ids.API}/tenants/{ids.PARTNER}", json={"id": ids.PARTNER, "name": "MSP Partner"})
    client.tenant(ids.PARTNER)
    clock.advance(7200 - 900 - 1)  # 15 minutes and a second before expires_on: still good
    client.tenant(ids.PARTNER)
    assert client.tokens_issued == 1
    api.token("token_renewed.json")
    clock.advance(2)  # now inside the renewal margin
    client.tenant(ids.PARTNER)
    assert client.tokens_issued == 2
    last = api.calls_to(f"/tenants/{ids.PARTNER}")[-1].request
    assert last.headers["Authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.second-token.sig"


def test_expires_in_is_accepted_when_expires_on_is_missing(api, client, clock, ids):
    api.token("token_expires_in.json")
    api.rsps.get(f"{ids.API}/tenants/{ids.PARTNER}", json={"id": ids.PARTNER, "name": "MSP Partner"})
    client.tenant(ids.PARTNER)
    clock.advance(7200 - 901)
    client.tenant(ids.PARTNER)
    assert client.tokens_issued == 1
    clock.advance(2)
    client.tenant(ids.PARTNER)
    assert client.tokens_issued == 2


def test_a_401_reissues_the_token_once_and_repeats_the_call(api, client, ids, load):
    api.token()
    api.token("token_renewed.json")
    url = f"{ids.API}/tenants/{ids.PARTNER}"
    api.rsps.get(url, json=load("error_unauthorized.json"), status=401)
    api.rsps.get(url, json=load("tenant_partner.json"))
    assert client.tenant(ids.PARTNER)["name"] == "MSP Partner"
    calls = api.calls_to(f"/tenants/{ids.PARTNER}")
    assert [c.response.status_code for c in calls] == [401, 200]
    assert calls[1].request.headers["Authorization"].endswith("second-token.sig")


def test_a_second_401_is_an_auth_error(api, client, ids, load):
    api.token()
    api.token("token_renewed.json")
    api.rsps.get(f"{ids.API}/tenants/{ids.PARTNER}", json=load("error_unauthorized.json"), status=401)
    with pytest.raises(VendorAuthError, match="Access token is expired"):
        client.tenant(ids.PARTNER)
    assert len(api.calls_to("/idp/token")) == 2


def test_refused_credentials_are_an_auth_error_without_the_secret(api, client, ids, load):
    api.token("error_invalid_client.json", status=401)
    with pytest.raises(VendorAuthError) as caught:
        client.partner_tenant_id()
    assert "invalid_client: Client authentication failed" in caught.value.message
    assert ids.SECRET not in str(caught.value)


def test_a_403_is_an_auth_error_that_names_the_role(api, client, ids, load):
    api.token()
    api.rsps.get(f"{ids.API}/tenants/{ids.PARTNER}", json=load("error_access_denied.json"), status=403)
    with pytest.raises(VendorAuthError, match="Access denied.*tenant_viewer"):
        client.tenant(ids.PARTNER)


def test_a_token_response_without_access_token_is_a_data_error(api, client):
    api.rsps.post(f"{api.ids.API}/idp/token", json={"token_type": "bearer"})
    with pytest.raises(VendorDataError, match="no access_token"):
        client.access_token()


# -- transient failures go through the session's retries -----------------------------------------


def test_429_waits_as_long_as_retry_after_says_then_succeeds(api, client, ids, load, sleeps):
    api.token()
    url = f"{ids.API}/tenants/{ids.PARTNER}"
    api.rsps.get(url, json=load("error_too_many_requests.json"), status=429, headers={"Retry-After": "7"})
    api.rsps.get(url, json=load("tenant_partner.json"))
    assert client.tenant(ids.PARTNER)["id"] == ids.PARTNER
    assert sleeps == [7.0]


def test_429_that_does_not_stop_is_unavailable_with_retry_after(api, client, ids, load, sleeps):
    api.token()
    api.rsps.get(f"{ids.API}/tenants/{ids.PARTNER}", json=load("error_too_many_requests.json"), status=429,
                 headers={"Retry-After": "7"})
    with pytest.raises(VendorUnavailableError) as caught:
        client.tenant(ids.PARTNER)
    assert caught.value.retry_after == 7.0
    assert sleeps == [7.0, 7.0, 7.0]


def test_5xx_then_success(api, client, ids, load):
    api.token()
    url = f"{ids.API}/tenants/{ids.PARTNER}"
    api.rsps.get(url, json=load("error_internal.json"), status=503)
    api.rsps.get(url, json=load("error_internal.json"), status=500)
    api.rsps.get(url, json=load("tenant_partner.json"))
    assert client.tenant(ids.PARTNER)["name"] == "MSP Partner"


def test_persistent_5xx_is_unavailable_and_carries_the_error_scheme_message(api, client, ids, load):
    api.token()
    api.rsps.get(f"{ids.API}/tenants/{ids.PARTNER}", json=load("error_internal.json"), status=500)
    with pytest.raises(VendorUnavailableError, match=r"Internal server error \(code 1000\)"):
        client.tenant(ids.PARTNER)
    assert len(api.calls_to(f"/tenants/{ids.PARTNER}")) == 4  # first try and the session's 3 retries


@pytest.mark.parametrize("exc", [requests.exceptions.ReadTimeout("read timed out"),
                                 requests.exceptions.ConnectionError("connection refused")])
def test_timeouts_and_connection_errors_are_unavailable(api, client, exc):
    api.rsps.post(f"{api.ids.API}/idp/token", body=exc)
    with pytest.raises(VendorUnavailableError):
        client.access_token()


def test_malformed_json_is_a_data_error(api, client, ids):
    api.token()
    api.rsps.get(f"{ids.API}/tenants/{ids.PARTNER}", body='{"id": "5a1c0f2e', content_type="application/json")
    with pytest.raises(VendorDataError, match="malformed JSON"):
        client.tenant(ids.PARTNER)


# -- configuration problems name the field ---------------------------------------------------


def test_a_404_that_is_not_acronis_points_at_base_url(api, client):
    api.rsps.post(f"{api.ids.API}/idp/token", body="<html>Not Found</html>", status=404,
                  content_type="text/html")
    with pytest.raises(VendorConfigError) as caught:
        client.access_token()
    assert caught.value.field == "base_url"


def test_a_redirect_points_at_base_url(api, client):
    api.rsps.post(f"{api.ids.API}/idp/token", status=302,
                  headers={"Location": "https://cloud.acronis.com/login"})
    with pytest.raises(VendorConfigError, match="redirects to cloud.acronis.com") as caught:
        client.access_token()
    assert caught.value.field == "base_url"


def test_an_unknown_api_client_points_at_client_id(api, client, ids, load):
    api.token()
    api.rsps.get(f"{ids.API}/clients/{ids.CLIENT_ID}", json=load("error_tenant_not_found.json"), status=404)
    with pytest.raises(VendorConfigError) as caught:
        client.partner_tenant_id()
    assert caught.value.field == "client_id"


def test_a_partner_tenant_override_skips_the_lookup_and_is_named_when_unknown(api, config, session, ids, load):
    other = "0f0f0f0f-0000-4000-8000-000000000099"
    client = AcronisClient({**config, "partner_tenant_id": other}, session)
    api.token()
    api.rsps.get(f"{ids.API}/tenants/{other}", json=load("error_tenant_not_found.json"), status=404)
    assert client.partner_tenant_id() == other
    with pytest.raises(VendorConfigError, match="Tenant not found") as caught:
        client.tenant(other)
    assert caught.value.field == "partner_tenant_id"
    assert not api.calls_to(f"/clients/{ids.CLIENT_ID}")


def test_a_client_without_tenant_id_is_a_data_error(api, client, ids):
    api.token()
    api.rsps.get(f"{ids.API}/clients/{ids.CLIENT_ID}", json={"id": ids.CLIENT_ID, "type": "api_client"})
    with pytest.raises(VendorDataError, match="no tenant_id"):
        client.partner_tenant_id()


def test_secrets_never_reach_error_messages(api, config, session, ids):
    """Even when Acronis echoes the secret back, the session's redaction hides it."""
    api.rsps.post(f"{ids.API}/idp/token", status=400,
                  json={"error": "invalid_request", "error_description": f"bad secret {ids.SECRET}"})
    client = AcronisClient(config, session)
    with pytest.raises(VendorDataError) as caught:
        client.access_token()
    assert ids.SECRET not in str(caught.value)
    assert "***" in str(caught.value)


def test_unmatched_calls_fail_loudly(api, client):
    """The mock is strict: a call the test did not expect is an error, never a silent pass."""
    with pytest.raises(VendorUnavailableError):
        client.access_token()
    assert isinstance(api.rsps.calls[0].response, requests.ConnectionError)


def test_hooks_of_one_session_share_a_client_that_goes_with_the_session(config):
    import gc
    import weakref

    from hub.plugins import VendorSession
    from hub_acronis.client import client_for

    session = VendorSession()
    first = client_for(config, session)
    assert client_for(config, session) is first
    assert client_for({**config, "client_secret": "other"}, session) is not first
    assert client_for(config, VendorSession()) is not first
    gone = weakref.ref(session)
    del session, first
    gc.collect()
    assert gone() is None  # the cache did not keep the session (and its client) alive


def test_a_failed_request_logs_nothing_above_debug(api, client, ids, load, caplog):
    api.token()
    api.token("token_renewed.json")
    url = f"{ids.API}/tenants/{ids.PARTNER}"
    api.rsps.get(url, json=load("error_unauthorized.json"), status=401)
    api.rsps.get(url, json=load("error_internal.json"), status=503)
    api.rsps.get(url, json=load("tenant_partner.json"))
    with caplog.at_level(logging.DEBUG, logger="hub_acronis"):
        client.tenant(ids.PARTNER)
    mine = [r for r in caplog.records if r.name.startswith("hub_acronis")]
    assert mine and all(r.levelno == logging.DEBUG for r in mine)
