"""Company and SMTP settings over the API: read with an ETag, change with If-Match, every bad field named
at once, the SMTP password write-only, "send a test e-mail" (a local SMTP server), the logo upload; all
through the services of the panel's settings pages, audited. Admins only."""

from __future__ import annotations

import io

from hub.extensions import db
from hub.models import AuditEvent, CompanySettings
from hub.security.secrets import REDACTED
from tests.delivery.smtp_server import SmtpServer


def _png(size=(20, 10)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, "PNG")
    return out.getvalue()


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.execute(db.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).scalars())


def test_company_settings_read_change_with_if_match_and_field_errors(api, users):
    assert api.as_role("billing").get("/api/v1/settings/company").status_code == 403
    blank = api.get("/api/v1/settings/company")
    assert blank.status_code == 200
    assert blank.json["name"] == "" and blank.json["payment_due_days"] == 30 and blank.json["logo_type"] is None
    saved = api.patch("/api/v1/settings/company", json={"name": "Example MSP", "address": "1 Main St",
                                                        "payment_due_days": 14},
                      headers={"If-Match": blank.headers["ETag"]})
    assert saved.status_code == 200, saved.json
    assert saved.json["name"] == "Example MSP" and saved.json["payment_due_days"] == 14
    stale = api.patch("/api/v1/settings/company", json={"name": "Other"}, headers={"If-Match": blank.headers["ETag"]})
    assert stale.status_code == 412
    bad = api.patch("/api/v1/settings/company", json={"name": "", "payment_due_days": 400, "tax_id": "x" * 101})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"name", "payment_due_days", "tax_id"}
    blank_name = api.patch("/api/v1/settings/company", json={"name": "   ", "footer": "x" * 5001})
    assert blank_name.status_code == 422  # the service's own checks, every field at once too
    assert {e["field"] for e in blank_name.json["errors"]} == {"name", "footer"}
    assert db.session.get(CompanySettings, 1).name == "Example MSP"
    assert [(e.field, e.new_value) for e in _audit("company.update")] == [
        ("name", "Example MSP"), ("address", "1 Main St"), ("payment_due_days", "14")]
    assert _audit("company.update")[0].actor.startswith("API token")


def test_service_errors_name_every_field_at_once(api, users):
    answer = api.patch("/api/v1/settings/company", json={"name": " ", "payment_instructions": "y" * 5001})
    assert {e["field"] for e in answer.json["errors"]} == {"name", "payment_instructions"}


def test_company_logo_upload_and_removal(api, users):
    tag = api.get("/api/v1/settings/company").headers["ETag"]
    up = api.put("/api/v1/settings/company/logo", data={"file": (io.BytesIO(_png()), "logo.png")},
                 headers={"If-Match": tag}, content_type="multipart/form-data")
    assert up.status_code == 200, up.json
    assert up.json["logo_type"] == "image/png" and up.json["logo_bytes"] == len(_png())
    svg = api.put("/api/v1/settings/company/logo", data={"file": (io.BytesIO(b"<svg/>"), "logo.svg")},
                  content_type="multipart/form-data")
    assert svg.status_code == 422 and svg.json["errors"][0]["field"] == "file"
    missing = api.put("/api/v1/settings/company/logo", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.json["errors"][0]["field"] == "file"
    assert api.delete("/api/v1/settings/company/logo", headers={"If-Match": tag}).status_code == 412
    assert api.delete("/api/v1/settings/company/logo").status_code == 204
    assert api.get("/api/v1/settings/company").json["logo_type"] is None
    assert len(_audit("company.logo")) == 2


def test_smtp_settings_password_write_only_checked_and_audited(api, users):
    assert api.as_role("billing").get("/api/v1/settings/smtp").status_code == 403
    empty = api.get("/api/v1/settings/smtp")
    assert empty.json == {"configured": False, "host": None, "port": None, "security": None, "username": None,
                          "from_address": None, "from_name": None, "password_set": False}
    bad = api.put("/api/v1/settings/smtp", json={"host": "bad host", "security": "ssl", "port": 70000,
                                                 "from_address": "not-an-address", "username": "u"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"host", "security", "port", "from_address", "password"}
    typed = api.put("/api/v1/settings/smtp", json={"host": 5, "port": "many", "security": "tls",
                                                   "from_address": "a@b.example"})
    assert typed.status_code == 422 and {e["field"] for e in typed.json["errors"]} == {"host", "port"}
    with SmtpServer(credentials=("mailer", "s3cret-pass")) as server:
        settings = {**server.settings(), "port": server.port, "username": "mailer"}
        wrong = api.put("/api/v1/settings/smtp", json={**settings, "password": "wrong"})
        assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "password"
        assert api.get("/api/v1/settings/smtp").json["configured"] is False  # nothing saved
        saved = api.put("/api/v1/settings/smtp", json={**settings, "password": "s3cret-pass"},
                        headers={"If-Match": empty.headers["ETag"]})
        assert saved.status_code == 200, saved.json
        assert saved.json["password_set"] is True and "password" not in saved.json
        assert "s3cret-pass" not in saved.get_data(as_text=True)
        read = api.get("/api/v1/settings/smtp")
        assert read.json["host"] == "127.0.0.1" and read.json["port"] == server.port
        assert "s3cret-pass" not in read.get_data(as_text=True)
        # a change without the password keeps the stored one (the connection check signs in with it)
        renamed = api.put("/api/v1/settings/smtp", json={**settings, "from_name": "Billing desk"},
                          headers={"If-Match": read.headers["ETag"]})
        assert renamed.status_code == 200 and renamed.json["password_set"] is True
        stale = api.put("/api/v1/settings/smtp", json=settings, headers={"If-Match": read.headers["ETag"]})
        assert stale.status_code == 412
    audited = _audit("smtp.update")
    assert [(e.old_value, e.new_value) for e in audited if e.field == "password"] == [(None, REDACTED)]
    assert all("s3cret-pass" not in (e.new_value or "") + (e.old_value or "") for e in audited)
    cleared = api.put("/api/v1/settings/smtp", json={**settings, "clear_password": True, "username": None,
                                                     "check_connection": False})
    assert cleared.status_code == 200 and cleared.json["password_set"] is False


def test_send_test_e_mail_before_saving(api, users):
    with SmtpServer() as server:
        settings = {**server.settings(), "port": server.port}
        missing = api.post("/api/v1/settings/smtp/test", json={**settings, "test_to": "nobody", "from_address": "x"})
        assert missing.status_code == 422
        assert {e["field"] for e in missing.json["errors"]} == {"test_to", "from_address"}
        sent = api.post("/api/v1/settings/smtp/test", json={**settings, "test_to": "me@msp.example"})
        assert sent.status_code == 200, sent.json
        assert sent.json["sent"] is True and sent.json["to"] == "me@msp.example" and "250" in sent.json["reply"]
        assert [r.rcpt_tos for r in server.received] == [["me@msp.example"]]
    assert api.get("/api/v1/settings/smtp").json["configured"] is False  # a test saves nothing
    refused = api.post("/api/v1/settings/smtp/test", json={**settings, "test_to": "me@msp.example"})
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "host"  # the server is gone
    assert [e.new_value for e in _audit("smtp.test")] == ["sent", "failed"]
    assert api.as_role("billing").post("/api/v1/settings/smtp/test", json={}).status_code == 403
