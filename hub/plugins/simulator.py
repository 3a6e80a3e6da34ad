"""Shared knobs for vendor simulators (the fake APIs plugins ship for demo mode and tests).

A simulator is a WSGI app returned by ``DemoSimulator.make_app(customers)``. It must carry a
``faults`` attribute holding a :class:`Faults`; the hub's conformance kit and demo mode flip these
to make the vendor misbehave the way real vendors do, without knowing the vendor's API.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterable, Protocol


@dataclass
class Faults:
    #: refuse every credential (the vendor's own 401/403 shape)
    auth: bool = False
    #: answer every call with this 5xx status (e.g. 503)
    unavailable: int | None = None
    #: answer every call with 429 and this ``Retry-After`` (seconds)
    rate_limit_retry_after: int | None = None
    #: break the customer listing after its first page (or first level) in the vendor's way
    #: (a page that never comes: 500 on the next-page request, or a truncated body)
    cut_listing: bool = False
    #: leave one customer out of the listing while the answer's own totals (a ``total``, a page
    #: count) still count it. Only a simulator whose API reports such totals can honour it; it says
    #: so with ``reports_listing_totals = True`` on its app (the kit skips the check otherwise)
    short_listing: bool = False
    #: answer the customer listing with a body that is not valid JSON
    malformed: bool = False
    #: seconds of latency added to every request (benchmarks)
    latency: float = 0.0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


def most_in_window(times: Iterable[float], window: float = 1.0) -> int:
    """The most of ``times`` inside any half-open window ``[t, t + window)``: what a vendor that
    enforces "N requests per second" to the letter counts (a sliding window, not a token bucket)."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + window) - i for i, t in enumerate(times)), default=0)


def arrivals_over(times: Iterable[float], limit: float, window: float = 1.0) -> int:
    """How many of ``times`` made some window hold more than ``limit`` arrivals."""
    times, n = sorted(times), int(limit)
    return sum(1 for i in range(n, len(times)) if times[i] - times[i - n] < window)
@dataclass
class DestinationFaults(Faults):
    """Knobs of a destination simulator (an accounting provider), on top of :class:`Faults`."""

    #: the token endpoint refuses every refresh token (``invalid_grant``): the connection must be made again
    refuse_refresh: bool = False
    #: the next N writes (creates, batches, voids) are carried out, then answered only after
    #: ``hang_seconds``: the client times out though the provider committed (a lost response)
    commit_then_hang: int = 0
    hang_seconds: float = 1.0
    #: refuse every invoice (and credit note) create with the provider's validation error naming this field
    reject_invoices_field: str | None = None
    #: the token revocation endpoint answers this HTTP status (e.g. 503) and revokes nothing
    revoke_status: int | None = None


# -- the demo's vendor console (optional) --------------------------------------------------------


@dataclass(frozen=True)
class ConsoleCustomer:
    """One customer as the simulated vendor's portal shows it."""

    key: str  # the simulator's own id for the customer
    name: str
    #: counter -> count, in the order the vendor shows them
    counts: dict[str, int]


class VendorConsole(Protocol):
    """What demo mode's vendor console edits: a simulator app may offer it as ``app.console()``.

    A person changes a count, adds or deletes a customer at the "vendor", then presses Sync now and
    watches the hub react through the real plugin. Each method edits the simulator's own state."""

    #: counter key -> what it counts, in words (the console's labels)
    counters: dict[str, str]

    def customers(self) -> list[ConsoleCustomer]: ...

    def set_count(self, key: str, counter: str, value: int) -> None: ...

    def add_customer(self, name: str, count: int) -> str: ...

    def delete_customer(self, key: str) -> None: ...
