"""Old "taxable" tax-code mappings carried to per-rate mappings (for confirmation); payment status of pushes.

Before tax rates were mapped one by one, a destination's tax-code table had two rows: ``taxable`` (the
code for every taxed line) and ``exempt`` (the code for untaxed lines). The push now looks a taxed line's
code up by its tax rate's id, so a ``taxable`` row is never read again: invoices taxed at a rate would
wait, blocked, with no hint of the code the admin had chosen. This migration carries each ``taxable``
row to every tax rate not yet mapped on that destination, as an *unconfirmed* suggestion (source
``migrated``): one code for all rates was right for a single-rate setup and a guess for several, so a
person confirms each before anything is pushed with it. The ``taxable`` row is then removed. Both
steps are written to the audit log. ``exempt`` keeps its key and meaning (the code for lines that carry
no tax) and is left as it is.

Also: the payment status read back from the provider on each push (state, amount paid, balance due,
when read, when paid).

Revision ID: 0017
Revises: 0015
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None

ACTOR = "migration 0017"
OLD_KEY = "taxable"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _audit(conn, audit, **values) -> None:
    conn.execute(audit.insert().values(occurred_at=_now(), actor_type="system", actor=ACTOR, **values))


def carry_taxable_mappings(conn) -> int:
    """Each destination's ``taxable`` tax-code mapping -> an unconfirmed mapping per unmapped tax rate.
    Returns how many mappings were made."""
    meta = sa.MetaData()
    mappings = sa.Table("destination_mappings", meta, autoload_with=conn)
    connections = sa.Table("destination_connections", meta, autoload_with=conn)
    rates = sa.Table("tax_rates", meta, autoload_with=conn)
    audit = sa.Table("audit_events", meta, autoload_with=conn)
    rate_ids = [str(r) for r in conn.execute(sa.select(rates.c.id).order_by(rates.c.id)).scalars()]
    slugs = dict(conn.execute(sa.select(connections.c.id, connections.c.slug)).all())
    made = 0
    old_rows = conn.execute(sa.select(mappings).where(mappings.c.kind == "tax_code",
                                                      mappings.c.local_key == OLD_KEY)).mappings().all()
    for old in old_rows:
        taken = set(conn.execute(sa.select(mappings.c.local_key).where(
            mappings.c.connection_id == old["connection_id"], mappings.c.kind == "tax_code")).scalars())
        value = f"{old['external_id']} ({old['external_name']})"
        carried = [key for key in rate_ids if key not in taken]
        for key in carried:
            conn.execute(mappings.insert().values(
                connection_id=old["connection_id"], kind="tax_code", local_key=key, external_id=old["external_id"],
                external_name=old["external_name"], confirmed=False, source="migrated", updated_at=_now()))
            _audit(conn, audit, action="destination.map", entity_type="tax_code", entity_id=key,
                   field=slugs.get(old["connection_id"]), old_value=None, new_value=value,
                   details={"source": "migrated", "confirmed": False, "from": OLD_KEY})
            made += 1
        conn.execute(mappings.delete().where(mappings.c.id == old["id"]))
        _audit(conn, audit, action="destination.unmap", entity_type="tax_code", entity_id=OLD_KEY,
               field=slugs.get(old["connection_id"]), old_value=value, new_value=None,
               details={"carried_to_tax_rates": carried, "was_confirmed": bool(old["confirmed"]),
                        "reason": "tax codes are mapped per tax rate now; confirm each carried mapping"})
    return made


def upgrade():
    with op.batch_alter_table('destination_pushes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_state', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('amount_paid', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('balance_due', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('payment_checked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paid_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_destination_pushes_payment', ['connection_id', 'state', 'payment_checked_at'],
                              unique=False)
    carry_taxable_mappings(op.get_bind())


def downgrade():
    # the carried mappings stay: they are valid rows of the per-rate shape (the old "taxable" row is gone)
    with op.batch_alter_table('destination_pushes', schema=None) as batch_op:
        batch_op.drop_index('ix_destination_pushes_payment')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('payment_checked_at')
        batch_op.drop_column('balance_due')
        batch_op.drop_column('amount_paid')
        batch_op.drop_column('payment_state')
