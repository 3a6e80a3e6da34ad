"""The navigation bar, as data. Links whose endpoint is not registered are left out.

The billing pages are added by ``hub.billing`` later; their links appear as soon as these endpoints
exist: ``billing.recurring_list``, ``billing.invoice_list``, ``billing.pending_list``,
``billing.usage_report``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: str
    section: str
    #: shown only while the hub runs in demo mode (its page does not exist otherwise)
    demo_only: bool = False


NAV_LINKS = (
    NavLink("dashboard.index", "Dashboard", ""),
    NavLink("organizations.list", "Organizations", ""),
    NavLink("billing.recurring_list", "Recurring invoices", "Billing"),
    NavLink("billing.invoice_list", "Invoices", "Billing"),
    NavLink("billing.pending_list", "Pending changes", "Billing"),
    NavLink("billing.usage_report", "Usage report", "Billing"),
    NavLink("billing.margin_report", "Margin", "Billing"),
    NavLink("billing.charge_list", "One-off charges", "Billing"),
    NavLink("billing.catalog_list", "Catalog", "Billing"),
    NavLink("billing.sku_mapping", "SKU mapping", "Billing"),
    NavLink("destinations.queue_page", "Push queue", "Billing"),
    NavLink("billing.tax_rates", "Tax rates", "Billing"),
    NavLink("appcenter.index", "App Center", "Admin"),
    NavLink("mapping.index", "Customer Mapping", "Admin"),
    NavLink("history.list", "Sync history", "Admin"),
    NavLink("audit_log.list", "Audit log", "Admin"),
    NavLink("tokens.index", "API tokens", "Admin"),
    NavLink("webhooks.index", "Webhooks", "Admin"),
    NavLink("delivery.company_settings", "Company settings", "Admin"),
    NavLink("delivery.smtp_settings", "E-mail settings", "Admin"),
    NavLink("vendor_console.index", "Vendor console (demo)", "Demo", demo_only=True),
)


def nav_sections() -> list[tuple[str, list[dict]]]:
    """[(section, [{"label", "url", "active"}])] in display order: registered endpoints the user may read."""
    from hub.web.access import can

    current = request.endpoint or ""
    sections: dict[str, list[dict]] = {}
    for link in NAV_LINKS:
        if link.endpoint not in current_app.view_functions or not can(link.endpoint, "GET"):
            continue
        if link.demo_only and "hub.demo" not in current_app.extensions:
            continue
        blueprint = link.endpoint.split(".")[0]
        active = current == link.endpoint or (
            current.split(".")[0] == blueprint and blueprint not in ("billing", "dashboard", "delivery"))
        sections.setdefault(link.section, []).append(
            {"label": link.label, "url": url_for(link.endpoint), "active": active})
    return list(sections.items())
