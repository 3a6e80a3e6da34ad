"""Shared knobs for vendor simulators (the fake APIs plugins ship for demo mode and tests).

A simulator is a WSGI app returned by ``DemoSimulator.make_app(customers)``. It must carry a
``faults`` attribute holding a :class:`Faults`; the hub's conformance kit and demo mode flip these
to make the vendor misbehave the way real vendors do, without knowing the vendor's API.
"""

from __future__ import annotations

from dataclasses import dataclass


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
