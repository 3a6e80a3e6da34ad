"""Listing customers: the company tree walked, statuses, deleted and vanished companies, listings cut short."""

import base64
import json
import logging

import pytest
import requests

from hub.plugins import CountFailure, CustomerStatus, VendorConfigError, VendorDataError, VendorUnavailableError
from hub_bitdefender import plugin
from hub_bitdefender.schema import BitdefenderConfig


def listed(config, session):
    return {c.external_id: c for c in plugin.hub_list_customers(config, session)}


def test_happy_path_walks_nested_partners_and_collects_customers(tree, config, session, bd):
    customers = listed(config, session)

    assert set(customers) == {getattr(bd.ids, name) for name in bd.customers}
    assert customers[bd.ids.contoso].name == "Contoso Ltd"
    # customers of the reseller and of its own sub-reseller, with where they sit in the tree
    assert customers[bd.ids.litware].extra == {"reseller": "Blue Harbor IT"}
    assert customers[bd.ids.wingtip].extra == {"reseller": "Blue Harbor IT / Coastal Sub-Reseller"}
    assert customers[bd.ids.contoso].extra == {}
    # partners are walked, never billed
    assert bd.ids.reseller not in customers and bd.ids.subreseller not in customers


def test_suspended_from_company_details_and_trial_from_the_license_type_filter(tree, config, session, bd):
    customers = listed(config, session)

    assert customers[bd.ids.fabrikam].status is CustomerStatus.SUSPENDED
    assert customers[bd.ids.tailspin].status is CustomerStatus.TRIAL
    assert customers[bd.ids.contoso].status is CustomerStatus.ACTIVE
    assert customers[bd.ids.wingtip].status is CustomerStatus.ACTIVE
    details = [c.params for c in tree.calls if c.method == "getCompanyDetails"]
    assert sorted(p["companyId"] for p in details) == sorted(getattr(bd.ids, n) for n in bd.customers)


def test_every_request_is_json_rpc_with_the_key_as_basic_user(tree, config, session, bd):
    listed(config, session)

    expected = "Basic " + base64.b64encode(f"{bd.api_key}:".encode()).decode()
    assert tree.calls and all(call.auth == expected for call in tree.calls)
    assert {"network/getCompaniesList", "companies/getCompanyDetails",
            "licensing/getMonthlyUsagePerProductType"} <= set(tree.methods())
    # the tree is asked level by level, never with paging parameters (GravityZone rejects them)
    assert all(set(c.params) <= {"parentId", "filters"} for c in tree.calls if c.method == "getCompaniesList")


def test_a_company_deleted_during_the_run_is_still_listed_but_not_counted(tree, config, session, bd):
    # listed by getCompaniesList, then gone: details answer -32602, usage -32002 (both on HTTP 200)
    tree.on("companies", "getCompanyDetails", {"companyId": bd.ids.contoso}, "error_invalid_company.json")
    tree.on("licensing", "getMonthlyUsagePerProductType", bd.usage_params(bd.ids.contoso), "error_not_found.json")

    customers = listed(config, session)
    results = list(plugin.hub_fetch_license_counts(config, session, list(customers.values())))

    assert customers[bd.ids.contoso].status is CustomerStatus.ACTIVE
    failures = [r for r in results if isinstance(r, CountFailure)]
    assert [f.customer_external_id for f in failures] == [bd.ids.contoso]
    assert "Not found" in failures[0].message
    assert {r.customer_external_id for r in results if not isinstance(r, CountFailure)} == {
        bd.ids.fabrikam, bd.ids.litware, bd.ids.wingtip}  # tailspin (trial) uses nothing


def test_a_deleted_company_is_simply_not_listed(tree, config, session, bd):
    tree.on("network", "getCompaniesList", {"parentId": bd.ids.subreseller, "filters": bd.customer_type},
            "companies_empty.json")

    assert bd.ids.wingtip not in listed(config, session)


def test_a_partner_that_vanished_mid_walk_has_no_children(tree, config, session, bd):
    # -32602 "Invalid value for 'parentId'": partners with sub-companies cannot be deleted
    tree.on("network", "getCompaniesList", {"parentId": bd.ids.subreseller, "filters": bd.partners},
            "error_invalid_parent.json")

    customers = listed(config, session)

    assert bd.ids.wingtip not in customers
    assert bd.ids.litware in customers and bd.ids.contoso in customers


def test_a_refused_trial_filter_costs_the_trial_flag_not_the_listing(tree, config, session, bd, caplog):
    tree.on("network", "getCompaniesList", {"filters": bd.trials}, "error_invalid_request.json")
    with pytest.raises(VendorDataError):
        listed(config, session)  # anything but "invalid params" still stops the run

    tree.on("network", "getCompaniesList", {"filters": bd.trials}, "error_invalid_parent.json")
    for parent in (bd.ids.reseller, bd.ids.subreseller):
        tree.on("network", "getCompaniesList", {"parentId": parent, "filters": bd.trials}, "error_invalid_parent.json")
    caplog.set_level(logging.DEBUG)
    customers = listed(config, session)
    assert customers[bd.ids.tailspin].status is CustomerStatus.ACTIVE
    assert len(customers) == 5
    # said once per run, not once per partner (the guide's "log once")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "3 partner(s)" in warnings[0].getMessage()


def test_a_root_company_that_is_not_a_partner_names_the_field(tree, session, bd):
    config = BitdefenderConfig().load({"base_url": bd.base, "api_key": bd.api_key, "root_company_id": bd.ids.contoso})
    tree.on("network", "getCompaniesList", {"parentId": bd.ids.contoso, "filters": bd.partners},
            "error_invalid_parent.json")

    with pytest.raises(VendorConfigError) as err:
        listed(config, session)

    assert err.value.field == "root_company_id"


def test_root_company_id_limits_the_walk_to_that_partner(tree, bd, new_session):
    config = BitdefenderConfig().load({"base_url": bd.base, "api_key": bd.api_key, "root_company_id": bd.ids.reseller})
    with new_session() as session:
        customers = listed(config, session)

    assert set(customers) == {bd.ids.litware, bd.ids.wingtip}
    assert customers[bd.ids.wingtip].extra == {"reseller": "Coastal Sub-Reseller"}


def test_a_sub_partner_listing_cut_mid_body_fails_the_whole_listing(tree, config, session, bd):
    text = json.dumps(bd.fixture("companies_subreseller_customers.json"))
    tree.on("network", "getCompaniesList", {"parentId": bd.ids.subreseller, "filters": bd.customer_type},
            bd.Reply(body=text[: len(text) // 2], headers={"Content-Type": "application/json"}))

    with pytest.raises(VendorDataError, match="malformed JSON"):
        listed(config, session)


def test_a_sub_partner_listing_that_keeps_failing_is_unavailable_not_empty(tree, config, session, bd):
    tree.on("network", "getCompaniesList", {"parentId": bd.ids.reseller, "filters": bd.customer_type},
            bd.Reply(fixture="nginx_502.html", status=502))

    with pytest.raises(VendorUnavailableError) as err:
        listed(config, session)

    assert err.value.status == 502
    reseller_calls = [c for c in tree.calls if c.params.get("parentId") == bd.ids.reseller
                      and c.params["filters"] == bd.customer_type]
    assert len(reseller_calls) == 1 + session.max_retries


def test_malformed_json_in_the_listing_is_a_data_error(tree, config, session, bd):
    tree.on("network", "getCompaniesList", {"filters": bd.partners},
            bd.Reply(body='{"jsonrpc": "2.0", "result": [{"id": "64f1', headers={"Content-Type": "application/json"}))

    with pytest.raises(VendorDataError, match="getCompaniesList returned malformed JSON"):
        listed(config, session)


def test_a_listing_that_is_not_a_list_is_a_data_error(tree, config, session, bd):
    tree.on("network", "getCompaniesList", {"filters": bd.customer_type},
            bd.Reply(body={"jsonrpc": "2.0", "id": 1, "result": {"total": 3, "items": []}}))

    with pytest.raises(VendorDataError, match="not a list"):
        listed(config, session)


def test_a_timeout_during_the_listing_is_unavailable(tree, config, session, bd):
    tree.on("network", "getCompaniesList", {"filters": bd.partners},
            bd.Reply(raises=requests.exceptions.ReadTimeout("read timed out")))

    with pytest.raises(VendorUnavailableError, match="timed out"):
        listed(config, session)
