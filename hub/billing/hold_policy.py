"""The integration-wide hold policy: when a vendor line's lower count waits for a person.

Four rules: a decrease of more than N seats, of more than X percent (blank: no such limit), a drop
to zero, and a drop caused by a counted vendor customer turning Detached. A recurring line may
override the two limits (``recurring.update_line``); the zero and Detached rules are the
integration's. The panel edits it here and the API will call the same service. A change applies to
the next recalculation; changes already held stay held until someone decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hub.audit import Actor, audit_event, record_many
from hub.billing import validate
from hub.billing.errors import BillingError
from hub.billing.money import fmt_quantity, parse_decimal
from hub.extensions import db
from hub.models import VendorIntegration
from hub.inputs import shown

FIELDS = ("hold_decrease_over_seats", "hold_decrease_over_pct", "hold_drop_to_zero", "hold_detached")


@dataclass(frozen=True)
class HoldPolicyView:
    integration_id: int
    vendor: str
    over_seats: int | None
    over_pct: Decimal | None
    drop_to_zero: bool
    detached: bool


def _integration(slug: str) -> VendorIntegration:
    integration = db.session.execute(db.select(VendorIntegration).filter_by(slug=slug)).scalar_one_or_none()
    if integration is None:
        raise BillingError(f"vendor: no configured vendor {shown(slug)}", "vendor")
    return integration


def get_hold_policy(slug: str) -> HoldPolicyView:
    i = _integration(slug)
    return HoldPolicyView(i.id, i.slug, i.hold_decrease_over_seats,
                          None if i.hold_decrease_over_pct is None else Decimal(i.hold_decrease_over_pct),
                          i.hold_drop_to_zero, i.hold_detached)


def clean_policy(values: dict[str, Any]) -> dict[str, Any]:
    """Checked values of the fields given; every bad one at once (``validate.FieldErrors``), nothing changed."""
    return validate.each_field(values, _clean_policy_field)


def _clean_policy_field(key: str, value: Any) -> Any:
    if key not in FIELDS:
        raise BillingError(f"unknown field {shown(key)}; the fields are {', '.join(FIELDS)}", key)
    if key == "hold_decrease_over_seats":
        return validate.integer(value, key, minimum=0, maximum=1_000_000, optional=True)
    if key == "hold_decrease_over_pct":
        percent = parse_decimal(value, key, places=2, maximum=None, optional=True)
        if percent is not None and percent > 100:
            raise BillingError(f"{validate.label(key)}: enter 100 or less", key)
        return percent
    return validate.boolean(value, key)


def update_hold_policy(slug: str, actor: Actor, **values: Any) -> HoldPolicyView:
    """Set some or all of the four rules; each changed field is audited. Commits."""
    integration = _integration(slug)
    clean = clean_policy(values)
    audits = []
    for key, new in clean.items():
        old = getattr(integration, key)
        if (None if old is None else Decimal(old) if key == "hold_decrease_over_pct" else old) == new:
            continue
        setattr(integration, key, new)
        shown = fmt_quantity if key == "hold_decrease_over_pct" else (lambda v: v)  # "10", never "10.00"
        audits.append(audit_event(actor, "billing.hold_policy", "vendor_integration", integration.id, field=key,
                                  old=shown(old), new=shown(new), integration_id=integration.id))
    db.session.flush()
    record_many(audits)
    db.session.commit()
    return get_hold_policy(slug)
