"""Run dates and billing periods: pure date arithmetic, month ends and leap years included.

Runs are anchored on a day of the month: anchored on the 31st, a monthly schedule runs on
Jan 31, Feb 28 (29 in leap years), Mar 31, Apr 30, ... never drifting to the 28th.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from hub.models.billing import Frequency, PeriodMode


def add_months(day: date, months: int, anchor_day: int) -> date:
    """``day`` moved by ``months`` months, on ``anchor_day`` or the month's last day if it is shorter."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def next_run(run_date: date, frequency: str, anchor_day: int) -> date:
    return add_months(run_date, Frequency(frequency).months, anchor_day)


def previous_run(run_date: date, frequency: str, anchor_day: int) -> date:
    return add_months(run_date, -Frequency(frequency).months, anchor_day)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def period_for(run_date: date, frequency: str, period_mode: str, anchor_day: int) -> Period:
    """The period the invoice of ``run_date`` bills.

    In advance: from the run date to the day before the next run. In arrears: from the previous run
    date to the day before this run. Consecutive runs give back-to-back periods either way.
    """
    if PeriodMode(period_mode) is PeriodMode.IN_ADVANCE:
        return Period(run_date, next_run(run_date, frequency, anchor_day) - timedelta(days=1))
    return Period(previous_run(run_date, frequency, anchor_day), run_date - timedelta(days=1))


def issue_day(period: Period, period_mode: str) -> date:
    """The day an invoice's at-issue counts are taken: the first day of a period billed in advance, the last
    day of one billed in arrears. An invoice made later than that (a catch-up, an invoice in arrears, a
    reissue) bills the counts of that day from the count history, never the counts of the day it is made."""
    return period.start if PeriodMode(period_mode) is PeriodMode.IN_ADVANCE else period.end


def past_issue_days(periods: dict, modes: dict, as_of: date) -> dict:
    """id -> its issue day, for the invoices (id -> period being billed, id -> period mode) made after that day:
    their at-issue lines bill that day's counts from history."""
    return {key: day for key, mode in modes.items() if (day := issue_day(periods[key], mode)) < as_of}


def dated_modes(run_date: date, as_of: date) -> tuple[str, ...]:
    """The period modes whose invoice of ``run_date``, made on ``as_of``, takes its at-issue counts from
    history (``issue_day`` before ``as_of``): the same for every schedule, whatever its frequency."""
    days = {PeriodMode.IN_ADVANCE: run_date, PeriodMode.IN_ARREARS: run_date - timedelta(days=1)}
    return tuple(mode.value for mode, day in days.items() if day < as_of)
