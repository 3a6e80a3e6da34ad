"""Invoices to Xero: one ``PUT /Invoices`` per batch (summarizeErrors=false, unitdp=4) with an
``Idempotency-Key``, adopting what an earlier attempt made (by InvoiceNumber), and voids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from hub.plugins import InvoiceToPush, PushRejected, PushResult, VendorDataError

from .client import XeroClient, XeroValidation

BATCH = 50
UNIQUE_NUMBER = "must be unique"


def line_items(lines_to_push, config: dict) -> list[dict]:
    """``LineItems`` of an invoice or a credit note: Exclusive amounts, the hub's tax per taxed line."""
    lines = []
    for line in lines_to_push:
        item = {"Description": line.description[:4000], "Quantity": line.quantity, "UnitAmount": line.unit_price,
                "AccountCode": config["sales_account_code"]}
        if line.item_code:
            item["ItemCode"] = line.item_code[:30]
        tax = line.tax_code_external_id or config.get("default_tax_type")
        if tax:
            item["TaxType"] = tax
        if line.tax_amount:
            # the hub's tax for the line, so Xero's TotalTax and Total are the hub's, not Xero's own rounding
            item["TaxAmount"] = line.tax_amount
        lines.append(item)
    return lines


def invoice_body(invoice: InvoiceToPush, config: dict) -> dict:
    lines = line_items(invoice.lines, config)
    return {"Type": "ACCREC", "Contact": {"ContactID": invoice.customer_external_id},
            "Date": invoice.invoice_date.isoformat(), "DueDate": invoice.due_date.isoformat(),
            "InvoiceNumber": invoice.number, "Reference": reference(INVOICES, invoice), "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive", "CurrencyCode": invoice.currency, "LineItems": lines}


def invoice_url(external_id: str) -> str:
    return f"https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={external_id}"


@dataclass(frozen=True)
class Kind:
    """What differs between pushing invoices and credit notes to Xero; the rules are the same."""

    key: str                                  # the collection: "Invoices", "CreditNotes"
    number: str                               # its number field
    id: str                                   # its id field
    noun: str
    body: Callable[[Any, dict], dict]
    doc_id: Callable[[Any], int]              # the hub id an answer names
    url: Callable[[str], str]
    lookup: Callable[[XeroClient, list[str]], dict[str, dict]]


def reference(kind: Kind, document) -> str:
    """Our mark in ``Reference``: how a taken number is recognised as an earlier attempt's."""
    return f"hub {kind.noun} {kind.doc_id(document)}"


def result(invoice: InvoiceToPush, found: dict, kind: Kind | None = None) -> PushResult:
    kind = kind or INVOICES
    total = found.get("Total")
    return PushResult(kind.doc_id(invoice), str(found[kind.id]), str(found.get(kind.number) or invoice.number),
                      kind.url(str(found[kind.id])), Decimal(str(total)) if total is not None else None)


def batch_key(invoices: list[InvoiceToPush]) -> str:
    """The same invoices at the same generation give the same Idempotency-Key (max 128)."""
    return "hub-" + hashlib.sha256("|".join(sorted(i.idempotency_key for i in invoices)).encode()).hexdigest()


def by_number(client: XeroClient, numbers: list[str]) -> dict[str, dict]:
    if not numbers:
        return {}
    answer = client.request("GET", "/Invoices", params={"InvoiceNumbers": ",".join(numbers), "page": 1}) or {}
    return {str(i.get("InvoiceNumber")): i for i in answer.get("Invoices") or [] if i.get("Status") != "DELETED"}


INVOICES = Kind("Invoices", "InvoiceNumber", "InvoiceID", "invoice", lambda d, c: invoice_body(d, c),
                lambda d: d.invoice_id, invoice_url, lambda client, numbers: by_number(client, numbers))


def push(client: XeroClient, config: dict, invoices: list, kind: Kind = INVOICES) -> list[PushResult | PushRejected]:
    answers: list[PushResult | PushRejected] = []
    existing = kind.lookup(client, [i.number for i in invoices if i.attempt > 1])
    todo = []
    for invoice in invoices:
        if invoice.number in existing:
            answers.append(result(invoice, existing[invoice.number], kind))
        else:
            todo.append(invoice)
    for start in range(0, len(todo), BATCH):
        answers.extend(_create(client, config, todo[start:start + BATCH], kind))
    return answers


def _create(client: XeroClient, config: dict, invoices: list, kind: Kind) -> list:
    answer = client.request("PUT", f"/{kind.key}", params={"summarizeErrors": "false", "unitdp": 4},
                            body={kind.key: [kind.body(i, config) for i in invoices]},
                            idempotency_key=batch_key(invoices)) or {}
    by_number_ = {str(e.get(kind.number)): e for e in answer.get(kind.key) or [] if isinstance(e, dict)}
    answers, taken = [], []
    for invoice in invoices:
        element = by_number_.get(invoice.number)
        if element is None:
            continue  # no answer: retried with the same key
        errors = [str(v.get("Message")) for v in element.get("ValidationErrors") or []]
        if element.get("StatusAttributeString") != "ERROR" and not element.get("HasErrors") and element.get(kind.id):
            answers.append(result(invoice, element, kind))
        elif any(UNIQUE_NUMBER in e for e in errors):
            taken.append(invoice)
        elif errors:
            answers.append(PushRejected(kind.doc_id(invoice), f"Xero refused the {kind.noun}: {'; '.join(errors)}",
                                        field=field_of(errors)))
        else:
            raise VendorDataError(f"Xero's answer for {kind.noun} {invoice.number} holds neither an id nor errors")
    # "Invoice # must be unique" for our own number: an earlier attempt made it; adopt it
    found = kind.lookup(client, [i.number for i in taken])
    for invoice in taken:
        row = found.get(invoice.number)
        if row is not None and row.get("Reference") == reference(kind, invoice):
            answers.append(result(invoice, row, kind))
        else:
            answers.append(PushRejected(kind.doc_id(invoice), f"Xero already holds another {kind.noun} numbered "
                                        f"{invoice.number}", field=kind.number))
    return answers


def field_of(errors: list[str]) -> str | None:
    """The field a validation message is about: Xero's messages start with it ("Date is invalid")."""
    first = errors[0].split()[0] if errors and errors[0].split() else None
    return first.strip(".:#") if first else None


def void(client: XeroClient, external_id: str) -> None:
    found = (client.request("GET", f"/Invoices/{external_id}") or {}).get("Invoices") or []
    if not found:
        raise VendorDataError(f"Xero holds no invoice {external_id}")
    if found[0].get("Status") in ("VOIDED", "DELETED"):
        return
    status = "DELETED" if found[0].get("Status") in ("DRAFT", "SUBMITTED") else "VOIDED"
    try:
        client.request("POST", f"/Invoices/{external_id}",
                       body={"InvoiceNumber": found[0].get("InvoiceNumber"), "Status": status})
    except XeroValidation:
        again = (client.request("GET", f"/Invoices/{external_id}") or {}).get("Invoices") or []
        if not again or again[0].get("Status") not in ("VOIDED", "DELETED"):
            raise
