"""Sequential invoice numbers from a counter row, taken inside the issuing transaction.

``UPDATE ... SET value = value + n ... RETURNING value`` locks the row until commit, so concurrent
issuers take turns and numbers stay gapless: a rolled-back transaction gives its numbers back.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from hub.extensions import db
from hub.models import BillingCounter

COUNTERS = BillingCounter.__table__
INVOICE_COUNTER = "invoice"


def allocate(count: int, name: str = INVOICE_COUNTER) -> list[int]:
    """``count`` consecutive numbers, in order."""
    if count <= 0:
        return []
    bump = (db.update(COUNTERS).where(COUNTERS.c.name == name)
            .values(value=COUNTERS.c.value + count).returning(COUNTERS.c.value))
    end = db.session.execute(bump).scalar()
    if end is None:  # first use: create the row; a concurrent creator's row is just as good
        dialect = db.session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(COUNTERS)
        db.session.execute(insert.values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"]))
        end = db.session.execute(bump).scalar_one()
    return list(range(end - count + 1, end + 1))


def label(number: int | None) -> str:
    """The number as printed: the configured prefix and six digits ("INV-000042"); drafts have none."""
    if number is None:
        return "draft"
    return f"{current_app.config.get('HUB_INVOICE_PREFIX', 'INV-')}{number:06d}"
