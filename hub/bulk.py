"""Bulk inserts of many rows of one shape (a first sync writes ~170,000 rows for 10,000 customers).

``insert_rows(table, rows)`` is ``db.session.execute(insert(table), rows)`` with less work per row on
SQLite. There, SQLAlchemy's executemany builds a parameter dict per row and converts every value
through its column type again, though a sync's rows share most of them (one timestamp, one run id,
one JSON ``None``): a third of the CPU of a first sync. Here each value is converted by the very
bind processor SQLAlchemy would use, once per run of the same object in a column, and the DB-API gets
positional rows. Whatever this path cannot mirror exactly (Python-side column defaults, bind names
that are not the row keys) and every other database take SQLAlchemy's own path (on PostgreSQL it
batches into multi-row VALUES, which is faster than anything done here).
"""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa

from hub.extensions import db


def insert_rows(table: sa.Table, rows: list[dict]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table``, in the session's transaction."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        plan = _compiled(table, tuple(rows[0]), connection.dialect)
        if plan is not None:
            sql, names, processors = plan
            connection.exec_driver_sql(sql, _positional(rows, names, processors))
            return
    db.session.execute(sa.insert(table), rows)


@lru_cache(maxsize=64)
def _compiled(table: sa.Table, keys: tuple[str, ...], dialect) -> tuple[str, tuple, dict] | None:
    """(SQL, bind names in order, SQLAlchemy's bind processors by name) of the INSERT of ``keys``, or None
    when this path cannot mirror SQLAlchemy's (kept per dialect: an audit insert of two rows should not
    pay for compiling what SQLAlchemy's own path takes from its cache)."""
    compiled = sa.insert(table).compile(dialect=dialect, column_keys=list(keys))
    names = compiled.positiontup
    processors = getattr(compiled, "_bind_processors", None)  # SQLAlchemy's own, per bind name
    if compiled.insert_prefetch or names is None or processors is None or set(names) != set(keys):
        return None
    return compiled.string, tuple(names), dict(processors)


def _positional(rows: list[dict], names, processors: dict) -> list[tuple]:
    """Each row as the tuple the DB-API binds: its values in ``names`` order, each through its column's
    bind processor, which runs once while a column repeats the same object row after row."""
    columns = [(name, processors.get(name)) for name in names]
    last = [(_NOTHING, None)] * len(columns)  # per column: (the last object converted, what it became)
    result = []
    for row in rows:
        values = []
        for index, (name, process) in enumerate(columns):
            value = row[name]
            if process is None:
                values.append(value)
                continue
            seen, converted = last[index]
            if seen is not value:
                converted = process(value)
                last[index] = (value, converted)
            values.append(converted)
        result.append(tuple(values))
    return result


_NOTHING = object()
