"""Invoices to QuickBooks: batch create with ``requestid``, adopt what an earlier attempt made, void."""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal

from hub.plugins import InvoiceToPush, PushRejected, PushResult, VendorDataError

from .client import BATCH_LIMIT, QboClient, QboFault, describe, escape

CENT = Decimal("0.01")
#: validation codes a person must fix (the others are the hub's or QuickBooks' problem: retried)
DUPLICATE_DOC_NUMBER = "6140"
STALE_OBJECT = "5010"


def sales_lines(lines_to_push, config: dict) -> list[dict]:
    """``SalesItemLineDetail`` lines (an Invoice's, a CreditMemo's): item, quantity, price, tax code."""
    lines = []
    for line in lines_to_push:
        detail = {"ItemRef": {"value": line.item_external_id}, "Qty": line.quantity, "UnitPrice": line.unit_price}
        tax = line.tax_code_external_id or config.get("default_tax_code")
        if tax:
            detail["TaxCodeRef"] = {"value": tax}
        # QuickBooks refuses (6070) an Amount that is not round(Qty * UnitPrice, 2)
        amount = (line.quantity * line.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        lines.append({"DetailType": "SalesItemLineDetail", "Amount": amount, "Description": line.description[:4000],
                      "SalesItemLineDetail": detail})
    return lines


def invoice_body(invoice: InvoiceToPush, config: dict) -> dict:
    lines = sales_lines(invoice.lines, config)
    body = {"DocNumber": invoice.number[:21], "TxnDate": invoice.invoice_date.isoformat(),
            "DueDate": invoice.due_date.isoformat(), "CustomerRef": {"value": invoice.customer_external_id},
            "PrivateNote": f"hub invoice {invoice.invoice_id}", "Line": lines}
    if invoice.tax_total:
        # the hub's tax, so QuickBooks' TotalAmt is the hub's total rather than its own computation
        body["TxnTaxDetail"] = {"TotalTax": invoice.tax_total}
    if invoice.memo:
        body["CustomerMemo"] = {"value": invoice.memo[:1000]}
    return body


def invoice_url(config: dict, external_id: str, page: str = "invoice") -> str:
    app = "https://app.sandbox.qbo.intuit.com" if "sandbox" in config["base_url"] else "https://app.qbo.intuit.com"
    return f"{app}/app/{page}?txnId={external_id}"


def result(config: dict, invoice: InvoiceToPush, found: dict, *, document_id: int | None = None,
           page: str = "invoice") -> PushResult:
    """The hub's answer for a document QuickBooks holds (an Invoice; a CreditMemo with ``document_id``
    its credit note id and ``page`` "creditmemo")."""
    total = found.get("TotalAmt")
    return PushResult(invoice.invoice_id if document_id is None else document_id, str(found["Id"]),
                      str(found.get("DocNumber") or invoice.number), invoice_url(config, str(found["Id"]), page),
                      Decimal(str(total)) if total is not None else None)


def batch_request_id(invoices: list[InvoiceToPush]) -> str:
    """The same invoices at the same attempt generation give the same requestid (max 36 for batch)."""
    keys = "|".join(sorted(i.idempotency_key for i in invoices))
    return "hub" + hashlib.sha256(keys.encode()).hexdigest()[:33]


def by_doc_number(client: QboClient, numbers: list[str], entity: str = "Invoice") -> dict[str, dict]:
    if not numbers:
        return {}
    rows = client.query(f"select * from {entity} where DocNumber IN ({', '.join(escape(n) for n in numbers)})")
    return {str(r.get("DocNumber")): r for r in rows.get(entity) or []}


def push(client: QboClient, config: dict, invoices: list[InvoiceToPush]) -> list[PushResult | PushRejected]:
    answers: list[PushResult | PushRejected] = []
    # an earlier attempt may have been created with its answer lost: adopt it instead of making a second
    retried = [i for i in invoices if i.attempt > 1]
    existing = by_doc_number(client, [i.number[:21] for i in retried])
    todo = []
    for invoice in invoices:
        found = existing.get(invoice.number[:21])
        if found is not None:
            answers.append(result(config, invoice, found))
        else:
            todo.append(invoice)
    for start in range(0, len(todo), BATCH_LIMIT):
        answers.extend(_create_batch(client, config, todo[start:start + BATCH_LIMIT]))
    return answers


def _create_batch(client: QboClient, config: dict, invoices: list[InvoiceToPush]) -> list:
    items = [{"bId": str(i.invoice_id), "operation": "create", "Invoice": invoice_body(i, config)} for i in invoices]
    responses = client.batch(items, batch_request_id(invoices))
    answers, duplicates = [], []
    for invoice in invoices:
        response = responses.get(str(invoice.invoice_id))
        if response is None:
            continue  # no answer: the hub retries it with the same key
        if isinstance(response.get("Invoice"), dict):
            answers.append(result(config, invoice, response["Invoice"]))
            continue
        errors = (response.get("Fault") or {}).get("Error") or []
        codes = {str(e.get("code")) for e in errors}
        if DUPLICATE_DOC_NUMBER in codes:
            duplicates.append(invoice)
        elif not errors:
            raise VendorDataError(f"QuickBooks' batch answer for bId {invoice.invoice_id} holds neither Invoice nor Fault")
        else:
            first = errors[0]
            answers.append(PushRejected(invoice.invoice_id, f"QuickBooks refused the invoice: {describe(errors)}",
                                        field=first.get("element") or f"code {first.get('code')}"))
    # "Duplicate Document Number" on our own number: an earlier attempt made it; adopt it
    found = by_doc_number(client, [i.number[:21] for i in duplicates])
    for invoice in duplicates:
        row = found.get(invoice.number[:21])
        if row is not None and str(row.get("PrivateNote", "")).startswith(f"hub invoice {invoice.invoice_id}"):
            answers.append(result(config, invoice, row))
        else:
            answers.append(PushRejected(invoice.invoice_id, f"QuickBooks already holds another invoice numbered "
                                        f"{invoice.number}", field="DocNumber"))
    return answers


def void(client: QboClient, external_id: str) -> None:
    for attempt in range(2):
        current = client.request("GET", f"/invoice/{external_id}")["Invoice"]
        if _is_void(current):
            return
        try:
            client.request("POST", "/invoice", params={"operation": "void"},
                           body={"Id": external_id, "SyncToken": current["SyncToken"]})
            return
        except QboFault as err:
            if STALE_OBJECT not in err.codes or attempt:
                raise  # a stale SyncToken: read it again and retry once


def _is_void(invoice: dict) -> bool:
    # QuickBooks keeps a voided invoice with zero amounts and "Voided" in its private note (UNSURE text)
    return Decimal(str(invoice.get("TotalAmt", "1"))) == 0 and "voided" in str(invoice.get("PrivateNote", "")).lower()
