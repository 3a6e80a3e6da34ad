"""The Customer Mapping table's data: one vendor's customers, searched, sorted and paged on the server.

Per page: one query for the page's rows (ORDER BY + LIMIT) with their total, counted in the same scan
(a search) or by a cheap count without joins (no search), and one batched query for the license
counts of those rows only: two queries, whatever the page size.
Shared by the page, the JSON API and ``benchmarks/mapping_page.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select

from hub.extensions import db
from hub.models import LicenseCount, MapStatus, Organization, VendorCustomer, VendorSku
from hub.web.paging import Page, contains_ci, paged_query

STATUS_ORDER = {MapStatus.MAPPED.value: 0, MapStatus.NOT_MAPPED.value: 1, MapStatus.DETACHED.value: 2}
SORT_KEYS = ("name", "status", "organization", "vendor_status", "licenses")


@dataclass(frozen=True)
class TableQuery:
    integration_id: int
    q: str = ""
    sort: str = "name"
    direction: str = "asc"
    status: str = ""
    page: int = 1
    per_page: int = 50

    @classmethod
    def clean(cls, integration_id: int, q: str | None, sort: str | None, direction: str | None,
              status: str | None, page: int, per_page: int) -> "TableQuery":
        return cls(integration_id, (q or "").strip()[:200], sort if sort in SORT_KEYS else "name",
                   "desc" if direction == "desc" else "asc",
                   status if status in STATUS_ORDER else "", page, per_page)


def _order(query: TableQuery):
    desc = query.direction == "desc"

    def ordered(expr):
        return expr.desc() if desc else expr.asc()

    status_rank = case(*((VendorCustomer.map_status == value, rank) for value, rank in STATUS_ORDER.items()),
                       else_=9)
    # ties break by name in the same direction, so descending is exactly ascending reversed
    name = ordered(func.lower(VendorCustomer.name))
    if query.sort == "status":
        keys = [ordered(status_rank), name]
    elif query.sort == "organization":
        # rows without an Organization always last, whatever the direction
        keys = [Organization.name.is_(None), ordered(func.lower(Organization.name)), name]
    elif query.sort == "vendor_status":
        keys = [ordered(VendorCustomer.vendor_status), name]
    elif query.sort == "licenses":
        # the customer's counts added up: who is biggest at this vendor (one indexed lookup per row)
        total = (select(func.coalesce(func.sum(LicenseCount.quantity), 0))
                 .where(LicenseCount.vendor_customer_id == VendorCustomer.id).scalar_subquery())
        keys = [ordered(total), name]
    else:
        keys = [name]
    return keys + [ordered(VendorCustomer.id)]


def row_select():
    return (select(VendorCustomer.id, VendorCustomer.name, VendorCustomer.external_id, VendorCustomer.vendor_status,
                   VendorCustomer.detached_at, VendorCustomer.organization_id, VendorCustomer.extra,
                   VendorCustomer.count_error, Organization.name.label("organization_name"))
            .outerjoin(Organization, Organization.id == VendorCustomer.organization_id))


def filters(query: TableQuery) -> list:
    # archived customers (Detached, then unmapped) left the mapping table; they live on only in history
    conditions = [VendorCustomer.integration_id == query.integration_id, VendorCustomer.archived_at.is_(None)]
    if query.q:
        conditions.append(or_(contains_ci(VendorCustomer.name, query.q), contains_ci(VendorCustomer.external_id, query.q),
                              contains_ci(Organization.name, query.q)))
    if query.status:  # the plain tests behind the map_status hybrid, which indexes and planners like better
        detached, mapped = VendorCustomer.detached_at, VendorCustomer.organization_id
        conditions += {MapStatus.DETACHED.value: [detached.is_not(None)],
                       MapStatus.MAPPED.value: [detached.is_(None), mapped.is_not(None)],
                       MapStatus.NOT_MAPPED.value: [detached.is_(None), mapped.is_(None)]}[query.status]
    return conditions


def base_select(query: TableQuery):
    return row_select().where(*filters(query)).order_by(*_order(query))


def count_select(query: TableQuery):
    """The total for the pager: joins Organizations only when the search needs their names."""
    stmt = select(func.count()).select_from(VendorCustomer)
    if query.q:
        stmt = stmt.outerjoin(Organization, Organization.id == VendorCustomer.organization_id)
    return stmt.where(*filters(query))


def licenses_for(customer_ids: list[int]) -> dict[int, list[dict]]:
    """{customer id: [{"sku", "name", "quantity", "extra", "details"}]} for these customers only, one
    query; ``details`` is the count's extra as one line of text (say Pax8's billing terms)."""
    if not customer_ids:
        return {}
    result: dict[int, list[dict]] = {}
    rows = db.session.execute(
        select(LicenseCount.vendor_customer_id, VendorSku.sku, VendorSku.name, LicenseCount.quantity,
               LicenseCount.extra)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id)
        .where(LicenseCount.vendor_customer_id.in_(customer_ids))
        .order_by(LicenseCount.vendor_customer_id, VendorSku.sku))
    for customer_id, sku, name, quantity, extra in rows:
        result.setdefault(customer_id, []).append(
            {"sku": sku, "name": name or sku, "quantity": format(quantity.normalize(), "f"),
             "extra": extra or {}, "details": count_details(extra)})
    return result


def count_details(extra: dict | None) -> str:
    """A count's extra as one line: ``terms: 12 Monthly + 5 Annual`` (the template escapes it)."""
    return "; ".join(f"{key}: {value if isinstance(value, str) else json.dumps(value, default=str)}"
                     for key, value in (extra or {}).items())


def row_dict(row, licenses: list[dict]) -> dict:
    if row.detached_at is not None:
        status = MapStatus.DETACHED
    else:
        status = MapStatus.MAPPED if row.organization_id is not None else MapStatus.NOT_MAPPED
    extra = row.extra or {}
    return {
        "id": row.id,
        "name": row.name,
        "external_id": row.external_id,
        "domain": extra.get("domain") if isinstance(extra.get("domain"), str) else None,
        "vendor_status": row.vendor_status,
        "status": status.value,
        "status_label": status.label,
        "organization": ({"id": row.organization_id, "name": row.organization_name}
                         if row.organization_id is not None else None),
        "count_error": row.count_error,
        "licenses": licenses,
    }


def table_page(query: TableQuery) -> tuple[list[dict], Page]:
    # a search scans every row anyway: count in the same scan; an unfiltered page counts cheaply apart
    rows, page = paged_query(db.session, base_select(query), query.page, query.per_page, count_select(query),
                             window_total=bool(query.q))
    licenses = licenses_for([r.id for r in rows])
    return [row_dict(r, licenses.get(r.id, [])) for r in rows], page


def one_row(customer_id: int) -> dict | None:
    row = db.session.execute(row_select().where(VendorCustomer.id == customer_id)).first()
    return None if row is None else row_dict(row, licenses_for([row.id]).get(row.id, []))


def status_of(detached: bool, mapped: bool) -> str:
    if detached:
        return MapStatus.DETACHED.value
    return MapStatus.MAPPED.value if mapped else MapStatus.NOT_MAPPED.value


def status_count_query():
    """(integration_id, detached?, mapped?, count) groups. Grouping on the two tests, not on the CASE
    expression: PostgreSQL refuses a GROUP BY whose bound parameters differ from the SELECT's."""
    detached = VendorCustomer.detached_at.is_not(None)
    mapped = VendorCustomer.organization_id.is_not(None)
    return (select(VendorCustomer.integration_id, detached, mapped, func.count())
            .where(VendorCustomer.archived_at.is_(None)).group_by(VendorCustomer.integration_id, detached, mapped))


def status_counts(integration_id: int) -> dict[str, int]:
    """Mapped / Not mapped / Detached totals of one vendor, in one pass without grouping."""
    detached = VendorCustomer.detached_at.is_not(None)
    mapped = VendorCustomer.organization_id.is_not(None)
    total, n_detached, n_mapped = db.session.execute(
        select(func.count(), func.count(VendorCustomer.detached_at),
               func.count(case((~detached & mapped, 1))))
        .where(VendorCustomer.integration_id == integration_id, VendorCustomer.archived_at.is_(None))).one()
    return {MapStatus.MAPPED.value: n_mapped, MapStatus.NOT_MAPPED.value: total - n_detached - n_mapped,
            MapStatus.DETACHED.value: n_detached}
