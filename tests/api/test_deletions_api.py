"""Deleting catalog products and users over the API (and a product in the panel): the guards (a product a
recurring line or an invoice uses stays; nobody deletes themself; the last active admin stays), If-Match,
404s, and the audit of each deletion."""

from __future__ import annotations

import pytest

from hub.audit import Actor
from hub.billing import catalog, recurring
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import AuditEvent, DestinationConnection, DestinationMapping, Product, User, VendorSku
from hub.web.users import UserError, delete_user
from tests.web.billing_fixtures import SETUP, sku


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.execute(db.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).scalars())


def test_a_product_in_use_cannot_be_deleted_and_says_why(api, billing_world):
    on_line = api.delete(f"/api/v1/products/{billing_world['product_id']}")
    assert on_line.status_code == 409
    assert f"recurring invoice {billing_world['recurring_id']}" in on_line.json["detail"]
    assert on_line.json["errors"][0]["field"] == "product_id"
    # a line removed since still refers to it, and so does the invoice issued from it: switch it off instead
    recurring.remove_line(billing_world["line_id"], SETUP)
    billed = api.delete(f"/api/v1/products/{billing_world['product_id']}")
    assert billed.status_code == 409 and "switch it off" in billed.json["detail"]
    assert db.session.get(Product, billing_world["product_id"]) is not None
    assert _audit("product.delete") == []


def test_an_unused_product_is_deleted_with_if_match_its_skus_unmapped_and_audited(api, billing_world):
    spare = catalog.create_product("SPARE", "Spare seats", "3.00", SETUP)
    seats_sku = sku("seats")
    catalog.map_sku(seats_sku.id, billing_world["product_id"], SETUP)  # as built; a second SKU goes to SPARE
    other = VendorSku(integration_id=seats_sku.integration_id, sku="spare-sku", name="Spare", unit="seat",
                      product_id=spare.id)
    db.session.add(other)
    connection = DestinationConnection(slug="books", key_prefix="test")
    db.session.add(connection)
    db.session.flush()
    db.session.add(DestinationMapping(connection_id=connection.id, kind="item", local_key=str(spare.id),
                                      external_id="77", external_name="Spare item", confirmed=True, source="manual"))
    db.session.commit()
    url = f"/api/v1/products/{spare.id}"
    read = api.get(url)
    assert api.as_role("viewer").delete(url).status_code == 403
    api.patch(url, json={"name": "Spare seats (old)"})
    assert api.delete(url, headers={"If-Match": read.headers["ETag"]}).status_code == 412  # changed since read
    fresh = api.get(url).headers["ETag"]
    assert api.as_role("billing").delete(url, headers={"If-Match": fresh}).status_code == 204
    assert api.get(url).status_code == 404
    assert api.delete(url).status_code == 404
    db.session.expire_all()
    assert db.session.get(VendorSku, other.id).product_id is None
    assert db.session.execute(db.select(DestinationMapping).filter_by(local_key=str(spare.id))).first() is None
    deleted = _audit("product.delete")
    assert [(e.entity_id, e.old_value) for e in deleted] == [(str(spare.id), "SPARE")]
    assert deleted[0].actor.startswith("API token")
    assert [e.entity_id for e in _audit("sku.unmap") if (e.details or {}).get("reason")] == [str(other.id)]
    assert [e.old_value for e in _audit("destination.unmap")] == ["77 (Spare item)"]


def test_the_panel_deletes_an_unused_product_and_refuses_one_in_use(client, auth, billing_world):
    spare = catalog.create_product("SPARE", "Spare seats", "3.00", SETUP)
    auth.login("billing")
    page = client.get(f"/billing/catalog/{spare.id}/edit")
    assert f"/billing/catalog/{spare.id}/delete" in page.get_data(as_text=True)
    done = client.post(f"/billing/catalog/{spare.id}/delete", follow_redirects=True)
    assert done.status_code == 200 and "Product SPARE deleted." in done.get_data(as_text=True)
    assert db.session.get(Product, spare.id) is None
    refused = client.post(f"/billing/catalog/{billing_world['product_id']}/delete", follow_redirects=True)
    assert "is on recurring invoice" in refused.get_data(as_text=True)
    assert db.session.get(Product, billing_world["product_id"]) is not None
    auth.logout()
    auth.login("viewer")
    assert client.post(f"/billing/catalog/{billing_world['support_id']}/delete").status_code == 403


def test_the_service_refuses_an_unknown_product(app_ctx):
    with pytest.raises(BillingError) as err:
        catalog.delete_product(999_999, SETUP)
    assert err.value.field == "product_id"


def test_delete_a_user_keeps_what_they_did_in_the_audit_log(api, users):
    billing = users["billing"]
    catalog.create_product("BY-BILLING", "Made by billing", "1", Actor.user(billing))  # audited with their id
    assert api.as_role("billing").delete(f"/api/v1/users/{billing.id}").status_code == 403
    assert api.delete(f"/api/v1/users/{billing.id}").status_code == 204
    assert api.get(f"/api/v1/users/{billing.id}").status_code == 404
    assert api.delete(f"/api/v1/users/{billing.id}").status_code == 404
    theirs = db.session.execute(db.select(AuditEvent).filter_by(action="product.create", actor=billing.email)).scalar_one()
    assert theirs.user_id is None  # the e-mail stays; the link to a row that is gone does not
    deleted = _audit("user.delete")
    assert [(e.entity_id, e.old_value) for e in deleted] == [(str(billing.id), billing.email)]
    assert deleted[0].details == {"role": "billing", "active": True}


def test_the_last_active_admin_and_oneself_cannot_be_deleted(api, users):
    admin = users["admin"]
    last = api.delete(f"/api/v1/users/{admin.id}")
    assert last.status_code == 409 and "last active admin" in last.json["detail"]
    assert db.session.get(User, admin.id) is not None
    with pytest.raises(UserError) as err:
        delete_user(admin.id, Actor.user(admin))
    assert "your own account" in str(err.value)
    second = api.post("/api/v1/users", json={"email": "second@example.com", "role": "admin",
                                             "password": "long enough password"}).json
    with pytest.raises(UserError):  # still: nobody deletes themself, even with another admin around
        delete_user(admin.id, Actor.user(admin))
    delete_user(admin.id, Actor.user(db.session.get(User, second["id"])))
    assert db.session.get(User, admin.id) is None
    assert api.delete(f"/api/v1/users/{second['id']}").status_code == 409  # now the last one


def test_hub_user_delete_from_the_command_line(runner, users):
    done = runner.invoke(args=["user", "delete", "--email", "viewer@example.com", "--yes"])
    assert done.exit_code == 0, done.output
    assert db.session.get(User, users["viewer"].id) is None
    missing = runner.invoke(args=["user", "delete", "--email", "nobody@example.com", "--yes"])
    assert missing.exit_code != 0 and "no user nobody@example.com" in missing.output
