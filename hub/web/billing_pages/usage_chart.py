"""License counts over time, drawn as a server-side inline SVG (no script, no library, nothing inline to
allow in the Content-Security-Policy: colours come from classes in ``billing.css``).

``report_series`` gives one line per vendor for the customers and SKUs of a usage report: it starts
from today's counts and walks the LicenseCountHistory rows of the window backwards (each row holds a
count and the one before it), so only the window's history is read, in one query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from hub.billing.money import fmt_quantity
from hub.extensions import db
from hub.billing.period_counts import day_segments, organization_tracks
from hub.models import LicenseCountHistory, VendorCustomer, VendorIntegration, VendorSku

ZERO = Decimal(0)
PALETTE = 6  # classes series-0 .. series-5


@dataclass
class Series:
    label: str
    #: (day, value) oldest first; a value holds until the next point
    points: list[tuple[date, Decimal]] = field(default_factory=list)

    @property
    def last(self) -> Decimal:
        return self.points[-1][1] if self.points else ZERO


def report_series(rows, days: int, today: date, organization_id: int | None = None,
                  include_archived: bool = False, vendor: str | None = None) -> list[Series]:
    """One daily series per vendor over the last ``days`` days for the (customer, SKU) pairs of ``rows``
    (usage report rows), each pair's count today being its last count (``last_quantity``).

    With ``include_archived`` the customers that left count in the past too. With no Organization: the
    archived customers of those vendors (their history ends at 0 when they were archived). For one
    Organization: every customer it held and that changed Organization since (moved, unmapped, archived),
    on the days it held them (``period_counts.organization_tracks``), of the ``vendor`` when one is given."""
    start = today - timedelta(days=days - 1)
    left: dict[str, list[Decimal]] = {}  # vendor -> daily counts of the customers that changed Organization
    if include_archived and organization_id is not None:
        slugs = dict(db.session.execute(db.select(VendorIntegration.id, VendorIntegration.slug)).all())
        only = None if vendor is None else {i for i, slug in slugs.items() if slug == vendor}
        tracks = organization_tracks(organization_id, start, today, only)
        left = {slugs[integration]: _daily(held, start, today) for integration, held in tracks.items()}
        moved = {t.customer_id for held in tracks.values() for t in held}
        rows = [r for r in rows if r.customer_id not in moved]  # drawn from their tracks instead
        include_archived = False
    if not rows and not left:
        return []
    vendor_of = {(r.customer_id, r.sku_id): r.vendor for r in rows}
    slug_of = {r.integration_id: r.vendor for r in rows} if include_archived else {}
    now: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        now[r.vendor] += r.last_quantity
    query = (db.select(LicenseCountHistory.vendor_customer_id, LicenseCountHistory.sku_id,
                       LicenseCountHistory.recorded_at, LicenseCountHistory.quantity,
                       LicenseCountHistory.previous_quantity, VendorSku.integration_id, VendorCustomer.archived_at)
             .join(VendorSku, VendorSku.id == LicenseCountHistory.sku_id)
             .join(VendorCustomer, VendorCustomer.id == LicenseCountHistory.vendor_customer_id)
             .where(VendorSku.integration_id.in_({r.integration_id for r in rows}),
                    LicenseCountHistory.recorded_at >= datetime.combine(start, time.min)))
    if organization_id is not None:
        query = query.where(VendorCustomer.organization_id == organization_id)
    # per vendor and day: how much that day's changes moved the total
    moved_by: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for customer_id, sku_id, at, quantity, previous, integration_id, archived_at in db.session.execute(query):
        vendor_slug = vendor_of.get((customer_id, sku_id)) or (slug_of.get(integration_id) if archived_at else None)
        if vendor_slug is not None:
            moved_by[vendor_slug][at.date()] += Decimal(quantity) - Decimal(previous or 0)
    out = []
    for vendor_slug in sorted(set(now) | set(left)):
        running, points = now[vendor_slug], []
        for n in range(days):  # today back to the window's first day
            day = today - timedelta(days=n)
            points.append((day, running))
            running -= moved_by[vendor_slug].get(day, ZERO)
        daily = left.get(vendor_slug) or [ZERO] * days
        out.append(Series(vendor_slug, [(day, value + daily[n]) for n, (day, value) in enumerate(points[::-1])]))
    return out


def _daily(tracks, start: date, today: date) -> list[Decimal]:
    """The tracks' added-up count on each day from ``start`` to ``today``."""
    segments, _, _ = day_segments(tracks, start, today)
    return [s.quantity for s in segments for _ in range(s.days)] or [ZERO] * ((today - start).days + 1)


def relabelled(series: list[Series], names: dict[str, str]) -> list[Series]:
    """The series with labels for people: ``names`` maps a vendor slug or SKU id to its display name."""
    for one in series:
        one.label = names.get(one.label) or one.label
    return series


def customer_series(history, today: date) -> list[Series]:
    """One step series per SKU from ``usage_report.count_history`` points (oldest first)."""
    by_sku: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for point in history:
        by_sku[point.sku].append((point.recorded_at.date(), point.quantity))
    out = []
    for sku in sorted(by_sku):
        points: list[tuple[date, Decimal]] = []
        for day, value in by_sku[sku]:
            if points and points[-1][0] == day:
                points[-1] = (day, value)  # the day's last count
            else:
                points.append((day, value))
        if points[-1][0] < today:
            points.append((today, points[-1][1]))
        out.append(Series(sku, points))
    return out


@dataclass
class Chart:
    width: int
    height: int
    lines: list[dict]  # {"cls", "points", "label", "last"}
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    left: int
    right: int
    top: int
    bottom: int
    description: str


def _nice_max(value: Decimal) -> Decimal:
    """A round top for the y axis: 1, 2, 2.5 or 5 times a power of ten, at or above ``value``."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def build_chart(series: list[Series], width: int = 760, height: int = 240) -> Chart | None:
    """Coordinates for the SVG: step lines (a count holds until it changes), three y ticks, three dates."""
    series = [s for s in series if s.points]
    if not series:
        return None
    left, right, top, bottom = 56, width - 12, 12, height - 28
    first = min(s.points[0][0] for s in series)
    last = max(s.points[-1][0] for s in series)
    span = max((last - first).days, 1)
    top_value = _nice_max(max(v for s in series for _, v in s.points))

    def x(day: date) -> float:
        return round(left + (right - left) * (day - first).days / span, 1)

    def y(value: Decimal) -> float:
        return round(bottom - (bottom - top) * float(value / top_value), 1)

    lines = []
    for n, s in enumerate(series):
        coords, previous = [], None
        for day, value in s.points:
            if previous is not None and value != previous:
                coords.append(f"{x(day)},{y(previous)}")  # hold the old count until this day
            coords.append(f"{x(day)},{y(value)}")
            previous = value
        lines.append({"cls": f"series-{n % PALETTE}", "points": " ".join(coords), "label": s.label,
                      "last": fmt_quantity(s.last)})
    y_ticks = [(y(v), fmt_quantity(v)) for v in (ZERO, top_value / 2, top_value)]
    middle = first + timedelta(days=span // 2)
    x_ticks = [(x(d), d.isoformat()) for d in dict.fromkeys((first, middle, last))]
    description = "; ".join(f"{s.label}: {fmt_quantity(s.points[0][1])} on {s.points[0][0].isoformat()}, "
                            f"{fmt_quantity(s.last)} on {s.points[-1][0].isoformat()}" for s in series)
    return Chart(width, height, lines, y_ticks, x_ticks, left, right, top, bottom, description)
