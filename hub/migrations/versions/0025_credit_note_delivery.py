"""Credit notes are e-mailed through the invoice e-mail outbox

``invoice_deliveries`` rows carry an invoice's or a credit note's e-mail: ``invoice_id`` becomes nullable,
``credit_note_id`` is added, and a check keeps exactly one of them set. A credit note, like an invoice,
has at most one e-mail waiting at a time (a partial unique index). Existing rows are invoice e-mails and
stay as they are.

Revision ID: 0025
Revises: 0024
"""

from alembic import op
import sqlalchemy as sa

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

OPEN = "status IN ('queued', 'sending')"


def upgrade():
    # dropped and made again around the batch: SQLite's table copy need not keep a partial index's WHERE
    op.drop_index('uq_invoice_deliveries_open', table_name='invoice_deliveries',
                  sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    with op.batch_alter_table('invoice_deliveries', schema=None) as batch_op:
        batch_op.alter_column('invoice_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('credit_note_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invoice_deliveries_credit_note_id_credit_notes'),
                                    'credit_notes', ['credit_note_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_invoice_deliveries_one_document'),
                                         "(invoice_id IS NULL) <> (credit_note_id IS NULL)")
    with op.batch_alter_table('invoice_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_deliveries_credit_note_id'), ['credit_note_id'], unique=False)
        batch_op.create_index('uq_invoice_deliveries_open', ['invoice_id'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.create_index('uq_invoice_deliveries_open_credit_note', ['credit_note_id'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    # credit note e-mails cannot live in the old table (invoice_id NOT NULL): they go, with their attempts
    deliveries = sa.table('invoice_deliveries', sa.column('id'), sa.column('credit_note_id'))
    attempts = sa.table('delivery_attempts', sa.column('delivery_id'))
    op.execute(attempts.delete().where(attempts.c.delivery_id.in_(
        sa.select(deliveries.c.id).where(deliveries.c.credit_note_id.is_not(None)))))
    op.execute(deliveries.delete().where(deliveries.c.credit_note_id.is_not(None)))
    with op.batch_alter_table('invoice_deliveries', schema=None) as batch_op:
        batch_op.drop_index('uq_invoice_deliveries_open_credit_note',
                            sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.drop_index('uq_invoice_deliveries_open', sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.drop_index(batch_op.f('ix_invoice_deliveries_credit_note_id'))
    with op.batch_alter_table('invoice_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_invoice_deliveries_one_document'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_invoice_deliveries_credit_note_id_credit_notes'), type_='foreignkey')
        batch_op.drop_column('credit_note_id')
        batch_op.alter_column('invoice_id', existing_type=sa.Integer(), nullable=False)
    op.create_index('uq_invoice_deliveries_open', 'invoice_deliveries', ['invoice_id'], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
