"""Panel pages for one-off charges, manual invoices and the margin view: forms name the field at fault and
change nothing, a billed charge is frozen, line errors land on the form's own row, CSV like the reports."""

from __future__ import annotations

import csv
import io

from hub.extensions import db
from hub.models import Invoice, OneOffCharge
from hub.timeutil import utcnow
from tests.web.billing_fixtures import billing_world  # noqa: F401  (fixture)
from tests.web.billing_helpers import field_error, text_of


def _charge_form(org_id, **over):
    return {"organization_id": str(org_id), "description": "Site visit", "quantity": "2", "unit_price": "65",
            "taxable": "true", **over}


def test_add_edit_and_delete_a_charge(client, auth, billing_world):
    contoso = billing_world["orgs"]["Contoso"].id
    auth.login("billing")
    bad = client.post("/billing/charges/new", data=_charge_form(contoso, quantity="two"))
    assert bad.status_code == 400
    assert "Quantity: enter a number like 12.50" in field_error(bad.data.decode(), "quantity")
    assert db.session.execute(db.select(OneOffCharge)).first() is None
    made = client.post("/billing/charges/new", data=_charge_form(contoso))
    assert made.status_code == 303
    charge = db.session.execute(db.select(OneOffCharge)).scalar_one()
    listing = text_of(client.get("/billing/charges?state=pending").data.decode())
    assert "Site visit" in listing and "130.00" in listing and "pending" in listing
    edit = client.post(f"/billing/charges/{charge.id}/edit", data={"description": "Site visit (2h)", "quantity": "3",
                                                                   "unit_price": "65", "taxable": "true"})
    assert edit.status_code == 303
    db.session.expire_all()
    assert (charge.description, str(charge.quantity)) == ("Site visit (2h)", "3.0000")
    assert client.get("/billing/charges?state=nonsense").status_code == 400
    client.post(f"/billing/charges/{charge.id}/delete")
    assert db.session.execute(db.select(OneOffCharge)).first() is None


def test_viewer_reads_but_cannot_add(client, auth, billing_world):
    auth.login("viewer")
    assert client.get("/billing/charges").status_code == 200
    assert client.post("/billing/charges/new", data=_charge_form(1)).status_code == 403
    assert client.get("/billing/invoices/manual").status_code == 403


def test_manual_invoice_form_errors_on_their_rows_then_issued(client, auth, billing_world):
    contoso = billing_world["orgs"]["Contoso"].id
    auth.login("billing")
    first_step = client.get(f"/billing/invoices/manual?organization_id={contoso}")
    assert first_step.status_code == 200 and "Contoso" in text_of(first_step.data.decode())
    form = {"organization_id": str(contoso), "currency": "USD", "invoice_date": utcnow().date().isoformat(),
            "due_days": "10", "lines.2.description": "Firewall", "lines.2.quantity": "1",
            "lines.2.unit_price": "oops", "lines.2.taxable": "true"}
    before = db.session.execute(db.select(db.func.count(Invoice.id))).scalar()
    bad = client.post("/billing/invoices/manual", data=form)
    assert bad.status_code == 400
    html = bad.data.decode()
    assert "line 3: Unit price: enter a number like 12.50" in text_of(html)  # the form's third row, not "line 1"
    assert 'name="lines.2.unit_price" id="f-lines.2.unit_price" value="oops"' in html
    assert db.session.execute(db.select(db.func.count(Invoice.id))).scalar() == before
    form["lines.2.unit_price"] = "899.00"
    done = client.post("/billing/invoices/manual", data=form)
    assert done.status_code == 303
    invoice = db.session.execute(db.select(Invoice).order_by(Invoice.id.desc())).scalars().first()
    assert invoice.recurring_invoice_id is None and str(invoice.total) == "899.00"
    page = text_of(client.get(done.headers["Location"]).data.decode())
    assert "Firewall" in page and "Manual invoice (outside any schedule)" in page and "Reissue" not in page


def test_margin_page_and_csv(client, auth, billing_world):
    auth.login("viewer")
    today = utcnow().date().isoformat()
    page = text_of(client.get(f"/billing/reports/margin?by=organization&date_from={today}&date_to={today}")
                   .data.decode())
    assert "Contoso" in page and "200.00" in page and "80.00" in page and "40.00" in page
    assert client.get("/billing/reports/margin?by=sku").status_code == 400
    assert client.get("/billing/reports/margin?date_from=yesterday").status_code == 400
    got = client.get(f"/billing/reports/margin.csv?by=vendor&date_from={today}&date_to={today}")
    rows = list(csv.DictReader(io.StringIO(got.data.decode())))
    assert got.mimetype == "text/csv" and {r["key"] for r in rows} == {"fake", "", "total"}
    nav = client.get("/billing/charges").data.decode()
    assert 'href="/billing/reports/margin"' in nav and 'href="/billing/charges"' in nav
