"""Credit notes on their way to a destination, through the same push state machine as invoices: queued in
the issuing transaction, waiting for the invoice they credit, pushed once to the QuickBooks simulator
(also across a timeout after it committed), blocked naming the field, shown as not supported by a
destination whose plugin takes none, every step audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from hub import events
from hub.billing import credit_notes, tax
from hub.destinations import connections, mappings, oauth, queue
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import AuditEvent, CreditNote, DestinationPush, Invoice, MappingKind
from hub.timeutil import utcnow
from tests.destinations.conftest import ADMIN, REDIRECT, sign_in, sim_config

QUIET = {"sleep": lambda s: None}
TIMEOUT = {**QUIET, "timeout": (5, 0.3), "max_retries": 0}


def push_of(*, invoice_id: int | None = None, credit_note_id: int | None = None) -> DestinationPush:
    db.session.expire_all()
    key = {"invoice_id": invoice_id} if invoice_id is not None else {"credit_note_id": credit_note_id}
    return db.session.execute(sa.select(DestinationPush).filter_by(**key)).scalar_one()


def audited(action: str, entity_type: str = "credit_note") -> list[AuditEvent]:
    return list(db.session.execute(sa.select(AuditEvent).filter_by(action=action, entity_type=entity_type)).scalars())


def credit(invoice_id: int, reason: str = "two endpoints were never installed") -> CreditNote:
    return credit_notes.create_credit_note(invoice_id, ADMIN, reason)


def make_due(push: DestinationPush) -> None:
    push.next_attempt_at = utcnow()
    db.session.commit()


def memo_posts(qbo_sim) -> list[dict]:
    return [args for method, path, args in qbo_sim.app.state.requests if path.endswith("/creditmemo")]


def credit_of_a_pushed_invoice(mapped, books) -> CreditNote:
    org, product = mapped
    invoice_id = books.issue(org, product)
    run_pushes(session_options=QUIET)
    assert push_of(invoice_id=invoice_id).state == "pushed"
    return credit(invoice_id)


@pytest.fixture
def mapped(qbo, books):
    """Contoso and its product mapped (created at QuickBooks through the plugin)."""
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint")
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    mappings.auto_match("quickbooks", "item", ADMIN)
    mappings.confirm("quickbooks", "item", [str(product.id)], ADMIN)
    return org, product


def test_issuing_a_credit_note_queues_its_push_in_the_same_transaction(mapped, books):
    org, product = mapped
    invoice_id = books.issue(org, product)
    note = credit(invoice_id)
    push = push_of(credit_note_id=note.id)
    assert push.state == "queued" and push.invoice_id is None and push.connection_id == connections.get_connection(
        "quickbooks").id
    [event] = audited("destination.queue")
    assert event.entity_id == str(note.id) and event.new_value == "queued"


def test_a_failure_before_commit_queues_nothing(mapped, books, commit_fails):
    """The push is written by a receiver of ``credit_notes_issued`` inside the issuing transaction: when the
    commit fails, the rollback takes the push (and the credit note) away too."""
    org, product = mapped
    invoice_id = books.issue(org, product)
    commit_fails(lambda: db.session.execute(sa.select(DestinationPush.id).where(
        DestinationPush.credit_note_id.is_not(None))).first())
    with pytest.raises(RuntimeError, match="fails at its commit"):
        credit(invoice_id)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(CreditNote)).scalar_one() == 0
    assert db.session.execute(sa.select(DestinationPush).where(
        DestinationPush.credit_note_id.is_not(None))).first() is None


def test_nothing_is_queued_without_an_enabled_destination(mapped, books):
    org, product = mapped
    invoice_id = books.issue(org, product)
    connections.set_enabled("quickbooks", False, ADMIN)
    note = credit(invoice_id)
    assert db.session.execute(sa.select(DestinationPush).filter_by(credit_note_id=note.id)).first() is None


def test_the_credit_note_waits_for_its_invoice_then_reaches_quickbooks_as_a_credit_memo(mapped, books, qbo_sim):
    org, product = mapped
    invoice_id = books.issue(org, product, quantity="3")
    note = credit(invoice_id, "endpoints <never> installed")
    qbo_sim.app.faults.unavailable = 503  # the invoice cannot go yet
    [report] = run_pushes(session_options=QUIET)
    assert report.retrying == [invoice_id] and report.credit_notes["waiting"] == [note.id]
    waiting = push_of(credit_note_id=note.id)
    number = str(db.session.get(Invoice, invoice_id).number)
    assert waiting.state == "queued" and waiting.error_field == "invoice"
    assert f"waits for invoice {number}" in waiting.last_error and "retrying" in waiting.last_error
    assert qbo_sim.app.state.credit_memos == {} and memo_posts(qbo_sim) == []
    run_pushes(session_options=QUIET)
    assert len(audited("destination.push_waiting")) == 1  # said once, not every minute
    qbo_sim.app.faults.unavailable = None
    make_due(push_of(invoice_id=invoice_id))
    [report] = run_pushes(session_options=QUIET)
    # the invoice first, then its credit note in the same run
    assert report.pushed == [invoice_id] and report.credit_notes["pushed"] == [note.id]
    invoice_push, push = push_of(invoice_id=invoice_id), push_of(credit_note_id=note.id)
    [memo] = qbo_sim.app.credit_notes_numbered("CN-000001")
    customer = mappings.confirmed(invoice_push.connection_id, MappingKind.CUSTOMER)[str(org.id)]
    assert memo["CustomerRef"] == {"value": customer} and memo["TxnDate"] == note.credit_date.isoformat()
    [line] = [ln for ln in memo["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    assert Decimal(str(line["Amount"])) == Decimal("37.50") and Decimal(str(line["SalesItemLineDetail"]["Qty"])) == 3
    assert Decimal(str(line["SalesItemLineDetail"]["UnitPrice"])) == Decimal("12.50")
    assert Decimal(str(memo["TotalAmt"])) == note.total == Decimal("37.50") and "TxnTaxDetail" in memo
    assert memo["CustomerMemo"]["value"] == f"Credit for invoice {number}: endpoints <never> installed"
    assert memo["PrivateNote"] == f"hub credit note {note.id}"
    assert push.state == "pushed" and push.external_id == memo["Id"] and push.external_number == "CN-000001"
    assert push.external_url.endswith(f"/app/creditmemo?txnId={memo['Id']}") and push.last_error is None
    [args] = memo_posts(qbo_sim)
    assert args["requestid"] == f"hub-{connections.get_connection('quickbooks').key_prefix}-c{note.id}-g1"
    [event] = audited("destination.push")
    assert event.new_value == "CN-000001" and event.field == "quickbooks"
    assert run_pushes(session_options=QUIET)[0].credit_notes["pushed"] == []  # nothing twice


def test_a_taxed_credit_note_carries_the_mapped_code_and_the_hubs_tax(qbo, books, qbo_sim):
    gst = tax.create_tax_rate("GST", "15", ADMIN)
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint", price="12.35")
    tax.set_organization_tax(org.id, ADMIN, rate_ids=[gst.id])
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    mappings.create_at_provider("quickbooks", "item", str(product.id), ADMIN)
    mappings.auto_match("quickbooks", "tax_code", ADMIN)
    mappings.confirm("quickbooks", "tax_code", [str(gst.id)], ADMIN)
    invoice_id = books.issue(org, product, quantity="7")
    note = credit(invoice_id)
    assert note.tax_total > 0
    [report] = run_pushes(session_options=QUIET)
    assert report.credit_notes["pushed"] == [note.id]
    [memo] = qbo_sim.app.credit_notes_numbered("CN-000001")
    [line] = [ln for ln in memo["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    assert line["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "5"}
    assert Decimal(str(memo["TxnTaxDetail"]["TotalTax"])) == note.tax_total
    assert Decimal(str(memo["TotalAmt"])) == note.total and push_of(credit_note_id=note.id).error_field is None


def test_a_timeout_after_quickbooks_committed_does_not_make_a_second_credit_memo(mapped, books, qbo_sim):
    note = credit_of_a_pushed_invoice(mapped, books)
    qbo_sim.app.faults.commit_then_hang, qbo_sim.app.faults.hang_seconds = 1, 1.0
    [report] = run_pushes(session_options=TIMEOUT)
    assert report.credit_notes["retrying"] == [note.id]
    push = push_of(credit_note_id=note.id)
    assert push.state == "retrying" and "timed out" in push.last_error and push.next_attempt_at > utcnow()
    assert len(qbo_sim.app.credit_notes_numbered("CN-000001")) == 1  # made; the hub never heard
    assert audited("destination.push_retry")
    make_due(push)
    assert run_pushes(session_options=QUIET)[0].credit_notes["pushed"] == [note.id]
    [memo] = qbo_sim.app.credit_notes_numbered("CN-000001")
    assert push_of(credit_note_id=note.id).external_id == memo["Id"]
    # the retry found it by its DocNumber and adopted it: one create, no duplicate-number refusal
    assert len(memo_posts(qbo_sim)) == 1 and "6140" not in qbo_sim.app.state.fault_codes
    assert any("from CreditMemo where DocNumber IN ('CN-000001')" in args.get("query", "")
               for _, path, args in qbo_sim.app.state.requests if path.endswith("/query"))


def test_the_sessions_own_retry_resends_the_same_requestid(mapped, books, qbo_sim):
    note = credit_of_a_pushed_invoice(mapped, books)
    qbo_sim.app.faults.commit_then_hang, qbo_sim.app.faults.hang_seconds = 1, 1.0
    assert run_pushes(session_options={**QUIET, "timeout": (5, 0.3)})[0].credit_notes["pushed"] == [note.id]
    first, again = memo_posts(qbo_sim)
    assert first["requestid"] == again["requestid"] and qbo_sim.app.state.replayed == 1
    assert len(qbo_sim.app.state.credit_memos) == 1


def test_a_refusal_blocks_naming_the_field_and_push_now_sends_a_new_generation(mapped, books, qbo_sim):
    note = credit_of_a_pushed_invoice(mapped, books)
    qbo_sim.app.faults.reject_invoices_field = "TxnDate"
    [report] = run_pushes(session_options=QUIET)
    assert report.credit_notes["blocked"] == [note.id] and report.blocked == []
    push = push_of(credit_note_id=note.id)
    assert push.state == "blocked" and push.error_field == "TxnDate" and "Invalid value for TxnDate" in push.last_error
    assert push.generation == 2 and audited("destination.push_rejected")[0].entity_id == str(note.id)
    qbo_sim.app.faults.reject_invoices_field = None
    queue.push_now(push.id, ADMIN)
    assert audited("destination.push_now")[0].entity_id == str(note.id)
    assert run_pushes(session_options=QUIET)[0].credit_notes["pushed"] == [note.id]
    assert memo_posts(qbo_sim)[-1]["requestid"].endswith(f"-c{note.id}-g2")


def test_an_invoice_that_never_went_there_does_not_hold_its_credit_note_back(qbo, books, qbo_sim):
    """Issued before the destination was enabled: no push of the invoice, so the credit note goes on its own
    (blocked first while its customer is unmapped, naming it)."""
    org, product = books.org("Tailspin <Ltd>"), books.product("EP", "Managed Endpoint")
    connections.set_enabled("quickbooks", False, ADMIN)
    invoice_id = books.issue(org, product)
    connections.set_enabled("quickbooks", True, ADMIN)
    note = credit(invoice_id)
    [report] = run_pushes(session_options=QUIET)
    assert report.credit_notes["blocked"] == [note.id]
    push = push_of(credit_note_id=note.id)
    assert push.error_field == "customer" and "'Tailspin <Ltd>' is not mapped" in push.last_error
    assert audited("destination.push_blocked")[0].entity_id == str(note.id)
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    mappings.auto_match("quickbooks", "item", ADMIN)
    mappings.confirm("quickbooks", "item", [str(product.id)], ADMIN)
    assert queue.push_all_pending(None, ADMIN) == 1
    assert run_pushes(session_options=QUIET)[0].credit_notes["pushed"] == [note.id]
    assert len(qbo_sim.app.state.credit_memos) == 1 and qbo_sim.app.state.invoices == {}


def test_a_total_quickbooks_computes_differently_is_flagged(mapped, books, qbo_sim, monkeypatch):
    note = credit_of_a_pushed_invoice(mapped, books)
    sim = qbo_sim.app
    original = sim._sales_transaction

    def recompute(body, table, kind):
        row = original(body, table, kind)
        row["TotalAmt"] = Decimal(str(row["TotalAmt"])) + Decimal("0.01")
        return row

    monkeypatch.setattr(sim, "_sales_transaction", recompute)
    run_pushes(session_options=QUIET)
    push = push_of(credit_note_id=note.id)
    assert push.state == "pushed" and push.error_field == "total"
    assert "holds this credit note with total 37.51, the hub's is 37.50" in push.last_error
    assert audited("destination.total_mismatch")[0].entity_id == str(note.id)


# -- a destination whose plugin takes no credit notes --------------------------------------------------


class InvoicesOnly:
    """The QuickBooks plugin without its credit note hook (as a third-party destination may be)."""

    def __init__(self) -> None:
        import hub_quickbooks.plugin as qbo

        for name in dir(qbo):
            if name.startswith("hub_destination_") and name != "hub_destination_push_credit_notes":
                setattr(self, name, getattr(qbo, name))


@pytest.fixture
def invoices_only(app_ctx, app, qbo_sim):
    registry = app.extensions["hub.plugins"]
    assert registry.register(InvoicesOnly(), "quickbooks") is not None, registry.errors
    connections.configure("quickbooks", sim_config(qbo_sim), ADMIN)
    oauth.finish("quickbooks", sign_in(), REDIRECT, ADMIN)
    connections.set_enabled("quickbooks", True, ADMIN)
    yield
    registry.unregister("quickbooks")


def test_a_destination_without_the_hook_shows_the_credit_note_as_not_supported(invoices_only, books, qbo_sim):
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint")
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    invoice_id = books.issue(org, product)
    note = credit(invoice_id)
    push = push_of(credit_note_id=note.id)
    assert push.state == "unsupported"
    assert audited("destination.queue")[0].new_value == "unsupported"
    run_pushes(session_options=QUIET)
    assert push_of(credit_note_id=note.id).state == "unsupported" and qbo_sim.app.state.credit_memos == {}
    assert memo_posts(qbo_sim) == [] and queue.push_all_pending(None, ADMIN) <= 1  # the invoice only
    with pytest.raises(Exception, match="only a queued, retrying or blocked one"):
        queue.push_now(push.id, ADMIN)


def test_a_queued_credit_note_is_marked_unsupported_by_the_run_when_the_plugin_lost_the_hook(
        mapped, books, qbo_sim, app):
    org, product = mapped
    invoice_id = books.issue(org, product)
    note = credit(invoice_id)
    registry = app.extensions["hub.plugins"]
    registry.unregister("quickbooks")
    assert registry.register(InvoicesOnly(), "quickbooks") is not None
    [report] = run_pushes(session_options=QUIET)
    assert report.pushed == [invoice_id] and report.credit_notes["unsupported"] == [note.id]
    push = push_of(credit_note_id=note.id)
    assert push.state == "unsupported" and "does not take credit notes" in push.last_error
    assert audited("destination.push_unsupported") and qbo_sim.app.state.credit_memos == {}


def test_a_credit_notes_issued_while_the_plugin_is_not_loaded_waits_queued_for_it(mapped, books, qbo_sim, app):
    """Unknown is not unsupported: the push stays queued, and the run decides once the plugin is back."""
    import hub_quickbooks.plugin as qbo

    org, product = mapped
    invoice_id = books.issue(org, product)
    registry = app.extensions["hub.plugins"]
    registry.unregister("quickbooks")
    note = credit(invoice_id)
    assert push_of(credit_note_id=note.id).state == "queued"
    assert registry.register(qbo, "quickbooks") is not None
    [report] = run_pushes(session_options=QUIET)
    assert report.pushed == [invoice_id] and report.credit_notes["pushed"] == [note.id]
