"""The HTTP session the hub hands to every vendor plugin.

One ``VendorSession`` per vendor integration and run. It adds what every vendor client needs and
nobody should write twice: timeouts, retries with backoff on 429/5xx and connection errors that honour
``Retry-After``, a rate limit kept across threads, a User-Agent, bounded fan-out, and secrets kept out
of logs and error messages.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import email.utils
import itertools
import json
import logging
import math
import random
import re
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Callable, Iterable, Iterator, Mapping, TypeVar

import requests

from .errors import VendorAuthError, VendorConfigError, VendorDataError, VendorUnavailableError

log = logging.getLogger("hub.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def is_unavailable_status(status: int) -> bool:
    """A final status that means "try again later": 408, 429 and any 5xx."""
    return status in (408, 429) or 500 <= status <= 599
#: the connection failed, timed out, or broke off in the middle of a body: worth retrying
TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
INVALID_URL = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)
T = TypeVar("T")
R = TypeVar("R")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: ``"5"``, ``"60, 60"`` or an HTTP date.

    ``None`` when the header is missing or unreadable. An HTTP date holds a comma of its own
    (``Wed, 21 Oct 2015 07:28:00 GMT``), so only a number is cut at the first comma.
    """
    if not value or not value.strip():
        return None
    first = value.split(",")[0].strip()
    try:
        seconds = float(first)
    except ValueError:
        return _seconds_until(value.strip(), now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _seconds_until(http_date: str, now: float | None) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are always UTC
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Send:
    """One request as the rate limiters see it: when it was let go and when its answer was back.

    Its arrival at the vendor lies between the two, whatever the machine's load or the network did.
    """

    __slots__ = ("started", "done", "_clock")

    def __init__(self, started: float, clock: Callable[[], float]) -> None:
        self.started = started
        self.done: float | None = None
        self._clock = clock

    def finish(self) -> None:
        """The answer is back (or the request failed): from now on it cannot arrive any later.

        A request that failed before it was sent counts too: it may have reached the vendor."""
        if self.done is None:
            # never before the start: a sleep that does not really wait (the kit's) moves starts ahead
            self.done = max(self._clock(), self.started)
            with _FINISHED:
                _FINISHED.notify_all()


#: woken whenever a request finishes, for callers waiting on one still in flight
_FINISHED = threading.Condition()
#: seconds of slack for reading the clock on either side of a request (monotonic, but not exact)
CLOCK_SLACK = 0.001


class RateLimiter:
    """Keeps at most ``limit`` requests in any window of ``limit / rate`` seconds *at the vendor*,
    across all threads, whatever the CPU load.

    A request's arrival at the vendor lies between the moment we let it go and the moment its
    answer is back. So request ``i + limit`` is let go no sooner than ``window`` (and a millisecond of
    clock slack) after request ``i``'s answer came back: then any two arrivals ``limit`` requests apart
    are at least a window apart, and no sliding window can hold ``limit + 1`` of them, however late a
    thread woke or how long a request took to leave. The price is one response time per window
    instead of a fixed margin. Consecutive requests are also kept half a nominal interval apart, so a
    backlog drains as a steady stream rather than a burst.
    """

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        #: requests allowed per window; a rate under 1/s allows one request per 1/rate seconds
        self.limit = max(1, math.floor(rate)) if rate else 0
        self.window = self.limit / rate if rate else 0.0
        self.gap = self.window / self.limit / 2 if rate else 0.0
        self._clock, self._sleep = clock, sleep
        #: the last requests let go (fewer than ``limit`` once the next is being decided), oldest first
        self._recent: collections.deque[Send] = collections.deque()
        #: the latest answer among the requests older than those: the next may go a window after it
        self._settled = -math.inf
        self._last_start = -math.inf
        self._lock = threading.Lock()

    def acquire(self) -> Send | None:
        """Wait for a place; call ``finish()`` on the result when the request's answer is back."""
        return acquire_together(self)

    def _earliest(self, now: float) -> float | Send:
        """The earliest time from ``now`` the next request may go, or the request still in flight
        that must finish first (its answer decides when)."""
        recent = self._recent
        while len(recent) >= self.limit:
            if recent[0].done is None:
                return recent[0]
            self._settled = max(self._settled, recent.popleft().done)
        earliest = max(now, self._settled + self.window + CLOCK_SLACK)
        if recent:
            earliest = max(earliest, self._last_start + self.gap)
        return earliest


def acquire_together(*limiters: RateLimiter | None) -> Send | None:
    """Wait until every limiter allows a request, then record it in all of them at once.

    Returns the ``Send`` to ``finish()`` when the answer is back (None without any limit). Checked
    and recorded under all their locks together: a call queued on a stricter limit takes no place in
    the looser one until it really goes, so calls that need only the looser one are not held behind
    it. Pass the limiters in the same order everywhere (the locks are taken in it).
    """
    active = [limiter for limiter in limiters if limiter is not None and limiter.limit]
    if not active:
        return None
    clock, sleep = active[0]._clock, active[0]._sleep
    woke_for = -math.inf
    while True:
        in_flight = None
        with contextlib.ExitStack() as stack:
            for limiter in active:
                stack.enter_context(limiter._lock)
            # a sleep that does not really wait (the kit's) still counts as having waited
            now = max(clock(), woke_for)
            earliest = now
            for limiter in active:
                allowed = limiter._earliest(now)
                if isinstance(allowed, Send):
                    in_flight = allowed
                    break
                earliest = max(earliest, allowed)
            else:
                if earliest <= now:
                    send = Send(now, clock)
                    for limiter in active:
                        limiter._recent.append(send)
                        limiter._last_start = now
                    return send
        if in_flight is not None:
            with _FINISHED:  # its answer decides when the next may go; the timeout only re-checks
                _FINISHED.wait_for(lambda: in_flight.done is not None, timeout=1.0)
            continue
        sleep(earliest - now)  # then look again: another thread may have taken the place meanwhile
        woke_for = earliest


class Redactor:
    """Replaces every known secret value in a text with ``***``, also as it appears in a URL
    (percent-encoded, as requests sends it) or a form body (``+`` for spaces)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = set()
        for secret in secrets:
            if secret and len(secret) >= 3:
                forms |= {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
                          requests.utils.requote_uri(secret)}
        self.secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: object) -> str:
        text = str(text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class VendorSession(requests.Session):
    """``requests.Session`` with the hub's timeouts, retries, rate limit and redaction."""

    def __init__(
        self,
        *,
        user_agent: str = "msp-billing-hub",
        timeout: float | tuple[float, float] = (5.0, 30.0),
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_wait: float = 65.0,
        requests_per_second: float | None = None,
        rate_limits: Mapping[str, float] | None = None,
        max_concurrency: int = 4,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.headers["User-Agent"] = user_agent
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.max_concurrency = max(1, max_concurrency)
        if self.max_concurrency > requests.adapters.DEFAULT_POOLSIZE:
            # one kept-alive connection per worker thread, instead of urllib3 discarding the extras
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=self.max_concurrency)
            self.mount("https://", adapter)
            self.mount("http://", adapter)
        self.redact = Redactor(secrets)
        self.rate_limiter = RateLimiter(requests_per_second, clock=clock, sleep=sleep)
        #: stricter budgets for some calls, chosen per request with ``rate_key=``
        self.rate_limiters = {key: RateLimiter(rate, clock=clock, sleep=sleep)
                              for key, rate in (rate_limits or {}).items()}
        self._sleep = sleep
        #: the request this thread has in flight: its answer's headers finish it for the limiters
        self._in_flight = threading.local()
        self.hooks["response"].append(self._headers_arrived)
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._run_context: dict[str, object] = {}
        self._run_context_lock = threading.Lock()

    def run_context(self, key: str, factory: Callable[[], T]) -> T:
        """A value that lives as long as this run: ``factory()`` on the first call with ``key``, the
        same object after that, from any thread.

        The hub makes one session per sync run and passes it to ``hub_test_connection``,
        ``hub_list_customers`` and ``hub_fetch_license_counts`` in turn, so counts can reuse what the
        listing read (``session.run_context("orgs", dict)``) and never see an earlier run's data. A
        count called with a session that listed nothing finds the factory's empty value: fetch then.
        """
        with self._run_context_lock:
            if key not in self._run_context:
                self._run_context[key] = factory()
            return self._run_context[key]  # type: ignore[return-value]

    def request(self, method, url, *args, rate_key: str | None = None, **kwargs):  # type: ignore[override]
        """As ``requests.Session.request``; ``rate_key`` also applies that named rate limit."""
        kwargs.setdefault("timeout", self.timeout)
        extra_limiter = self.rate_limiters.get(rate_key) if rate_key else None
        if rate_key and extra_limiter is None:
            raise KeyError(f"no rate limit named {rate_key!r}; declare it in VendorInfo.rate_limits")
        attempt = 0
        while True:
            send = acquire_together(self.rate_limiter, extra_limiter)
            with self._count_lock:
                self.request_count += 1
            started = time.monotonic()
            self._in_flight.send = send
            try:
                response = super().request(method, url, *args, **kwargs)
            except INVALID_URL as err:
                raise VendorConfigError(f"{method} {self.redact(_path(str(url)))}: invalid URL "
                                        f"({type(err).__name__})", field="base_url") from None
            except TRANSPORT_ERRORS as err:
                kind = "timed out" if isinstance(err, requests.Timeout) else "could not connect"
                if attempt >= self.max_retries:
                    raise VendorUnavailableError(
                        f"{method} {self.redact(_path(url))} {kind} after {attempt + 1} attempts"
                    ) from None
                wait = self._backoff_wait(attempt)
            else:
                log.debug("%s %s -> %s in %.0f ms", method, self.redact(_path(url)), response.status_code,
                          (time.monotonic() - started) * 1000)
                if response.status_code not in RETRY_STATUSES:
                    return response
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if attempt >= self.max_retries or (retry_after or 0) > self.max_retry_wait:
                    return response
                wait = retry_after if retry_after is not None else self._backoff_wait(attempt)
            finally:
                self._in_flight.send = None
                if send is not None:  # its answer is back, or it failed: the limiters may count from here
                    send.finish()
            attempt += 1
            log.info("retrying %s %s in %.1f s (attempt %d)", method, self.redact(_path(url)), wait, attempt + 1)
            self._sleep(wait)

    def _headers_arrived(self, response, *args, **kwargs):
        """The vendor has answered, so the request has arrived: the limiters need not wait for the
        body (a page of thousands of records takes a while to read)."""
        send = getattr(self._in_flight, "send", None)
        if send is not None:
            send.finish()
        return response

    def _backoff_wait(self, attempt: int) -> float:
        return self.backoff * (2**attempt) * (1 + random.random() / 4)

    def map_concurrent(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Run ``fn`` over ``items`` with at most ``max_concurrency`` calls in flight, in order.

        The rate limit still holds: every request of every thread passes the same limiter. Work is
        handed out only a little ahead of the results read, so when one call raises (the vendor
        refused us) or the caller stops reading, no more than that little extra was started.
        """
        items = list(items)
        if self.max_concurrency == 1 or len(items) <= 1:
            yield from map(fn, items)
            return
        ahead = 2 * self.max_concurrency
        pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="hub-vendor")
        try:
            pending = collections.deque(pool.submit(fn, item) for item in items[:ahead])
            upcoming = iter(items[ahead:])
            while pending:
                result = pending.popleft().result()
                for item in itertools.islice(upcoming, 1):
                    pending.append(pool.submit(fn, item))
                yield result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _path(url: str) -> str:
    """The URL without its query string: vendors put ids and sometimes keys there."""
    return url.split("?", 1)[0]


def raise_for_vendor_status(response: requests.Response, session: VendorSession | None = None,
                            detail: str | None = None) -> requests.Response:
    """Map a final HTTP status to the hub's error taxonomy; return the response when it is 2xx/3xx.

    401/403 -> VendorAuthError; 408/429/5xx -> VendorUnavailableError (with retry_after);
    404 -> VendorConfigError; other 4xx -> VendorDataError. ``detail`` is added to the message
    (pass the vendor's error text), redacted by ``session``.
    """
    status = response.status_code
    if status < 400:
        return response
    redact = session.redact if session else str
    where = f"{response.request.method if response.request else 'GET'} {redact(_path(response.url or ''))}"
    text = f"{where} answered HTTP {status}" + (f": {redact(detail)}" if detail else "")
    if status in (401, 403):
        raise VendorAuthError(text, status=status)
    if is_unavailable_status(status):
        raise VendorUnavailableError(text, status=status,
                                     retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 404:
        raise VendorConfigError(text, status=status)
    raise VendorDataError(text, status=status)


_DECIMAL = re.compile(r'"\\u0000dec:(-?[0-9.]+)"')


def dumps_exact(body: object) -> str:
    """JSON with every ``Decimal`` written as a number with exactly its digits (no float on the way):
    money for accounting APIs, which read JSON numbers."""
    def mark(value: object) -> object:
        if isinstance(value, Decimal):
            return f"\0dec:{value}"
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    return _DECIMAL.sub(r"\1", json.dumps(body, default=mark))


def json_or_data_error(response: requests.Response, session: VendorSession | None = None):
    """Decode a JSON body or raise VendorDataError naming the call."""
    try:
        return response.json()
    except ValueError:
        redact = session.redact if session else str
        raise VendorDataError(f"{redact(_path(response.url or ''))} returned malformed JSON "
                              f"(HTTP {response.status_code})") from None
