"""Past mappings: which Organization a vendor customer belonged to until it was remapped, unmapped or
archived, so periods before the change count it for the Organization it belonged to then.

Existing data: the audit log has every mapping change ("mapping.map", "mapping.remap", "mapping.unmap",
"mapping.archive_detached", with the old and new Organization); the upgrade replays it per customer.

Revision ID: 0023
Revises: 0022
"""

from collections import defaultdict

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

MAPPING_ACTIONS = ('mapping.map', 'mapping.remap', 'mapping.unmap', 'mapping.archive_detached')


def upgrade():
    past = op.create_table(
        'past_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vendor_customer_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('mapped_from', sa.DateTime(), nullable=True),
        sa.Column('mapped_until', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_past_mappings_organization_id_organizations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['vendor_customer_id'], ['vendor_customers.id'],
                                name=op.f('fk_past_mappings_vendor_customer_id_vendor_customers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_past_mappings')),
    )
    op.create_index(op.f('ix_past_mappings_organization_id'), 'past_mappings', ['organization_id'])
    op.create_index(op.f('ix_past_mappings_vendor_customer_id'), 'past_mappings', ['vendor_customer_id'])
    op.bulk_insert(past, replayed_past_mappings(op.get_bind()))


def replayed_past_mappings(connection) -> list[dict]:
    """The ended mappings the audit log tells of: each change away from an Organization ends its span."""
    audit = sa.table('audit_events', sa.column('id'), sa.column('occurred_at', sa.DateTime()), sa.column('action'),
                     sa.column('entity_type'), sa.column('entity_id'), sa.column('old_value'),
                     sa.column('new_value'))
    customers = {row[0] for row in connection.execute(sa.text('SELECT id FROM vendor_customers'))}
    organizations = {row[0] for row in connection.execute(sa.text('SELECT id FROM organizations'))}
    events = defaultdict(list)
    for _, at, action, entity_id, old, new in connection.execute(
            sa.select(audit.c.id, audit.c.occurred_at, audit.c.action, audit.c.entity_id, audit.c.old_value,
                      audit.c.new_value)
            .where(audit.c.entity_type == 'vendor_customer', audit.c.action.in_(MAPPING_ACTIONS))
            .order_by(audit.c.id)):
        if str(entity_id).isdigit() and int(entity_id) in customers:
            events[int(entity_id)].append((at, _number(old), _number(new)))
    rows = []
    for customer_id, changes in events.items():
        since, ended_any = None, False
        for at, old, new in changes:
            if old is not None and old in organizations:
                rows.append(dict(vendor_customer_id=customer_id, organization_id=old,
                                 mapped_from=since if ended_any else None, mapped_until=at))
                ended_any = True
            since = at
    return rows


def _number(value):
    text = str(value or '').strip()
    return int(text) if text.isdigit() else None


def downgrade():
    op.drop_index(op.f('ix_past_mappings_vendor_customer_id'), table_name='past_mappings')
    op.drop_index(op.f('ix_past_mappings_organization_id'), table_name='past_mappings')
    op.drop_table('past_mappings')
