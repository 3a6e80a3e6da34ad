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

import sqlalchemy as sa

from hub.extensions import db


def insert_rows(table: sa.Table, rows: list[dict]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table``, in the session's transaction."""
    if not rows:
        return
    connection = db.session.connection()
    statement = sa.insert(table)
    if connection.dialect.name == "sqlite":
        compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
        names = compiled.positiontup
        processors = getattr(compiled, "_bind_processors", None)  # SQLAlchemy's own, per bind name
        if not compiled.insert_prefetch and names is not None and processors is not None \
                and set(names) == set(rows[0]):
            connection.exec_driver_sql(compiled.string, _positional(rows, names, processors))
            return
    db.session.execute(statement, rows)


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
