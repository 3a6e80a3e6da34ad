"""Whole-database snapshots, to prove that something changed nothing."""

from __future__ import annotations

import sqlalchemy as sa

from hub.extensions import db

#: what a sync run writes even when it changes nothing: its own row and the integration's sync bookkeeping
SYNC_BOOKKEEPING = {
    "sync_runs": None,
    "sync_leases": None,
    "vendor_integrations": {"state", "state_message", "retry_not_before", "last_sync_at", "last_success_at",
                            "updated_at"},
}


def snapshot(ignore: dict[str, set[str] | None] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key. ``ignore`` maps a table to the columns to
    leave out, or to None to leave the whole table out."""
    ignore = ignore or {}
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name in ignore and ignore[table.name] is None:
            continue
        columns = [c for c in table.c if c.name not in (ignore.get(table.name) or ())]
        rows = db.session.execute(sa.select(*columns).order_by(*table.primary_key.columns)).all()
        state[table.name] = [tuple(row) for row in rows]
    return state


def diff(before: dict, after: dict) -> dict:
    """Tables whose rows differ, with the rows only before and only after (for assertion messages)."""
    changed = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, []), after.get(name, [])
        if old != new:
            changed[name] = {"gone": [r for r in old if r not in new], "new": [r for r in new if r not in old]}
    return changed
