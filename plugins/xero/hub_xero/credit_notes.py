"""Credit notes to Xero: ``PUT /CreditNotes`` (Type ACCRECCREDIT, AUTHORISED) by the same rules as
invoices (``invoices.push`` with the credit notes' ``Kind``: summarizeErrors=false, unitdp=4, an
``Idempotency-Key``, adopting by CreditNoteNumber what an earlier attempt made), then the credit is
allocated to the invoice it credits (``PUT /CreditNotes/{id}/Allocations``) when that invoice is at Xero."""

from __future__ import annotations

import logging
from decimal import Decimal

from hub.plugins import CreditNoteToPush, PushRejected, PushResult

from . import invoices
from .client import XeroClient, XeroValidation, where_literal

log = logging.getLogger("hub_xero")
#: a credit note in these states holds no credit (a number Xero frees again)
GONE = ("DELETED", "VOIDED")


def credit_note_url(external_id: str) -> str:
    return f"https://go.xero.com/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={external_id}"


def credit_note_body(note: CreditNoteToPush, config: dict) -> dict:
    return {"Type": "ACCRECCREDIT", "Contact": {"ContactID": note.customer_external_id},
            "Date": note.credit_date.isoformat(), "CreditNoteNumber": note.number,
            "Reference": invoices.reference(CREDIT_NOTES, note), "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive", "CurrencyCode": note.currency,
            "LineItems": invoices.line_items(note.lines, config)}


def by_number(client: XeroClient, numbers: list[str]) -> dict[str, dict]:
    """GET /CreditNotes has no list-of-numbers filter: one ``where`` per number (only retries ask)."""
    found: dict[str, dict] = {}
    for number in numbers:
        literal = where_literal(number)
        if literal is not None:
            rows = (client.request("GET", "/CreditNotes", params={
                "where": f'Type=="ACCRECCREDIT" AND CreditNoteNumber=={literal}', "page": 1}) or {}).get("CreditNotes")
        else:  # a number a where literal cannot carry: read them all and compare here
            rows = client.pages("/CreditNotes", "CreditNotes", {"where": 'Type=="ACCRECCREDIT"'})
        for row in rows or []:
            if row.get("CreditNoteNumber") == number and row.get("Status") not in GONE:
                found[number] = row
    return found


CREDIT_NOTES = invoices.Kind("CreditNotes", "CreditNoteNumber", "CreditNoteID", "credit note", credit_note_body,
                             lambda d: d.credit_note_id, credit_note_url, by_number)


def push(client: XeroClient, config: dict, notes: list[CreditNoteToPush]) -> list[PushResult | PushRejected]:
    answers = invoices.push(client, config, notes, CREDIT_NOTES)
    by_id = {n.credit_note_id: n for n in notes}
    for answer in answers:
        note = by_id.get(answer.invoice_id)
        if isinstance(answer, PushResult) and note is not None and note.invoice_external_id:
            allocate(client, note, answer.external_id)
    return answers


def allocate(client: XeroClient, note: CreditNoteToPush, credit_note_id: str) -> None:
    """Allocate the credit to the invoice it credits: as much as both still hold (the invoice's
    AmountDue, the credit's RemainingCredit), once (an allocation to that invoice already there is
    kept). An invoice paid in full meanwhile gets none: the credit stays on the contact. A refusal
    leaves the allocation to the bookkeeper (logged): the credit note itself is made."""
    held = (client.request("GET", f"/CreditNotes/{credit_note_id}") or {}).get("CreditNotes") or []
    if not held or held[0].get("Status") != "AUTHORISED":
        return
    if any(str((a.get("Invoice") or {}).get("InvoiceID")) == note.invoice_external_id
           for a in held[0].get("Allocations") or []):
        return
    found = (client.request("GET", f"/Invoices/{note.invoice_external_id}", missing_ok=True) or {}).get("Invoices")
    if not found or found[0].get("Status") != "AUTHORISED":
        return
    amount = min(Decimal(str(found[0].get("AmountDue") or 0)),
                 Decimal(str(held[0].get("RemainingCredit", held[0].get("Total")) or 0)))
    if amount <= 0:
        return
    try:
        client.request("PUT", f"/CreditNotes/{credit_note_id}/Allocations", body={"Allocations": [
            {"Invoice": {"InvoiceID": note.invoice_external_id}, "Amount": amount,
             "Date": note.credit_date.isoformat()}]}, idempotency_key=f"{note.idempotency_key}-allocation")
    except XeroValidation as err:
        log.warning("Xero refused to allocate credit note %s to invoice %s: %s", note.number, note.invoice_number,
                    "; ".join(err.messages))
