"""Credit notes to QuickBooks as CreditMemos: one ``POST /creditmemo?requestid=…`` per credit note (the
hub's idempotency key as ``requestid``), adopting what an earlier attempt made (by ``DocNumber``).

A CreditMemo is not linked to the invoice it credits at creation: QuickBooks applies the credit when a
payment is received (``ReceivePayment`` lines), which is the bookkeeper's act, not the hub's. The memo
names the invoice in ``CustomerMemo``, and ``PrivateNote`` holds "hub credit note N" (how a duplicate
number is recognised as our own).
"""

from __future__ import annotations

from hub.plugins import CreditNoteToPush, PushRejected, PushResult

from .client import QboClient, QboFault, describe
from . import invoices
from .invoices import DUPLICATE_DOC_NUMBER, by_doc_number, sales_lines

ENTITY = "CreditMemo"


def private_note(note: CreditNoteToPush) -> str:
    return f"hub credit note {note.credit_note_id}"


def credit_memo_body(note: CreditNoteToPush, config: dict) -> dict:
    body = {"DocNumber": note.number[:21], "TxnDate": note.credit_date.isoformat(),
            "CustomerRef": {"value": note.customer_external_id}, "PrivateNote": private_note(note),
            "Line": sales_lines(note.lines, config)}
    if note.tax_total:
        body["TxnTaxDetail"] = {"TotalTax": note.tax_total}  # the hub's tax, as for invoices
    memo = f"Credit for invoice {note.invoice_number}" if note.invoice_number else ""
    if note.reason:
        memo = f"{memo}: {note.reason}" if memo else note.reason
    if memo:
        body["CustomerMemo"] = {"value": memo[:1000]}
    return body


def result(config: dict, note: CreditNoteToPush, found: dict) -> PushResult:
    return invoices.result(config, note, found, document_id=note.credit_note_id,  # type: ignore[arg-type]
                           page="creditmemo")


def push(client: QboClient, config: dict, notes: list[CreditNoteToPush]) -> list[PushResult | PushRejected]:
    # an earlier attempt may have made it with its answer lost: adopt it instead of making a second
    existing = by_doc_number(client, [n.number[:21] for n in notes if n.attempt > 1], ENTITY)
    answers: list[PushResult | PushRejected] = []
    for note in notes:
        found = existing.get(note.number[:21])
        answers.append(result(config, note, found) if found is not None else _create(client, config, note))
    return answers


def _create(client: QboClient, config: dict, note: CreditNoteToPush) -> PushResult | PushRejected:
    try:
        made = client.request("POST", "/creditmemo", params={"requestid": note.idempotency_key},
                              body=credit_memo_body(note, config))[ENTITY]
    except QboFault as err:
        if DUPLICATE_DOC_NUMBER in err.codes:
            # "Duplicate Document Number" on our own number: an earlier attempt made it; adopt it
            row = by_doc_number(client, [note.number[:21]], ENTITY).get(note.number[:21])
            if row is not None and str(row.get("PrivateNote", "")).startswith(private_note(note)):
                return result(config, note, row)
            return PushRejected(note.credit_note_id, f"QuickBooks already holds another credit memo numbered "
                                f"{note.number}", field="DocNumber")
        first = err.errors[0] if err.errors else {}
        return PushRejected(note.credit_note_id, f"QuickBooks refused the credit memo: {describe(err.errors)}",
                            field=first.get("element") or f"code {first.get('code')}")
    return result(config, note, made)
