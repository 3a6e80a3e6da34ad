"""Forms that help (issue 13), outside billing: a form with several bad fields answers once, with every
field's error beside that field, in plain words (no raw field names), and saves nothing.

The billing forms (recurring invoice, line, product, tax rate, hold policy) are checked in the browser:
tests/web/browser/test_form_errors_browser.py.
"""

from __future__ import annotations

import re

import pytest

from hub import mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import ApiToken, Organization, SmtpSettings, WebhookEndpoint


def field_errors(html: str) -> dict[str, str]:
    """field -> its error's text, from each ``<p class="field-error" id="FIELD-error">``."""
    return {m.group(1): m.group(2) for m in re.finditer(r'<p class="field-error" id="([\w-]+)-error">([^<]*)</p>', html)}


def refused(response) -> dict[str, str]:
    assert response.status_code == 400, response.status_code
    errors = field_errors(response.get_data(as_text=True))
    for message in errors.values():
        # "Expires after (days)", not expires_days ({placeholders} are what a person types, so they stay)
        assert not re.search(r"(?<!\{)\b[a-z]+_[a-z_]+\b(?!\})", message), message
    return errors


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def test_api_token_form(client, auth):
    auth.login("admin")
    errors = refused(client.post("/admin/tokens/", data={"name": "", "role": "root", "expires_days": "soon"}))
    assert set(errors) == {"name", "role", "expires_days"}
    assert errors["expires_days"].startswith("Expires after (days): enter a whole number from 1 to")
    assert count(ApiToken) == 0


def test_organization_form(client, auth):
    mapping.create_organization("Contoso", Actor.system("test"))
    auth.login("billing")
    errors = refused(client.post("/organizations/new", data={"name": "contoso", "domain": "not a domain",
                                                             "external_ref": "x" * 201}))
    assert set(errors) == {"name", "domain", "external_ref"}  # the taken name too, not only after the rest is fixed
    assert "already exists" in errors["name"] and errors["domain"].startswith("Domain: enter a domain like")
    assert count(Organization) == 1


def test_webhook_form(client, auth):
    auth.login("admin")
    errors = refused(client.post("/admin/webhooks/new", data={"url": "ftp://x.example/", "description": "d" * 201}))
    assert set(errors) == {"url", "description", "events"}
    assert "this has 201" in errors["description"]
    assert count(WebhookEndpoint) == 0


@pytest.mark.parametrize("path, form, fields", [
    ("/settings/email", {"host": "", "port": "99999", "security": "starttls", "from_address": "not-an-address",
                         "action": "save"}, {"host", "port", "from_address"}),
    ("/settings/company", {"name": "", "payment_due_days": "400"}, {"name", "payment_due_days"}),
    ("/settings/email/template", {"subject": "", "body": "Hello {nobody}"}, {"subject", "body"}),
], ids=["smtp", "company", "email-template"])
def test_settings_forms(client, auth, path, form, fields):
    auth.login("admin")
    errors = refused(client.post(path, data=form))
    assert fields <= set(errors), errors
    assert count(SmtpSettings) == 0
