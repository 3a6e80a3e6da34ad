"""The public API's rows of the access table (merged into ``access_table.EXPECTED``).

The same roles as the panel: everyone reads, billing and admins change billing data and mappings,
admins alone change integrations, users and tokens. ``test_access.py`` calls each with a bearer token.
"""

PUBLIC = "public"
ANYONE = frozenset({"admin", "billing", "viewer"})
BILLING = frozenset({"admin", "billing"})
ADMIN = frozenset({"admin"})

API_EXPECTED: dict[tuple[str, str], object] = {
    ("api_openapi", "GET"): PUBLIC,
    ("api_docs", "GET"): PUBLIC,
    # Organizations
    ("v1_organizations.list_organizations", "GET"): ANYONE,
    ("v1_organizations.create_organization", "POST"): BILLING,
    ("v1_organizations.get_organization", "GET"): ANYONE,
    ("v1_organizations.update_organization", "PATCH"): BILLING,
    ("v1_organizations.delete_organization", "DELETE"): BILLING,
    # vendor customers and mappings
    ("v1_vendor_customers.list_vendor_customers", "GET"): ANYONE,
    ("v1_vendor_customers.get_vendor_customer", "GET"): ANYONE,
    ("v1_mappings.get_mapping", "GET"): ANYONE,
    ("v1_mappings.put_mapping", "PUT"): BILLING,
    ("v1_mappings.delete_mapping", "DELETE"): BILLING,
    ("v1_mappings.create_organization_from_customer", "POST"): BILLING,
    ("v1_mappings.list_suggestions", "GET"): ANYONE,
    ("v1_mappings.accept_suggestions", "POST"): BILLING,
    # integrations and sync runs: everyone reads, admins change (as in the App Center)
    ("v1_integrations.list_integrations", "GET"): ANYONE,
    ("v1_integrations.get_integration", "GET"): ANYONE,
    ("v1_integrations.get_schema", "GET"): ANYONE,
    ("v1_integrations.get_configuration", "GET"): ADMIN,
    ("v1_integrations.configure", "PUT"): ADMIN,
    ("v1_integrations.test_connection", "POST"): ADMIN,
    ("v1_integrations.enable", "POST"): ADMIN,
    ("v1_integrations.disable", "POST"): ADMIN,
    ("v1_integrations.set_detach_threshold", "PUT"): ADMIN,
    ("v1_integrations.start_sync", "POST"): ADMIN,
    ("v1_sync_runs.list_runs", "GET"): ANYONE,
    ("v1_sync_runs.get_run", "GET"): ANYONE,
    ("v1_sync_runs.confirm", "POST"): ADMIN,
    ("v1_sync_runs.dismiss", "POST"): ADMIN,
    # catalog: everyone reads, billing changes
    ("v1_catalog.list_products", "GET"): ANYONE,
    ("v1_catalog.create_product", "POST"): BILLING,
    ("v1_catalog.get_product", "GET"): ANYONE,
    ("v1_catalog.update_product", "PATCH"): BILLING,
    ("v1_catalog.delete_product", "DELETE"): BILLING,
    ("v1_catalog.list_skus", "GET"): ANYONE,
    ("v1_catalog.map_sku", "PUT"): BILLING,
    ("v1_catalog.set_billable", "PUT"): BILLING,
    ("v1_catalog.create_product_from_sku", "POST"): BILLING,
    ("v1_catalog.accept_sku_suggestions", "POST"): BILLING,
    # recurring invoices and lines
    ("v1_recurring.list_recurring", "GET"): ANYONE,
    ("v1_recurring.create_recurring", "POST"): BILLING,
    ("v1_recurring.get_recurring", "GET"): ANYONE,
    ("v1_recurring.update_recurring", "PATCH"): BILLING,
    ("v1_recurring.delete_recurring", "DELETE"): BILLING,
    ("v1_recurring.add_line", "POST"): BILLING,
    ("v1_recurring.get_line", "GET"): ANYONE,
    ("v1_recurring.update_line", "PATCH"): BILLING,
    ("v1_recurring.delete_line", "DELETE"): BILLING,
    ("v1_recurring.issue_recurring_now", "POST"): BILLING,
    ("v1_preview.preview_recurring", "GET"): ANYONE,
    # pending changes and invoices
    ("v1_pending_changes.list_pending", "GET"): ANYONE,
    ("v1_pending_changes.approve", "POST"): BILLING,
    ("v1_pending_changes.reject", "POST"): BILLING,
    ("v1_pending_changes.decide", "POST"): BILLING,
    ("v1_invoices.list_invoices", "GET"): ANYONE,
    ("v1_invoices.get_invoice", "GET"): ANYONE,
    ("v1_invoices.issue", "POST"): BILLING,
    ("v1_invoices.void", "POST"): BILLING,
    ("v1_invoices.export_invoice", "GET"): ANYONE,
    ("v1_invoices.send", "POST"): BILLING,
    ("v1_invoices.push_now", "POST"): BILLING,
    # hold policy: billing and admins, as on the panel's page
    ("v1_hold_policy.get_hold_policy", "GET"): BILLING,
    ("v1_hold_policy.update_hold_policy", "PATCH"): BILLING,
    # tax: everyone reads the rates, billing creates them and reads or sets an Organization's (as the panel)
    ("v1_tax.list_tax_rates", "GET"): ANYONE,
    ("v1_tax.create_tax_rate", "POST"): BILLING,
    ("v1_tax.get_organization_tax", "GET"): BILLING,
    ("v1_tax.set_organization_tax", "PUT"): BILLING,
    # credit notes: everyone reads, billing makes them (as the panel's invoice page)
    ("v1_credit_notes.list_credit_notes", "GET"): ANYONE,
    ("v1_credit_notes.create_credit_note", "POST"): BILLING,
    ("v1_credit_notes.get_credit_note", "GET"): ANYONE,
    ("v1_credit_notes.export_credit_note", "GET"): ANYONE,
    # billing contacts (billing, as the panel's page) and a schedule's send-on-issue (everyone reads)
    ("v1_delivery_settings.get_billing_contacts", "GET"): BILLING,
    ("v1_delivery_settings.set_billing_contacts", "PUT"): BILLING,
    ("v1_delivery_settings.get_send_on_issue", "GET"): ANYONE,
    ("v1_delivery_settings.set_send_on_issue", "PUT"): BILLING,
    # webhooks: admins only, reading too (as Admin > Webhooks)
    ("v1_webhooks.list_event_types", "GET"): ADMIN,
    ("v1_webhooks.list_endpoints", "GET"): ADMIN,
    ("v1_webhooks.create_endpoint", "POST"): ADMIN,
    ("v1_webhooks.get_endpoint", "GET"): ADMIN,
    ("v1_webhooks.update_endpoint", "PATCH"): ADMIN,
    ("v1_webhooks.rotate_secret", "POST"): ADMIN,
    ("v1_webhooks.list_deliveries", "GET"): ADMIN,
    ("v1_webhooks.resend", "POST"): ADMIN,
    # company and SMTP settings: admins only, reading too (as the panel's settings pages)
    ("v1_settings.get_company", "GET"): ADMIN,
    ("v1_settings.update_company", "PATCH"): ADMIN,
    ("v1_settings.set_logo", "PUT"): ADMIN,
    ("v1_settings.delete_logo", "DELETE"): ADMIN,
    ("v1_settings.get_smtp", "GET"): ADMIN,
    ("v1_settings.save_smtp", "PUT"): ADMIN,
    ("v1_settings.send_test", "POST"): ADMIN,
    # file imports: admins only (as the App Center's import page)
    ("v1_imports.upload", "POST"): ADMIN,
    ("v1_imports.preview", "POST"): ADMIN,
    ("v1_imports.apply", "POST"): ADMIN,
    # usage report and audit log: everyone reads
    ("v1_reports.usage", "GET"): ANYONE,
    ("v1_audit.list_events", "GET"): ANYONE,
    # users: admins only
    ("v1_users.list_users", "GET"): ADMIN,
    ("v1_users.create", "POST"): ADMIN,
    ("v1_users.get_user", "GET"): ADMIN,
    ("v1_users.update", "PATCH"): ADMIN,
    ("v1_users.delete", "DELETE"): ADMIN,
    # tokens
    ("v1_tokens.list_tokens", "GET"): ADMIN,
    ("v1_tokens.create_token", "POST"): ADMIN,
    ("v1_tokens.get_token", "GET"): ADMIN,
    ("v1_tokens.revoke_token", "POST"): ADMIN,
    # accounting destinations, as the panel's destination pages: everyone reads, admins configure and
    # connect, billing maps and pushes
    ("v1_destinations.list_destinations", "GET"): ANYONE,
    ("v1_destinations.get_destination", "GET"): ANYONE,
    ("v1_destinations.get_destination_configuration", "GET"): ANYONE,
    ("v1_destinations.configure_destination", "PUT"): ADMIN,
    ("v1_destinations.choose_destination_account", "PUT"): ADMIN,
    ("v1_destinations.enable_destination", "POST"): ADMIN,
    ("v1_destinations.disable_destination", "POST"): ADMIN,
    ("v1_destinations.disconnect_destination", "POST"): ADMIN,
    ("v1_destinations.list_destination_mappings", "GET"): ANYONE,
    ("v1_destinations.auto_match_destination_mappings", "POST"): BILLING,
    ("v1_destinations.confirm_destination_mappings", "POST"): BILLING,
    ("v1_destinations.set_destination_mapping", "PUT"): BILLING,
    ("v1_destinations.clear_destination_mapping", "DELETE"): BILLING,
    ("v1_destinations.create_destination_record", "POST"): BILLING,
    ("v1_destinations.list_destination_pushes", "GET"): ANYONE,
    ("v1_destinations.push_destination_push_now", "POST"): BILLING,
    ("v1_destinations.push_all_pending_pushes", "POST"): BILLING,
}
