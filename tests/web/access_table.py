"""Who may use each route, written out independently of the code's ``@roles`` declarations.

``test_access.py`` fails when the app has a route (endpoint + method) that is missing here, so a new
page cannot ship without someone deciding who may read it and who may change through it. Pages
added later (billing) add their rows to ``EXPECTED``.
"""

PUBLIC = "public"
ANYONE = frozenset({"admin", "billing", "viewer"})
BILLING = frozenset({"admin", "billing"})
ADMIN = frozenset({"admin"})

EXPECTED: dict[tuple[str, str], object] = {
    ("healthz", "GET"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.logout", "POST"): ANYONE,
    ("dashboard.index", "GET"): ANYONE,
    ("dashboard.billing_summary", "GET"): ANYONE,
    # the demo's vendor console (404 outside demo mode): admins only
    ("vendor_console.index", "GET"): ADMIN,
    ("vendor_console.set_count", "POST"): ADMIN,
    ("vendor_console.add_customer", "POST"): ADMIN,
    ("vendor_console.delete_customer", "POST"): ADMIN,
    # App Center: everyone may look, only admins change integrations
    ("appcenter.index", "GET"): ANYONE,
    ("appcenter.integration", "GET"): ANYONE,
    ("appcenter.configure", "GET"): ADMIN,
    ("appcenter.configure", "POST"): ADMIN,
    ("appcenter.test_connection", "POST"): ADMIN,
    ("appcenter.enable", "POST"): ADMIN,
    ("appcenter.disable", "POST"): ADMIN,
    ("appcenter.schedule", "POST"): ADMIN,
    ("appcenter.sync_now", "POST"): ADMIN,
    ("appcenter.review_confirm", "POST"): ADMIN,
    ("appcenter.release", "POST"): ADMIN,
    ("appcenter.review_dismiss", "POST"): ADMIN,
    ("appcenter.add_instance", "POST"): ADMIN,
    ("appcenter.import_file", "GET"): ADMIN,
    ("appcenter.import_file", "POST"): ADMIN,
    ("appcenter.apply_import", "POST"): ADMIN,
    # mapping and Organizations: billing and admins change, viewers read
    ("mapping.index", "GET"): ANYONE,
    ("api.customers", "GET"): ANYONE,
    ("api.organizations", "GET"): ANYONE,
    ("api.suggestions", "GET"): ANYONE,
    ("api.sync_status", "GET"): ANYONE,
    ("api.map_customer", "POST"): BILLING,
    ("api.unmap_customer", "POST"): BILLING,
    ("api.create_organization", "POST"): BILLING,
    ("api.accept_suggestions", "POST"): BILLING,
    ("organizations.list", "GET"): ANYONE,
    ("organizations.detail", "GET"): ANYONE,
    ("organizations.create", "GET"): BILLING,
    ("organizations.create", "POST"): BILLING,
    ("organizations.edit", "GET"): BILLING,
    ("organizations.edit", "POST"): BILLING,
    ("history.list", "GET"): ANYONE,
    ("history.run", "GET"): ANYONE,
    ("audit_log.list", "GET"): ANYONE,
    # API tokens: admins only
    ("tokens.index", "GET"): ADMIN,
    ("tokens.create", "POST"): ADMIN,
    ("tokens.revoke", "POST"): ADMIN,
}

from tests.web.access_table_api import API_EXPECTED  # noqa: E402  (the public API's rows)
from tests.web.access_table_billing import BILLING_EXPECTED  # noqa: E402  (the billing pages' rows)

EXPECTED.update(BILLING_EXPECTED)
EXPECTED.update(API_EXPECTED)
from tests.web.access_table_webhooks import WEBHOOKS_EXPECTED  # noqa: E402  (the webhook pages' rows)

EXPECTED.update(WEBHOOKS_EXPECTED)

from tests.web.access_table_destinations import DESTINATIONS_EXPECTED  # noqa: E402  (the destination pages' rows)

EXPECTED.update(DESTINATIONS_EXPECTED)

from tests.web.access_table_billing_extras import EXTRAS_EXPECTED  # noqa: E402  (one-off charges, manual invoices, margin)

EXPECTED.update(EXTRAS_EXPECTED)
