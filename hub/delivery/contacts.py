"""Each Organization's billing contacts: one or more To addresses and any CC addresses.

Addresses are checked when entered (syntax only: no DNS lookups), so a bad one is refused on the
form, never discovered at send time. Changes are audited.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from hub.audit import Actor, record
from hub.billing import validate
from hub.delivery.errors import DeliveryError, DeliveryFieldErrors
from hub.extensions import db
from hub.models import BillingContact, Organization
from hub.inputs import shown

MAX_ADDRESSES = 10
SEPARATORS = re.compile(r"[,;\s]+")


def check_address(value: str, field: str) -> str:
    """One address, normalised (``Anna@Example.COM`` -> ``Anna@example.com``); a DeliveryError naming ``field``."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as err:
        raise DeliveryError(f"{validate.label(field)}: {shown(value)} is not a valid e-mail address ({err})",
                            field) from None


def parse_addresses(text: str | list | None, field: str, *, required: bool) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or new lines; each checked, duplicates dropped."""
    parts = text if isinstance(text, list) else SEPARATORS.split(str(text or ""))
    found: list[str] = []
    for part in (p.strip() for p in parts):
        if part:
            address = check_address(part, field)
            if address.lower() not in {a.lower() for a in found}:
                found.append(address)
    if required and not found:
        raise DeliveryError(f"{validate.label(field)}: enter at least one e-mail address", field)
    if len(found) > MAX_ADDRESSES:
        raise DeliveryError(f"{validate.label(field)}: at most {MAX_ADDRESSES} addresses", field)
    return found


def get_contacts(organization_id: int) -> BillingContact | None:
    return db.session.get(BillingContact, organization_id)


def set_contacts(organization_id: int, to: str | list, cc: str | list | None, actor: Actor) -> BillingContact:
    """Replace an Organization's billing contacts (both lists checked first). Commits."""
    organization = validate.existing(Organization, organization_id, "organization_id")
    both = validate.each_field({"to": to, "cc": cc}, lambda key, value: parse_addresses(value, key, required=key == "to"),
                               DeliveryFieldErrors)  # a bad To and a bad Cc are both reported
    to_list = both["to"]
    cc_list = [a for a in both["cc"] if a.lower() not in {t.lower() for t in to_list}]
    contact = get_contacts(organization.id)
    old = (contact.to_addresses, contact.cc_addresses) if contact else ([], [])
    if contact is None:
        contact = BillingContact(organization_id=organization.id)
        db.session.add(contact)
    contact.to_addresses, contact.cc_addresses = to_list, cc_list
    for field, before, after in (("to", old[0], to_list), ("cc", old[1], cc_list)):
        if list(before or []) != after:
            record(actor, "contacts.update", "organization", organization.id, field=field,
                   old=", ".join(before or []) or None, new=", ".join(after) or None)
    db.session.commit()
    return contact
