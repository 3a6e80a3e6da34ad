"""Org fields that decide an id, a customer-or-partner walk or a SKU are never guessed."""

import pytest

from hub.plugins import VendorDataError
from hub_proofpoint.orgs import count_of, parse_org, sku_for

ORG = {"eid": 1183412, "name": "Contoso Ltd", "primary_domain": "contoso.example", "type": "organization",
       "is_active": True, "is_on_trial": False, "licensing_package": "beginner", "is_beginner_plus": True,
       "user_licenses": 50, "active_users": 47}


def parse(**changes):
    raw = {**ORG, **changes}
    return parse_org({k: v for k, v in raw.items() if v is not ...}, "msp.example", "GET /orgs/msp.example/orgs")


def test_a_healthy_org_counts_under_its_package():
    org = parse()
    assert (org.eid, org.type, count_of(org, "active_users"), sku_for(org, False)) == \
        ("1183412", "organization", (47, None), "proofpoint_essentials_beginner_plus")


@pytest.mark.parametrize("eid", ["twelve", "c-1183412"])
def test_an_eid_that_is_not_a_number_is_a_data_error(eid):
    with pytest.raises(VendorDataError, match="not a numeric entity id"):
        parse(eid=eid)


@pytest.mark.parametrize("value", [None, ..., 7, ""])
def test_an_unreadable_type_is_a_data_error_not_a_customer(value):
    # a sub-partner whose type is lost would be billed as a customer and its orgs never walked
    with pytest.raises(VendorDataError, match="customer or a sub-partner"):
        parse(type=value)


@pytest.mark.parametrize("changes, problem", [
    ({"is_on_trial": None}, "no readable is_on_trial"),
    ({"is_on_trial": ...}, "no readable is_on_trial"),
    ({"licensing_package": 12345}, "no licensing_package"),
    ({"is_beginner_plus": None}, "no licensing_package"),
])
def test_fields_that_decide_the_sku_are_a_count_problem_when_unreadable(changes, problem):
    quantity, why = count_of(parse(**changes), "active_users")
    assert quantity is None and problem in why


def test_an_absent_beginner_plus_flag_means_plain_beginner():
    assert sku_for(parse(is_beginner_plus=...), False) == "proofpoint_essentials_beginner"
