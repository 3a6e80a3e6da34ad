"""Recurring invoices and their lines: create, edit, remove. Every change is audited; bad input changes nothing.

A vendor line's quantity is never typed: it is recalculated from the counts when the line is
created or its product or integration changes (applied at once: a person made that choice), and
after syncs and mapping changes (under the hold policy, see ``policy``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hub.audit import Actor, record
from hub.billing import validate
from hub.billing.errors import BillingError
from hub.billing.money import parse_decimal
from hub.billing.quantities import Trigger, recalculate_lines
from hub.extensions import db
from hub.models import (
    Frequency,
    Invoice,
    InvoiceLine,
    LineKind,
    Organization,
    PeriodMode,
    Product,
    Proration,
    QuantityBasis,
    QuantityChange,
    RecurringInvoice,
    RecurringLine,
    VendorIntegration,
)
from hub.timeutil import utcnow

RECURRING_FIELDS = ("name", "frequency", "period_mode", "next_run_date", "currency", "memo", "due_days",
                    "auto_issue", "active", "proration")
LINE_FIELDS = ("kind", "product_id", "description", "quantity", "integration_id", "min_quantity",
               "unit_price_override", "markup_pct", "do_not_bill", "override_policy", "hold_decrease_over_seats",
               "hold_decrease_over_pct", "position", "basis")
#: a change of these makes a vendor line count something else: recount at once
RECOUNT_FIELDS = {"kind", "product_id", "integration_id"}


def list_recurring_invoices(organization_id: int | None = None, active: bool | None = None
                            ) -> list[RecurringInvoice]:
    query = db.select(RecurringInvoice).order_by(RecurringInvoice.next_run_date, RecurringInvoice.id)
    if organization_id is not None:
        query = query.where(RecurringInvoice.organization_id == organization_id)
    if active is not None:
        query = query.where(RecurringInvoice.active.is_(active))
    return list(db.session.execute(query).scalars())


def _clean_recurring(values: dict[str, Any]) -> dict[str, Any]:
    return validate.each_field(values, _clean_recurring_field)


def _clean_recurring_field(key: str, value: Any) -> Any:
    if key not in RECURRING_FIELDS:
        raise BillingError(f"{key} is not a recurring invoice field", key)
    if key == "name":
        return validate.text(value, key, max_len=200)
    if key == "frequency":
        return validate.choice(value, key, Frequency)
    if key == "period_mode":
        return validate.choice(value, key, PeriodMode)
    if key == "proration":
        return validate.choice(value, key, Proration)
    if key == "next_run_date":
        return validate.day(value, key)
    if key == "currency":
        return validate.currency(value, key)
    if key == "memo":
        return validate.text(value, key, max_len=5000, required=False)
    if key == "due_days":
        return validate.integer(value, key, minimum=0, maximum=365)
    return validate.boolean(value, key)


def create_recurring_invoice(organization_id: int, actor: Actor, *, next_run_date: Any, frequency: str = "monthly",
                             period_mode: str = "in_advance", currency: str = "USD", memo: str | None = None,
                             name: str = "Recurring services", due_days: int = 30,
                             auto_issue: bool = True, proration: str = "off") -> RecurringInvoice:
    """A new schedule for an Organization, anchored on the day of ``next_run_date``. Commits."""
    # the Organization is checked with the other fields, so a form learns every error at once
    values = validate.each_field(
        dict(organization_id=organization_id, name=name, frequency=frequency, period_mode=period_mode,
             next_run_date=next_run_date, currency=currency, memo=memo, due_days=due_days, auto_issue=auto_issue,
             proration=proration),
        lambda key, value: (validate.existing(Organization, value, key) if key == "organization_id"
                            else _clean_recurring_field(key, value)))
    _check_proration(values["period_mode"], values["proration"])
    organization = values.pop("organization_id")
    recurring = RecurringInvoice(organization_id=organization.id, anchor_day=values["next_run_date"].day, **values)
    db.session.add(recurring)
    db.session.flush()
    record(actor, "recurring.create", "recurring_invoice", recurring.id, field="organization_id",
           new=organization.id, details={k: str(v) for k, v in values.items() if v is not None})
    db.session.commit()
    return recurring


def update_recurring_invoice(recurring_id: int, actor: Actor, **changes: Any) -> RecurringInvoice:
    """Change some fields. A new ``next_run_date`` also moves the anchor day to its day. Commits."""
    recurring = validate.existing(RecurringInvoice, recurring_id, "recurring_id")
    cleaned = _clean_recurring(changes)
    _check_proration(cleaned.get("period_mode", recurring.period_mode), cleaned.get("proration", recurring.proration))
    for key, value in cleaned.items():
        old = getattr(recurring, key)
        if old == value:
            continue
        if key == "currency":
            _check_lines_priced_in(recurring, value)
        setattr(recurring, key, value)
        if key == "next_run_date":
            recurring.anchor_day = value.day
        record(actor, "recurring.update", "recurring_invoice", recurring.id, field=key, old=old, new=value)
    db.session.commit()
    return recurring


def _check_proration(period_mode: str, proration: str) -> None:
    """Proration charges what changed during a period already billed in advance; in arrears there is none."""
    if proration != Proration.OFF.value and period_mode != PeriodMode.IN_ADVANCE.value:
        raise BillingError("Proration: only an invoice billed in advance is prorated; choose off for one billed "
                           "in arrears (give its vendor lines a peak, average or end basis instead)", "proration")


def _clean_line(values: dict[str, Any]) -> dict[str, Any]:
    return validate.each_field(values, _clean_line_field)


def _clean_line_field(key: str, value: Any) -> Any:
    if key not in LINE_FIELDS:
        raise BillingError(f"{key} is not a line field", key)
    if key == "kind":
        return validate.choice(value, key, LineKind)
    if key == "basis":
        return validate.choice(value, key, QuantityBasis)
    if key == "product_id":
        return validate.existing(Product, value, key).id
    if key == "integration_id":
        return None if value in (None, "") else validate.existing(VendorIntegration, value, key).id
    if key == "description":
        return validate.text(value, key, max_len=300, required=False)
    if key in ("quantity", "min_quantity"):
        return parse_decimal(value, key, optional=key == "min_quantity")
    if key == "unit_price_override":
        return parse_decimal(value, key, optional=True)
    if key == "markup_pct":
        return parse_decimal(value, key, places=2, optional=True, maximum=Decimal(100_000))
    if key == "hold_decrease_over_pct":
        return parse_decimal(value, key, places=2, optional=True, maximum=Decimal(1000))
    if key == "hold_decrease_over_seats":
        return validate.integer(value, key, minimum=0, optional=True)
    if key == "position":
        return validate.integer(value, key, minimum=0, maximum=10_000)
    return validate.boolean(value, key)


def _check_lines_priced_in(recurring: RecurringInvoice, currency: str) -> None:
    """A recurring invoice bills in one currency: every product on it must be priced in it."""
    other = sorted({ln.product.code for ln in recurring.lines if ln.product.currency != currency})
    if other:
        raise BillingError(f"currency: products {', '.join(other)} on this recurring invoice are not priced in "
                           f"{currency}; remove those lines first", "currency")


def _check_line(line: RecurringLine, recurring: RecurringInvoice) -> None:
    """Rules across fields, on the line as it would be."""
    product = db.session.get(Product, line.product_id)
    if product.currency != recurring.currency:
        raise BillingError(f"product {product.code} is priced in {product.currency}; this recurring invoice bills "
                           f"in {recurring.currency}: choose a product priced in {recurring.currency}", "product_id")
    if line.kind == LineKind.VENDOR.value:
        if line.integration_id is None:
            raise BillingError("a third-party vendor line needs a vendor integration", "integration_id")
    else:
        if line.integration_id is not None:
            raise BillingError("only a third-party vendor line has a vendor integration", "integration_id")
        if line.quantity is None:
            raise BillingError("a standard line needs a quantity", "quantity")
        if (line.basis or QuantityBasis.AT_ISSUE.value) != QuantityBasis.AT_ISSUE.value:
            raise BillingError("Counting basis: only a third-party vendor line counts over its period; a standard "
                               "line bills its fixed quantity (choose at_issue)", "basis")
    if line.unit_price_override is not None and line.markup_pct is not None:
        raise BillingError("set a price override or a markup, not both", "markup_pct")


def add_line(recurring_id: int, actor: Actor, *, kind: str, product_id: int, **fields: Any) -> RecurringLine:
    """Add a standard line (``quantity`` required) or a vendor line (``integration_id`` required; its
    quantity is counted now). Optional: description, min_quantity, unit_price_override, markup_pct,
    do_not_bill, override_policy, hold_decrease_over_seats, hold_decrease_over_pct, position. Commits."""
    recurring = validate.existing(RecurringInvoice, recurring_id, "recurring_id")
    values = _clean_line(dict(kind=kind, product_id=product_id, **fields))
    if values["kind"] == LineKind.VENDOR.value and values.get("quantity") is not None:
        raise BillingError("a third-party vendor line counts its quantity; it cannot be typed", "quantity")
    if "position" not in values:
        values["position"] = 1 + max((ln.position for ln in recurring.lines), default=0)
    line = RecurringLine(recurring_invoice_id=recurring.id, **values)
    if line.kind == LineKind.VENDOR.value:
        line.quantity = Decimal(0)  # counted below
    _check_line(line, recurring)
    db.session.add(line)
    db.session.flush()
    record(actor, "recurring_line.create", "recurring_line", line.id, field="quantity", new=line.quantity,
           integration_id=line.integration_id,
           details={"recurring_invoice_id": recurring.id, **{k: str(v) for k, v in values.items() if v is not None}})
    if line.kind == LineKind.VENDOR.value:
        recalculate_lines([line.id], Trigger("line_create", actor, force=True))
    db.session.commit()
    return line


def update_line(line_id: int, actor: Actor, **changes: Any) -> RecurringLine:
    """Change some fields of a line (each audited); a vendor line recounts if what it counts changed. Commits."""
    line = _live_line(line_id)
    values = _clean_line(changes)
    if line.kind == LineKind.VENDOR.value and values.get("kind", line.kind) == line.kind and "quantity" in values:
        raise BillingError("a third-party vendor line counts its quantity; it cannot be typed", "quantity")
    changed = {}
    for key, value in values.items():
        old = getattr(line, key)
        if old != value:
            changed[key] = (old, value)
            setattr(line, key, value)
    if line.kind == LineKind.STANDARD.value and "kind" in changed:
        line.integration_id = None
    _check_line(line, db.session.get(RecurringInvoice, line.recurring_invoice_id))
    for key, (old, new) in changed.items():
        record(actor, "recurring_line.update", "recurring_line", line.id, field=key, old=old, new=new,
               integration_id=line.integration_id)
    db.session.flush()
    if line.kind == LineKind.VENDOR.value and RECOUNT_FIELDS & changed.keys():
        recalculate_lines([line.id], Trigger("line_edit", actor, force=True))
    db.session.commit()
    return line


def remove_line(line_id: int, actor: Actor) -> None:
    """Remove a line. One that was invoiced is archived instead, so its invoices keep their link. Commits."""
    line = _live_line(line_id)
    invoiced = db.session.execute(db.select(InvoiceLine.id).where(InvoiceLine.recurring_line_id == line.id)
                                  .limit(1)).first()
    record(actor, "recurring_line.archive" if invoiced else "recurring_line.delete", "recurring_line", line.id,
           field="quantity", old=line.quantity, integration_id=line.integration_id,
           details={"recurring_invoice_id": line.recurring_invoice_id, "product_id": line.product_id})
    if invoiced:
        line.archived_at = utcnow()
    else:
        db.session.execute(db.delete(QuantityChange).where(QuantityChange.line_id == line.id))
        db.session.delete(line)
    db.session.commit()


def _live_line(line_id: int) -> RecurringLine:
    line = validate.existing(RecurringLine, line_id, "line_id")
    if line.archived_at is not None:
        raise BillingError(f"line {line.id} was removed", "line_id")
    return line


def delete_recurring_invoice(recurring_id: int, actor: Actor) -> None:
    """Delete a schedule that never issued an invoice; one that did can only be deactivated."""
    recurring = validate.existing(RecurringInvoice, recurring_id, "recurring_id")
    if db.session.execute(db.select(Invoice.id).where(Invoice.recurring_invoice_id == recurring.id).limit(1)).first():
        raise BillingError("this recurring invoice has invoices; deactivate it instead", "recurring_id")
    record(actor, "recurring.delete", "recurring_invoice", recurring.id, field="organization_id",
           old=recurring.organization_id)
    # explicit, so SQLite (no enforced ON DELETE CASCADE) ends like PostgreSQL
    line_ids = db.select(RecurringLine.id).where(RecurringLine.recurring_invoice_id == recurring.id)
    db.session.execute(db.delete(QuantityChange).where(QuantityChange.line_id.in_(line_ids)))
    db.session.execute(db.delete(RecurringLine).where(RecurringLine.recurring_invoice_id == recurring.id))
    db.session.delete(recurring)
    db.session.commit()
