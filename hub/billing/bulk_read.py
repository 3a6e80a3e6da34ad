"""Reading tens of thousands of rows: a Numeric column converted once per distinct value, not once per row;
and no cyclic garbage collection while they are worked on (``collections_paused``).

SQLAlchemy turns each NUMERIC value SQLite returns into a Decimal as the row is read (about a microsecond
each); a report over 20,000 counts reads the same few quantities and prices over and over. ``raw(column)``
selects a column as the driver returns it, and ``converter(column)`` turns such values into exactly what the
column's own type returns, converting each distinct value once. Where the driver already returns the
type's value (PostgreSQL's NUMERIC is a Decimal from psycopg) the values pass through untouched.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Callable

from sqlalchemy import type_coerce
from sqlalchemy.types import NullType

from hub.extensions import db


def raw(column):
    """``column`` selected without its type's conversion (convert it with ``converter(column)``)."""
    return type_coerce(column, NullType())


class _Memo(dict):
    def __init__(self, process: Callable[[Any], Any]):
        super().__init__()
        self.process = process

    def __missing__(self, value):
        converted = self[value] = self.process(value)
        return converted


def converter(column) -> Callable[[Any], Any]:
    """driver value -> the value ``column``'s type returns for it (Decimal for NUMERIC), memoised."""
    process = column.type.result_processor(db.session.get_bind().dialect, None)
    if process is None:
        return _same
    return _Memo(process).__getitem__


def _same(value):
    return value


@contextmanager
def collections_paused():
    """No cyclic garbage collection inside the block (reference counting still frees nearly everything).

    A bulk computation (the usage report, a batch of the invoice run) makes tens of thousands of objects that
    live to its end; each time they push the collector into a full collection, it rescans every long-lived
    object of the application as well (hundreds of thousands): measured, a quarter of the invoice run's CPU
    time and more of the report's. The collector is process-wide: a block entered while it is already
    paused (nested, or another thread's) leaves it alone, so it is enabled again as it was found.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
