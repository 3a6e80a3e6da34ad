"""Run dates anchored on the original day across month ends and leap years; billing periods by mode."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.billing.schedule import add_months, next_run, period_for, previous_run


def _runs(start: date, frequency: str, count: int) -> list[date]:
    runs, day = [start], start
    for _ in range(count - 1):
        day = next_run(day, frequency, start.day)
        runs.append(day)
    return runs


@pytest.mark.parametrize("start, frequency, expected", [
    # anchored on the 31st: back to the 31st after shorter months, Feb 29 in a leap year
    (date(2024, 1, 31), "monthly", ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]),
    (date(2023, 1, 31), "monthly", ["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30"]),
    (date(2024, 1, 30), "monthly", ["2024-01-30", "2024-02-29", "2024-03-30"]),
    (date(2023, 12, 31), "monthly", ["2023-12-31", "2024-01-31", "2024-02-29"]),  # across the year end
    (date(2024, 1, 15), "monthly", ["2024-01-15", "2024-02-15", "2024-03-15"]),
    (date(2024, 11, 30), "quarterly", ["2024-11-30", "2025-02-28", "2025-05-30", "2025-08-30"]),
    (date(2023, 11, 30), "quarterly", ["2023-11-30", "2024-02-29", "2024-05-30"]),
    (date(2024, 8, 31), "quarterly", ["2024-08-31", "2024-11-30", "2025-02-28", "2025-05-31"]),
    # a leap day, yearly: Feb 28 in common years, Feb 29 again in the next leap year
    (date(2024, 2, 29), "yearly", ["2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"]),
    (date(1900, 2, 28), "yearly", ["1900-02-28", "1901-02-28"]),  # 1900 is no leap year
    (date(2000, 2, 29), "yearly", ["2000-02-29", "2001-02-28"]),  # 2000 is
])
def test_runs_stay_on_their_anchor(start, frequency, expected):
    assert [d.isoformat() for d in _runs(start, frequency, len(expected))] == expected


@pytest.mark.parametrize("day, months, anchor, expected", [
    (date(2024, 3, 31), -1, 31, date(2024, 2, 29)),
    (date(2024, 2, 29), -12, 29, date(2023, 2, 28)),
    (date(2024, 1, 31), -1, 31, date(2023, 12, 31)),
    (date(2024, 5, 31), -3, 31, date(2024, 2, 29)),
])
def test_add_months_backwards(day, months, anchor, expected):
    assert add_months(day, months, anchor) == expected


@pytest.mark.parametrize("run, frequency, mode, anchor, start, end", [
    (date(2024, 1, 31), "monthly", "in_advance", 31, date(2024, 1, 31), date(2024, 2, 28)),
    (date(2024, 1, 31), "monthly", "in_arrears", 31, date(2023, 12, 31), date(2024, 1, 30)),
    (date(2024, 3, 1), "monthly", "in_advance", 1, date(2024, 3, 1), date(2024, 3, 31)),
    (date(2024, 3, 1), "monthly", "in_arrears", 1, date(2024, 2, 1), date(2024, 2, 29)),
    (date(2024, 3, 31), "monthly", "in_arrears", 31, date(2024, 2, 29), date(2024, 3, 30)),
    (date(2024, 1, 1), "quarterly", "in_advance", 1, date(2024, 1, 1), date(2024, 3, 31)),
    (date(2024, 1, 1), "yearly", "in_arrears", 1, date(2023, 1, 1), date(2023, 12, 31)),
    (date(2025, 2, 28), "yearly", "in_advance", 29, date(2025, 2, 28), date(2026, 2, 27)),
])
def test_period_for(run, frequency, mode, anchor, start, end):
    period = period_for(run, frequency, mode, anchor)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("start", [date(2024, 1, 31), date(2023, 11, 30), date(2024, 2, 29), date(2024, 6, 15)])
@pytest.mark.parametrize("frequency", ["monthly", "quarterly", "yearly"])
@pytest.mark.parametrize("mode", ["in_advance", "in_arrears"])
def test_consecutive_periods_touch_without_gap_or_overlap(start, frequency, mode):
    runs = _runs(start, frequency, 30)
    periods = [period_for(r, frequency, mode, start.day) for r in runs]
    for before, after in zip(periods, periods[1:]):
        assert after.start == before.end + timedelta(days=1)
    assert all(previous_run(b, frequency, start.day) == a for a, b in zip(runs, runs[1:]))
