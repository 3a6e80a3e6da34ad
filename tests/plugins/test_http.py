"""VendorSession and its helpers, against `responses` (the vendor boundary) and a fake clock."""

from __future__ import annotations

import email.utils
import logging
import threading
import time

import pytest
import requests
import responses

from hub.plugins import (
    VendorAuthError,
    VendorConfigError,
    VendorDataError,
    VendorSession,
    VendorUnavailableError,
    json_or_data_error,
    parse_retry_after,
    raise_for_vendor_status,
)

URL = "https://api.vendor.example/v1/customers"
SECRET = "s3cr3t|Key/with+chars^"  # | and ^ are percent-encoded in a URL


class FakeClock:
    """``clock`` and ``sleep`` for a session: sleeping moves the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def fake_clock():
    return FakeClock()


@pytest.fixture
def session(fake_clock):
    with VendorSession(sleep=fake_clock.sleep, clock=fake_clock.clock, max_retries=3, backoff=0.5,
                       secrets=[SECRET], user_agent="msp-billing-hub/9.9 acme/1.0") as s:
        yield s


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# -- timeouts and connection errors ---------------------------------------------------------------


@pytest.mark.parametrize(("error", "words"), [
    (requests.ReadTimeout("read timed out"), "timed out after 4 attempts"),
    (requests.ConnectionError("refused"), "could not connect after 4 attempts"),
    (requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
     "could not connect after 4 attempts"),
])
def test_transport_errors_become_unavailable_after_retries(session, api, fake_clock, error, words):
    api.add(responses.GET, URL, body=error)
    with pytest.raises(VendorUnavailableError, match=words):
        session.get(URL)
    assert len(api.calls) == 4
    # exponential backoff with up to 25% jitter: 0.5, 1, 2
    assert [round(s / b, 1) <= 1.25 and s >= b for s, b in zip(fake_clock.sleeps, [0.5, 1, 2])] == [True] * 3


def test_timeout_then_success(session, api):
    api.add(responses.GET, URL, body=requests.ConnectTimeout("slow"))
    api.add(responses.GET, URL, json={"items": []})
    assert session.get(URL).json() == {"items": []}


def test_session_timeout_is_applied_unless_the_call_sets_one(session, api):
    api.add(responses.GET, URL, json={})
    session.get(URL)
    session.get(URL, timeout=2)
    assert [c.request.req_kwargs["timeout"] for c in api.calls] == [(5.0, 30.0), 2]


def test_a_malformed_base_url_is_a_config_error(session):
    with pytest.raises(VendorConfigError, match="invalid URL"):
        session.get("htp//no-scheme.example/api")


# -- 429 and Retry-After --------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "wait"), [("3", 3.0), ("60, 60", 60.0), ("0", 0.0)])
def test_429_retry_after_is_honoured(session, api, fake_clock, header, wait):
    api.add(responses.GET, URL, status=429, headers={"Retry-After": header})
    api.add(responses.GET, URL, json={"ok": True})
    assert session.get(URL).json() == {"ok": True}
    assert fake_clock.sleeps == [wait]


def test_429_retry_after_as_http_date(session, api, fake_clock):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)  # "Wed, 21 Oct 2026 07:28:00 GMT"
    api.add(responses.GET, URL, status=429, headers={"Retry-After": when})
    api.add(responses.GET, URL, json={})
    session.get(URL)
    assert len(fake_clock.sleeps) == 1 and 27 <= fake_clock.sleeps[0] <= 31


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), ("60, 60", 60.0), (" 7 ", 7.0), ("-5", 0.0),
    ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0), ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ("soon", None), ("", None), (None, None), ("inf", None), ("nan", None),
])
def test_parse_retry_after(value, seconds):
    now = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    assert parse_retry_after(value, now=now) == seconds


def test_retry_after_over_the_cap_is_returned_not_slept(session, api, fake_clock):
    api.add(responses.GET, URL, status=429, headers={"Retry-After": "3600"})
    response = session.get(URL)
    assert response.status_code == 429 and len(api.calls) == 1 and fake_clock.sleeps == []
    with pytest.raises(VendorUnavailableError) as err:
        raise_for_vendor_status(response, session)
    assert err.value.retry_after == 3600 and err.value.status == 429


def test_429_until_retries_run_out_carries_retry_after(session, api, fake_clock):
    api.add(responses.GET, URL, status=429, headers={"Retry-After": "2"})
    response = session.get(URL)
    assert len(api.calls) == 4 and fake_clock.sleeps == [2, 2, 2]
    with pytest.raises(VendorUnavailableError) as err:
        raise_for_vendor_status(response, session)
    assert err.value.retry_after == 2


# -- 5xx ------------------------------------------------------------------------------------------


def test_5xx_then_success(session, api, fake_clock):
    api.add(responses.GET, URL, status=503)
    api.add(responses.GET, URL, status=502)
    api.add(responses.GET, URL, json={"items": [1]})
    assert session.get(URL).json() == {"items": [1]}
    assert len(api.calls) == 3 and len(fake_clock.sleeps) == 2


@pytest.mark.parametrize(("status", "error"), [
    (401, VendorAuthError), (403, VendorAuthError), (404, VendorConfigError), (400, VendorDataError),
    (422, VendorDataError), (408, VendorUnavailableError), (429, VendorUnavailableError),
    (500, VendorUnavailableError), (501, VendorUnavailableError), (503, VendorUnavailableError),
    (520, VendorUnavailableError),
])
def test_raise_for_vendor_status_maps_each_status(session, api, status, error):
    api.add(responses.GET, URL, status=status)
    response = session.get(URL)
    with pytest.raises(error) as err:
        raise_for_vendor_status(response, session)
    assert err.value.status == status and f"HTTP {status}" in err.value.message


def test_success_passes_through(session, api):
    api.add(responses.GET, URL, json={"a": 1})
    response = session.get(URL)
    assert raise_for_vendor_status(response, session) is response


def test_malformed_json_is_a_data_error(session, api):
    api.add(responses.GET, URL, body='{"items": [', content_type="application/json")
    with pytest.raises(VendorDataError, match="customers returned malformed JSON"):
        json_or_data_error(session.get(URL), session)


# -- rate limits ----------------------------------------------------------------------------------


def test_rate_limit_spaces_requests(api, fake_clock):
    api.add(responses.GET, URL, json={})
    sent = []
    with VendorSession(requests_per_second=4, sleep=fake_clock.sleep, clock=fake_clock.clock) as s:
        s.hooks["response"].append(lambda r, *a, **k: sent.append(fake_clock.now))
        for _ in range(5):
            s.get(URL)
    # four go out within the first window (half an interval apart); the fifth waits until a second
    # (and a millisecond of clock slack) has passed since the first one's answer came back
    assert [round(t - sent[0], 4) for t in sent] == [0, 0.125, 0.25, 0.375, 1.001]


def test_rate_limit_counts_actual_send_times_not_booked_ones(api):
    """A thread that wakes late must not land next to one that woke on time (the old limiter booked
    send times 1/rate apart in advance, so a late waker's request arrived close to the next one)."""
    api.add(responses.GET, URL, json={})
    now = [0.0]
    late = iter([0.09] + [0.0] * 20)  # the first wait oversleeps by 90 ms, as on a loaded machine
    sent = []

    def sleep(seconds: float) -> None:
        now[0] += seconds + next(late)

    with VendorSession(requests_per_second=10, sleep=sleep, clock=lambda: now[0]) as s:
        s.hooks["response"].append(lambda r, *a, **k: sent.append(now[0]))
        for _ in range(12):
            s.get(URL)
    assert all(sent[i + 10] - sent[i] >= 1.0 for i in range(len(sent) - 10)), sent


def test_named_rate_limit_holds_alongside_the_key_wide_one(api, fake_clock):
    api.add(responses.GET, URL, json={})
    sent = []
    with VendorSession(requests_per_second=3, rate_limits={"licensing": 2}, sleep=fake_clock.sleep,
                       clock=fake_clock.clock) as s:
        for n in range(8):
            key = "licensing" if n % 2 else None
            s.get(URL, rate_key=key)
            sent.append((key, fake_clock.now))
    times = [t for _, t in sent]
    licensing = [t for k, t in sent if k]
    # no second holds more than 3 calls, nor more than 2 licensing calls
    assert all(times[i + 3] - times[i] >= 1.0 for i in range(len(times) - 3))
    assert all(licensing[i + 2] - licensing[i] >= 1.0 for i in range(len(licensing) - 2))


def test_unknown_rate_key_is_a_plugin_bug(session):
    with pytest.raises(KeyError, match="no rate limit named 'licencing'"):
        session.get(URL, rate_key="licencing")


def test_rate_limit_holds_across_threads(api, fake_clock):
    api.add(responses.GET, URL, json={})
    with VendorSession(requests_per_second=5, max_concurrency=4, sleep=fake_clock.sleep,
                       clock=fake_clock.clock) as s:
        list(s.map_concurrent(lambda _: s.get(URL), range(10)))
    # five fit in the first second; the sixth to tenth waited for the next one
    assert len(api.calls) == 10 and fake_clock.now - 1000.0 >= 1.0


# -- redaction and identity -----------------------------------------------------------------------


def test_secrets_are_redacted_from_logs_and_errors(session, api, caplog):
    url = f"https://api.vendor.example/v1/keys/{SECRET}/usage"
    encoded = requests.utils.requote_uri(url)
    api.add(responses.GET, encoded, status=503)
    caplog.set_level(logging.DEBUG, logger="hub.http")
    response = session.get(url)
    with pytest.raises(VendorUnavailableError) as err:
        raise_for_vendor_status(response, session, detail=f"key {SECRET} is over quota")
    texts = [r.getMessage() for r in caplog.records] + [str(err.value)]
    assert texts and all(SECRET not in t and "s3cr3t" not in t for t in texts), texts
    assert "***" in str(err.value)


def test_secrets_are_redacted_from_transport_errors(session, api):
    url = f"https://api.vendor.example/v1/keys/{SECRET}"
    api.add(responses.GET, requests.utils.requote_uri(url), body=requests.ConnectionError("boom"))
    with pytest.raises(VendorUnavailableError) as err:
        session.get(url)
    assert "s3cr3t" not in str(err.value) and "***" in str(err.value)


def test_query_strings_never_reach_the_log(session, api, caplog):
    api.add(responses.GET, URL, json={})
    caplog.set_level(logging.DEBUG, logger="hub.http")
    session.get(URL, params={"apikey": "abc-unflagged-value"})
    assert caplog.records and all("abc-unflagged-value" not in r.getMessage() for r in caplog.records)


def test_user_agent_names_hub_and_plugin(session, api):
    api.add(responses.GET, URL, json={},
            match=[responses.matchers.header_matcher({"User-Agent": "msp-billing-hub/9.9 acme/1.0"})])
    session.get(URL)


# -- bounded fan-out ------------------------------------------------------------------------------


def test_map_concurrent_keeps_order_and_bounds_concurrency():
    in_flight, peak, lock = 0, 0, threading.Lock()

    def work(n):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.002)
        with lock:
            in_flight -= 1
        return n * n

    with VendorSession(max_concurrency=3) as s:
        assert list(s.map_concurrent(work, range(40))) == [n * n for n in range(40)]
    assert 1 < peak <= 3


def test_map_concurrent_stops_starting_work_after_a_failure():
    started = []

    def work(n):
        started.append(n)
        if n == 0:
            raise VendorAuthError("refused")
        time.sleep(0.001)
        return n

    with VendorSession(max_concurrency=4) as s, pytest.raises(VendorAuthError):
        list(s.map_concurrent(work, range(500)))
    # work is handed out at most 2 x max_concurrency ahead of the results read
    assert len(started) <= 9, f"{len(started)} calls started after the vendor refused us"


def test_map_concurrent_abandoned_early_does_not_run_the_rest():
    started = []
    with VendorSession(max_concurrency=2) as s:
        results = s.map_concurrent(lambda n: started.append(n) or n, range(300))
        assert next(results) == 0
        results.close()
    assert len(started) <= 5


def test_wide_fan_out_gets_a_connection_per_worker():
    with VendorSession(max_concurrency=16) as s:
        assert s.get_adapter("https://api.vendor.example")._pool_maxsize == 16


# -- per-run context ------------------------------------------------------------------------------


def test_run_context_is_one_value_per_key_for_the_life_of_the_session():
    made = []

    def factory():
        made.append(1)
        return {}

    with VendorSession() as run, VendorSession() as next_run:
        seen = []
        threads = [threading.Thread(target=lambda: seen.append(run.run_context("orgs", factory))) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(made) == 1 and all(value is seen[0] for value in seen)  # one value, from every thread
        seen[0]["eid-1"] = "what the listing read"
        assert run.run_context("orgs", dict) == {"eid-1": "what the listing read"}
        assert next_run.run_context("orgs", dict) == {}  # a new run starts empty
