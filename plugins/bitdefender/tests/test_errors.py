"""GravityZone's errors mapped to the hub's: the JSON-RPC body first, then the HTTP status."""

import logging

import pytest
import requests

from hub.plugins import VendorAuthError, VendorConfigError, VendorDataError, VendorUnavailableError
from hub_bitdefender import plugin
from hub_bitdefender.schema import BitdefenderConfig


def connect(config, session):
    return plugin.hub_test_connection(config, session)


def test_connection_names_the_partner_company(tree, config, session):
    check = connect(config, session)

    assert check.ok and check.account_name == "Northwind Cyber MSP"
    assert [c.method for c in tree.calls] == ["getApiKeyDetails", "getCompanyDetails"]


def test_a_key_without_the_licensing_api_does_not_pass_the_check(tree, config, session):
    tree.on("general", "getApiKeyDetails", None, "api_key_details_no_licensing.json")

    check = connect(config, session)

    assert not check.ok and "Licensing" in check.message


def test_a_customer_company_as_root_names_the_field(tree, bd, session):
    config = BitdefenderConfig().load({"base_url": bd.base, "api_key": bd.api_key, "root_company_id": bd.ids.contoso})

    with pytest.raises(VendorConfigError) as err:
        connect(config, session)

    assert err.value.field == "root_company_id"


def test_an_unknown_root_company_names_the_field(tree, bd, session):
    config = BitdefenderConfig().load({"base_url": bd.base, "api_key": bd.api_key, "root_company_id": "a" * 24})
    tree.on("companies", "getCompanyDetails", {"companyId": "a" * 24}, "error_invalid_company.json")

    with pytest.raises(VendorConfigError) as err:
        connect(config, session)

    assert err.value.field == "root_company_id"


def test_invalid_key_on_http_401_is_an_auth_error(tree, config, session, bd):
    tree.on("general", "getApiKeyDetails", None, bd.Reply(fixture="error_invalid_api_key.json", status=401))

    with pytest.raises(VendorAuthError, match="Invalid API key") as err:
        connect(config, session)

    assert err.value.status == 401
    assert len(tree.calls) == 1  # refused credentials are not retried


def test_invalid_key_on_http_200_is_an_auth_error_too(tree, config, session):
    tree.on("general", "getApiKeyDetails", None, "error_invalid_api_key.json")

    with pytest.raises(VendorAuthError, match="Invalid API key"):
        connect(config, session)


def test_a_bare_401_without_a_body_is_an_auth_error(tree, config, session, bd):
    tree.on("general", "getApiKeyDetails", None, bd.Reply(body="", status=401))

    with pytest.raises(VendorAuthError, match="HTTP 401"):
        connect(config, session)


def test_an_api_not_enabled_for_the_key_is_an_auth_error(tree, config, session, bd):
    tree.on("companies", "getCompanyDetails", None, bd.Reply(fixture="error_not_allowed.json", status=403))

    with pytest.raises(VendorAuthError, match="not allowed to access the selected API"):
        connect(config, session)


def test_429_with_an_html_body_honours_retry_after_then_succeeds(tree, config, session, clock, bd):
    tree.on("general", "getApiKeyDetails", None,
            bd.Reply(fixture="nginx_429.html", status=429, headers={"Retry-After": "7, 7"}), "api_key_details.json")

    assert connect(config, session).ok
    assert 7.0 in clock.slept


def test_429_that_persists_is_unavailable_with_retry_after(tree, config, session, clock, bd):
    tree.on("general", "getApiKeyDetails", None,
            bd.Reply(fixture="nginx_429.html", status=429, headers={"Retry-After": "60, 60"}))

    with pytest.raises(VendorUnavailableError) as err:
        connect(config, session)

    assert err.value.retry_after == 60 and err.value.status == 429
    assert clock.slept.count(60.0) == session.max_retries


def test_429_asking_for_longer_than_the_cap_is_not_waited_for(tree, config, session, clock, bd):
    tree.on("general", "getApiKeyDetails", None,
            bd.Reply(fixture="nginx_429.html", status=429, headers={"Retry-After": "120, 120"}))

    with pytest.raises(VendorUnavailableError) as err:
        connect(config, session)

    assert err.value.retry_after == 120
    assert len(tree.calls) == 1 and 120.0 not in clock.slept


def test_too_many_requests_as_a_json_rpc_error_on_200_is_unavailable(tree, config, session, bd):
    tree.on("general", "getApiKeyDetails", None,
            bd.Reply(fixture="error_too_many_requests.json", headers={"Retry-After": "30"}))

    with pytest.raises(VendorUnavailableError) as err:
        connect(config, session)

    assert err.value.retry_after == 30


def test_5xx_then_success_retries(tree, config, session, clock, bd):
    tree.on("general", "getApiKeyDetails", None, bd.Reply(fixture="nginx_502.html", status=502),
            bd.Reply(fixture="nginx_502.html", status=503), "api_key_details.json")

    assert connect(config, session).ok
    assert len([c for c in tree.calls if c.method == "getApiKeyDetails"]) == 3


def test_a_server_error_with_a_json_rpc_body_on_500_is_unavailable(tree, config, session, bd):
    body = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "Server error",
                                                  "data": {"details": "Internal error"}}}
    tree.on("general", "getApiKeyDetails", None, bd.Reply(body=body, status=500))

    with pytest.raises(VendorUnavailableError, match="Internal error"):
        connect(config, session)


def test_a_timeout_is_retried_then_unavailable(tree, config, session, bd):
    tree.on("general", "getApiKeyDetails", None, bd.Reply(raises=requests.exceptions.ConnectTimeout("slow")))

    with pytest.raises(VendorUnavailableError, match="timed out"):
        connect(config, session)

    assert len(tree.calls) == 1 + session.max_retries


def test_malformed_json_on_200_is_a_data_error(tree, config, session, bd):
    tree.on("general", "getApiKeyDetails", None, bd.Reply(body="{'result': oops", headers={"Content-Type": "application/json"}))

    with pytest.raises(VendorDataError, match="malformed JSON"):
        connect(config, session)


def test_json_without_result_or_error_is_a_data_error(tree, config, session, bd):
    tree.on("general", "getApiKeyDetails", None, bd.Reply(body={"jsonrpc": "2.0", "id": 1}))

    with pytest.raises(VendorDataError, match="without a JSON-RPC result"):
        connect(config, session)


def test_a_wrong_access_url_names_the_field(tree, config, session, bd):
    tree.on("general", "getApiKeyDetails", None, bd.Reply(body="<html>Not Found</html>", status=404))

    with pytest.raises(VendorConfigError) as err:
        connect(config, session)

    assert err.value.field == "base_url"


def test_the_key_never_reaches_an_error_or_a_log(tree, config, session, bd, caplog):
    body = bd.fixture("error_invalid_api_key.json")
    body["error"]["data"]["details"] = f"Invalid API key {bd.api_key}. Please generate an API key in Control Center."
    tree.on("general", "getApiKeyDetails", None, bd.Reply(body=body, status=401))
    caplog.set_level(logging.DEBUG)

    with pytest.raises(VendorAuthError) as err:
        connect(config, session)

    assert bd.api_key not in str(err.value) and "***" in str(err.value)
    assert bd.api_key not in caplog.text
