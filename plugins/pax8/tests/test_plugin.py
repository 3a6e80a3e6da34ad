"""Companies and subscriptions become customers and counts: the parts the fact sheet marks easy to get wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.plugins import CountFailure, CustomerStatus, VendorAuthError, VendorDataError, VendorUnavailableError
from hub_pax8 import listing
from hub_pax8.client import Pax8Client
from hub_pax8.products import map_skus
from hub_pax8.schema import Pax8Config

M365_BP = "4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c01"
DEFENDER = "4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c04"
CO_A = "2aa4862a-0000-4000-8000-00000000000a"
CO_B = "2aa4862a-0000-4000-8000-00000000000b"


def products(api, *ids):
    for product_id in ids:
        api.get(f"/products/{product_id}", json={"id": product_id, "name": "Microsoft 365 Business Premium",
                                                 "vendorName": "Microsoft", "sku": "MST-365-BP"})


def run(config, session):
    customers = list(listing.list_customers(config, session))
    counts, failures = {}, {}
    for item in listing.license_counts(config, session, customers):
        if isinstance(item, CountFailure):
            failures[item.customer_external_id] = item.message
        else:
            counts.setdefault(item.customer_external_id, {})[item.sku] = item.quantity
    return {c.external_id: c for c in customers}, counts, failures


def test_token_is_asked_with_a_json_body_and_the_audience_and_reused(api, config, session, company, page_of):
    api.token()
    api.get("/companies", params={"page": "0", "size": "200"}, json=page_of([company(CO_A, "A")]))
    api.get("/subscriptions", params={"page": "0", "size": "200"}, json=page_of([]))
    run(config, session)
    token_calls = [c for c in api.rsps.calls if c.request.method == "POST"]
    assert len(token_calls) == 1
    assert token_calls[0].request.headers["Content-Type"] == "application/json"
    assert "Authorization" not in token_calls[0].request.headers  # not HTTP Basic


def test_expires_in_is_relative_and_the_token_is_renewed_before_it(api, config, session):
    api.token("tok-1", expires_in=3600)
    api.token("tok-2", expires_in=3600)
    now = [1000.0]
    client = Pax8Client(config, session, clock=lambda: now[0])
    assert client.access_token() == "tok-1"
    now[0] += 3000  # an hour's token is still good after 50 minutes
    assert client.access_token() == "tok-1"
    now[0] += 400  # within 5 minutes of its end: renewed before it expires
    assert client.access_token() == "tok-2"


def test_a_401_reissues_the_token_once(api, config, session, company, page_of):
    api.token("tok-1")
    api.token("tok-2")
    api.get("/companies", status=401, json={"type": "UNAUTHORIZED", "message": "expired", "status": 401})
    api.get("/companies", token="tok-2", json=page_of([company(CO_A, "A")]))
    assert [c.external_id for c in listing.list_customers(config, session)] == [CO_A]


def test_refused_credentials_are_an_auth_error(api, config, session):
    api.token(status=401, json={"error": "access_denied", "error_description": "Unauthorized"})
    with pytest.raises(VendorAuthError, match="access_denied"):
        list(listing.list_customers(config, session))


def test_pages_start_at_zero_and_are_read_to_the_last(api, config, session, company, page_of):
    api.token()
    api.get("/companies", params={"page": "0", "size": "200"},
            json=page_of([company(CO_A, "A")], number=0, pages=2, total=2))
    api.get("/companies", params={"page": "1", "size": "200"},
            json=page_of([company(CO_B, "B")], number=1, pages=2, total=2))
    assert [c.external_id for c in listing.list_customers(config, session)] == [CO_A, CO_B]


def test_a_listing_short_of_total_elements_is_refused(api, config, session, company, page_of):
    api.token()
    api.get("/companies", json=page_of([company(CO_A, "A")], pages=1, total=5))
    with pytest.raises(VendorDataError, match="reported 5 items"):
        list(listing.list_customers(config, session))


def test_deleted_companies_are_gone_and_inactive_ones_suspended(api, config, session, company, page_of):
    api.token()
    api.get("/companies", json=page_of([company(CO_A, "A", status="Deleted"), company(CO_B, "B", status="Inactive")]))
    customers = list(listing.list_customers(config, session))
    assert [(c.external_id, c.status) for c in customers] == [(CO_B, CustomerStatus.SUSPENDED)]


def test_monthly_and_annual_subscriptions_to_one_product_add_up(api, config, session, company, subscription,
                                                               page_of):
    api.token()
    api.get("/companies", json=page_of([company(CO_A, "A")]))
    api.get("/subscriptions", json=page_of([
        subscription("s1", CO_A, quantity=12),
        subscription("s2", CO_A, quantity=5, billingTerm="Annual", commitmentTerm={"term": "1-Year"}),
        subscription("s3", CO_A, quantity=2.5, product_id=DEFENDER),
    ]))
    products(api, M365_BP, DEFENDER)
    _, counts, _ = run(config, session)
    assert counts[CO_A] == {M365_BP: Decimal(17), DEFENDER: Decimal("2.5")}


@pytest.mark.parametrize("status, counted", [("Active", True), ("PendingCancel", True), ("Activated", True),
                                             ("Cancelled", False), ("Trial", False), ("Converted", False),
                                             ("PendingManual", False), ("WaitingForDetails", False),
                                             ("PendingActivation", False)])
def test_only_billable_statuses_count(api, config, session, company, subscription, page_of, status, counted):
    api.token()
    api.get("/companies", json=page_of([company(CO_A, "A")]))
    api.get("/subscriptions", json=page_of([subscription("s1", CO_A, quantity=7, status=status)]))
    if counted:
        products(api, M365_BP)
    _, counts, _ = run(config, session)
    assert counts.get(CO_A, {}).get(M365_BP) == (Decimal(7) if counted else None)


def test_billable_statuses_are_a_setting_checked_at_entry():
    loaded = Pax8Config().load({"client_id": "a", "client_secret": "b", "billable_statuses": "active, trial"})
    assert loaded["billable_statuses"] == "Active,Trial"
    with pytest.raises(Exception, match="unknown status"):
        Pax8Config().load({"client_id": "a", "client_secret": "b", "billable_statuses": "Actve"})


def test_an_unreadable_quantity_fails_that_company_only(api, config, session, company, subscription, page_of):
    api.token()
    api.get("/companies", json=page_of([company(CO_A, "A"), company(CO_B, "B")]))
    api.get("/subscriptions", json=page_of([subscription("s1", CO_A, quantity="12"),
                                            subscription("s2", CO_B, quantity=3)]))
    products(api, M365_BP)
    _, counts, failures = run(config, session)
    assert "not a count" in failures[CO_A] and counts[CO_B] == {M365_BP: 3}


def test_products_are_named_once_per_run_and_a_missing_one_keeps_its_id(api, config, session, company,
                                                                       subscription, page_of):
    api.token()
    api.get("/companies", json=page_of([company(CO_A, "A"), company(CO_B, "B")]))
    api.get("/subscriptions", json=page_of([subscription("s1", CO_A), subscription("s2", CO_B),
                                            subscription("s3", CO_B, product_id=DEFENDER)]))
    products(api, M365_BP)
    api.get(f"/products/{DEFENDER}", status=404, json={"type": "NOT_FOUND", "message": "gone", "status": 404})
    run(config, session)
    assert sum(1 for c in api.rsps.calls if M365_BP in c.request.url) == 1
    named = {m.sku: m.name for m in map_skus([M365_BP, "not-a-pax8-sku"])}
    assert named == {M365_BP: "Microsoft 365 Business Premium (Microsoft)"}


def test_429_without_headers_is_unavailable_after_backing_off(api, config, session):
    api.token()
    for _ in range(4):
        api.get("/companies", status=429, json={"type": "TOO_MANY_REQUESTS", "message": "slow", "status": 429})
    with pytest.raises(VendorUnavailableError):
        list(listing.list_customers(config, session))


def test_each_count_carries_the_terms_of_its_subscriptions_in_a_stable_order(api, config, session, company,
                                                                             subscription, page_of):
    annual = {"billingTerm": "Annual", "commitmentTerm": {"id": "ct1", "term": "1-Year",
                                                          "endDate": "2026-01-01T00:00:00Z"}}
    api.token()
    api.get("/companies", json=page_of([company(CO_A, "A"), company(CO_B, "B")]))
    api.get("/subscriptions", json=page_of([
        subscription("s1", CO_A, quantity=5, **annual),  # listed before the Monthly ones: order is Pax8's
        subscription("s2", CO_A, quantity=10),
        subscription("s3", CO_A, quantity=2),
        subscription("s4", CO_A, quantity=3, **annual),
        subscription("s5", CO_A, quantity=1, billingTerm="3-Year"),
        subscription("s6", CO_B, quantity=2.5, product_id=DEFENDER),
    ]))
    products(api, M365_BP, DEFENDER)
    customers = list(listing.list_customers(config, session))
    extras = {(c.customer_external_id, c.sku): dict(c.extra)
              for c in listing.license_counts(config, session, customers)}
    assert extras == {(CO_A, M365_BP): {"terms": "12 Monthly + 8 Annual (1-Year, ends 2026-01-01) + 1 3-Year"},
                      (CO_B, DEFENDER): {"terms": "2.5 Monthly"}}


def test_terms_text_does_not_depend_on_the_order_subscriptions_come_in():
    monthly, annual = ("Monthly", "", ""), ("Annual", "3-Year", "2027-03-01")
    odd = ("Quarterly", "", "")  # not a documented term: after the documented ones
    one = listing.describe_terms({odd: Decimal(1), annual: Decimal("4.50"), monthly: Decimal(3)})
    other = listing.describe_terms({monthly: Decimal(3), odd: Decimal(1), annual: Decimal("4.50")})
    assert one == other == "3 Monthly + 4.5 Annual (3-Year, ends 2027-03-01) + 1 Quarterly"


def _sequential_listing(pages: dict[int, dict]) -> tuple[list[str], str | None]:
    """The obvious reading of a page/size listing, one page after another (how ``paged`` read before it
    fetched ahead): the ids it yields and the error it ends with."""
    seen, out, number, total = set(), [], 0, None
    while True:
        body = pages[number]
        for item in body["content"]:
            if item["id"] not in seen:
                seen.add(item["id"])
                out.append(item["id"])
        total, count = body["page"]["totalElements"], body["page"]["totalPages"]
        if not body["content"] or number + 1 >= count:
            break
        number += 1
    return out, (None if total == len(seen) else f"reported {total} items")


def _layouts():
    """Listings of varied shapes: one page, many, a row repeated across pages, a listing that grew
    while it was read, an empty page before the last, a total that does not add up."""
    ids = [f"2aa4862a-0000-4000-8000-{n:012d}" for n in range(40)]

    def listing(chunks, totals=None, counts=None):
        counts = counts or [len(chunks)] * len(chunks)
        totals = totals or [len({i for chunk in chunks for i in chunk})] * len(chunks)
        return {n: _page_body([{"id": i, "name": i} for i in chunk], n, counts[n], totals[n])
                for n, chunk in enumerate(chunks)}

    yield listing([ids[:3]])
    yield listing([ids[k:k + 3] for k in range(0, 30, 3)])
    yield listing([ids[0:3], ids[2:5], ids[5:8]])
    yield listing([ids[0:3], ids[3:6], ids[6:9]], totals=[6, 9, 9], counts=[2, 3, 3])
    yield listing([ids[0:3], [], ids[3:6], ids[6:9]], totals=[12, 12, 12, 12])
    yield listing([ids[0:3], ids[3:6]], totals=[7, 7])


def _page_body(content, number, pages, total):
    return {"content": content, "page": {"size": 200, "number": number, "totalPages": pages,
                                         "totalElements": total}}


@pytest.mark.parametrize("layout", list(_layouts()))
def test_pages_fetched_ahead_read_like_one_after_another(config, handle, layout, monkeypatch):
    """``paged`` fetches the pages after page 0 a few at a time; what it yields and refuses is what
    reading them one after another gives, in the same order."""
    expected, error = _sequential_listing(layout)
    asked = []
    with handle.make_session(config, sleep=lambda seconds: None) as session:
        assert session.max_concurrency > 1
        client = Pax8Client(config, session)
        monkeypatch.setattr(client, "get", lambda path, params: asked.append(params["page"]) or layout[params["page"]])
        got = []
        if error:
            with pytest.raises(VendorDataError, match=error):
                got.extend(item["id"] for item in client.paged("/companies"))
        else:
            got = [item["id"] for item in client.paged("/companies")]
    assert got == expected
    assert asked[0] == 0 and sorted(asked) == sorted(set(asked))  # page 0 first, no page twice
