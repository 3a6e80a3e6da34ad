"""``hub webhook ...``: the same services as the panel, for scripts."""

from __future__ import annotations

import json

from standardwebhooks import Webhook

from hub.extensions import db
from hub.models import AuditEvent, WebhookEndpoint
from hub.webhooks.outbox import emit


def _add(runner, url, *extra):
    return runner.invoke(args=["webhook", "add", url, "--events", "invoice.issued,invoice.voided", *extra])


def test_add_prints_the_secret_once_on_its_last_line(app_ctx, runner, receiver):
    result = _add(runner, receiver.url)
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    Webhook(secret)  # the library accepts it
    endpoint = db.session.execute(db.select(WebhookEndpoint)).scalar_one()
    assert endpoint.event_types == ["invoice.issued", "invoice.voided"]
    assert secret not in endpoint.secret_token  # stored encrypted
    listing = runner.invoke(args=["webhook", "list", "--json"])
    assert secret not in listing.output and json.loads(listing.output)[0]["url"] == receiver.url
    audit = db.session.execute(db.select(AuditEvent).filter_by(action="webhook.add")).scalar_one()
    assert secret not in json.dumps(audit.details) + str(audit.new_value)


def test_add_json_and_the_delivery_log(app_ctx, runner, receiver):
    result = _add(runner, receiver.url, "--json", "--description", "PSA")
    data = json.loads(result.output)
    assert data["secret"].startswith("whsec_") and data["events"] == ["invoice.issued", "invoice.voided"]
    assert data["description"] == "PSA" and data["state"] == "active"
    receiver.secret = data["secret"]
    emit("invoice.issued", {"invoice_id": 5})
    db.session.commit()
    assert "1 attempted, 1 delivered" in runner.invoke(args=["webhook", "deliver"]).output
    log = json.loads(runner.invoke(args=["webhook", "deliveries", "--json"]).output)
    assert [(d["event"], d["status"], d["attempts"], d["response_code"]) for d in log] == [
        ("invoice.issued", "succeeded", 1, 200)]
    assert log[0]["webhook_id"] == receiver.requests[0].msg_id and receiver.requests[0].verified
    assert runner.invoke(args=["webhook", "resend", str(log[0]["id"])]).exit_code == 0
    runner.invoke(args=["webhook", "deliver"])
    assert receiver.ids() == [log[0]["webhook_id"]] * 2
    table = runner.invoke(args=["webhook", "deliveries", "--endpoint", str(data["id"])]).output
    assert table.splitlines()[0].split()[:4] == ["ID", "ENDPOINT", "EVENT", "STATUS"]


def test_bad_input_names_the_field_and_changes_nothing(app_ctx, runner):
    result = runner.invoke(args=["webhook", "add", "http://127.0.0.1:9/x", "--events", "invoice.eaten"])
    assert result.exit_code == 6 and "events: unknown event type(s): 'invoice.eaten'" in result.output
    result = runner.invoke(args=["webhook", "add", "ftp://x.example/", "--events", "*"])
    assert result.exit_code == 6 and result.output.startswith("Error: url:")
    # filters: an unknown value is a usage error (exit 2) naming the option and the valid values
    result = runner.invoke(args=["webhook", "deliveries", "--status", "lost"])
    assert result.exit_code == 2 and "--status" in result.output and "succeeded" in result.output
    result = runner.invoke(args=["webhook", "deliveries", "--endpoint", "99"])
    assert result.exit_code == 2 and "--endpoint" in result.output and "no webhook endpoint with id 99" in result.output
    assert runner.invoke(args=["webhook", "disable", "99"]).exit_code == 6
    assert db.session.execute(db.select(db.func.count(WebhookEndpoint.id))).scalar_one() == 0


def test_disable_enable_and_rotate(app_ctx, runner):
    data = json.loads(_add(runner, "http://127.0.0.1:9/x", "--json").output)
    assert "disabled" in runner.invoke(args=["webhook", "disable", str(data["id"])]).output
    assert "disabled by hub webhook disable" in json.loads(runner.invoke(args=["webhook", "list", "--json"]).output)[0]["reason"]
    assert "active" in runner.invoke(args=["webhook", "enable", str(data["id"])]).output
    rotated = runner.invoke(args=["webhook", "rotate-secret", str(data["id"])]).output.strip().splitlines()[-1]
    assert rotated.startswith("whsec_") and rotated != data["secret"]
