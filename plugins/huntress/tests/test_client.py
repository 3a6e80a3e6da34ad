"""The Huntress client against recorded-shape answers (``responses``): auth, paging, errors."""

from __future__ import annotations

import pytest
import responses

from hub.plugins import VendorAuthError, VendorDataError, VendorUnavailableError
from hub_huntress.client import HuntressClient

API = "https://api.huntress.io/v1"


def listed(config, session):
    return [org["id"] for org in HuntressClient(config, session).organizations()]


def test_basic_auth_with_key_and_secret_not_bearer(api, config, session):
    api.get("/account", json={"account": {"id": 440, "name": "Northwind", "subdomain": "nw", "status": "enabled"}})
    assert HuntressClient(config, session).account()["name"] == "Northwind"
    sent = api.rsps.calls[0].request.headers["Authorization"]
    assert sent.startswith("Basic ") and "Bearer" not in sent


def test_reads_every_page_by_token_to_the_last(api, config, session, organization, page):
    api.get("/organizations", params={"limit": "500"},
            json=page([organization(1, "A"), organization(2, "B")], total=5, token="t2"))
    api.get("/organizations", params={"limit": "500", "page_token": "t2"},
            json=page([organization(3, "C"), organization(4, "D")], total=5, token="t3", current=2))
    api.get("/organizations", params={"limit": "500", "page_token": "t3"},
            json=page([organization(5, "E")], total=5, current=3))
    assert listed(config, session) == [1, 2, 3, 4, 5]


def test_numbered_paging_is_followed_when_no_token_is_given(api, config, session, organization, page):
    first = page([organization(1, "A")], total=2)
    first["pagination"].update(next_page=2, next_page_token=None)
    api.get("/organizations", params={"limit": "500"}, json=first)
    api.get("/organizations", params={"limit": "500", "page": "2"},
            json=page([organization(2, "B")], total=2, current=2))
    assert listed(config, session) == [1, 2]


def test_a_listing_shorter_than_the_reported_total_is_refused(api, config, session, organization, page):
    """The last page came, but the vendor dropped organizations: never a complete listing."""
    api.get("/organizations", json=page([organization(1, "A"), organization(2, "B")], total=3))
    with pytest.raises(VendorDataError, match="reported 3 organizations but the pages held 2"):
        listed(config, session)


def test_a_repeated_page_token_is_a_paging_loop(api, config, session, organization, page):
    api.get("/organizations", params={"limit": "500"}, json=page([organization(1, "A")], total=9, token="t"))
    api.get("/organizations", params={"limit": "500", "page_token": "t"},
            json=page([organization(2, "B")], total=9, token="t"))
    with pytest.raises(VendorDataError, match="repeated a page token"):
        listed(config, session)


def test_401_is_an_auth_error(api, config, session):
    api.get("/account", status=401, json={"errors": ["Unauthorized"]})
    with pytest.raises(VendorAuthError):
        HuntressClient(config, session).account()


def test_429_without_retry_after_waits_out_the_one_minute_window(api, config, session, sleeps):
    for _ in range(4):  # the first try and the session's three retries
        api.get("/organizations", status=429, json={"errors": ["Rate limit exceeded"]})
    with pytest.raises(VendorUnavailableError) as caught:
        listed(config, session)
    assert caught.value.retry_after == 60


def test_429_with_retry_after_is_honoured(api, config, session, sleeps, organization, page):
    api.get("/organizations", status=429, headers={"Retry-After": "12"}, json={"errors": ["slow down"]})
    api.get("/organizations", json=page([organization(1, "A")], total=1))
    assert listed(config, session) == [1]
    assert 12 in sleeps


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_unavailable(api, config, session, status):
    for _ in range(4):
        api.get("/organizations", status=status, body="<html>oops</html>")
    with pytest.raises(VendorUnavailableError):
        listed(config, session)


@pytest.mark.parametrize("body", ["<html>maintenance</html>", '{"orgs": []}', '{"organizations": {}}',
                                  '{"organizations": [1, 2]}'])
def test_unreadable_listing_is_a_data_error(api, config, session, body):
    api.get("/organizations", body=body, headers={"Content-Type": "application/json"})
    with pytest.raises(VendorDataError):
        listed(config, session)


def test_secret_never_in_error_text(api, config, session):
    api.get("/account", status=403, json={"errors": ["key hk_0123456789abcdef:hs_s3cret-Huntress! is read-only"]})
    with pytest.raises(VendorAuthError) as caught:
        HuntressClient(config, session).account()
    assert "hs_s3cret-Huntress!" not in str(caught.value)


def test_requests_stay_inside_60_a_minute_on_the_vendors_clock(handle, config):
    """Counted where Huntress counts: the arrival time of each request, in every sliding minute."""
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    arrivals = []

    def answer(request):
        arrivals.append(now[0])
        now[0] += 0.01  # the network
        return 200, {}, '{"account": {"id": 1, "name": "A"}}'

    with responses.RequestsMock() as rsps, handle.make_session(config, sleep=sleep, clock=lambda: now[0]) as s:
        rsps.add_callback(responses.GET, API + "/account", callback=answer)
        client = HuntressClient(config, s)
        for _ in range(150):
            client.account()
    worst = max(sum(1 for t in arrivals if start <= t < start + 60) for start in arrivals)
    assert len(arrivals) == 150
    assert worst <= 60, f"{worst} requests inside one minute"
