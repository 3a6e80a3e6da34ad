"""Server-side paging: read ``page``/``per_page`` from the query string, describe the page for templates/JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import request

PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    """An integer query argument, clamped; junk falls back to the default (never a 500)."""
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, lo), hi)


def page_args(default_per_page: int = DEFAULT_PER_PAGE) -> tuple[int, int]:
    per_page = int_arg("per_page", default_per_page, 1, max(PER_PAGE_CHOICES))
    return int_arg("page", 1, 1, 10_000_000), per_page


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def first_item(self) -> int:
        return 0 if self.total == 0 else self.offset + 1

    @property
    def last_item(self) -> int:
        return min(self.total, self.offset + self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def as_dict(self) -> dict:
        return {"page": self.number, "per_page": self.per_page, "total": self.total, "pages": self.pages,
                "first_item": self.first_item, "last_item": self.last_item}


def paged_query(session, stmt, number: int, per_page: int):
    """Rows of one page (each with an extra ``_total`` column) and the Page, in one query (``count(*) over ()``).

    A second query runs only when the page is empty (past the end, or no rows at all).
    """
    from sqlalchemy import func, select

    counted = stmt.add_columns(func.count().over().label("_total"))
    rows = session.execute(counted.limit(per_page).offset((number - 1) * per_page)).all()
    if rows:
        total = rows[0]._total
    else:
        total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
        if total and number > 1:  # asked past the end: show the last page
            last = math.ceil(total / per_page)
            return paged_query(session, stmt, last, per_page)
    return rows, Page(number, per_page, total)
