"""The customer listing: every page, folders and sub-partners walked, statuses, cut-short listings."""

from __future__ import annotations

import inspect

import pytest

from hub.plugins import CustomerStatus, VendorDataError, VendorUnavailableError
from hub_acronis import plugin
from hub_acronis.customers import list_customers


@pytest.fixture
def listed(api, client):
    def run():
        return {c.external_id: c for c in list_customers(client)}
    api.token()
    api.client_lookup()
    return run


def test_every_page_is_read_and_only_customers_are_kept(api, listed, ids):
    api.all_pages()
    customers = listed()
    assert sorted(c.name for c in customers.values()) == [
        "Contoso Ltd", "Fabrikam GmbH", "Northwind Traders", "Tailspin Toys", "Woodgrove Bank"]
    assert len(api.calls_to("/tenants")) == 3


def test_next_pages_send_only_the_cursor(api, listed):
    api.all_pages()
    listed()
    queries = [c.request.params for c in api.calls_to("/tenants")]
    assert queries == [{"subtree_root_id": api.ids.PARTNER, "lod": "full"},
                       {"after": "bWFnaWMtY3Vyc29yLTI"}, {"after": "bWFnaWMtY3Vyc29yLTM"}]


def test_statuses_paths_and_extra(api, listed, ids):
    api.all_pages()
    customers = listed()
    contoso, fabrikam, northwind, tailspin, woodgrove = (customers[i] for i in (ids.C1, ids.C2, ids.C3, ids.C4,
                                                                                ids.C5))
    assert contoso.status is CustomerStatus.ACTIVE
    assert contoso.extra == {"parent_id": ids.PARTNER, "customer_id": "CRM-1001"}
    assert fabrikam.status is CustomerStatus.SUSPENDED  # enabled: false
    assert northwind.status is CustomerStatus.TRIAL  # pricing_mode: trial
    assert northwind.extra["path"] == "Managed clients"
    assert tailspin.extra["path"] == "Harbor Reseller GmbH"
    assert woodgrove.extra["path"] == "Harbor Reseller GmbH / Retail"


def test_a_disabled_folder_suspends_the_customers_in_it(api, listed, load, ids):
    page1, page2 = load("tenants_page1.json"), load("tenants_page2.json")
    page1["items"][1]["enabled"] = False  # the "Managed clients" folder
    api.page(None, json=page1)
    api.page(None, after="bWFnaWMtY3Vyc29yLTI", json=page2)
    api.page("tenants_page3.json", after="bWFnaWMtY3Vyc29yLTM")
    assert listed()[ids.C3].status is CustomerStatus.SUSPENDED


def test_deleted_tenants_are_left_out(api, listed, ids):
    api.page("tenants_with_deleted.json")
    assert list(listed()) == [ids.C1]


def test_a_failing_next_page_raises_instead_of_a_partial_listing(api, listed, load):
    api.page("tenants_page1.json")
    api.page(None, after="bWFnaWMtY3Vyc29yLTI", json=load("error_internal.json"), status=500)
    with pytest.raises(VendorUnavailableError, match="Internal server error"):
        listed()


def test_a_page_without_items_is_a_listing_cut_short(api, listed, load):
    api.page("tenants_page1.json")
    truncated = load("tenants_page2.json")
    del truncated["items"]
    api.page(None, after="bWFnaWMtY3Vyc29yLTI", json=truncated)
    with pytest.raises(VendorDataError, match="page 2 .* cut short"):
        listed()


def test_a_malformed_page_is_a_data_error(api, listed):
    api.page("tenants_page1.json")
    api.page(None, after="bWFnaWMtY3Vyc29yLTI", body='{"timestamp": "2025-05-01T06:00:00", "items": [{"id',
             content_type="application/json")
    with pytest.raises(VendorDataError, match="malformed JSON"):
        listed()


@pytest.mark.parametrize("entry", [{"id": 12345, "kind": "customer", "name": "Contoso"},
                                   {"id": "9d3e22aa-0000-4000-8000-000000000002", "kind": None, "name": "Contoso"}])
def test_a_tenant_whose_id_or_kind_is_not_text_is_a_data_error(api, listed, entry):
    # a number where the tenant's UUID belongs would become a customer id the hub never saw
    api.page(None, json={"timestamp": "2025-05-01T06:00:00", "items": [entry]})
    with pytest.raises(VendorDataError, match="without id or kind"):
        listed()


def test_an_empty_page_ends_the_listing_even_with_a_cursor(api, listed, ids):
    api.page("tenants_page1.json")
    api.page(None, after="bWFnaWMtY3Vyc29yLTI",
             json={"timestamp": "2025-05-01T06:00:00", "paging": {"cursors": {"after": "eW91LWFyZS1kb25l"}},
                   "items": []})
    assert sorted(listed()) == [ids.C1, ids.C2]


def test_a_repeated_cursor_is_a_data_error_not_an_endless_loop(api, listed, load):
    api.page("tenants_page1.json")
    looping = load("tenants_page2.json")
    looping["paging"]["cursors"]["after"] = "bWFnaWMtY3Vyc29yLTI"
    api.page(None, after="bWFnaWMtY3Vyc29yLTI", json=looping)
    with pytest.raises(VendorDataError, match="repeats an earlier cursor"):
        listed()


def test_an_entry_without_kind_is_a_data_error(api, listed, load):
    page = load("tenants_page3.json")
    del page["items"][0]["kind"]
    api.page(None, json=page)
    with pytest.raises(VendorDataError, match="without id or kind"):
        listed()


def test_the_hook_is_a_lazy_generator(api, config, session, ids):
    """Nothing is requested before the hub iterates, and page 1 is yielded before page 2 is asked for."""
    listing = plugin.hub_list_customers(config, session)
    assert inspect.isgenerator(listing)
    assert not api.rsps.calls
    api.token()
    api.client_lookup()
    api.all_pages()
    first = next(listing)
    assert first.external_id == ids.C1
    assert len(api.calls_to("/tenants")) == 1
    assert len(list(listing)) == 4

