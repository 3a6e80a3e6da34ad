"""Period-true quantities: what a vendor line counted over a period, from LicenseCountHistory.

A vendor line adds up the counts of its Organization's vendor customers of its integration, for the SKUs
mapped to its product. Over a period each (customer, SKU) has a *track*: its history rows. The rules
(docs/architecture.md, "Period-true quantities"):

- **A day's count is the count at the end of that day**: the last history row recorded on or before it.
  A day with no row carries the previous count (history has a row per change, so gaps are the norm).
- **Before a track's first row** it counts nothing (the hub had not seen that count yet); **from the day a
  customer turned Detached** it counts nothing (the vendor no longer lists it).
- **A customer counts for the Organization it belonged to that day** (``PastMapping``): a remapped,
  unmapped or archived customer still counts for its old Organization up to the day before the change,
  and for a new one from the day it was mapped. A customer that never changed Organization counts for
  its Organization over its whole history.
- **The window** is the period, cut at ``as_of`` (today): an in-advance invoice issued on its period's first
  day sees that day's count so far; catch-up and in-arrears invoices see their whole past period, never
  today's counts. A period that starts after ``as_of`` takes the count carried to its start.
- **No history at all** (no row of any track on or before the window's end): ``quantity`` is None; the
  caller must not guess 0 (pricing bills the quantity at issue and holds the invoice as a draft).
- **peak**: the highest day, and the first day it was reached. **end**: the window's last day.
  **average**: sum of the days' counts / days in the window (time-weighted by day), rounded half-up to
  whole units when every day's count is whole (licenses), else to 4 places (the quantity columns' scale).

``measure`` is pure; ``load_tracks`` reads the rows of many lines and periods in one query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from sqlalchemy import and_, func, true, union_all

from hub.billing.bulk_read import converter, raw
from hub.billing.money import FOUR, ZERO, fmt_quantity
from hub.billing.schedule import past_issue_days
from hub.extensions import db
from hub.models import LicenseCountHistory, PastMapping, QuantityBasis, VendorCustomer, VendorSku

Key = tuple[int, int, int]  # organization id, integration id, product id
ONE = Decimal(1)
#: Organizations per history query (IN lists stay far below both databases' parameter limits)
ORG_CHUNK = 10_000


@dataclass(frozen=True)
class Track:
    """One vendor customer's count of one SKU over time, as a vendor line adds it up."""

    customer_id: int
    sku_id: int
    #: (recorded_at, quantity), oldest first
    rows: tuple[tuple[datetime, Decimal], ...]
    #: the day the customer turned Detached: it counts nothing from then on
    detached_on: date | None = None
    #: the days the line's Organization held the customer, as (first, stop) day ordinals (stop excluded,
    #: None: open); None: it always has (the customer never changed Organization)
    spans: tuple[tuple[int | None, int | None], ...] | None = None


class Segment(NamedTuple):
    """Days ``start`` to ``end`` (inclusive) on which the line's counts added up to ``quantity``.

    A named tuple (immutable like a frozen dataclass, and far cheaper to make): an invoice run makes
    several per period-basis line."""

    start: date
    end: date
    quantity: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Measure:
    basis: str
    #: None: no count history on or before the window's end (never read it as 0)
    quantity: Decimal | None
    window_start: date
    window_end: date
    #: peak: the first day of the peak; end: the last day of the window
    on: date | None = None
    segments: tuple[Segment, ...] = field(default=())

    @property
    def days(self) -> int:
        return max((self.window_end - self.window_start).days + 1, 0)

    @cached_property
    def note(self) -> str:
        """ "peak 14 on 2026-03-12", "average 10.5 over 31 days", "end 9 on 2026-03-31"."""
        if self.quantity is None:
            return f"{self.basis.replace('_', ' ')}: no count history up to {self.window_end.isoformat()}"
        q = fmt_quantity(self.quantity)
        if self.basis == QuantityBasis.AT_ISSUE.value:  # an invoice made after its issue day: that day's count
            return f"at issue {q}: the count on {self.on.isoformat()}"
        if not self.segments:
            return f"{self.basis} {q}: the count carried to {self.window_start.isoformat()} (period not begun)"
        if self.basis == QuantityBasis.AVERAGE.value:
            return f"average {q} over {self.days} days ({self.window_start.isoformat()} to {self.window_end.isoformat()})"
        return f"{self.basis} {q} on {self.on.isoformat()}"

    @cached_property
    def as_dict_once(self) -> dict:
        return self.as_dict()

    def as_dict(self) -> dict:
        return {"basis": self.basis, "quantity": fmt_quantity(self.quantity), "note": self.note,
                "from": self.window_start.isoformat(), "to": self.window_end.isoformat(), "days": self.days,
                "on": self.on.isoformat() if self.on else None,
                "counts": [{"from": s.start.isoformat(), "to": s.end.isoformat(), "quantity": _count_text(s.quantity)}
                           for s in self.segments]}


@lru_cache(maxsize=4096)
def _nonzero_count_text(quantity: Decimal) -> str:
    return fmt_quantity(quantity)


def _count_text(quantity: Decimal) -> str:
    """``fmt_quantity``, remembered: an invoice run writes the same few counts tens of thousands of times.
    Equal Decimals format alike (normalized), but for 0 and -0: zero is formatted each time."""
    return _nonzero_count_text(quantity) if quantity else fmt_quantity(quantity)


def window(start: date, end: date, as_of: date) -> tuple[date, date]:
    """The days of a period that have happened by ``as_of`` (empty, end < start, when it has not begun)."""
    return start, min(end, as_of)


def _held_only(track: Track, value: Decimal, changes: dict[int, Decimal], first: int,
               days: int) -> tuple[Decimal, dict[int, Decimal]]:
    """A track's count carried into the window and its changes by day index, with every day the line's
    Organization did not hold the customer (``Track.spans``), or the customer was Detached, counted 0."""
    cut = None if track.detached_on is None else track.detached_on.toordinal() - first
    spans = [(None if a is None else a - first, None if b is None else b - first) for a, b in track.spans]

    def held(index: int) -> bool:
        return ((cut is None or index < cut)
                and any((a is None or a <= index) and (b is None or index < b) for a, b in spans))

    bounds = {x for span in spans for x in span if x is not None}
    if cut is not None:
        bounds.add(cut)
    raw, masked = value, {}
    for index in sorted(set(changes) | {x for x in bounds if 0 < x < days}):
        raw = changes.get(index, raw)
        masked[index] = raw if held(index) else ZERO
    return (value if held(0) else ZERO), masked


def day_segments(tracks, start: date, end: date) -> tuple[list[Segment], Decimal, bool]:
    """The line's daily counts from ``start`` to ``end`` as constant runs, the count carried into ``start``,
    and whether any track has a row on or before ``end``.

    Runs for every period-basis line of an invoice run (tens of thousands): days are ordinals, and the
    Decimal sums are the same additions in the same order as a day-by-day walk would make them."""
    first, last_day = start.toordinal(), end.toordinal()
    days = last_day - first + 1
    deltas: dict[int, Decimal] = {}
    opening = ZERO
    known = False
    for track in tracks:
        changes: dict[int, Decimal] = {}
        value = ZERO
        for at, quantity in track.rows:
            day = at.toordinal()
            if day > last_day:
                break
            known = True
            if day < first:
                value = quantity  # carried into the period
            else:
                changes[day - first] = quantity  # the day's last row wins
        detached_on = track.detached_on
        if track.spans is not None:
            value, changes = _held_only(track, value, changes, first, days)
            detached_on = None  # in the mask
        if detached_on is not None and detached_on <= end:
            cut = max(detached_on.toordinal() - first, 0)
            changes = {i: q for i, q in changes.items() if i < cut}
            changes[cut] = ZERO
        if detached_on is not None and detached_on <= start:
            value = ZERO
        opening += value
        deltas[0] = deltas.get(0, ZERO) + value
        previous = value
        for index in sorted(changes):
            deltas[index] = deltas.get(index, ZERO) + (changes[index] - previous)
            previous = changes[index]
    if days <= 0:
        return [], opening, known
    runs: list[list] = []  # [first day index, last day index, count]
    total = ZERO
    marks = sorted(i for i in deltas if i < days)
    for n, index in enumerate(marks):
        total += deltas[index]
        last = (marks[n + 1] if n + 1 < len(marks) else days) - 1
        if runs and runs[-1][2] == total:
            runs[-1][1], runs[-1][2] = last, total
        else:
            runs.append([index, last, total])
    return ([Segment(date.fromordinal(first + a), date.fromordinal(first + b), q) for a, b, q in runs],
            opening, known)


def measure(basis: str, tracks, start: date, end: date, as_of: date) -> Measure:
    """What ``basis`` bills over the period ``start``..``end`` (inclusive), knowing the counts up to ``as_of``."""
    basis = QuantityBasis(basis).value
    first, last = window(start, end, as_of)
    segments, opening, known = day_segments(tracks, first, last)
    if not known:
        return Measure(basis, None, first, last)
    if not segments:  # the period has not begun: the count carried to its start
        return Measure(basis, opening, first, last, on=first)
    if basis == QuantityBasis.PEAK.value:
        top = max(s.quantity for s in segments)
        on = next(s.start for s in segments if s.quantity == top)
        return Measure(basis, top, first, last, on, tuple(segments))
    if basis == QuantityBasis.AVERAGE.value:
        days = (last - first).days + 1
        mean = sum((s.quantity * s.days for s in segments), ZERO) / days
        whole = all(s.quantity == s.quantity.to_integral_value() for s in segments)
        return Measure(basis, mean.quantize(ONE if whole else FOUR, rounding=ROUND_HALF_UP), first, last, None,
                       tuple(segments))
    return Measure(basis, segments[-1].quantity, first, last, last, tuple(segments))


def load_for_periods(keyed_periods, as_of: date) -> dict[Key, list[Track]]:
    """Tracks for ``[(key, period), ...]``: one read spanning the periods' days known by ``as_of``."""
    keyed_periods = list(keyed_periods)
    if not keyed_periods:
        return {}
    first = min(p.start for _, p in keyed_periods)
    last = min(max(p.end for _, p in keyed_periods), as_of)
    return load_tracks({k for k, _ in keyed_periods}, first, max(first, last))


def tracks_for_invoices(periods: dict, as_of: date, extra=()) -> dict[Key, list[Track]]:
    """Tracks for the period-basis vendor lines of these recurring invoices (id -> period being billed), their
    at-issue vendor lines where the issue day has passed (``schedule.issue_day``), and
    for ``extra`` [(key, period)] (proration's previous periods): one history read for all."""
    from hub.models import LineKind, RecurringInvoice, RecurringLine

    ids = sorted(periods)
    keyed = []
    for at in range(0, len(ids), ORG_CHUNK):
        lines = db.session.connection().execute(  # Core rows: no ORM loading
            db.select(RecurringLine.recurring_invoice_id, RecurringInvoice.organization_id,
                      RecurringLine.integration_id, RecurringLine.product_id, RecurringLine.basis,
                      RecurringInvoice.period_mode)
            .join(RecurringInvoice, RecurringInvoice.id == RecurringLine.recurring_invoice_id)
            .where(RecurringLine.recurring_invoice_id.in_(ids[at:at + ORG_CHUNK]),
                   RecurringLine.kind == LineKind.VENDOR.value, RecurringLine.archived_at.is_(None))).all()
        # at-issue lines only where their invoice's issue day has passed: they bill that day's counts
        dated = past_issue_days(periods, {rid: mode for rid, *_, mode in lines}, as_of)
        keyed += [((org, integration, product), periods[rid]) for rid, org, integration, product, basis, _ in lines
                  if basis != QuantityBasis.AT_ISSUE.value or rid in dated]
    return load_for_periods(keyed + list(extra), as_of)


def load_tracks(keys, first_day: date, last_day: date) -> dict[Key, list[Track]]:
    """Every (customer, SKU) track behind the vendor lines ``keys`` between ``first_day`` and ``last_day``:
    each track's rows in that range plus its last row before it, for the customers mapped to the keys'
    Organizations now and those that belonged to them before (``PastMapping``). One query per 10,000
    Organizations, and one more for customers that changed Organization, when there are any."""
    keys = set(keys)
    if not keys:
        return {}
    orgs = sorted({k[0] for k in keys})
    in_scope = and_(VendorSku.integration_id.in_(sorted({k[1] for k in keys})),
                    VendorSku.product_id.in_(sorted({k[2] for k in keys})))
    spans, earlier = _mapping_spans(orgs)
    moved = sorted(earlier)

    def now_held(org, integration, product, cid):  # the Organization a customer is mapped to now
        return ((org, integration, product),)

    def once_held(org, integration, product, cid):  # the Organizations of ``keys`` it left
        return [(owner, integration, product) for owner in earlier[cid] - {org}]

    batches = [(and_(VendorCustomer.organization_id.in_(orgs[at:at + ORG_CHUNK]), in_scope), now_held)
               for at in range(0, len(orgs), ORG_CHUNK)]
    batches += [(and_(VendorCustomer.id.in_(moved[at:at + ORG_CHUNK]), in_scope), once_held)
                for at in range(0, len(moved), ORG_CHUNK)]
    grouped, detached = _grouped(batches, first_day, last_day, keep=keys.__contains__)
    return {key: _as_tracks(tracks, detached, lambda cid, org=key[0]: spans.get((cid, org)))
            for key, tracks in grouped.items()}


def _grouped(batches, first_day: date, last_day: date, keep=None) -> tuple[dict, dict[int, date]]:
    """The history rows of each ``(scope, groups_of)`` batch (``_history_rows``), under every group
    ``groups_of(org, integration, product, customer)`` names that ``keep`` accepts: group -> (customer, SKU)
    -> [(recorded_at, history id, quantity)]; and customer -> the day it turned Detached."""
    begin = datetime.combine(first_day, datetime.min.time())
    stop = datetime.combine(last_day + timedelta(days=1), datetime.min.time())
    out: dict = defaultdict(lambda: defaultdict(list))
    detached: dict[int, date] = {}
    count = converter(LicenseCountHistory.quantity)
    for scope, groups_of in batches:
        for org, integration, product, cid, sid, recorded, hid, quantity, detached_at in _history_rows(
                scope, begin, stop):
            for group in groups_of(org, integration, product, cid):
                if keep is None or keep(group):
                    out[group][cid, sid].append((recorded, hid, count(quantity)))
                    if detached_at is not None:
                        detached[cid] = detached_at.date()
    return out, detached


def _as_tracks(grouped: dict[tuple[int, int], list], detached: dict[int, date], spans_of) -> list[Track]:
    """(customer, SKU) -> [(recorded_at, history id, quantity)] as Tracks: rows oldest first, rows of the
    same moment in insertion order."""
    return [Track(cid, sid, tuple((at, q) for at, _, q in sorted(rows)), detached.get(cid), spans_of(cid))
            for (cid, sid), rows in sorted(grouped.items())]


def _history_rows(scope, begin: datetime, stop: datetime):
    """History rows of the customers and SKUs ``scope`` selects from ``begin`` to ``stop``, plus each
    track's last row before ``begin``, with the customer's current Organization: Core rows, no ORM."""
    h = LicenseCountHistory
    # raw: a month of history repeats a few counts, converted once each (bulk_read)
    columns = (VendorCustomer.organization_id, VendorSku.integration_id, VendorSku.product_id,
               h.vendor_customer_id, h.sku_id, h.recorded_at, h.id, raw(h.quantity), VendorCustomer.detached_at)
    joined = (lambda q: q.join(VendorCustomer, VendorCustomer.id == h.vendor_customer_id)
              .join(VendorSku, VendorSku.id == h.sku_id).where(scope))
    inside = joined(db.select(*columns)).where(h.recorded_at >= begin, h.recorded_at < stop)
    before = (db.select(h.vendor_customer_id.label("cid"), h.sku_id.label("sid"), func.max(h.recorded_at).label("at"))
              .join(VendorCustomer, VendorCustomer.id == h.vendor_customer_id)
              .join(VendorSku, VendorSku.id == h.sku_id)
              .where(scope, h.recorded_at < begin).group_by(h.vendor_customer_id, h.sku_id).subquery())
    carried = joined(db.select(*columns)).join(before, and_(
        before.c.cid == h.vendor_customer_id, before.c.sid == h.sku_id, before.c.at == h.recorded_at))
    return db.session.connection().execute(union_all(inside, carried)).all()


def _day(moment: datetime | None) -> int | None:
    return None if moment is None else moment.date().toordinal()


def _mapping_spans(orgs) -> tuple[dict[tuple[int, int], tuple], dict[int, set[int]]]:
    """For customers that changed Organization and touch ``orgs``: (customer, Organization) -> the days it
    held the customer (``Track.spans``), and customer -> the Organizations of ``orgs`` it left."""
    pm, vc = PastMapping, VendorCustomer
    found: dict[int, tuple] = {}
    for at in range(0, len(orgs), ORG_CHUNK):
        chunk = orgs[at:at + ORG_CHUNK]
        found.update((row[0], row[1:]) for row in db.session.connection().execute(
            db.select(pm.id, pm.vendor_customer_id, pm.organization_id, pm.mapped_from, pm.mapped_until,
                      vc.organization_id, vc.mapped_at)
            .join(vc, vc.id == pm.vendor_customer_id)
            .where(pm.organization_id.in_(chunk) | vc.organization_id.in_(chunk))))
    held: dict[tuple[int, int], list] = defaultdict(list)
    current: dict[int, tuple[int, datetime | None]] = {}
    earlier: dict[int, set[int]] = defaultdict(set)
    wanted = set(orgs)
    for cid, org, mapped_from, mapped_until, now_org, mapped_at in found.values():
        held[cid, org].append((_day(mapped_from), _day(mapped_until)))
        if org in wanted:
            earlier[cid].add(org)
        if now_org is not None:
            current[cid] = (now_org, mapped_at)
    for cid, (org, mapped_at) in current.items():  # the mapping in force, since it was made
        held[cid, org].append((_day(mapped_at), None))
    return {pair: tuple(days) for pair, days in held.items()}, earlier


def organization_tracks(organization_id: int, first_day: date, last_day: date,
                        integration_ids=None) -> dict[int, list[Track]]:
    """Per integration, the tracks of every SKU of the customers that changed Organization and that this
    Organization held at some time, each with the days it held them (the usage report's trend of one
    Organization draws them from here; customers that never moved follow their current mapping)."""
    spans, _ = _mapping_spans([organization_id])
    ids = sorted({cid for cid, org in spans if org == organization_id})
    only = true() if integration_ids is None else VendorSku.integration_id.in_(sorted(integration_ids))
    batches = [(and_(VendorCustomer.id.in_(ids[at:at + ORG_CHUNK]), only),
                lambda org, integration, product, cid: (integration,)) for at in range(0, len(ids), ORG_CHUNK)]
    grouped, detached = _grouped(batches, first_day, last_day)
    return {integration: _as_tracks(tracks, detached, lambda cid: spans[cid, organization_id])
            for integration, tracks in grouped.items()}
