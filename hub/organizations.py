"""Organizations: change and delete, with the rules the panel, the CLI and the API share.

Creating one is ``hub.mapping.create_organization`` (mapping creates them too). ``external_ref`` is an
integrator's own id for the Organization (their PSA's or CRM's), unique when set.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from hub.audit import Actor, record
from hub.extensions import db
from hub.mapping import MappingError
from hub.models import Invoice, Organization, PastMapping, RecurringInvoice, VendorCustomer
from hub.inputs import check_each, shown

FIELDS = ("name", "domain", "external_ref")


class DuplicateError(MappingError):
    """The name or external_ref is another Organization's (the API answers 409 Conflict)."""


def get_organization(organization_id: Any) -> Organization:
    try:
        organization = db.session.get(Organization, int(organization_id))
    except (TypeError, ValueError):
        organization = None
    if organization is None:
        raise MappingError(f"organization {organization_id} does not exist", "organization_id")
    return organization


def clean_name(name: Any, except_id: int | None = None) -> str:
    """A name no other Organization has, compared on its stored key (NFKC + case-folded), as the
    unique index compares it on both databases."""
    from hub.mapping import organization_name_taken
    from hub.models.organization import NAME_KEY_LENGTH, name_key

    name = str(name or "").strip()
    if not name:
        raise MappingError("Name: enter the Organization's name", "name")
    if len(name) > 200 or len(name_key(name)) > NAME_KEY_LENGTH:
        raise MappingError(f"Name: at most 200 characters (this has {len(name):,})", "name")
    if organization_name_taken(name, except_id):
        raise DuplicateError(f"Name: an Organization named {shown(name)} already exists", "name")
    return name


def clean_domain(domain: Any) -> str | None:
    from hub.web.suggestions import domain_of

    if domain is None or str(domain).strip() == "":
        return None
    cleaned = domain_of(str(domain))
    if cleaned is None:
        raise MappingError(f"Domain: enter a domain like example.com, not {shown(domain)}", "domain")
    return cleaned


def clean_external_ref(value: Any, except_id: int | None = None) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    ref = str(value).strip()
    if len(ref) > 200:
        raise MappingError(f"External reference: at most 200 characters (this has {len(ref):,})", "external_ref")
    stmt = db.select(Organization.id).where(Organization.external_ref == ref)
    if except_id is not None:
        stmt = stmt.where(Organization.id != except_id)
    if db.session.execute(stmt).first():
        raise DuplicateError(f"External reference: another Organization already has {shown(ref)}", "external_ref")
    return ref


def update_organization(organization_id: Any, actor: Actor, **changes: Any) -> Organization:
    """Change name, domain or external_ref (each change audited). Commits; nothing changes on error."""
    organization = get_organization(organization_id)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise MappingError(f"{field} is not an Organization field", field)
    cleaners = {"name": lambda: clean_name(changes["name"], organization.id),
                "domain": lambda: clean_domain(changes["domain"]),
                "external_ref": lambda: clean_external_ref(changes["external_ref"], organization.id)}
    cleaned = check_each({field: cleaners[field] for field in FIELDS if field in changes}, MappingError)
    for field, new in cleaned.items():
        old = getattr(organization, field)
        if old != new:
            record(actor, "organization.update", "organization", organization.id, field=field, old=old, new=new)
            setattr(organization, field, new)
    try:
        db.session.commit()
    except IntegrityError:  # saved under this name (or ref) by someone else since the checks above
        db.session.rollback()
        raise DuplicateError("another Organization was just saved with this name or external_ref",
                             "name" if "name" in cleaned else "external_ref") from None
    return organization


def delete_organization(organization_id: Any, actor: Actor) -> None:
    """Delete an Organization nothing refers to; one with vendor customers or invoices stays."""
    organization = get_organization(organization_id)
    for model, what in ((VendorCustomer, "mapped vendor customers"), (RecurringInvoice, "recurring invoices"),
                        (Invoice, "invoices")):
        if db.session.execute(db.select(model.id).where(model.organization_id == organization.id).limit(1)).first():
            raise MappingError(f"Organization {organization.name} has {what}; it cannot be deleted", "organization_id")
    record(actor, "organization.delete", "organization", organization.id, field="name", old=organization.name,
           details={"external_ref": organization.external_ref})
    # the mappings it once had: nothing bills an Organization with no recurring invoices or invoices
    db.session.execute(db.delete(PastMapping).where(PastMapping.organization_id == organization.id))
    db.session.delete(organization)
    db.session.commit()
