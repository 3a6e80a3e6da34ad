"""Issue 13, the first hour: the sign-in page of an empty hub, the dashboard's "what needs me today"."""

from __future__ import annotations

from hub.billing.money import fmt_money
from hub.extensions import db
from hub.models import Invoice, RecurringInvoice
from tests.web.billing_fixtures import billing_world  # noqa: F401  (fixture)


def test_sign_in_page_of_a_hub_without_users_says_how_to_make_the_first_admin(client, app_ctx):
    html = client.get("/login").data.decode()
    assert 'id="first-admin"' in html
    assert "hub user create --email you@example.com --role admin" in html


def test_sign_in_page_of_a_hub_with_users_has_no_first_admin_hint(client, users):
    assert b'id="first-admin"' not in client.get("/login").data


# -- the dashboard: what needs me today ---------------------------------------------------------------

def _dashboard(client, auth, path: str = "/") -> str:
    auth.login("viewer")
    response = client.get(path)
    assert response.status_code == 200
    return response.data.decode()


def _billing(client, auth) -> str:
    """The billing figures the dashboard fetches (as the page without script shows them)."""
    return _dashboard(client, auth, "/dashboard/billing")


def test_dashboard_lists_what_needs_a_person_each_with_the_link_that_fixes_it(client, auth, billing_world):
    html = _dashboard(client, auth)
    pending = html[html.index('id="attention-pending"'):]
    assert pending.split("</li>")[0].count("1 license change waiting for approval") == 1
    assert 'href="/billing/pending"' in pending.split("</li>")[0]
    from hub.web.mapping_query import status_counts
    from tests.web.billing_fixtures import fake_integration_id

    not_mapped = status_counts(fake_integration_id())["not_mapped"]
    unmapped = html[html.index('id="attention-unmapped-fake"'):].split("</li>")[0]
    assert f">{not_mapped} Fake" in unmapped and "not mapped to an Organization" in unmapped
    assert "/admin/mapping/?vendor=fake&amp;status=not_mapped" in unmapped
    assert 'id="all-clear"' not in html


def test_dashboard_shows_the_next_run_priced_as_the_preview_and_the_last_run(client, auth, billing_world, app_ctx):
    from hub.billing.preview import preview_invoice

    recurring = db.session.get(RecurringInvoice, billing_world["recurring_id"])
    preview = preview_invoice(recurring.id)  # the one invoice's own preview, priced on its own
    invoice = db.session.get(Invoice, billing_world["invoice_id"])
    html = _billing(client, auth)
    next_run = html[html.index('id="next-run"'):].split("</dd>")[0]
    assert recurring.next_run_date.isoformat() in next_run and "1 invoice," in next_run
    assert f"{fmt_money(preview.total)} USD" in next_run
    last_run = html[html.index('id="last-run"'):].split("</dd>")[0]
    assert invoice.invoice_date.isoformat() in last_run and "1 invoice," in last_run
    assert f"{fmt_money(invoice.total)} {invoice.currency}" in last_run


def test_dashboard_shows_unbilled_value_per_currency_from_the_usage_report(client, auth, billing_world):
    from hub.billing.usage_report import usage_report

    unbilled = usage_report().totals.unbilled_value
    assert unbilled  # Fabrikam's seats are counted at the vendor and billed to nobody
    html = _billing(client, auth)
    shown = html[html.index('id="unbilled"'):].split("</dd>")[0]
    for currency, value in unbilled.items():
        assert f"{fmt_money(value)} {currency}" in shown


def test_dashboard_of_a_fresh_hub_says_what_to_do_next(client, auth):
    html = _dashboard(client, auth)
    assert "No vendor is set up yet" in html and 'data-fragment="/dashboard/billing"' in html
    assert "no recurring invoice yet" in _billing(client, auth)


# -- forms that help: a long bad value is never echoed whole ---------------------------------------------

LONG = "x" * 20_000


def _refusal(call) -> str:
    from hub.billing.errors import BillingError

    try:
        call()
    except BillingError as err:
        return str(err)
    raise AssertionError("accepted a 20,000-character value")


def test_billing_refusals_quote_a_long_value_shortened(app_ctx):
    from hub.billing import validate
    from hub.billing.money import parse_decimal
    from hub.billing.usage_report import usage_report
    from hub.models import Frequency

    for call in (lambda: validate.choice(LONG, "frequency", Frequency), lambda: validate.boolean(LONG, "active"),
                 lambda: parse_decimal(LONG, "unit_price"), lambda: usage_report(status=LONG)):
        message = _refusal(call)
        assert len(message) < 300 and "xxx..." in message, message[:300]


def test_settings_show_labels_not_raw_values():
    from marshmallow import Schema, fields, validate

    from hub.web.schema_form import form_fields

    class Settings(Schema):
        bill_by = fields.String(validate=validate.OneOf(["active_users", "user_licenses"]))
        region = fields.String(validate=validate.OneOf(["eu", "us"], labels=["Europe", "United States"]))
        bill_trials = fields.Boolean()
        base_url = fields.Url()

    shown = {f.name: f for f in form_fields(Settings)}
    assert shown["bill_by"].shown("active_users") == "Active users"
    assert shown["region"].shown("eu") == "Europe"
    assert (shown["bill_trials"].shown(False), shown["bill_trials"].shown(True)) == ("No", "Yes")
    assert shown["base_url"].shown("https://x.example") == "https://x.example"
