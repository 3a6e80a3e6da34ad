"""Migration 0024: a push carries an invoice or a credit note, exactly one; the invoices' pushes made before
it stay as they were, and a downgrade drops only the credit notes' pushes (the older shape cannot hold them)."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from hub.extensions import db
from tests.core.test_migrations import empty_database_url, migrated_app  # noqa: F401  (fixtures)

NOW = datetime(2026, 12, 1, 9, 0)
PUSH = ("INSERT INTO destination_pushes (connection_id, invoice_id, {extra} state, generation, attempts, "
        "created_at, updated_at) VALUES (7, :invoice, {value} 'queued', 1, 0, :now, :now)")


def insert_push(conn, invoice_id, credit_note_id=None, *, with_credit_column=True) -> None:
    """A push row pointing at an invoice or credit note this test does not make: PostgreSQL's foreign-key
    triggers are skipped for it (SQLite does not check them here); the CHECK, NOT NULL and unique rules under
    test still hold."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    extra, value = ("credit_note_id,", ":credit,") if with_credit_column else ("", "")
    conn.execute(sa.text(PUSH.format(extra=extra, value=value)),
                 {"invoice": invoice_id, "credit": credit_note_id, "now": NOW})


def pushes(conn) -> list[tuple]:
    return [tuple(r) for r in conn.execute(sa.text(
        "SELECT invoice_id, credit_note_id FROM destination_pushes ORDER BY id"))]


def test_a_push_holds_one_document_and_old_pushes_survive(migrated_app):
    runner = migrated_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0023"]).exit_code == 0
    with migrated_app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO destination_connections (id, slug, enabled, settings, state, token_version, key_prefix, "
                "created_at, updated_at) VALUES (7, 'quickbooks', true, '{}', 'connected', 1, 'ab12', :now, :now)"),
                {"now": NOW})
            insert_push(conn, 41, with_credit_column=False)
    result = runner.invoke(args=["db", "upgrade", "0024"])
    assert result.exit_code == 0, result.output
    with migrated_app.app_context():
        with db.engine.begin() as conn:
            assert pushes(conn) == [(41, None)]
            insert_push(conn, None, 5)
        for invoice_id, credit_note_id in ((None, None), (42, 6), (None, 5)):  # neither, both, a second push
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
                insert_push(conn, invoice_id, credit_note_id)
        with db.engine.begin() as conn:
            assert pushes(conn) == [(41, None), (None, 5)]
    assert runner.invoke(args=["db", "downgrade", "0023"]).exit_code == 0
    with migrated_app.app_context():
        with db.engine.begin() as conn:
            assert [tuple(r) for r in conn.execute(sa.text("SELECT invoice_id FROM destination_pushes"))] == [(41,)]
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            insert_push(conn, None, with_credit_column=False)  # NOT NULL again
