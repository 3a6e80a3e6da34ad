"""Everything a person can do in the panel, a token can do over the API (issue 11).

Generated from the URL map: every panel route that changes something (any method but GET) names the API
operation(s) that do the same, so a new panel action cannot ship without its API twin (or a stated
reason). Then the API twins added for the panel actions that had none: add an integration of a plugin
that allows several, release a dead sync's lease, reissue a void invoice's period, the e-mail template.
"""

from __future__ import annotations

from hub.extensions import db
from hub.models import AuditEvent, Invoice, SyncLease, SyncRun

#: panel endpoint -> the API endpoints that do what it does
PARITY: dict[str, tuple[str, ...]] = {
    "appcenter.add_instance": ("v1_integrations.add_instance",),
    "appcenter.configure": ("v1_integrations.configure",),
    "appcenter.enable": ("v1_integrations.enable",),
    "appcenter.disable": ("v1_integrations.disable",),
    "appcenter.import_file": ("v1_imports.upload", "v1_imports.preview"),
    "appcenter.apply_import": ("v1_imports.apply",),
    "appcenter.release": ("v1_integrations.release",),
    "appcenter.schedule": ("v1_integrations.configure",),  # interval_minutes
    "appcenter.sync_now": ("v1_integrations.start_sync",),
    "appcenter.test_connection": ("v1_integrations.test_connection",),
    "appcenter.review_confirm": ("v1_sync_runs.confirm",),
    "appcenter.review_dismiss": ("v1_sync_runs.dismiss",),
    "destinations.detail": ("v1_destinations.configure_destination",),
    "destinations.choose_account": ("v1_destinations.choose_destination_account",),
    "destinations.enable": ("v1_destinations.enable_destination",),
    "destinations.disable": ("v1_destinations.disable_destination",),
    "destinations.disconnect": ("v1_destinations.disconnect_destination",),
    "destinations.auto_match": ("v1_destinations.auto_match_destination_mappings",),
    "destinations.confirm": ("v1_destinations.confirm_destination_mappings",),
    "destinations.create_at_provider": ("v1_destinations.create_destination_record",),
    "destinations.set_mapping": ("v1_destinations.set_destination_mapping",),
    "destinations.unmap": ("v1_destinations.clear_destination_mapping",),
    "destinations.push_all": ("v1_destinations.push_all_pending_pushes",),
    "destinations.push_now": ("v1_destinations.push_destination_push_now",),
    "tokens.create": ("v1_tokens.create_token",),
    "tokens.revoke": ("v1_tokens.revoke_token",),
    "webhooks.create": ("v1_webhooks.create_endpoint",),
    "webhooks.enable": ("v1_webhooks.update_endpoint",),
    "webhooks.disable": ("v1_webhooks.update_endpoint",),
    "webhooks.events": ("v1_webhooks.update_endpoint",),
    "webhooks.rotate": ("v1_webhooks.rotate_secret",),
    "webhooks.resend": ("v1_webhooks.resend",),
    "api.map_customer": ("v1_mappings.put_mapping",),
    "api.unmap_customer": ("v1_mappings.delete_mapping",),
    "api.create_organization": ("v1_mappings.create_organization_from_customer",),
    "api.accept_suggestions": ("v1_mappings.accept_suggestions",),
    "api.push_now": ("v1_destinations.push_destination_push_now",),
    "organizations.create": ("v1_organizations.create_organization",),
    "organizations.edit": ("v1_organizations.update_organization",),
    "billing.product_create": ("v1_catalog.create_product",),
    "billing.product_edit": ("v1_catalog.update_product",),
    "billing.product_delete": ("v1_catalog.delete_product",),
    "billing.sku_billable": ("v1_catalog.set_billable",),
    "billing.sku_create_product": ("v1_catalog.create_product_from_sku",),
    "billing.sku_map": ("v1_catalog.map_sku",),
    "billing.sku_accept_suggestions": ("v1_catalog.accept_sku_suggestions",),
    "billing.charge_create": ("v1_one_off_charges.create_charge",),
    "billing.charge_edit": ("v1_one_off_charges.update_charge",),
    "billing.charge_delete": ("v1_one_off_charges.delete_charge",),
    "billing.hold_policy_edit": ("v1_hold_policy.update_hold_policy",),
    "billing.recurring_create": ("v1_recurring.create_recurring",),
    "billing.recurring_edit": ("v1_recurring.update_recurring",),
    "billing.recurring_delete": ("v1_recurring.delete_recurring",),
    "billing.recurring_issue_now": ("v1_recurring.issue_recurring_now",),
    "billing.line_add": ("v1_recurring.add_line",),
    "billing.line_edit": ("v1_recurring.update_line",),
    "billing.line_remove": ("v1_recurring.delete_line",),
    "billing.pending_decide": ("v1_pending_changes.decide",),
    "billing.invoice_issue": ("v1_invoices.issue",),
    "billing.invoice_void": ("v1_invoices.void",),
    "billing.invoice_reissue": ("v1_invoices.reissue",),
    "billing.credit_note_create": ("v1_credit_notes.create_credit_note",),
    "billing.manual_invoice": ("v1_manual_invoices.create_manual_invoice",),
    "billing.tax_rates": ("v1_tax.create_tax_rate",),
    "billing.tax_rate": ("v1_tax.update_tax_rate",),
    "billing.organization_tax": ("v1_tax.set_organization_tax",),
    "delivery.invoice_send": ("v1_invoices.send",),
    "delivery.credit_note_send": ("v1_credit_notes.send_credit_note",),
    "delivery.recurring_delivery": ("v1_delivery_settings.set_send_on_issue",),
    "delivery.organization_contacts": ("v1_delivery_settings.set_billing_contacts",),
    "delivery.company_settings": ("v1_settings.update_company",),
    "delivery.company_logo": ("v1_settings.set_logo", "v1_settings.delete_logo"),
    "delivery.smtp_settings": ("v1_settings.save_smtp", "v1_settings.send_test"),
    "delivery.email_template": ("v1_settings.get_email_template", "v1_settings.save_email_template"),
}

#: panel actions with no API twin, and why
NOT_IN_THE_API = {
    "auth.login": "the panel's session sign-in; the API takes bearer tokens",
    "auth.logout": "the panel's session sign-out",
    "destinations.connect": "the provider's OAuth sign-in needs an admin's browser (the API points to the page)",
    "vendor_console.add_customer": "the demo simulators' console, a demo tool",
    "vendor_console.set_count": "the demo simulators' console, a demo tool",
    "vendor_console.delete_customer": "the demo simulators' console, a demo tool",
}


def test_every_panel_action_has_an_api_operation(app):
    panel_actions = {rule.endpoint for rule in app.url_map.iter_rules()
                     if not rule.rule.startswith("/api/v1/") and rule.methods - {"GET", "HEAD", "OPTIONS"}}
    assert not set(PARITY) & set(NOT_IN_THE_API)
    unlisted = sorted(panel_actions - set(PARITY) - set(NOT_IN_THE_API))
    assert not unlisted, f"panel actions with no API operation named in this table: {unlisted}"
    assert not sorted(set(PARITY) - panel_actions), "rows for panel actions that no longer exist"
    api_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    missing = sorted({(panel, twin) for panel, twins in PARITY.items() for twin in twins} - {
        (panel, twin) for panel, twins in PARITY.items() for twin in twins if twin in api_endpoints})
    assert not missing, f"panel actions whose API operation does not exist: {missing}"


def test_reissue_a_void_invoices_period(api, billing_world):
    invoice_id = billing_world["invoice_id"]
    live = api.post(f"/api/v1/invoices/{invoice_id}/reissue")
    assert live.status_code == 409 and "void it before reissuing" in live.json["detail"]
    assert api.as_role("viewer").post(f"/api/v1/invoices/{invoice_id}/reissue").status_code == 403
    billing = api.as_role("billing")
    assert billing.post(f"/api/v1/invoices/{invoice_id}/void", json={"reason": "wrong seats"}).status_code == 200
    done = billing.post(f"/api/v1/invoices/{invoice_id}/reissue", headers={"Idempotency-Key": "again-1"})
    assert done.status_code == 201, done.json
    new_id = done.json["id"]
    assert done.headers["Location"] == f"/api/v1/invoices/{new_id}"
    old = db.session.get(Invoice, invoice_id)
    assert (done.json["status"], done.json["number"]) == ("issued", "INV-000002")
    assert done.json["period_start"] == old.period_start.isoformat()
    replay = billing.post(f"/api/v1/invoices/{invoice_id}/reissue", headers={"Idempotency-Key": "again-1"})
    assert replay.status_code == 201 and replay.json["id"] == new_id
    assert replay.headers["Idempotent-Replayed"] == "true"
    twice = billing.post(f"/api/v1/invoices/{invoice_id}/reissue")
    assert twice.status_code == 409 and f"already has invoice {new_id}" in twice.json["detail"]
    assert db.session.execute(db.select(db.func.count()).select_from(Invoice)).scalar() == 2


def test_release_a_dead_syncs_lease(api, fake_integration):
    from tests.sync.test_release import DEAD_HOLDER, crashed_sync

    nothing = api.post("/api/v1/integrations/fake/release")
    assert nothing.status_code == 200 and nothing.json == {"released": False, "holder": None, "runs_closed": []}
    run_id = crashed_sync(fake_integration)
    assert api.as_role("billing").post("/api/v1/integrations/fake/release").status_code == 403
    assert api.post("/api/v1/integrations/nosuch/release").status_code == 404
    done = api.post("/api/v1/integrations/fake/release")
    assert done.status_code == 200
    assert done.json == {"released": True, "holder": DEAD_HOLDER, "runs_closed": [run_id]}
    db.session.expire_all()
    assert db.session.get(SyncLease, fake_integration.id) is None
    assert db.session.get(SyncRun, run_id).error_kind == "interrupted"
    assert api.get("/api/v1/integrations/fake").json["state"] == "ready"
    event = db.session.execute(db.select(AuditEvent).filter_by(action="sync.release_lease")).scalar_one()
    assert (event.actor_type, event.actor.endswith("(admin token)")) == ("api", True)


def test_the_email_template(api, app_ctx):
    read = api.get("/api/v1/settings/email-template")
    assert read.status_code == 200 and "{invoice_number}" in read.json["subject"]
    assert "organization" in read.json["placeholders"] and read.headers["ETag"]
    assert api.as_role("billing").get("/api/v1/settings/email-template").status_code == 403
    bad = api.put("/api/v1/settings/email-template", json={"subject": "a\nb {nope}", "body": "{"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"subject", "body"}
    missing = api.put("/api/v1/settings/email-template", json={})
    assert {e["field"] for e in missing.json["errors"]} == {"subject", "body"}
    saved = api.put("/api/v1/settings/email-template", headers={"If-Match": read.headers["ETag"]},
                    json={"subject": "Invoice {invoice_number}", "body": "Hello {organization}"})
    assert saved.status_code == 200 and saved.json["subject"] == "Invoice {invoice_number}"
    assert saved.headers["ETag"] != read.headers["ETag"]
    stale = api.put("/api/v1/settings/email-template", headers={"If-Match": read.headers["ETag"]},
                    json={"subject": "x", "body": "y"})
    assert stale.status_code == 412
    from hub.delivery import templates

    assert templates.get_template() == ("Invoice {invoice_number}", "Hello {organization}")
    assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)
                              .filter_by(action="email_template.update")).scalar() == 2


def test_add_an_integration_of_a_plugin_that_allows_several(api, app_ctx):
    import hub_csv_import.plugin as csv_plugin

    registry = app_ctx.extensions["hub.plugins"]
    assert registry.register(csv_plugin, "csv_import") is not None, registry.errors
    try:
        body = {"plugin": "csv_import", "slug": "datto-csv", "display_name": "Datto via CSV"}
        assert api.as_role("billing").post("/api/v1/integrations", json=body).status_code == 403
        added = api.post("/api/v1/integrations", json=body)
        assert added.status_code == 201, added.json
        assert added.headers["Location"] == "/api/v1/integrations/datto-csv"
        assert (added.json["slug"], added.json["plugin"], added.json["display_name"]) == (
            "datto-csv", "csv_import", "Datto via CSV")
        assert added.json["plugin_loaded"] and added.json["state"] == "not_configured"
        read = api.get("/api/v1/integrations/datto-csv").json
        assert (read["display_name"], read["plugin_loaded"], read["state"]) == ("Datto via CSV", True,
                                                                                 "not_configured")
        listed = {i["slug"]: i for i in api.get("/api/v1/integrations").json["items"]}
        assert listed["datto-csv"]["plugin"] == "csv_import" and listed["datto-csv"]["plugin_loaded"]
        assert api.get("/api/v1/integrations/datto-csv/schema").status_code == 200
        taken = api.post("/api/v1/integrations", json=body)
        assert taken.status_code == 409 and taken.json["errors"][0]["field"] == "slug"
        bad = api.post("/api/v1/integrations", json={"plugin": "csv_import", "slug": "9x", "display_name": "x"})
        assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "slug"
        assert api.post("/api/v1/integrations", json={}).status_code == 422
        event = db.session.execute(db.select(AuditEvent).filter_by(action="integration.add")).scalar_one()
        assert event.field == "slug" and event.new_value == "datto-csv"
        assert event.actor_type == "api"
    finally:
        registry.unregister("csv_import")
