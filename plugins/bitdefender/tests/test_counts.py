"""Counting: monthly usage counters as SKUs, summed across product types, one customer's failure kept to it."""

from datetime import date
from decimal import Decimal

import pytest

from hub.plugins import CountFailure, LicenseCount, VendorAuthError, VendorCustomer
from hub_bitdefender import plugin
from hub_bitdefender.schema import BitdefenderConfig
from hub_bitdefender.usage import parse_counters, target_month


def counts_of(results):
    table = {}
    for r in results:
        if isinstance(r, LicenseCount):
            table.setdefault(r.customer_external_id, {})[r.sku] = r.quantity
    return table


def sync_counts(config, session):
    customers = list(plugin.hub_list_customers(config, session))
    return list(plugin.hub_fetch_license_counts(config, session, customers))


def test_every_counter_is_a_sku_summed_across_product_types(tree, config, session, bd):
    counts = counts_of(sync_counts(config, session))

    assert counts[bd.ids.contoso] == {
        "endpointMonthlyUsage": Decimal(37), "mspSecurePlusMonthlyUsage": Decimal(37),
        "edrMonthlyUsage": Decimal(16),  # 12 (Endpoint Security entry) + 4 (EDR entry)
        "patchManagementMonthlyUsage": Decimal(20), "encryptionMonthlyUsage": Decimal(5),
    }
    assert counts[bd.ids.litware]["sveVdiMonthlyUsage"] == Decimal(415)
    assert counts[bd.ids.wingtip]["xdrIdentitySensorsMonthlyUsage"] == Decimal(2)
    assert all(isinstance(q, Decimal) for c in counts.values() for q in c.values())


def test_the_misspelled_counter_is_stored_under_the_right_name(tree, config, session, bd):
    counts = counts_of(sync_counts(config, session))

    assert counts[bd.ids.fabrikam]["aLaCarteMonthlyUsage"] == Decimal(14)
    assert all("aLaCarteMonhtlyUsage" not in c for c in counts.values())


def test_unused_counters_and_product_type_are_not_yielded(tree, config, session, bd):
    results = sync_counts(config, session)

    assert bd.ids.tailspin not in counts_of(results)  # a trial: every counter 0
    assert all(r.quantity > 0 for r in results if isinstance(r, LicenseCount))
    assert not any(r.sku == "productType" for r in results if isinstance(r, LicenseCount))


def test_endpoint_only_reads_get_monthly_usage_and_skips_the_minimum(tree, bd, new_session):
    config = BitdefenderConfig().load({"base_url": bd.base, "api_key": bd.api_key, "usage_method": "endpoint_only"})
    tree.on("licensing", "getMonthlyUsage", None, "usage_monthly_contoso.json")
    customers = [VendorCustomer(bd.ids.contoso, "Contoso Ltd")]

    with new_session() as session:
        counts = counts_of(plugin.hub_fetch_license_counts(config, session, customers))

    assert counts[bd.ids.contoso]["endpointMonthlyUsage"] == Decimal(37)  # not the minimum of 25
    assert not any("minimum" in sku.lower() for sku in counts[bd.ids.contoso])
    assert tree.methods() == ["licensing/getMonthlyUsage"]
    assert tree.calls[0].params == {"companyId": bd.ids.contoso, "targetMonth": target_month("current")}


def test_usage_read_during_the_listing_is_not_asked_again(tree, config, session, bd):
    customers = list(plugin.hub_list_customers(config, session))
    asked = len([c for c in tree.calls if c.service == "licensing"])

    list(plugin.hub_fetch_license_counts(config, session, customers))

    assert asked == len(bd.customers)
    assert len([c for c in tree.calls if c.service == "licensing"]) == asked


def test_counts_without_a_listing_in_the_same_session_are_fetched(tree, config, session, bd, new_session):
    customers = list(plugin.hub_list_customers(config, session))

    with new_session() as other:
        counts = counts_of(plugin.hub_fetch_license_counts(config, other, customers))

    assert counts[bd.ids.contoso]["edrMonthlyUsage"] == Decimal(16)
    assert len([c for c in tree.calls if c.service == "licensing"]) == 2 * len(bd.customers)


@pytest.mark.parametrize("fixture_name", ["error_not_found.json", "error_invalid_company.json"])
def test_an_unknown_company_id_fails_that_customer_only(tree, config, session, bd, fixture_name):
    tree.on("licensing", "getMonthlyUsagePerProductType", bd.usage_params(bd.ids.litware), fixture_name)

    results = sync_counts(config, session)

    failures = [r for r in results if isinstance(r, CountFailure)]
    assert [f.customer_external_id for f in failures] == [bd.ids.litware]
    assert bd.ids.contoso in counts_of(results) and bd.ids.wingtip in counts_of(results)


def test_an_unreadable_counter_fails_that_customer_only(tree, config, session, bd):
    body = bd.fixture("usage_wingtip.json")
    body["result"]["usages"][0]["edrMonthlyUsage"] = -3
    tree.on("licensing", "getMonthlyUsagePerProductType", bd.usage_params(bd.ids.wingtip), bd.Reply(body=body))

    results = sync_counts(config, session)

    failures = [r for r in results if isinstance(r, CountFailure)]
    assert [f.customer_external_id for f in failures] == [bd.ids.wingtip]
    assert "edrMonthlyUsage" in failures[0].message


def test_a_licensing_api_not_enabled_fails_the_whole_vendor(tree, config, session, bd):
    tree.on("licensing", "getMonthlyUsagePerProductType", None, bd.Reply(fixture="error_not_allowed.json", status=403))

    with pytest.raises(VendorAuthError, match="Licensing"):
        sync_counts(config, session)


def test_parse_counters_tolerates_shapes_and_keeps_the_right_spelling():
    both = {"aLaCarteMonthlyUsage": 3, "aLaCarteMonhtlyUsage": 3, "note": "x", "flag": True, "gone": None,
            "minimumUsage": {"endpointMonthlyUsage": 9}, "sveVdiMonthlyUsage": 12.5}
    assert parse_counters(both, per_product_type=False) == {"aLaCarteMonthlyUsage": Decimal(3),
                                                            "sveVdiMonthlyUsage": Decimal("12.5")}
    # a per-product answer that came flat is one entry
    assert parse_counters({"edrMonthlyUsage": 2}, per_product_type=True) == {"edrMonthlyUsage": Decimal(2)}
    assert parse_counters({"usages": []}, per_product_type=True) == {}


@pytest.mark.parametrize("today, policy, expected", [
    (date(2025, 4, 17), "current", "04/2025"),
    (date(2025, 4, 17), "previous", "03/2025"),
    (date(2025, 1, 2), "previous", "12/2024"),
    (date(2025, 12, 31), "current", "12/2025"),
])
def test_target_month(today, policy, expected):
    assert target_month(policy, today) == expected


def test_previous_month_policy_is_sent(tree, bd, new_session):
    config = BitdefenderConfig().load({"base_url": bd.base, "api_key": bd.api_key, "target_month": "previous"})
    tree.on("licensing", "getMonthlyUsagePerProductType", None, "usage_wingtip.json")

    with new_session() as session:
        list(plugin.hub_fetch_license_counts(config, session, [VendorCustomer(bd.ids.wingtip, "Wingtip")]))

    assert tree.calls[-1].params["targetMonth"] == target_month("previous")


@pytest.mark.parametrize("value", [None, "37", [37], {"n": 37}, True])
def test_a_counter_sent_but_unreadable_is_bad_usage_not_a_silent_zero(value):
    from hub_bitdefender.usage import BadUsage, parse_counters

    # left out, the hub would read edrMonthlyUsage as 0 and bill nothing for it
    with pytest.raises(BadUsage, match="counter edrMonthlyUsage"):
        parse_counters({"usages": [{"productType": 0, "endpointMonthlyUsage": 3, "edrMonthlyUsage": value}]},
                       per_product_type=True)
    assert parse_counters({"usages": [{"productType": 0, "endpointMonthlyUsage": 3, "zz_note": "x"}]},
                          per_product_type=True) == {"endpointMonthlyUsage": 3}
