"""Migration 0017: a destination's old "taxable" tax-code mapping (one code for every taxed line) is
carried to each tax rate as a suggestion a person confirms, never used as a guess; "exempt" is kept."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from hub.destinations import mappings
from hub.extensions import db
from hub.models import AuditEvent, DestinationMapping, MappingKind
from tests.core.test_migrations import empty_database_url, migrated_app  # noqa: F401  (fixtures)

NOW = datetime(2026, 11, 1, 9, 0)


def _old_world(conn) -> dict:
    """What a hub at revision 0013 held: two tax rates (one mapped already), QuickBooks with the old rows."""
    conn.execute(sa.text("INSERT INTO tax_rates (id, name, percent, compound, active, created_at) VALUES "
                         "(1, 'GST', 15, false, true, :now), (2, 'City levy', 2.5, false, true, :now), "
                         "(3, 'Old VAT', 12.5, false, false, :now)"), {"now": NOW})
    conn.execute(sa.text(
        "INSERT INTO destination_connections (id, slug, enabled, settings, state, token_version, key_prefix, "
        "created_at, updated_at) VALUES (7, 'quickbooks', true, '{}', 'connected', 1, 'ab12', :now, :now)"),
        {"now": NOW})
    conn.execute(sa.text(
        "INSERT INTO destination_mappings (connection_id, kind, local_key, external_id, external_name, confirmed, "
        "source, updated_at) VALUES "
        "(7, 'tax_code', 'taxable', 'TAX', 'TAX', true, 'manual', :now), "
        "(7, 'tax_code', 'exempt', 'NON', 'NON', true, 'manual', :now), "
        "(7, 'tax_code', '2', '9', 'City', true, 'manual', :now), "
        "(7, 'customer', '5', '58', 'Acme', true, 'auto', :now)"), {"now": NOW})
    return {}


def test_old_taxable_mapping_is_carried_to_each_rate_for_confirmation(migrated_app):
    runner = migrated_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0013"]).exit_code == 0
    with migrated_app.app_context():
        with db.engine.begin() as conn:
            _old_world(conn)
    result = runner.invoke(args=["db", "upgrade", "0017"])
    assert result.exit_code == 0, result.output
    with migrated_app.app_context():
        rows = {m.local_key: m for m in db.session.execute(
            sa.select(DestinationMapping).filter_by(kind="tax_code")).scalars()}
        assert set(rows) == {"1", "2", "3", "exempt"}  # the "taxable" row is gone, no rate left without it
        for key in ("1", "3"):  # carried, but only as a suggestion
            assert (rows[key].external_id, rows[key].confirmed, rows[key].source) == ("TAX", False, "migrated")
        assert (rows["2"].external_id, rows["2"].confirmed) == ("9", True)  # a rate already mapped keeps its code
        assert (rows["exempt"].external_id, rows["exempt"].confirmed) == ("NON", True)
        # a push reads confirmed mappings only: nothing goes out with the carried code until a person confirms
        assert mappings.confirmed(7, MappingKind.TAX) == {"2": "9", "exempt": "NON"}
        events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.actor == "migration 0017")
                                    .order_by(AuditEvent.id)).scalars().all()
        assert [(e.action, e.entity_id) for e in events] == [
            ("destination.map", "1"), ("destination.map", "3"), ("destination.unmap", "taxable")]
        assert events[-1].old_value == "TAX (TAX)" and events[-1].details["carried_to_tax_rates"] == ["1", "3"]
        assert events[0].field == "quickbooks" and events[0].new_value == "TAX (TAX)"
    assert runner.invoke(args=["db", "downgrade", "0013"]).exit_code == 0
