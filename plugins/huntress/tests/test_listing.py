"""Organizations become customers and counts: ids, products, and what must never be billed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.plugins import CountFailure, CustomerStatus, LicenseCount, VendorDataError
from hub_huntress import listing
from hub_huntress.skus import map_skus


def counts(org, config):
    return {c.sku: c.quantity for c in listing.counts_of(str(org["id"]), org, config)
            if isinstance(c, LicenseCount)}


def test_the_numeric_id_is_the_customer_id_never_the_key(organization):
    customer = listing.to_customer(organization(625039, "Contoso Ltd", key="contoso-ltd"))
    assert customer.external_id == "625039"
    assert customer.extra == {"key": "contoso-ltd"}
    assert customer.status is CustomerStatus.ACTIVE


@pytest.mark.parametrize("bad_id", ["625039", None, 0, -4, True, 1.5])
def test_an_organization_without_an_integer_id_is_a_data_error(organization, bad_id):
    with pytest.raises(VendorDataError):
        listing.to_customer(organization(1, "Contoso", id=bad_id))


def test_identities_not_microsoft_365_users_are_billed(organization, config):
    org = organization(1, "Contoso", billable_identity_count=9, microsoft_365_users_count=14)
    assert counts(org, config)["huntress_itdr"] == Decimal(9)


def test_an_organization_with_no_agents_still_bills_identities(organization, config):
    org = organization(1, "Contoso", agents_count=0, billable_identity_count=5)
    assert counts(org, config) == {"huntress_edr": 0, "huntress_itdr": 5, "huntress_sat": 0}


def test_siem_sources_only_when_asked(organization, config):
    org = organization(1, "Contoso", logs_sources_count=4)
    assert "huntress_siem_sources" not in counts(org, config)
    assert counts(org, {**config, "bill_siem_sources": True})["huntress_siem_sources"] == 4


@pytest.mark.parametrize("field, value", [("agents_count", None), ("agents_count", "12"), ("agents_count", -1),
                                          ("billable_identity_count", 2.5), ("sat_learner_count", "x")])
def test_an_unreadable_count_fails_that_customer_only(organization, config, field, value):
    results = list(listing.counts_of("1", organization(1, "Contoso", **{field: value}), config))
    assert len(results) == 1 and isinstance(results[0], CountFailure)
    assert field in results[0].message


def test_a_missing_optional_product_counts_zero(organization, config):
    org = organization(1, "Contoso")
    del org["sat_learner_count"]
    assert counts(org, config)["huntress_sat"] == 0


def test_counts_come_from_the_listing_of_the_same_run(api, config, session, organization, page):
    api.get("/organizations", json=page([organization(1, "A", agents_count=3)], total=1))
    customers = list(listing.list_customers(config, session))
    result = list(listing.license_counts(config, session, customers))
    assert len(api.rsps.calls) == 1  # no second listing
    assert {c.sku: c.quantity for c in result}["huntress_edr"] == 3


def test_every_sku_is_described_and_siem_is_not_suggested_for_billing():
    described = {m.sku: m for m in map_skus(["huntress_edr", "huntress_itdr", "huntress_sat",
                                             "huntress_siem_sources", "unknown"])}
    assert set(described) == {"huntress_edr", "huntress_itdr", "huntress_sat", "huntress_siem_sources"}
    assert described["huntress_edr"].unit == "agent" and described["huntress_itdr"].unit == "identity"
    assert described["huntress_siem_sources"].billable is False
