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
    #: answer the customer listing with a body that is not valid JSON
    malformed: bool = False
    #: seconds of latency added to every request (benchmarks)
    latency: float = 0.0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


@dataclass
class DestinationFaults(Faults):
    """Knobs of a destination simulator (an accounting provider), on top of :class:`Faults`."""

    #: the token endpoint refuses every refresh token (``invalid_grant``): the connection must be made again
    refuse_refresh: bool = False
    #: the next N writes (creates, batches, voids) are carried out, then answered only after
    #: ``hang_seconds``: the client times out though the provider committed (a lost response)
    commit_then_hang: int = 0
    hang_seconds: float = 1.0
    #: refuse every invoice create with the provider's validation error naming this field
    reject_invoices_field: str | None = None
