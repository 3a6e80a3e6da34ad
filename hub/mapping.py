"""The Customer Mapping rules, used by the panel, the API and the CLI alike.

A vendor customer maps to at most one Organization; an Organization may have many vendor customers,
across vendors. Unmapping a Detached vendor customer *archives* it: it leaves the mapping table and the
current counts (the vendor no longer knows it, nobody bills it), but its row and count history stay for
reports of past periods, evidence and audit. If the vendor lists it again it comes back Not mapped.

Every mapping that ends (remap, unmap, archive) leaves a ``PastMapping``: periods before the change still
count the customer for the Organization it belonged to then.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from hub import events
from hub.audit import Actor, record
from hub.extensions import db
from hub.inputs import MAX_INT, check_each, whole_number
from hub.models import (LicenseCount, LicenseCountHistory, MapStatus, Organization, PastMapping, VendorCustomer,
                        name_key)
from hub.timeutil import utcnow


class MappingError(ValueError):
    """A mapping request that cannot be done; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _id(value, field: str) -> int:
    number = whole_number(value, minimum=1)
    if number is None:
        raise MappingError(f"{field} must be a number from 1 to {MAX_INT}, not {value!r}"[:300], field)
    return number


def _customer(customer_id: int) -> VendorCustomer:
    customer = db.session.get(VendorCustomer, _id(customer_id, "customer_id"))
    if customer is None:
        raise MappingError(f"vendor customer {customer_id} does not exist", "customer_id")
    if customer.archived_at is not None:
        raise MappingError(f"vendor customer {customer_id} is archived (unmapped while Detached); it comes back "
                           "when the vendor lists it again", "customer_id")
    return customer


def _end_mapping(customer: VendorCustomer, now) -> None:
    """Keep the mapping that ends now: the customer's first Organization held it from the beginning of its
    history, a later one from when it was mapped (``mapped_at``)."""
    if customer.organization_id is None:
        return
    ended_before = db.session.execute(
        db.select(PastMapping.id).filter_by(vendor_customer_id=customer.id).limit(1)).first() is not None
    db.session.add(PastMapping(vendor_customer_id=customer.id, organization_id=customer.organization_id,
                               mapped_from=customer.mapped_at if ended_before else None, mapped_until=now))


def map_customer(customer_id: int, organization_id: int, actor: Actor) -> VendorCustomer:
    customer = _customer(customer_id)
    organization = db.session.get(Organization, _id(organization_id, "organization_id"))
    if organization is None:
        raise MappingError(f"organization {organization_id} does not exist", "organization_id")
    if customer.detached_at is not None:
        raise MappingError("a Detached vendor customer cannot be mapped; unmap it instead", "customer_id")
    old = customer.organization_id
    if old == organization.id:
        return customer
    now = utcnow()
    _end_mapping(customer, now)
    customer.organization_id = organization.id
    customer.mapped_at = now
    record(actor, "mapping.map" if old is None else "mapping.remap", "vendor_customer", customer.id,
           field="organization_id", old=old, new=organization.id, integration_id=customer.integration_id,
           details={"customer": customer.name, "organization": organization.name}, at=now)
    events.mapping_changed.send(customer, customer_id=customer.id, old_organization_id=old,
                                new_organization_id=organization.id, actor=actor)
    db.session.commit()
    return customer


def unmap_customer(customer_id: int, actor: Actor) -> VendorCustomer | None:
    """Unmap; returns None when the customer was Detached and was archived (it left the mapping table)."""
    customer = _customer(customer_id)
    status = customer.map_status
    if status is MapStatus.NOT_MAPPED:
        raise MappingError("this vendor customer is not mapped", "customer_id")
    old = customer.organization_id
    details = {"customer": customer.name, "external_id": customer.external_id,
               "organization": customer.organization.name if customer.organization else None}
    events.mapping_changed.send(customer, customer_id=customer.id, old_organization_id=old,
                                new_organization_id=None, actor=actor)
    now = utcnow()  # the audit event's moment is the mapping's end (migration 0023 replays the log)
    if status is MapStatus.DETACHED:
        record(actor, "mapping.archive_detached", "vendor_customer", customer.id, field="organization_id",
               old=old, new=None, integration_id=customer.integration_id, details=details, at=now)
        # out of the current counts (nothing counts it any more); LicenseCountHistory keeps its past and
        # records the end: each count that leaves goes to 0 now, so the history still adds up over time
        ends = [dict(vendor_customer_id=customer.id, sku_id=sku_id, quantity=0, previous_quantity=quantity,
                     recorded_at=now)
                for sku_id, quantity in db.session.execute(
                    db.select(LicenseCount.sku_id, LicenseCount.quantity)
                    .filter_by(vendor_customer_id=customer.id).where(LicenseCount.quantity != 0))]
        if ends:
            db.session.execute(db.insert(LicenseCountHistory), ends)
        db.session.execute(db.delete(LicenseCount).filter_by(vendor_customer_id=customer.id))
        _end_mapping(customer, now)
        customer.organization_id = None
        customer.mapped_at = None
        customer.archived_at = now
        db.session.commit()
        return None
    _end_mapping(customer, now)
    customer.organization_id = None
    customer.mapped_at = None
    record(actor, "mapping.unmap", "vendor_customer", customer.id, field="organization_id", old=old, new=None,
           integration_id=customer.integration_id, details=details, at=now)
    db.session.commit()
    return customer


def past_mappings(customer_id: int) -> list[dict]:
    """The Organizations a vendor customer belonged to before, oldest first: ``organization`` ({id, name}),
    ``mapped_from`` (None: from the beginning of its history) and ``mapped_until``."""
    rows = db.session.execute(
        db.select(PastMapping.organization_id, Organization.name, PastMapping.mapped_from, PastMapping.mapped_until)
        .join(Organization, Organization.id == PastMapping.organization_id)
        .where(PastMapping.vendor_customer_id == customer_id).order_by(PastMapping.mapped_until, PastMapping.id))
    return [{"organization": {"id": org_id, "name": name}, "mapped_from": since, "mapped_until": until}
            for org_id, name, since, until in rows]


def organization_name_taken(name: str, except_id: int | None = None) -> bool:
    """Whether another Organization has this name, compared on ``name_key`` (case, accents' forms, spaces)."""
    stmt = db.select(Organization.id).where(Organization.name_key == name_key(name))
    if except_id is not None:
        stmt = stmt.where(Organization.id != except_id)
    return db.session.execute(stmt).first() is not None


def create_organization(name: str, actor: Actor, domain: str | None = None, *, external_ref: str | None = None,
                        commit: bool = True) -> Organization:
    from hub.organizations import DuplicateError, clean_domain, clean_external_ref, clean_name

    checked = check_each({"name": lambda: clean_name(name), "domain": lambda: clean_domain(domain),
                          "external_ref": lambda: clean_external_ref(external_ref)}, MappingError)
    name = checked["name"]
    organization = Organization(name=name, domain=checked["domain"], external_ref=checked["external_ref"])
    try:
        with db.session.begin_nested():  # another request may have saved the same name a moment ago
            db.session.add(organization)
            db.session.flush()
    except IntegrityError:
        raise DuplicateError(f"an Organization named {name!r} already exists", "name") from None
    record(actor, "organization.create", "organization", organization.id, field="name", new=name,
           details={"external_ref": organization.external_ref} if organization.external_ref else None)
    if commit:
        db.session.commit()
    return organization


def create_organization_from_customer(customer_id: int, actor: Actor, name: Any = None) -> VendorCustomer:
    """One step: a new Organization and the mapping to it. It is named ``name`` (what the person typed)
    when given, else after the vendor customer; ``create_organization`` checks the name (field ``name``)."""
    customer = _customer(customer_id)
    if customer.map_status is not MapStatus.NOT_MAPPED:
        raise MappingError("only a Not mapped vendor customer can create an Organization", "customer_id")
    if name is not None and not isinstance(name, str):
        raise MappingError("name must be text", "name")
    organization = create_organization(customer.name if name is None else name, actor,
                                       domain=_usable_domain((customer.extra or {}).get("domain")),
                                       commit=False)  # one transaction with the mapping
    return map_customer(customer.id, organization.id, actor)


def _usable_domain(raw: Any) -> str | None:
    """The vendor's domain for a customer when it reads as one; a vendor's junk never blocks the create."""
    from hub.organizations import clean_domain

    try:
        return clean_domain(raw)
    except MappingError:
        return None


#: most pairs one bulk request may map
BULK_LIMIT = 500


def map_pairs(pairs, actor: Actor) -> tuple[list[int], list[dict]]:
    """Map several customers (accepted suggestions): ``[{"customer_id", "organization_id"}]``, each its own
    audited change. Returns (mapped customer ids, failures as {"index", "error", "field"[, "customer_id"]})."""
    if not isinstance(pairs, list) or not pairs:
        raise MappingError("send a non-empty list of {customer_id, organization_id}", "pairs")
    if len(pairs) > BULK_LIMIT:
        raise MappingError(f"at most {BULK_LIMIT} pairs at once", "pairs")
    mapped, failed = [], []
    for n, pair in enumerate(pairs):
        if not isinstance(pair, dict):
            failed.append({"index": n, "error": "not an object", "field": f"pairs[{n}]"})
            continue
        customer_id = whole_number(pair.get("customer_id"), minimum=1)  # None past what an id column holds
        organization_id = whole_number(pair.get("organization_id"), minimum=1)
        if customer_id is None or organization_id is None:
            failed.append({"index": n, "error": "customer_id and organization_id must be whole numbers",
                           "field": f"pairs[{n}]"})
            continue
        try:
            map_customer(customer_id, organization_id, actor)
        except MappingError as err:
            db.session.rollback()
            failed.append({"index": n, "customer_id": customer_id, "error": str(err), "field": err.field})
            continue
        mapped.append(customer_id)
    return mapped, failed
