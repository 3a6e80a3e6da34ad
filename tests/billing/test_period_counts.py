"""Each counting basis over hand-made count histories, with expected Decimals worked out by hand.

A day's count is the count at the end of that day; a day without a row carries the previous count.
"""

from __future__ import annotations

import random
from dataclasses import replace
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest

from hub.billing.period_counts import Segment, Track, day_segments, measure

FAR = date(2099, 1, 1)  # every day of the period has happened


def track(*rows, detached_on=None, customer=1, sku=1):
    return Track(customer, sku, tuple((datetime.fromisoformat(at), D(q)) for at, q in rows), detached_on)


# March 2026 (31 days): 10 carried in, 14 from the 12th, 9 from the 20th:
# days 1-11 x 10 = 110, 12-19 x 14 = 112, 20-31 x 9 = 108; 330 / 31 = 10.645... -> 11
MARCH = [track(("2026-02-20T08:00", "10"), ("2026-03-12T10:00", "14"), ("2026-03-20T06:00", "9"))]
# February 2028, a leap year (29 days): 5 from the 1st, 8 from the 15th, 3 on the 29th:
# 14 x 5 + 14 x 8 + 1 x 3 = 185; 185 / 29 = 6.379... -> 6
LEAP = [track(("2028-02-01T08:00", "5"), ("2028-02-15T12:00", "8"), ("2028-02-29T23:00", "3"))]
# gigabytes (not whole): 2.5 carried into February 2026 (28 days), 4.25 from the 15th:
# 14 x 2.5 + 14 x 4.25 = 94.5; 94.5 / 28 = 3.375 -> 3.3750 (four places: not every count is whole)
GIGABYTES = [track(("2026-01-31T23:00", "2.5"), ("2026-02-15T00:00", "4.25"))]
# a customer counted from the 10th only (nothing known before: it adds nothing), another all month:
# days 1-9 x 3 = 27, 10-31 x 7 = 154; 181 / 31 = 5.838... -> 6
FIRST_SEEN_LATE = [track(("2026-02-01T00:00", "3"), customer=1), track(("2026-03-10T09:00", "4"), customer=2)]
# Detached on the 21st: counts 6 to the 20th, then nothing: 20 x 6 = 120; 120 / 31 = 3.87 -> 4
DETACHED = [track(("2026-01-05T00:00", "6"), detached_on=date(2026, 3, 21))]
# two rows on the 5th: the day counts the last (12), not the 20 of the morning
SAME_DAY = [track(("2026-03-01T00:00", "10"), ("2026-03-05T09:00", "20"), ("2026-03-05T18:00", "12"))]
# a month-end period (anchored on the 31st: Jan 31 to Feb 27 2026, 28 days); 4 carried in, 9 on the last
# day, a 20 after the period that must not count: 27 x 4 + 1 x 9 = 117; 117 / 28 = 4.178... -> 4
MONTH_END = [track(("2026-01-01T00:00", "4"), ("2026-02-27T23:59", "9"), ("2026-02-28T00:00", "20"))]

CASES = [
    # (name, tracks, period start, end, as_of, basis, expected quantity, expected day)
    ("peak", MARCH, "2026-03-01", "2026-03-31", FAR, "peak", D("14"), "2026-03-12"),
    ("average", MARCH, "2026-03-01", "2026-03-31", FAR, "average", D("11"), None),
    ("end", MARCH, "2026-03-01", "2026-03-31", FAR, "end", D("9"), "2026-03-31"),
    ("gap carries the count in", [track(("2026-02-20T08:00", "10"))], "2026-03-01", "2026-03-31", FAR, "average",
     D("10"), None),
    ("gap: peak on the first day", [track(("2026-02-20T08:00", "10"))], "2026-03-01", "2026-03-31", FAR, "peak",
     D("10"), "2026-03-01"),
    ("leap peak", LEAP, "2028-02-01", "2028-02-29", FAR, "peak", D("8"), "2028-02-15"),
    ("leap average", LEAP, "2028-02-01", "2028-02-29", FAR, "average", D("6"), None),
    ("leap end", LEAP, "2028-02-01", "2028-02-29", FAR, "end", D("3"), "2028-02-29"),
    ("fractional average", GIGABYTES, "2026-02-01", "2026-02-28", FAR, "average", D("3.3750"), None),
    ("fractional peak", GIGABYTES, "2026-02-01", "2026-02-28", FAR, "peak", D("4.25"), "2026-02-15"),
    ("first seen late: average", FIRST_SEEN_LATE, "2026-03-01", "2026-03-31", FAR, "average", D("6"), None),
    ("first seen late: peak", FIRST_SEEN_LATE, "2026-03-01", "2026-03-31", FAR, "peak", D("7"), "2026-03-10"),
    ("detached: average", DETACHED, "2026-03-01", "2026-03-31", FAR, "average", D("4"), None),
    ("detached: end", DETACHED, "2026-03-01", "2026-03-31", FAR, "end", D("0"), "2026-03-31"),
    ("same day: the day's last row", SAME_DAY, "2026-03-01", "2026-03-31", FAR, "peak", D("12"), "2026-03-05"),
    ("month end: end", MONTH_END, "2026-01-31", "2026-02-27", FAR, "end", D("9"), "2026-02-27"),
    ("month end: average", MONTH_END, "2026-01-31", "2026-02-27", FAR, "average", D("4"), None),
    # cut at as_of (an in-advance invoice mid-period): days 1-11 x 10 + 12-15 x 14 = 166; 166 / 15 = 11.07 -> 11
    ("so far: average", MARCH, "2026-03-01", "2026-03-31", date(2026, 3, 15), "average", D("11"), None),
    ("so far: end", MARCH, "2026-03-01", "2026-03-31", date(2026, 3, 15), "end", D("14"), "2026-03-15"),
    # an in-advance invoice on its first day: that day's count so far
    ("first day", MARCH, "2026-03-12", "2026-04-11", date(2026, 3, 12), "peak", D("14"), "2026-03-12"),
    # a period not begun: the count carried to its start
    ("not begun", MARCH, "2026-04-01", "2026-04-30", date(2026, 3, 25), "average", D("9"), "2026-04-01"),
    # half-up: 1 day x 1 + 1 day x 2 = 3; 3 / 2 = 1.5 -> 2
    ("average rounds half up", [track(("2026-03-01T00:00", "1"), ("2026-03-02T00:00", "2"))], "2026-03-01",
     "2026-03-02", FAR, "average", D("2"), None),
]


@pytest.mark.parametrize("name,tracks,start,end,as_of,basis,quantity,on", CASES, ids=[c[0] for c in CASES])
def test_each_basis(name, tracks, start, end, as_of, basis, quantity, on):
    got = measure(basis, tracks, date.fromisoformat(start), date.fromisoformat(end), as_of)
    assert got.quantity == quantity
    assert str(got.quantity) == str(quantity)  # the places too: whole, or four for fractional counts
    assert (got.on.isoformat() if got.on else None) == on


@pytest.mark.parametrize("tracks", [[], [track(("2026-04-02T00:00", "8"))]], ids=["no rows", "rows only after"])
def test_no_history_is_none_never_zero(tracks):
    got = measure("peak", tracks, date(2026, 3, 1), date(2026, 3, 31), FAR)
    assert got.quantity is None
    assert got.note == "peak: no count history up to 2026-03-31"


def test_the_note_and_the_counts_behind_it():
    peak = measure("peak", MARCH, date(2026, 3, 1), date(2026, 3, 31), FAR)
    assert peak.note == "peak 14 on 2026-03-12"
    assert [(s["from"], s["to"], s["quantity"]) for s in peak.as_dict()["counts"]] == [
        ("2026-03-01", "2026-03-11", "10"), ("2026-03-12", "2026-03-19", "14"), ("2026-03-20", "2026-03-31", "9")]
    average = measure("average", MARCH, date(2026, 3, 1), date(2026, 3, 31), FAR)
    assert average.note == "average 11 over 31 days (2026-03-01 to 2026-03-31)"
    assert measure("end", MARCH, date(2026, 3, 1), date(2026, 3, 31), FAR).note == "end 9 on 2026-03-31"


def test_unknown_basis_is_refused():
    with pytest.raises(ValueError):
        measure("weekly", MARCH, date(2026, 3, 1), date(2026, 3, 31), FAR)


def _day_segments_before(tracks, start, end):
    """``day_segments`` as it was before it was made fast (date arithmetic per row): the reference."""
    days = (end - start).days + 1
    deltas = defaultdict(lambda: D(0))
    opening, known = D(0), False
    for t in tracks:
        changes, value = {}, D(0)
        for at, quantity in t.rows:
            day = at.date()
            if day > end:
                break
            known = True
            if day < start:
                value = quantity
            else:
                changes[(day - start).days] = quantity
        if t.detached_on is not None and t.detached_on <= end:
            cut = max((t.detached_on - start).days, 0)
            changes = {i: q for i, q in changes.items() if i < cut}
            changes[cut] = D(0)
        if t.detached_on is not None and t.detached_on <= start:
            value = D(0)
        opening += value
        deltas[0] += value
        previous = value
        for index in sorted(changes):
            deltas[index] += changes[index] - previous
            previous = changes[index]
    if days <= 0:
        return [], opening, known
    segments, total = [], D(0)
    marks = sorted(i for i in deltas if i < days)
    for n, index in enumerate(marks):
        total += deltas[index]
        last = (marks[n + 1] if n + 1 < len(marks) else days) - 1
        if segments and segments[-1].quantity == total:
            segments[-1] = Segment(segments[-1].start, start + timedelta(days=last), total)
        else:
            segments.append(Segment(start + timedelta(days=index), start + timedelta(days=last), total))
    return segments, opening, known


def _day_by_day(tracks, start, end):
    """The obvious reading of the rules: each day's count, one day at a time."""
    out = []
    day = start
    while day <= end:
        count = D(0)
        for t in tracks:
            rows = [q for at, q in t.rows if at.date() <= day]
            held = t.spans is None or any((a is None or a <= day.toordinal()) and (b is None or day.toordinal() < b)
                                          for a, b in t.spans)
            if rows and held and not (t.detached_on is not None and t.detached_on <= day):
                count += rows[-1]
        out.append(count)
        day += timedelta(days=1)
    return out


def _random_tracks(rng, with_spans=False):
    base = datetime(2026, 2, 1)
    tracks = []
    for customer in range(rng.randint(0, 4)):
        moments = sorted(base + timedelta(days=rng.randint(0, 75), hours=rng.randint(0, 23))
                         for _ in range(rng.randint(0, 6)))
        rows = tuple((at, D(rng.choice(["0", "1", "3", "7", "7.0000", "2.5", "12", "0.0000"]))) for at in moments)
        detached = rng.choice([None, None, date(2026, 2, 1) + timedelta(days=rng.randint(0, 75))])
        tracks.append(Track(customer, 1, rows, detached, _random_spans(rng, base) if with_spans else None))
    return tracks


def _random_spans(rng, base):
    """The days an Organization held a customer that changed Organization: one to three spans, open or not."""
    cuts = sorted(rng.sample(range(-5, 80), rng.randint(1, 4)))
    days = [base.toordinal() + c for c in cuts]
    spans = [(days[n], days[n + 1]) for n in range(0, len(days) - 1, 2)]
    if len(days) % 2:
        spans.append((days[-1], None))
    if rng.random() < 0.3:
        spans[0] = (None, spans[0][1])
    return tuple(spans)


@pytest.mark.parametrize("seed", range(300))
def test_day_segments_agree_with_the_reference_and_the_day_by_day_counts(seed):
    rng = random.Random(seed)
    tracks = _random_tracks(rng)
    start = date(2026, 2, 1) + timedelta(days=rng.randint(0, 60))
    end = start + timedelta(days=rng.randint(-2, 40))
    got = day_segments(tracks, start, end)
    want = _day_segments_before(tracks, start, end)
    # identical, Decimal places included (an invoice line keeps str() of the quantity)
    assert repr(got) == repr(want)
    segments, _opening, _known = got
    daily = [s.quantity for s in segments for _ in range(s.days)]
    assert daily == (_day_by_day(tracks, start, end) if tracks else [])  # no track: no runs at all


@pytest.mark.parametrize("seed", range(300))
def test_a_customer_counts_only_on_the_days_the_organization_held_it(seed):
    """Tracks of customers that changed Organization (``spans``), Detached or not: the runs are the
    day-by-day counts, and the count carried into a period not begun is its first day's."""
    rng = random.Random(seed)
    tracks = _random_tracks(rng, with_spans=True)
    start = date(2026, 2, 1) + timedelta(days=rng.randint(0, 60))
    end = start + timedelta(days=rng.randint(-2, 40))
    segments, opening, _known = day_segments(tracks, start, end)
    daily = [s.quantity for s in segments for _ in range(s.days)]
    assert daily == (_day_by_day(tracks, start, end) if tracks else [])
    if end < start:  # the count carried to the period's first day, from the rows known by ``end``
        known = [replace(t, rows=tuple(r for r in t.rows if r[0].date() <= end)) for t in tracks]
        assert opening == sum(_day_by_day(known, start, start), D(0))
