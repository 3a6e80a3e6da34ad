"""The billing pages' rows of the access table (merged into ``access_table.EXPECTED``).

Everyone signed in may read the billing pages; admins and billing users change through them.
The forms (GET of create/edit pages) are for those who may change, as for Organizations.
"""

ANYONE = frozenset({"admin", "billing", "viewer"})
BILLING = frozenset({"admin", "billing"})
ADMIN = frozenset({"admin"})

BILLING_EXPECTED: dict[tuple[str, str], object] = {
    # catalog and SKU mapping
    ("billing.catalog_list", "GET"): ANYONE,
    ("billing.product_create", "GET"): BILLING,
    ("billing.product_create", "POST"): BILLING,
    ("billing.product_edit", "GET"): BILLING,
    ("billing.product_edit", "POST"): BILLING,
    ("billing.product_delete", "POST"): BILLING,
    ("billing.sku_mapping", "GET"): ANYONE,
    ("billing.sku_map", "POST"): BILLING,
    ("billing.sku_accept_suggestions", "POST"): BILLING,
    ("billing.sku_create_product", "POST"): BILLING,
    ("billing.sku_billable", "POST"): BILLING,
    # recurring invoices and their lines
    ("billing.recurring_list", "GET"): ANYONE,
    ("billing.recurring_detail", "GET"): ANYONE,
    ("billing.recurring_create", "GET"): BILLING,
    ("billing.recurring_create", "POST"): BILLING,
    ("billing.recurring_edit", "GET"): BILLING,
    ("billing.recurring_edit", "POST"): BILLING,
    ("billing.recurring_delete", "POST"): BILLING,
    ("billing.line_add", "GET"): BILLING,
    ("billing.line_add", "POST"): BILLING,
    ("billing.line_edit", "GET"): BILLING,
    ("billing.line_edit", "POST"): BILLING,
    ("billing.line_remove", "POST"): BILLING,
    # preview and invoices
    ("billing.recurring_preview", "GET"): ANYONE,
    ("billing.recurring_issue_now", "POST"): BILLING,
    ("billing.invoice_list", "GET"): ANYONE,
    ("billing.invoice_detail", "GET"): ANYONE,
    ("billing.invoice_print", "GET"): ANYONE,
    ("billing.invoice_csv", "GET"): ANYONE,
    ("billing.invoice_json", "GET"): ANYONE,
    ("billing.invoice_void", "POST"): BILLING,
    ("billing.invoice_reissue", "POST"): BILLING,
    ("billing.credit_note_create", "POST"): BILLING,
    ("billing.credit_note_print", "GET"): ANYONE,
    ("billing.credit_note_detail", "GET"): ANYONE,
    ("billing.credit_note_csv", "GET"): ANYONE,
    ("billing.credit_note_pdf", "GET"): ANYONE,
    ("billing.tax_rates", "GET"): ANYONE,
    ("billing.tax_rates", "POST"): BILLING,
    ("billing.tax_rate", "GET"): BILLING,
    ("billing.tax_rate", "POST"): BILLING,
    ("billing.organization_tax", "GET"): BILLING,
    ("billing.organization_tax", "POST"): BILLING,
    ("billing.hold_policy_edit", "GET"): BILLING,
    ("billing.hold_policy_edit", "POST"): BILLING,
    ("billing.invoice_issue", "POST"): BILLING,
    # approvals and reports
    ("billing.pending_list", "GET"): ANYONE,
    ("billing.pending_decide", "POST"): BILLING,
    ("billing.usage_report", "GET"): ANYONE,
    ("billing.usage_report_csv", "GET"): ANYONE,
    ("billing.usage_history", "GET"): ANYONE,
    # delivery: the PDF as the printable view; sending and contacts as billing changes; settings for admins
    ("delivery.invoice_pdf", "GET"): ANYONE,
    ("delivery.invoice_send", "POST"): BILLING,
    ("delivery.credit_note_send", "POST"): BILLING,
    ("delivery.recurring_delivery", "POST"): BILLING,
    ("delivery.organization_contacts", "GET"): BILLING,
    ("delivery.organization_contacts", "POST"): BILLING,
    ("delivery.company_settings", "GET"): ADMIN,
    ("delivery.company_settings", "POST"): ADMIN,
    ("delivery.company_logo", "POST"): ADMIN,
    ("delivery.smtp_settings", "GET"): ADMIN,
    ("delivery.smtp_settings", "POST"): ADMIN,
    ("delivery.email_template", "GET"): ADMIN,
    ("delivery.email_template", "POST"): ADMIN,
}


def billing_url_values(fake_vendor, mapped_world) -> dict:
    """URL arguments of the billing routes, from a billing world built on ``mapped_world``."""
    from tests.web.billing_fixtures import build_billing

    ids = build_billing(fake_vendor, mapped_world)
    return {k: ids[k] for k in ("product_id", "recurring_id", "line_id", "invoice_id", "sku_id")}
