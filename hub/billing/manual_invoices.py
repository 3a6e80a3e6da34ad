"""Manual invoices: issued at once for an Organization outside any schedule, with typed lines and/or
its pending one-off charges.

The same rules as the run's invoices: the next number of the one gapless series (taken in the issuing
transaction), tax per line and rate (``tax``), one currency (every product on it priced in it),
immutable once issued (the database guards), and the same signals (``hub.events.invoices_issued``,
the ``invoice.issued`` webhook), so e-mail, accounting pushes and webhooks treat it like any invoice.
It has no recurring invoice; its period is the one given, or its invoice date.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub import events
from hub.audit import Actor, record
from hub.billing import numbering, one_off, validate
from hub.billing.errors import BillingError
from hub.billing.validate import FieldErrors
from hub.billing.invoicing import _line_row, charge_line_row, unit_costs
from hub.billing.money import ZERO, fmt_money, line_amount, parse_decimal
from hub.billing.pricing import PricedLine
from hub.billing.tax import rates_for, tax_lines
from hub.extensions import db
from hub.models import Invoice, InvoiceLine, InvoiceStatus, Organization, Product
from hub.timeutil import utcnow
from hub.webhooks import emitters

KIND = "manual"
LINE_FIELDS = ("description", "quantity", "unit_price", "product_id", "taxable")
MAX_LINES = 200


def _clean_line(n: int, raw: dict[str, Any], currency: str | None, products: dict[int, Product]) -> PricedLine:
    """One typed line, or FieldErrors keyed ``lines.<n>.<field>``."""
    errors: dict[str, str] = {}
    if not isinstance(raw, dict):
        raise FieldErrors({f"lines.{n}": f"line {n + 1}: give description, quantity and unit price"})
    for key in raw:
        if key not in LINE_FIELDS:
            errors[f"lines.{n}.{key}"] = f"line {n + 1}: {key} is not a line field"

    def take(key, clean):
        try:
            return clean()
        except BillingError as err:
            errors[f"lines.{n}.{key}"] = f"line {n + 1}: {err.message}"
            return None

    product = None
    if raw.get("product_id") not in (None, ""):
        product = take("product_id", lambda: validate.existing(Product, raw["product_id"], "product_id"))
        if product is not None and currency and product.currency != currency:
            errors[f"lines.{n}.product_id"] = (f"line {n + 1}: product {product.code} is priced in {product.currency}; "
                                               f"this invoice is in {currency}")
    description = take("description", lambda: validate.text(
        raw.get("description") or (product.name if product else None), "description", max_len=300))
    quantity = take("quantity", lambda: parse_decimal(raw.get("quantity"), "quantity"))
    if quantity == 0:
        errors[f"lines.{n}.quantity"] = f"line {n + 1}: Quantity: enter more than 0"
    price_given = raw.get("unit_price")
    price = take("unit_price", lambda: parse_decimal(
        price_given if price_given not in (None, "") or product is None else product.unit_price, "unit_price"))
    taxable = product.taxable if product else take("taxable", lambda: validate.boolean(raw.get("taxable", True),
                                                                                          "taxable"))
    if errors:
        raise FieldErrors(errors)
    if product is not None:
        products[product.id] = product
    return PricedLine(
        recurring_line_id=None, recurring_invoice_id=None, position=n + 1, kind=KIND,
        product_id=product.id if product else None, product_code=product.code if product else "",
        description=description, taxable=taxable, counted_quantity=quantity, min_quantity=None, do_not_bill=False,
        quantity=quantity, unit_price=price, amount=line_amount(quantity, price), price_source="typed",
        integration_id=None, vendor=None, quantity_change_id=None, sync_run_id=None, source="manual invoice line")


def create_manual_invoice(organization_id, actor: Actor, *, currency, lines=(), charge_ids=(), invoice_date=None,
                          period_start=None, period_end=None, due_days=None, memo=None,
                          send_on_issue: bool = False) -> Invoice:
    """Issue a manual invoice now: ``lines`` (dicts: description, quantity, unit_price, product_id, taxable)
    then the chosen pending one-off charges. Every field's error at once (``lines.<n>.<field>``). Commits."""
    from hub.delivery.company import default_due_days

    head = validate.each_field(
        dict(organization_id=organization_id, currency=currency, invoice_date=invoice_date or utcnow().date(),
             period_start=period_start, period_end=period_end, due_days=due_days, memo=memo,
             send_on_issue=send_on_issue),
        _clean_head)
    organization, currency = head["organization_id"], head["currency"]
    lines = list(lines or [])
    if len(lines) > MAX_LINES:
        raise BillingError(f"lines: at most {MAX_LINES} lines", "lines")
    errors: dict[str, str] = {}
    typed: list[PricedLine] = []
    products: dict[int, Product] = {}
    for n, raw in enumerate(lines):
        try:
            typed.append(_clean_line(n, raw, currency, products))
        except FieldErrors as err:
            errors.update(err.errors)
    charges = []
    try:
        charges = one_off.charges_for_manual(organization.id, currency, charge_ids or ())
    except BillingError as err:
        errors[err.field] = err.message
    if not errors and not typed and not charges:
        errors["lines"] = "Lines: add at least one line or choose a pending one-off charge"
    if errors:
        raise FieldErrors(errors)
    start = head["period_start"] or head["invoice_date"]
    end = head["period_end"] or start
    if end < start:
        raise BillingError("Period end: on or after the period start", "period_end")
    due = head["due_days"] if head["due_days"] is not None else default_due_days()
    return _issue(organization, currency, head, start, end, due, typed, charges, actor)


def _clean_head(key: str, value: Any) -> Any:
    if key == "organization_id":
        return validate.existing(Organization, value, key)
    if key == "currency":
        return validate.currency(value, key)
    if key == "invoice_date":
        return validate.day(value, key)
    if key in ("period_start", "period_end"):
        return None if value in (None, "") else validate.day(value, key)
    if key == "due_days":
        return validate.integer(value, key, minimum=0, maximum=365, optional=True)
    if key == "memo":
        return validate.text(value, key, max_len=5000, required=False)
    return validate.boolean(value, key)


def _issue(organization, currency, head, start, end, due_days, typed, charges, actor: Actor) -> Invoice:
    now = utcnow()
    all_lines = typed + [c.line for c in charges]
    taxes = tax_lines([(ln.amount, ln.taxable) for ln in all_lines], rates_for([organization.id]).get(organization.id, []))
    subtotal = sum((ln.amount for ln in all_lines), ZERO)
    invoice = Invoice(status=InvoiceStatus.DRAFT.value, recurring_invoice_id=None, organization_id=organization.id,
                      period_start=start, period_end=end, invoice_date=head["invoice_date"],
                      due_date=head["invoice_date"] + timedelta(days=due_days), currency=currency, memo=head["memo"],
                      subtotal=subtotal, taxable_subtotal=sum((ln.amount for ln in all_lines if ln.taxable), ZERO),
                      tax_total=taxes.total, tax_summary=[t.as_dict() for t in taxes.summary],
                      total=subtotal + taxes.total, created_at=now, created_by=actor.label)
    db.session.add(invoice)
    db.session.flush()
    costs = unit_costs(products_of(typed))
    rows = [_line_row(invoice.id, n, ln, taxes.line_taxes[n - 1], costs.get(ln.product_id, ZERO))
            for n, ln in enumerate(typed, 1)]
    for row in rows:
        row["details"] = {"price_source": "typed", "manual": True}
    rows += [charge_line_row(invoice.id, len(typed) + n, c, taxes.line_taxes[len(typed) + n - 1])
             for n, c in enumerate(charges, 1)]
    db.session.execute(db.insert(InvoiceLine.__table__), rows)
    try:
        one_off.claim([(c.charge_id, invoice.id) for c in charges], now)
    except one_off.ChargeTaken:
        db.session.rollback()
        raise BillingError("charge_ids: a chosen charge was billed meanwhile; nothing was issued",
                           "charge_ids") from None
    invoice.number = numbering.allocate(1)[0]
    invoice.status = InvoiceStatus.ISSUED.value
    invoice.issued_at = now
    record(actor, "invoice.issue", "invoice", invoice.id, field="total", new=fmt_money(invoice.total), at=now,
           details={"number": invoice.number, "manual": True, "organization_id": organization.id,
                    "lines": len(all_lines), "one_off_charge_ids": [c.charge_id for c in charges] or None,
                    "send_on_issue": head["send_on_issue"]})
    db.session.flush()
    emitters.invoices_issued([{
        "invoice_id": invoice.id, "number": invoice.number, "organization_id": organization.id,
        "recurring_invoice_id": None, "period_start": start, "period_end": end, "total": subtotal,
        "currency": currency, "issued_at": now}])
    # e-mail (when asked), accounting pushes and webhooks listen to this, inside this transaction
    events.invoices_issued.send(None, invoice_ids=[invoice.id], actor=actor,
                                send_ids=[invoice.id] if head["send_on_issue"] else [])
    db.session.commit()
    return invoice


def products_of(lines) -> set[int]:
    return {ln.product_id for ln in lines if ln.product_id is not None}


def is_manual(invoice: Invoice) -> bool:
    return invoice.recurring_invoice_id is None

