"""Migration 0025 on SQLite, where Alembic copies the table to change a column: the invoice e-mails and
their attempts stay, both partial unique indexes keep their WHERE, a row must name exactly one document;
the downgrade keeps the invoice e-mails and drops the credit notes' (the old table cannot hold them)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.extensions import db
from tests.core.test_migrations import empty_database_url, migrated_app  # noqa: F401  (fixtures)

ROW = ("INSERT INTO invoice_deliveries (id, invoice_id, credit_note_id, status, trigger, to_addresses, cc_addresses, "
       "attempts, next_attempt_at, created_at, created_by) VALUES (:id, :invoice_id, :note_id, :status, 'auto', "
       "'[]', '[]', 1, '2024-01-01', '2024-01-01', 'test')")


def _rows(sql: str) -> list:
    with db.engine.begin() as conn:
        return conn.execute(sa.text(sql)).all()


def test_the_outbox_keeps_its_rows_and_gains_credit_notes(migrated_app, database_url):
    if database_url is not None:
        pytest.skip("the table copy is SQLite's (PostgreSQL alters in place); the rows need no invoices there")
    runner = migrated_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0024"]).exit_code == 0
    with migrated_app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text(ROW.replace(", credit_note_id", "").replace(", :note_id", "")),
                     {"id": 1, "invoice_id": 7, "status": "sent"})
        conn.execute(sa.text("INSERT INTO delivery_attempts (delivery_id, number, attempted_at, ok, result) "
                             "VALUES (1, 1, '2024-01-01', 1, '250 ok')"))
    assert runner.invoke(args=["db", "upgrade", "0025"]).exit_code == 0
    with migrated_app.app_context():
        assert _rows("SELECT id, invoice_id, credit_note_id, status FROM invoice_deliveries") == [(1, 7, None, "sent")]
        assert _rows("SELECT delivery_id, result FROM delivery_attempts") == [(1, "250 ok")]
        indexes = dict(_rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                             "AND tbl_name = 'invoice_deliveries' AND sql IS NOT NULL"))
        for name in ("uq_invoice_deliveries_open", "uq_invoice_deliveries_open_credit_note"):
            assert "WHERE status IN ('queued', 'sending')" in indexes[name]
        with db.engine.begin() as conn:
            conn.execute(sa.text(ROW), {"id": 2, "invoice_id": None, "note_id": 3, "status": "queued"})
            conn.execute(sa.text(ROW), {"id": 3, "invoice_id": 7, "note_id": None, "status": "queued"})
        for invoice_id, note_id in ((None, None), (7, 3)):
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
                conn.execute(sa.text(ROW), {"id": 9, "invoice_id": invoice_id, "note_id": note_id, "status": "failed"})
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:  # one waiting e-mail per note
            conn.execute(sa.text(ROW), {"id": 9, "invoice_id": None, "note_id": 3, "status": "sending"})
    assert runner.invoke(args=["db", "downgrade", "0024"]).exit_code == 0
    with migrated_app.app_context():
        assert _rows("SELECT id, invoice_id FROM invoice_deliveries ORDER BY id") == [(1, 7), (3, 7)]
        assert _rows("SELECT delivery_id FROM delivery_attempts") == [(1,)]
