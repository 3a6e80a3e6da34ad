"""Mapping tables: the hub's Organizations, products and tax rates -> the provider's customers,
items and tax codes, per destination.

An auto-match by name only *suggests* (``confirmed`` False); a push uses confirmed mappings only,
so nothing reaches the books on a guess. Every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from hub.audit import Actor, record
from hub.billing.money import fmt_quantity
from hub.destinations.calls import call_with_auth
from hub.destinations.connections import require_connection
from hub.extensions import db
from hub.models import DestinationConnection, DestinationMapping, MappingKind, Organization, Product, TaxRate
from hub.plugins import CustomerToPush, ExternalRecord, ProductToPush, VendorConfigError, VendorDataError

#: the tax mapping's key for lines that carry no tax (the provider's non-taxable / exempt code);
#: every other tax key is a ``TaxRate`` id
NO_TAX = "exempt"
NO_TAX_LABEL = "Lines with no tax"


@dataclass(frozen=True)
class Row:
    """One hub record and its mapping (if any), for the mapping pages."""

    local_key: str
    label: str
    mapping: DestinationMapping | None


def normal_name(name: str) -> str:
    return " ".join(re.sub(r"[^\w ]", " ", name.casefold()).split())


def kind_of(kind: str) -> MappingKind:
    try:
        return MappingKind(kind)
    except ValueError:
        raise VendorConfigError(f"kind must be one of {', '.join(k.value for k in MappingKind)}", field="kind") from None


def local_records(kind: MappingKind) -> dict[str, str]:
    """local key -> label of every hub record of ``kind``."""
    if kind is MappingKind.CUSTOMER:
        rows = db.session.execute(db.select(Organization.id, Organization.name).order_by(Organization.name))
        return {str(i): n for i, n in rows}
    if kind is MappingKind.ITEM:
        rows = db.session.execute(db.select(Product.id, Product.code, Product.name).order_by(Product.code))
        return {str(i): f"{c} — {n}" for i, c, n in rows}
    rates = db.session.execute(db.select(TaxRate.id, TaxRate.name, TaxRate.percent).order_by(TaxRate.name))
    return {**{str(i): f"{n} ({fmt_quantity(p)}%)" for i, n, p in rates}, NO_TAX: NO_TAX_LABEL}


def _percent(value) -> Decimal | None:
    try:
        return Decimal(str(value)).normalize() if value is not None and str(value).strip() != "" else None
    except InvalidOperation:
        return None


def _tax_percents() -> dict[str, Decimal]:
    """tax key -> percent, for matching a rate by percent when no provider code carries its name."""
    rows = db.session.execute(db.select(TaxRate.id, TaxRate.percent))
    return {**{str(i): Decimal(p).normalize() for i, p in rows}, NO_TAX: Decimal(0)}


def mappings_of(connection_id: int, kind: MappingKind) -> dict[str, DestinationMapping]:
    return {m.local_key: m for m in db.session.execute(db.select(DestinationMapping).filter_by(
        connection_id=connection_id, kind=kind.value)).scalars()}


def rows(slug: str, kind: str) -> list[Row]:
    kind_ = kind_of(kind)
    connection = require_connection(slug)
    existing = mappings_of(connection.id, kind_)
    return [Row(key, label, existing.get(key)) for key, label in local_records(kind_).items()]


def confirmed(connection_id: int, kind: MappingKind) -> dict[str, str]:
    """local key -> external id, confirmed mappings only (what a push uses)."""
    return {m.local_key: m.external_id for m in mappings_of(connection_id, kind).values() if m.confirmed}


def _set(connection: DestinationConnection, kind: MappingKind, local_key: str, record_: ExternalRecord,
         source: str, confirmed_: bool, actor: Actor) -> DestinationMapping:
    mapping = mappings_of(connection.id, kind).get(local_key)
    old = f"{mapping.external_id} ({mapping.external_name})" if mapping else None
    if mapping is None:
        mapping = DestinationMapping(connection_id=connection.id, kind=kind.value, local_key=local_key)
        db.session.add(mapping)
    mapping.external_id, mapping.external_name = str(record_.external_id), str(record_.name)[:300]
    mapping.source, mapping.confirmed = source, confirmed_
    record(actor, "destination.map", kind.value, local_key, field=connection.slug, old=old,
           new=f"{mapping.external_id} ({mapping.external_name})", details={"source": source, "confirmed": confirmed_})
    return mapping


def auto_match(slug: str, kind: str, actor: Actor) -> int:
    """Suggest a provider record, matched by name, for every unmapped hub record (a tax rate whose name
    no code carries: the one code of its percent, from ``ExternalRecord.extra["percent"]``). Commits;
    returns how many suggestions were made. Suggestions wait for ``confirm``."""
    kind_ = kind_of(kind)
    connection = require_connection(slug)
    external = list(call_with_auth(connection, lambda h, c, s, a: h.list_records(c, s, a, kind_.value)))
    by_name: dict[str, list[ExternalRecord]] = {}
    by_percent: dict[Decimal, list[ExternalRecord]] = {}
    for item in external:
        if not isinstance(item, ExternalRecord):
            raise VendorDataError(f"{slug}: hub_destination_list yielded {type(item).__name__}, not ExternalRecord")
        by_name.setdefault(normal_name(item.name), []).append(item)
        percent = _percent((item.extra or {}).get("percent"))
        if percent is not None:
            by_percent.setdefault(percent, []).append(item)
    percents = _tax_percents() if kind_ is MappingKind.TAX else {}
    existing = mappings_of(connection.id, kind_)
    made = 0
    for key, label in local_records(kind_).items():
        if key in existing:
            continue
        name = label.split(" — ", 1)[-1] if kind_ is MappingKind.ITEM else label
        if kind_ is MappingKind.TAX and key != NO_TAX:
            name = label.rsplit(" (", 1)[0]
        candidates = by_name.get(normal_name(name), [])
        if not candidates and key in percents:
            candidates = by_percent.get(percents[key], [])
        if len(candidates) == 1:  # two provider records of one name: a person chooses
            _set(connection, kind_, key, candidates[0], "auto", False, actor)
            made += 1
    db.session.commit()
    return made


def confirm(slug: str, kind: str, local_keys: list[str], actor: Actor) -> int:
    """Confirm suggested mappings. Commits; returns how many were confirmed."""
    kind_ = kind_of(kind)
    connection = require_connection(slug)
    existing = mappings_of(connection.id, kind_)
    done = 0
    for key in local_keys:
        mapping = existing.get(str(key))
        if mapping is None:
            raise VendorConfigError(f"{key} has no suggested mapping to confirm", field="local_key")
        if not mapping.confirmed:
            mapping.confirmed = True
            record(actor, "destination.map_confirm", kind_.value, key, field=connection.slug, old="suggested",
                   new=f"{mapping.external_id} ({mapping.external_name})")
            done += 1
    db.session.commit()
    return done


def set_mapping(slug: str, kind: str, local_key: str, external_id: str, external_name: str | None,
                actor: Actor) -> DestinationMapping:
    """Map by hand (confirmed). Commits."""
    kind_ = kind_of(kind)
    connection = require_connection(slug)
    if str(local_key) not in local_records(kind_):
        raise VendorConfigError(f"no {kind_.value} record {local_key!r} in the hub", field="local_key")
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 100:
        raise VendorConfigError("external_id must be 1-100 characters", field="external_id")
    mapping = _set(connection, kind_, str(local_key), ExternalRecord(external_id, (external_name or external_id).strip()),
                   "manual", True, actor)
    db.session.commit()
    return mapping


def unmap(slug: str, kind: str, local_key: str, actor: Actor) -> None:
    kind_ = kind_of(kind)
    connection = require_connection(slug)
    mapping = mappings_of(connection.id, kind_).get(str(local_key))
    if mapping is None:
        raise VendorConfigError(f"{local_key} is not mapped", field="local_key")
    record(actor, "destination.unmap", kind_.value, local_key, field=connection.slug,
           old=f"{mapping.external_id} ({mapping.external_name})", new=None)
    db.session.delete(mapping)
    db.session.commit()


def customer_to_push(organization: Organization) -> CustomerToPush:
    return CustomerToPush(local_id=organization.id, name=organization.name, reference=f"hub-org-{organization.id}")


def product_to_push(product: Product, config: dict) -> ProductToPush:
    return ProductToPush(local_id=product.id, code=product.code, name=product.name, unit_price=product.unit_price,
                         description=product.description, income_account=config.get("income_account") or None)


def create_at_provider(slug: str, kind: str, local_key: str, actor: Actor) -> DestinationMapping:
    """Find or create the provider's customer / item for one hub record, and map it (confirmed). Commits."""
    kind_ = kind_of(kind)
    connection = require_connection(slug)
    if kind_ is MappingKind.CUSTOMER:
        organization = db.session.get(Organization, int(local_key)) if str(local_key).isdigit() else None
        if organization is None:
            raise VendorConfigError(f"no Organization {local_key}", field="local_key")
        made = call_with_auth(connection, lambda h, c, s, a: h.customer(c, s, a, customer_to_push(organization)))
    elif kind_ is MappingKind.ITEM:
        product = db.session.get(Product, int(local_key)) if str(local_key).isdigit() else None
        if product is None:
            raise VendorConfigError(f"no product {local_key}", field="local_key")
        made = call_with_auth(connection, lambda h, c, s, a: h.item(c, s, a, product_to_push(product, c)))
    else:
        raise VendorConfigError("tax codes are chosen from the provider's list, not created", field="kind")
    if not isinstance(made, ExternalRecord):
        raise VendorDataError(f"{slug}: the plugin returned {type(made).__name__}, not ExternalRecord")
    mapping = _set(connection, kind_, str(local_key), made, "created", True, actor)
    db.session.commit()
    return mapping
