"""Credit notes over the API: a chosen line, then the rest; a line credited twice or a foreign line named,
a void invoice 409, a retried create replayed; listing, reading and CSV/JSON export; the panel's roles."""

from __future__ import annotations

import csv
import io

from hub.extensions import db
from hub.models import AuditEvent, CreditNote, Invoice



def test_credit_chosen_lines_then_the_rest(api, billing_world):
    invoice_id = billing_world["invoice_id"]
    url = f"/api/v1/invoices/{invoice_id}/credit-notes"
    lines = {ln.product_code: ln.id for ln in db.session.get(Invoice, invoice_id).lines}
    first = api.as_role("billing").post(url, json={"reason": "seat over-count", "line_ids": [lines["SEATS"]]},
                                        headers={"Idempotency-Key": "cn-1"})
    assert first.status_code == 201, first.json
    assert [ln["invoice_line_id"] for ln in first.json["lines"]] == [lines["SEATS"]]
    assert first.headers["Location"] == f"/api/v1/credit-notes/{first.json['id']}"
    replay = api.as_role("billing").post(url, json={"reason": "seat over-count", "line_ids": [lines["SEATS"]]},
                                         headers={"Idempotency-Key": "cn-1"})
    assert replay.status_code == 201 and replay.json["id"] == first.json["id"]
    twice = api.post(url, json={"reason": "again", "line_ids": [lines["SEATS"]]})
    assert twice.status_code == 422 and twice.json["errors"][0]["field"] == "line_ids"
    foreign = api.post(url, json={"reason": "x", "line_ids": [999999]})
    assert foreign.status_code == 422 and foreign.json["errors"][0]["field"] == "line_ids"
    no_reason = api.post(url, json={"line_ids": [lines["SUPPORT"]]})
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reason"
    assert db.session.execute(db.select(db.func.count(CreditNote.id))).scalar() == 1
    rest = api.post(url, json={"reason": "cancelled"})
    assert rest.status_code == 201 and [ln["invoice_line_id"] for ln in rest.json["lines"]] == [lines["SUPPORT"]]
    assert rest.json["number"] != first.json["number"]
    nothing_left = api.post(url, json={"reason": "more"})
    assert nothing_left.status_code == 422 and nothing_left.json["errors"][0]["field"] == "line_ids"
    audits = db.session.execute(db.select(AuditEvent).filter_by(action="credit_note.create")).scalars().all()
    assert len(audits) == 2 and {a.actor_type for a in audits} == {"api"}
    assert api.as_role("viewer").post(url, json={"reason": "x"}).status_code == 403
    assert api.post("/api/v1/invoices/999999/credit-notes", json={"reason": "x"}).status_code == 404


def test_notes_listed_read_and_exported(api, billing_world):
    invoice_id = billing_world["invoice_id"]
    note = api.post(f"/api/v1/invoices/{invoice_id}/credit-notes", json={"reason": "goodwill"}).json
    listed = api.as_role("viewer").get(f"/api/v1/credit-notes?invoice_id={invoice_id}")
    assert listed.status_code == 200 and [n["id"] for n in listed.json["items"]] == [note["id"]]
    assert api.get("/api/v1/credit-notes?organization_id=999999").json["items"] == []
    read = api.as_role("viewer").get(f"/api/v1/credit-notes/{note['id']}")
    assert read.status_code == 200 and read.json == note
    exported = api.get(f"/api/v1/credit-notes/{note['id']}/export?format=csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {r["product_code"] for r in rows} == {"SEATS", "SUPPORT"} and rows[0]["credit_note_number"] == note["number"]
    as_json = api.get(f"/api/v1/credit-notes/{note['id']}/export")
    assert as_json.mimetype == "application/json" and as_json.json["total"] == note["total"]
    assert api.get("/api/v1/credit-notes/999999").status_code == 404
    pdf = api.as_role("viewer").get(f"/api/v1/credit-notes/{note['id']}/pdf")  # printed like an invoice
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="credit-note-{note["number"]}.pdf"'
    assert api.get("/api/v1/credit-notes/999999/pdf").status_code == 404
    # the invoice service refuses to void a credited invoice (credit the rest instead)
    assert api.post(f"/api/v1/invoices/{invoice_id}/void", json={"reason": "duplicate"}).status_code == 409


def test_a_void_invoice_cannot_be_credited(api, billing_world):
    invoice_id = billing_world["invoice_id"]
    assert api.post(f"/api/v1/invoices/{invoice_id}/void", json={"reason": "duplicate"}).status_code == 200
    voided = api.post(f"/api/v1/invoices/{invoice_id}/credit-notes", json={"reason": "x"})
    assert voided.status_code == 409 and "only an issued invoice" in voided.json["detail"]
    assert db.session.execute(db.select(db.func.count(CreditNote.id))).scalar() == 0
