"""Customers from the partner's tenant subtree: folders and sub-partners walked, customers kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from hub.plugins import CustomerStatus, VendorCustomer, VendorDataError

from .client import AcronisClient

#: tenant kinds that can hold customers; ``unit`` sits below a customer and is part of it
CONTAINER_KINDS = frozenset({"root", "partner", "folder"})


@dataclass(frozen=True)
class Container:
    parent_id: str | None
    name: str
    enabled: bool


def list_customers(client: AcronisClient) -> Iterator[VendorCustomer]:
    """Yield each customer page by page. The subtree comes sorted by level, so parents come first."""
    root_id = client.partner_tenant_id()
    containers: dict[str, Container] = {}
    for items in client.subtree_pages(root_id):
        for item in items:
            if not isinstance(item, dict) or not _text(item.get("id")) or not _text(item.get("kind")):
                raise VendorDataError(f"the tenant listing has an entry without id or kind: {_short(item)}")
            if item.get("deleted_at"):
                continue  # only listed with allow_deleted=true; a deleted customer is simply gone
            if item["kind"] in CONTAINER_KINDS:
                containers[item["id"]] = Container(item.get("parent_id"), str(item.get("name") or item["id"]),
                                                   item.get("enabled") is not False)
            elif item["kind"] == "customer":
                yield to_customer(item, root_id, containers)


def to_customer(item: dict, root_id: str, containers: dict[str, Container]) -> VendorCustomer:
    ancestors = list(_ancestors(item.get("parent_id"), root_id, containers))
    extra: dict[str, str] = {}
    if item.get("parent_id"):
        extra["parent_id"] = str(item["parent_id"])
    if ancestors:
        extra["path"] = " / ".join(c.name for c in reversed(ancestors))
    if item.get("customer_id"):
        extra["customer_id"] = str(item["customer_id"])
    return VendorCustomer(external_id=str(item["id"]), name=str(item.get("name") or item["id"]),
                          status=_status(item, ancestors), extra=extra)


def _status(item: dict, ancestors: list[Container]) -> CustomerStatus:
    # a disabled folder or sub-partner disables everything under it (Acronis error 1003 "parent disabled")
    if item.get("enabled") is False or any(not c.enabled for c in ancestors):
        return CustomerStatus.SUSPENDED
    if item.get("pricing_mode") == "trial":
        return CustomerStatus.TRIAL
    return CustomerStatus.ACTIVE


def _ancestors(parent_id: str | None, root_id: str, containers: dict[str, Container]) -> Iterator[Container]:
    """Containers between the customer and the partner root, nearest first (the root itself excluded)."""
    seen: set[str] = set()
    while parent_id and parent_id != root_id and parent_id in containers and parent_id not in seen:
        seen.add(parent_id)
        container = containers[parent_id]
        yield container
        parent_id = container.parent_id


def _text(value: object) -> bool:
    """A non-empty string: tenant ids are UUID strings, never numbers."""
    return isinstance(value, str) and bool(value.strip())


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
