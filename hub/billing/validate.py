"""Small input checks shared by the billing services; each raises BillingError naming the field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from hub import inputs
from hub.billing.errors import BillingError, Taken
from hub.inputs import MAX_INT, shown, whole_number
from hub.extensions import db


#: plain names for the fields people fill in, for messages ("Next run date: ..." not "next_run_date ...")
LABELS = {
    "organization_id": "Organization", "name": "Name", "frequency": "Frequency", "period_mode": "Period mode", "next_run_date": "Next run date",
    "currency": "Currency", "memo": "Memo", "due_days": "Payment due after (days)", "auto_issue": "Issue automatically",
    "active": "Active", "kind": "Kind", "product_id": "Product", "integration_id": "Vendor integration",
    "description": "Description", "quantity": "Quantity", "min_quantity": "Minimum quantity",
    "unit_price_override": "Unit price override", "markup_pct": "Markup %", "do_not_bill": "Do not bill",
    "override_policy": "Override the hold policy", "hold_decrease_over_seats": "Hold decreases over (seats)",
    "hold_decrease_over_pct": "Hold decreases over (%)", "position": "Position", "code": "Code",
    "unit_price": "Unit price", "unit_cost": "Unit cost", "reason": "Reason", "billable": "Billable",
    "run_date": "Run date", "percent": "Percent", "invoice_date": "Invoice date", "period_start": "Period start",
    "period_end": "Period end", "recurring_invoice_id": "Recurring invoice", "taxable": "Taxable",
    "charge_ids": "One-off charges", "lines": "Lines", "send_on_issue": "E-mail it when issued",
    "basis": "Counting basis", "proration": "Proration", "compound": "Compound",
    "hold_drop_to_zero": "Hold a drop to zero", "hold_detached": "Hold a drop caused by a Detached customer",
    "tax_rate_ids": "Tax rates", "tax_exempt": "Tax exempt",
    # delivery settings (company, SMTP, e-mail template, billing contacts)
    "address": "Address", "tax_id": "Tax ID", "payment_due_days": "Payment terms (days)",
    "payment_instructions": "Payment instructions", "footer": "Footer", "host": "SMTP host", "port": "Port",
    "security": "Security", "username": "User name", "from_address": "From address", "from_name": "From name",
    "password": "Password", "subject": "Subject", "body": "Body", "to": "To", "cc": "Cc", "logo": "Logo",
}


def label(field: str) -> str:
    return LABELS.get(field, field)


def text(value: Any, field: str, *, max_len: int, required: bool = True) -> str | None:
    value = "" if value is None else str(value).strip()
    if not value:
        if required:
            raise BillingError(f"{label(field)} is required", field)
        return None
    if len(value) > max_len:
        raise BillingError(f"{label(field)}: at most {max_len} characters (this has {len(value)})", field)
    return value


def integer(value: Any, field: str, *, minimum: int | None = 0, maximum: int | None = None,
            optional: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise BillingError(f"{label(field)}: enter a whole number", field)
    if isinstance(value, (bool, float)):
        raise BillingError(f"{label(field)}: enter a whole number", field)
    number = whole_number(value)  # None also when beyond what an integer column holds
    if number is None:
        raise BillingError(f"{label(field)}: enter a whole number up to {MAX_INT}, not {shown(value)}", field)
    if minimum is not None and number < minimum:
        raise BillingError(f"{label(field)}: enter {minimum} or more", field)
    if maximum is not None and number > maximum:
        raise BillingError(f"{label(field)}: enter {maximum} or less", field)
    return number


def day(value: Any, field: str) -> date:
    try:
        return inputs.day(value)
    except inputs.DayOutOfRange:
        raise BillingError(f"{label(field)}: enter a date between {inputs.MIN_DAY} and {inputs.MAX_DAY}", field) from None
    except ValueError:
        typed = "" if value is None else str(value).strip()
        raise BillingError(f"{label(field)}: enter a date like 2026-01-31"
                           + (f", not {shown(typed)}" if typed else ""), field) from None


def choice(value: Any, field: str, enum_cls) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BillingError(f"{label(field)}: choose one", field)
    try:
        return enum_cls(value).value
    except ValueError:
        allowed = ", ".join(e.value for e in enum_cls)
        raise BillingError(f"{label(field)}: choose one of {allowed}, not {shown(value)}", field) from None


def currency(value: Any, field: str = "currency") -> str:
    """A three-letter ISO 4217 style code, upper-cased ("usd" -> "USD")."""
    code = str(value or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise BillingError(f"{label(field)}: enter a three-letter code such as USD, not {shown(value)}", field)
    return code


def boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text_value = str(value).strip().lower()
    if text_value in {"1", "true", "yes", "on"}:
        return True
    if text_value in {"0", "false", "no", "off", ""}:
        return False
    raise BillingError(f"{label(field)}: must be true or false, not {shown(value)}", field)


class FieldErrors(BillingError):
    """Several fields wrong at once: ``errors`` maps each field to its message, so a form shows them all.
    ``field`` and ``message`` are the first one's (callers that show one error still name a field)."""

    def __init__(self, errors: dict[str, str], taken: set[str] | frozenset[str] = frozenset()) -> None:
        first = next(iter(errors))
        super().__init__("; ".join(errors.values()) if len(errors) > 1 else errors[first], first)
        self.errors = errors
        #: the fields whose value another row already has (hub.billing.errors.Taken)
        self.taken = frozenset(taken)


def each_field(values: dict[str, Any], clean_one, errors_class: type[FieldErrors] = FieldErrors) -> dict[str, Any]:
    """``clean_one(key, value)`` for every field; every field's BillingError at once as ``errors_class``."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    taken: set[str] = set()
    for key, value in values.items():
        try:
            clean[key] = clean_one(key, value)
        except BillingError as err:
            name = err.field or key
            if name not in errors and isinstance(err, Taken):
                taken.add(name)
            errors.setdefault(name, err.message)
    if errors:
        raise errors_class(errors, taken)
    return clean


def existing(model, value: Any, field: str):
    """The row of ``model`` with id ``value``, or a BillingError naming ``field``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BillingError(f"{label(field)}: choose one", field)
    row_id = integer(value, field, minimum=1)
    row = db.session.get(model, row_id)
    if row is None:
        raise BillingError(f"{label(field)}: no {_words(model.__name__)} with id {row_id}", field)
    return row


def _words(class_name: str) -> str:
    """"RecurringInvoice" -> "recurring invoice", "VendorSku" -> "vendor SKU"; Organization keeps its capital
    (the panel's name for a billed customer)."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", class_name).lower()
    return words.replace("sku", "SKU").replace("organization", "Organization")
