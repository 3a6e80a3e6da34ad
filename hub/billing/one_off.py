"""One-off charges: an ad-hoc line (description, quantity, unit price, optional product) for an
Organization's next invoice, billed exactly once.

- **Target.** A chosen recurring invoice's next invoice, or (none chosen) the Organization's next
  invoice in the charge's currency, whichever recurring invoice issues first; a manual invoice may
  also take it.
- **Once.** The invoice that bills it claims it in its own transaction (``claim``: UPDATE ... WHERE
  invoice_id IS NULL, every row or a conflict), so concurrent runs never both bill it.
- **Pending until billed.** Only a pending charge can be edited or deleted; every change is audited.
- **Void.** Voiding the invoice that billed it makes it pending again (``release``), so the
  reissue of that period, or the next invoice, bills it once more.
- **Tax and currency** as recurring lines: taxed when its product is (or, without a product, when
  ``taxable``); priced in its recurring invoice's currency, and in its product's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, or_
from sqlalchemy.orm import selectinload

from hub.audit import Actor, audit_event, record, record_many
from hub.billing import validate
from hub.billing.errors import BillingError
from hub.billing.money import fmt_money, fmt_price, fmt_quantity, line_amount, parse_decimal
from hub.billing.pricing import PricedLine
from hub.extensions import db
from hub.models import Invoice, OneOffCharge, Organization, Product, RecurringInvoice
from hub.timeutil import utcnow

CHARGES = OneOffCharge.__table__
FIELDS = ("description", "quantity", "unit_price", "unit_cost", "product_id", "recurring_invoice_id", "currency",
          "taxable")
KIND = "one_off"


class ChargeTaken(Exception):
    """Another invoice billed one of the charges first (the caller rolls back and retries)."""


@dataclass(frozen=True)
class ChargeLine:
    """A pending charge as an invoice line: its priced line, its id and its unit cost."""

    charge_id: int
    line: PricedLine
    unit_cost: Decimal


# -- reading ----------------------------------------------------------------------------------------

def list_charges(*, organization_id: int | None = None, pending: bool | None = None,
                 invoice_id: int | None = None, limit: int = 500) -> list[OneOffCharge]:
    query = (db.select(OneOffCharge).order_by(OneOffCharge.id.desc())
             .options(selectinload(OneOffCharge.product), selectinload(OneOffCharge.recurring_invoice)))
    if organization_id is not None:
        query = query.where(OneOffCharge.organization_id == organization_id)
    if pending is not None:
        query = query.where(OneOffCharge.invoice_id.is_(None) if pending else OneOffCharge.invoice_id.is_not(None))
    if invoice_id is not None:
        query = query.where(OneOffCharge.invoice_id == invoice_id)
    return list(db.session.execute(query.limit(limit)).scalars())


def get_charge(charge_id) -> OneOffCharge:
    return validate.existing(OneOffCharge, charge_id, "charge_id")


def pending_for(recurring_rows) -> dict[int, list[ChargeLine]]:
    """recurring invoice id -> the pending charges its next invoice bills, for many at once (two queries).

    A charge aimed at one recurring invoice goes there; one aimed at its Organization goes to the first
    of the given recurring invoices (by id) of that Organization in its currency."""
    rows = list(recurring_rows)
    if not rows:
        return {}
    ids = [r.id for r in rows]
    orgs = sorted({r.organization_id for r in rows})
    found = []
    for start in range(0, max(len(ids), len(orgs)), 500):
        found += db.session.execute(db.select(OneOffCharge).where(
            OneOffCharge.invoice_id.is_(None),
            or_(OneOffCharge.recurring_invoice_id.in_(ids[start:start + 500]),
                (OneOffCharge.recurring_invoice_id.is_(None)
                 & OneOffCharge.organization_id.in_(orgs[start:start + 500]))))
            .order_by(OneOffCharge.id)).scalars().all()
    first_of = {}
    for r in sorted(rows, key=lambda r: r.id):
        first_of.setdefault((r.organization_id, r.currency), r.id)
    out: dict[int, list[ChargeLine]] = {}
    codes = _product_codes({c.product_id for c in found if c.product_id})
    wanted = set(ids)
    for charge in sorted({c.id: c for c in found}.values(), key=lambda c: c.id):
        target = charge.recurring_invoice_id or first_of.get((charge.organization_id, charge.currency))
        if target in wanted:
            out.setdefault(target, []).append(as_line(charge, target, codes))
    return out


def charges_for_manual(organization_id: int, currency: str, charge_ids) -> list[ChargeLine]:
    """The chosen pending charges of ``organization_id`` for a manual invoice in ``currency``."""
    ids = list(dict.fromkeys(validate.integer(i, "charge_ids", minimum=1) for i in charge_ids))
    charges = {c.id: c for c in db.session.execute(
        db.select(OneOffCharge).where(OneOffCharge.id.in_(ids))).scalars()}
    codes = _product_codes({c.product_id for c in charges.values() if c.product_id})
    lines = []
    for charge_id in ids:
        charge = charges.get(charge_id)
        if charge is None or charge.organization_id != organization_id:
            raise BillingError(f"charge_ids: the Organization has no one-off charge {charge_id}", "charge_ids")
        if not charge.pending:
            raise BillingError(f"charge_ids: charge {charge_id} is billed already (invoice {charge.invoice_id})",
                               "charge_ids")
        if charge.currency != currency:
            raise BillingError(f"charge_ids: charge {charge_id} is in {charge.currency}, this invoice is in "
                               f"{currency}", "charge_ids")
        lines.append(as_line(charge, None, codes))
    return lines


def as_line(charge: OneOffCharge, recurring_id: int | None, codes: dict[int, str]) -> ChargeLine:
    quantity, price = Decimal(charge.quantity), Decimal(charge.unit_price)
    return ChargeLine(charge.id, PricedLine(
        recurring_line_id=None, recurring_invoice_id=recurring_id, position=0, kind=KIND,
        product_id=charge.product_id, product_code=codes.get(charge.product_id, ""), description=charge.description,
        taxable=charge.taxable, counted_quantity=quantity, min_quantity=None, do_not_bill=False, quantity=quantity,
        unit_price=price, amount=line_amount(quantity, price), price_source="one-off charge", integration_id=None,
        vendor=None, quantity_change_id=None, sync_run_id=None, source=f"one-off charge {charge.id}"),
        Decimal(charge.unit_cost))


def _product_codes(product_ids) -> dict[int, str]:
    ids = sorted(product_ids)
    return dict(db.session.execute(db.select(Product.id, Product.code).where(Product.id.in_(ids))).all()) if ids else {}


# -- billing them ------------------------------------------------------------------------------------

def claim(billed: list[tuple[int, int]], now) -> None:
    """Mark charges billed: [(charge id, invoice id)]. Raises ChargeTaken unless every one was still pending."""
    if not billed:
        return
    claimed = db.session.execute(
        db.update(CHARGES).where(CHARGES.c.id == bindparam("_id"), CHARGES.c.invoice_id.is_(None))
        .values(invoice_id=bindparam("_invoice"), billed_at=now),
        [{"_id": charge_id, "_invoice": invoice_id} for charge_id, invoice_id in billed]).rowcount
    if claimed != len(billed):
        raise ChargeTaken()


def release(invoice_id: int, actor: Actor) -> list[int]:
    """The invoice that billed these charges was voided: they are pending again (audited). Not committed."""
    ids = list(db.session.execute(db.select(OneOffCharge.id).where(OneOffCharge.invoice_id == invoice_id)).scalars())
    if ids:
        db.session.execute(db.update(CHARGES).where(CHARGES.c.id.in_(ids))
                           .values(invoice_id=None, billed_at=None, updated_at=utcnow()))
        record_many([audit_event(actor, "one_off.release", "one_off_charge", charge_id, field="invoice_id",
                                 old=invoice_id, new=None, details={"reason": "invoice voided"}) for charge_id in ids])
    return ids


# -- managing them -----------------------------------------------------------------------------------

def _clean_field(key: str, value: Any) -> Any:
    if key not in FIELDS:
        raise BillingError(f"{key} is not a one-off charge field", key)
    if key == "description":
        return validate.text(value, key, max_len=300)
    if key == "quantity":
        number = parse_decimal(value, key)
        if number == 0:
            raise BillingError("Quantity: enter more than 0", key)
        return number
    if key in ("unit_price", "unit_cost"):
        return parse_decimal(value, key, optional=key == "unit_cost")
    if key == "product_id":
        return None if value in (None, "") else validate.existing(Product, value, key)
    if key == "recurring_invoice_id":
        return None if value in (None, "") else validate.existing(RecurringInvoice, value, key)
    if key == "currency":
        return None if value in (None, "") else validate.currency(value, key)
    return validate.boolean(value, key)


def _settle(charge: OneOffCharge, values: dict[str, Any], given: set[str]) -> None:
    """Apply cleaned values and the rules across fields (target, product, currency, tax), naming the field."""
    product = values.get("product_id", charge.product) if "product_id" in values else charge.product
    recurring = values["recurring_invoice_id"] if "recurring_invoice_id" in values else charge.recurring_invoice
    if recurring is not None and recurring.organization_id != charge.organization_id:
        raise BillingError("recurring_invoice_id: that recurring invoice bills another Organization",
                           "recurring_invoice_id")
    if recurring is not None and not recurring.active and "recurring_invoice_id" in given:
        raise BillingError("recurring_invoice_id: that recurring invoice is inactive; it issues nothing",
                           "recurring_invoice_id")
    currency = values.get("currency") or (recurring.currency if recurring else None) \
        or (product.currency if product else None) or charge.currency \
        or _only_currency_of(charge.organization_id)
    if not currency:
        raise BillingError("Currency: choose a recurring invoice, a product or a currency (the Organization's "
                           "recurring invoices do not bill in one currency)", "currency")
    if recurring is not None and currency != recurring.currency:
        raise BillingError(f"Currency: the recurring invoice bills in {recurring.currency}, not {currency}", "currency")
    if product is not None and product.currency != currency:
        raise BillingError(f"product {product.code} is priced in {product.currency}; this charge is in {currency}: "
                           f"choose a product priced in {currency}", "product_id")
    charge.product_id = product.id if product else None
    charge.recurring_invoice_id = recurring.id if recurring else None
    charge.currency = currency
    for key in ("description", "quantity", "unit_price"):
        if key in values:
            setattr(charge, key, values[key])
    if values.get("unit_cost") is not None:
        charge.unit_cost = values["unit_cost"]
    elif "product_id" in given and product is not None and "unit_cost" not in given:
        charge.unit_cost = Decimal(product.unit_cost)
    elif charge.unit_cost is None:
        charge.unit_cost = Decimal(0)
    if product is not None:
        charge.taxable = product.taxable  # taxed as its product is
    elif "taxable" in values:
        charge.taxable = values["taxable"]


def _only_currency_of(organization_id: int) -> str | None:
    """The currency of the Organization's active recurring invoices, when they all bill in one."""
    found = set(db.session.execute(db.select(RecurringInvoice.currency).where(
        RecurringInvoice.organization_id == organization_id, RecurringInvoice.active.is_(True))).scalars())
    return found.pop() if len(found) == 1 else None


def _snapshot(charge: OneOffCharge) -> dict[str, Any]:
    return {"description": charge.description, "quantity": fmt_quantity(charge.quantity),
            "unit_price": fmt_price(charge.unit_price), "unit_cost": fmt_price(charge.unit_cost),
            "product_id": charge.product_id, "recurring_invoice_id": charge.recurring_invoice_id,
            "currency": charge.currency, "taxable": charge.taxable}


def create_charge(organization_id, actor: Actor, *, description, quantity, unit_price, product_id=None,
                  recurring_invoice_id=None, currency=None, unit_cost=None, taxable=True) -> OneOffCharge:
    """A pending charge for the Organization's next invoice (or ``recurring_invoice_id``'s). Commits."""
    given = {"description": description, "quantity": quantity, "unit_price": unit_price, "product_id": product_id,
             "recurring_invoice_id": recurring_invoice_id, "currency": currency, "unit_cost": unit_cost,
             "taxable": taxable}
    values = validate.each_field({"organization_id": organization_id, **given},
                                 lambda k, v: validate.existing(Organization, v, k) if k == "organization_id"
                                 else _clean_field(k, v))
    organization = values.pop("organization_id")
    charge = OneOffCharge(organization_id=organization.id, created_by=actor.label, unit_cost=None, taxable=True)
    charge.organization = organization
    _settle(charge, values, {k for k, v in given.items() if v not in (None, "")})
    db.session.add(charge)
    db.session.flush()
    record(actor, "one_off.create", "one_off_charge", charge.id, field="amount",
           new=fmt_money(line_amount(charge.quantity, charge.unit_price)),
           details={"organization_id": organization.id, **_snapshot(charge)})
    db.session.commit()
    return charge


def update_charge(charge_id, actor: Actor, **changes: Any) -> OneOffCharge:
    """Change a pending charge (each changed field audited). A billed charge is refused. Commits."""
    charge = get_charge(charge_id)
    _check_pending(charge)
    values = validate.each_field(changes, _clean_field)
    before = _snapshot(charge)
    _settle(charge, values, set(changes))
    after = _snapshot(charge)
    changed = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
    if changed:
        # only while still pending: a run that billed it meanwhile wins, and this edit changes nothing
        db.session.flush()
        still = db.session.execute(db.update(CHARGES).where(CHARGES.c.id == charge.id, CHARGES.c.invoice_id.is_(None))
                                   .values(updated_at=utcnow())).rowcount
        if not still:
            raise BillingError(f"charge {charge.id} was billed meanwhile; it can no longer change", "charge_id")
        for key, (old, new) in changed.items():
            record(actor, "one_off.update", "one_off_charge", charge.id, field=key, old=old, new=new)
    db.session.commit()
    return charge


def delete_charge(charge_id, actor: Actor) -> None:
    """Delete a pending charge (audited). A billed charge is refused. Commits."""
    charge = get_charge(charge_id)
    _check_pending(charge)
    gone = db.session.execute(db.delete(CHARGES).where(CHARGES.c.id == charge.id, CHARGES.c.invoice_id.is_(None))
                              ).rowcount
    if not gone:
        raise BillingError(f"charge {charge.id} was billed meanwhile; it can no longer be deleted", "charge_id")
    record(actor, "one_off.delete", "one_off_charge", charge.id, field="amount",
           old=fmt_money(line_amount(charge.quantity, charge.unit_price)),
           details={"organization_id": charge.organization_id, **_snapshot(charge)})
    db.session.expunge(charge)  # before the commit, so the caller's copy keeps its values
    db.session.commit()


def _check_pending(charge: OneOffCharge) -> None:
    if not charge.pending:
        invoice = db.session.get(Invoice, charge.invoice_id)
        raise BillingError(f"charge {charge.id} is billed on invoice {invoice.id if invoice else charge.invoice_id}; "
                           "it can no longer change", "charge_id")


def charge_to_dict(charge: OneOffCharge) -> dict:
    return {"id": charge.id, "organization_id": charge.organization_id,
            "recurring_invoice_id": charge.recurring_invoice_id, "product_id": charge.product_id,
            "description": charge.description, "quantity": charge.quantity, "unit_price": charge.unit_price,
            "unit_cost": charge.unit_cost, "amount": line_amount(charge.quantity, charge.unit_price),
            "currency": charge.currency, "taxable": charge.taxable, "pending": charge.pending,
            "invoice_id": charge.invoice_id, "billed_at": charge.billed_at, "created_at": charge.created_at,
            "created_by": charge.created_by, "updated_at": charge.updated_at}
