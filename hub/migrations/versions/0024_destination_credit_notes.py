"""Credit notes go to destinations too: a push carries an invoice or a credit note (exactly one).

Revision ID: 0024
Revises: 0023
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('destination_pushes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_note_id', sa.Integer(), nullable=True))
        batch_op.alter_column('invoice_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_destination_pushes_credit_note_id_credit_notes'), 'credit_notes',
                                    ['credit_note_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_destination_pushes_connection_id_credit_note_id'),
                                          ['connection_id', 'credit_note_id'])
        batch_op.create_check_constraint('one_document', '(invoice_id IS NULL) <> (credit_note_id IS NULL)')
        batch_op.create_index(batch_op.f('ix_destination_pushes_credit_note_id'), ['credit_note_id'], unique=False)


def downgrade():
    # a credit note's push has no invoice: it cannot exist in the older shape
    op.execute("DELETE FROM destination_pushes WHERE credit_note_id IS NOT NULL")
    with op.batch_alter_table('destination_pushes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destination_pushes_credit_note_id'))
        batch_op.drop_constraint('one_document', type_='check')
        batch_op.drop_constraint(batch_op.f('uq_destination_pushes_connection_id_credit_note_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_destination_pushes_credit_note_id_credit_notes'), type_='foreignkey')
        batch_op.alter_column('invoice_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('credit_note_id')
