"""Rows of the access table for one-off charges, manual invoices and the margin view (panel and API),
merged into ``access_table.EXPECTED``. Everyone reads; billing users and admins create and change."""

ANYONE = frozenset({"admin", "billing", "viewer"})
BILLING = frozenset({"admin", "billing"})

EXTRAS_EXPECTED: dict[tuple[str, str], object] = {
    # panel
    ("billing.charge_list", "GET"): ANYONE,
    ("billing.charge_create", "GET"): BILLING,
    ("billing.charge_create", "POST"): BILLING,
    ("billing.charge_edit", "GET"): BILLING,
    ("billing.charge_edit", "POST"): BILLING,
    ("billing.charge_delete", "POST"): BILLING,
    ("billing.manual_invoice", "GET"): BILLING,
    ("billing.manual_invoice", "POST"): BILLING,
    ("billing.margin_report", "GET"): ANYONE,
    ("billing.margin_report_csv", "GET"): ANYONE,
    # API
    ("v1_one_off_charges.list_charges", "GET"): ANYONE,
    ("v1_one_off_charges.create_charge", "POST"): BILLING,
    ("v1_one_off_charges.get_charge", "GET"): ANYONE,
    ("v1_one_off_charges.update_charge", "PATCH"): BILLING,
    ("v1_one_off_charges.delete_charge", "DELETE"): BILLING,
    ("v1_manual_invoices.create_manual_invoice", "POST"): BILLING,
    ("v1_margin.margin", "GET"): ANYONE,
}
