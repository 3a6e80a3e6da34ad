"""Sites and accounts become customers and counts: the parts the fact sheet marks easy to get wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.plugins import (
    CountFailure,
    CustomerStatus,
    LicenseCount,
    VendorAuthError,
    VendorConfigError,
    VendorDataError,
    VendorUnavailableError,
)
from hub_sentinelone import listing, plugin
from hub_sentinelone.schema import SentinelOneConfig
from hub_sentinelone.skus import map_skus


def sync(config, session):
    customers = list(listing.list_customers(config, session))
    counts = {}
    failures = {}
    for item in listing.license_counts(config, session, customers):
        if isinstance(item, CountFailure):
            failures[item.customer_external_id] = item.message
        else:
            counts.setdefault(item.customer_external_id, {})[item.sku] = item.quantity
    return {c.external_id: c for c in customers}, counts, failures


def test_api_token_scheme_and_cursor_paging_to_a_null_cursor(api, config, session, site, sites_page):
    cursor = "b2Zmc2V0OjEwMDA+/="  # base64 with '+', '/' and '=': must be URL-encoded
    api.get("/sites", params={"limit": "1000"}, json=sites_page([site("1", "A")], cursor=cursor, total=2))
    api.get("/sites", params={"limit": "1000", "cursor": cursor}, json=sites_page([site("2", "B")], total=2))
    customers, _, _ = sync(config, session)
    assert sorted(customers) == ["1", "2"]
    assert "cursor=b2Zmc2V0OjEwMDA%2B%2F%3D" in api.rsps.calls[1].request.url
    assert len(api.rsps.calls) == 2  # counts came from the same listing


def test_a_sync_lists_from_the_page_its_connection_probe_read(api, config, session, site, sites_page):
    """The hub tests the connection first in every sync: the probe reads the listing's first page, and
    the listing in the same run starts from it, so two pages cost two requests, not three."""
    cursor = "b2Zmc2V0OjEwMDA="
    api.get("/sites", params={"limit": "1000"}, json=sites_page([site("1", "A")], cursor=cursor, total=2))
    api.get("/sites", params={"limit": "1000", "cursor": cursor}, json=sites_page([site("2", "B")], total=2))
    check = plugin.hub_test_connection(config=config, session=session)
    assert check.ok and "2 site(s)" in check.message
    customers, counts, _ = sync(config, session)
    assert sorted(customers) == ["1", "2"] and sorted(counts) == ["1", "2"]
    assert [call.request.url.count("cursor=") for call in api.rsps.calls] == [0, 1]
    # the kept page is taken once: a second listing in the same run asks the vendor again
    list(listing.list_customers(config, session))
    assert len(api.rsps.calls) == 4


def test_a_failure_on_a_page_read_ahead_ends_the_listing_with_its_error(api, config, session, site, sites_page):
    """The next page is asked for while this one is worked through; its failure is the listing's."""
    api.get("/sites", params={"limit": "1000"}, json=sites_page([site("1", "A")], cursor="c2", total=2))
    api.get("/sites", params={"limit": "1000", "cursor": "c2"}, status=401,
            json={"errors": [{"code": 4010010, "title": "Authentication Failed"}]})
    with pytest.raises(VendorAuthError, match="generate a new one"):
        sync(config, session)


def test_a_bearer_token_pasted_with_its_scheme_is_cleaned():
    loaded = SentinelOneConfig().load({"base_url": "https://x.sentinelone.net/web/api/v2.1/",
                                       "api_token": "ApiToken abc.def"})
    assert loaded["api_token"] == "abc.def" and loaded["base_url"] == "https://x.sentinelone.net"


def test_only_data_sites_is_read_never_the_all_sites_aggregate(api, config, session, site, sites_page):
    api.get("/sites", json=sites_page([site("1", "A", active=10)]))
    _, counts, _ = sync(config, session)
    assert counts == {"1": {"sentinelone_complete": Decimal(10)}}  # not 815 from allSites


def test_ids_stay_exact_strings(api, config, session, site, sites_page):
    big = 1392053568582758390  # would become ...8400 as a float
    api.get("/sites", json=sites_page([site(big, "A")]))
    customers, _, _ = sync(config, session)
    assert list(customers) == ["1392053568582758390"]


def test_unlimited_site_bills_active_licenses(api, config, session, site, sites_page):
    api.get("/sites", json=sites_page([site("1", "A", active=37, unlimitedLicenses=True, totalLicenses=0)]))
    _, counts, _ = sync(config, session)
    assert counts["1"]["sentinelone_complete"] == 37


def test_add_on_bundles_are_their_own_skus(api, config, session, site, sites_page):
    api.get("/sites", json=sites_page([site("1", "A", sku="Control", active=12, addons=("Ranger", "Cloud Funnel"))]))
    _, counts, _ = sync(config, session)
    assert counts["1"] == {"sentinelone_control": 12, "sentinelone_addon_ranger": 12,
                           "sentinelone_addon_cloud_funnel": 12}


def test_expired_is_suspended_and_trial_is_flagged_and_not_billed(api, config, session, site, sites_page):
    api.get("/sites", json=sites_page([site("1", "A", state="expired"), site("2", "B", siteType="Trial")]))
    customers, counts, _ = sync(config, session)
    assert customers["1"].status is CustomerStatus.SUSPENDED
    assert customers["2"].status is CustomerStatus.TRIAL
    assert counts["2"] == {"sentinelone_complete_trial": Decimal(10)}
    trial = next(iter(map_skus(["sentinelone_complete_trial"])))
    assert trial.billable is False


def test_default_and_deleted_sites_are_not_customers(api, config, session, site, sites_page):
    api.get("/sites", json=sites_page([site("1", "Default site", isDefault=True), site("2", "Gone", state="deleted"),
                                       site("3", "Contoso")]))
    customers, _, _ = sync(config, session)
    assert list(customers) == ["3"]


def test_default_sites_when_asked_are_named_after_their_account(api, config, session, site, sites_page):
    api.get("/sites", json=sites_page([site("1", "Default site", isDefault=True)]))
    customers, _, _ = sync({**config, "include_default_sites": True}, session)
    assert customers["1"].name == "MSP Managed / Default site"


def test_account_level_adds_up_its_sites_and_never_the_account_totals(api, config, session, site, sites_page):
    accounts = {"data": [{"id": "100", "name": "Contoso", "accountType": "Paid", "state": "active",
                          "activeAgents": 999, "totalLicenses": 999},
                         {"id": "200", "name": "Fabrikam", "accountType": "Trial", "state": "active"}],
                "pagination": {"nextCursor": None, "totalItems": 2}}
    api.get("/accounts", json=accounts)
    api.get("/sites", json=sites_page([site("1", "HQ", account_id="100", active=5),
                                       site("2", "Branch", account_id="100", active=7, addons=("Ranger",)),
                                       site("3", "Default site", account_id="200", isDefault=True, active=2, sku="Core")]))
    customers, counts, _ = sync({**config, "customer_level": "account"}, session)
    assert set(customers) == {"100", "200"} and customers["200"].status is CustomerStatus.TRIAL
    assert counts["100"] == {"sentinelone_complete": 12, "sentinelone_addon_ranger": 7}
    assert counts["200"] == {"sentinelone_core": 2}


def test_account_level_with_a_site_scoped_token_names_the_setting(api, config, session):
    api.get("/accounts", status=403, json={"errors": [{"code": 4030010, "title": "Forbidden"}]})
    with pytest.raises(VendorConfigError) as caught:
        sync({**config, "customer_level": "account"}, session)
    assert caught.value.field == "customer_level"


def test_pages_that_do_not_add_up_to_total_items_are_refused(api, config, session, site, sites_page):
    api.get("/sites", json=sites_page([site("1", "A")], total=3))
    with pytest.raises(VendorDataError, match="reported 3 items"):
        sync(config, session)


def test_an_expired_token_is_an_auth_error_that_says_to_regenerate(api, config, session):
    api.get("/sites", status=401, json={"errors": [{"code": 4010010, "title": "Authentication Failed"}]})
    with pytest.raises(VendorAuthError, match="generate a new one"):
        sync(config, session)


def test_429_with_a_long_retry_after_ends_the_run_carrying_it(api, config, session):
    """Longer than the session waits: no quick retries, the hub retries the run that much later."""
    api.get("/sites", status=429, headers={"Retry-After": "120"}, json={"errors": [{"code": 4290010}]})
    with pytest.raises(VendorUnavailableError) as caught:
        sync(config, session)
    assert caught.value.retry_after == 120


def test_validation_errors_carry_sentinelones_words(api, config, session):
    api.get("/sites", status=400, json={"errors": [{"code": 4000010, "title": "Validation Error",
                                                    "detail": "limit: Must be between 1 and 1000."}]})
    with pytest.raises(VendorDataError, match="Must be between 1 and 1000"):
        sync(config, session)


@pytest.mark.parametrize("body", ['{"data": [{"id": "1"}]}', '{"data": {"allSites": {}}}', "<html></html>"])
def test_unreadable_site_listings_are_data_errors(api, config, session, body):
    api.get("/sites", body=body, headers={"Content-Type": "application/json"})
    with pytest.raises(VendorDataError):
        sync(config, session)


def test_a_site_without_a_count_fails_alone(api, config, session, site, sites_page):
    api.get("/sites", json=sites_page([site("1", "A", activeLicenses=None), site("2", "B")]))
    _, counts, failures = sync(config, session)
    assert "activeLicenses" in failures["1"] and counts["2"]["sentinelone_complete"] == 10


def test_every_plugin_sku_is_described():
    described = {m.sku: m for m in map_skus(["sentinelone_core", "sentinelone_addon_ranger", "other"])}
    assert described["sentinelone_core"].name == "SentinelOne Singularity Core"
    assert described["sentinelone_addon_ranger"].unit == "agent"
    assert "other" not in described
