"""Form plumbing shared by the billing pages: read fields, call a service, turn its error into a field error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import request

from hub.billing.errors import BillingError
from hub.billing.validate import label
from hub.extensions import db
from hub.inputs import whole_number
from hub.models import Organization, Product, VendorIntegration

def form_values(names, checkboxes=()) -> dict[str, str]:
    """The posted text of ``names`` (stripped) and ``checkboxes`` as "true"/"false"."""
    values = {name: (request.form.get(name) or "").strip() for name in names}
    values.update({name: "true" if request.form.get(name) else "false" for name in checkboxes})
    return values


@dataclass
class Outcome:
    """What a service call gave back: its result, or the message keyed by the field it names."""

    result: Any = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def call(service: Callable, *args, form_fields=(), **kwargs) -> Outcome:
    """Run a billing service. On ``BillingError`` roll back (nothing half-done stays in the session)
    and key the message by its field when that field is on the form, else under ``"_form"``."""
    try:
        return Outcome(result=service(*args, **kwargs))
    except BillingError as err:
        db.session.rollback()
        # every field's error at once (FieldErrors), each next to its field when that field is on the form
        errors: dict[str, str] = {}
        for name, message in (getattr(err, "errors", None) or {err.field: err.message}).items():
            key = name if name in form_fields else "_form"
            if key == "_form" and name and name not in message and label(name) not in message:
                message = f"{name}: {message}"
            errors[key] = f"{errors[key]} {message}" if key in errors else message
        return Outcome(errors=errors)


def product_choices(active_only: bool = False) -> list[Product]:
    query = db.select(Product).order_by(Product.name, Product.id)
    if active_only:
        query = query.where(Product.active.is_(True))
    return list(db.session.execute(query).scalars())


def integration_choices() -> list[VendorIntegration]:
    return list(db.session.execute(db.select(VendorIntegration).order_by(VendorIntegration.slug)).scalars())


def organization_choices() -> list[tuple[int, str]]:
    return [tuple(r) for r in db.session.execute(
        db.select(Organization.id, Organization.name).order_by(db.func.lower(Organization.name), Organization.id))]


def optional_int(name: str) -> int | None:
    """A whole-number query argument, or None when absent or junk (filters never 500)."""
    return whole_number(request.args.get(name) or "", minimum=1)
