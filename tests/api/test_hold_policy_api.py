"""An integration's hold policy over the API: read with its ETag, change with If-Match, each changed field
audited by the service, bad input named and nothing changed; billing and admins only (as the panel)."""

from __future__ import annotations

from decimal import Decimal

from hub.extensions import db
from hub.models import AuditEvent, VendorIntegration

URL = "/api/v1/integrations/fake/hold-policy"


def _integration() -> VendorIntegration:
    db.session.expire_all()
    return db.session.execute(db.select(VendorIntegration).filter_by(slug="fake")).scalar_one()


def test_read_and_change_with_if_match_audited(api, mapped_world):
    read = api.as_role("billing").get(URL)
    assert read.status_code == 200 and read.json["vendor"] == "fake"
    assert set(read.json) == {"vendor", "hold_decrease_over_seats", "hold_decrease_over_pct", "hold_drop_to_zero",
                              "hold_detached"}
    tag = read.headers["ETag"]
    changed = api.as_role("billing").patch(URL, json={"hold_decrease_over_seats": 7, "hold_decrease_over_pct": "12.5",
                                                      "hold_drop_to_zero": False}, headers={"If-Match": tag})
    assert changed.status_code == 200, changed.json
    assert changed.json["hold_decrease_over_seats"] == 7
    assert Decimal(changed.json["hold_decrease_over_pct"]) == Decimal("12.5")
    assert changed.json["hold_drop_to_zero"] is False and changed.headers["ETag"] != tag
    integration = _integration()
    assert (integration.hold_decrease_over_seats, Decimal(integration.hold_decrease_over_pct)) == (7, Decimal("12.5"))
    audits = db.session.execute(db.select(AuditEvent).filter_by(action="billing.hold_policy")).scalars().all()
    assert {a.field for a in audits} >= {"hold_decrease_over_seats", "hold_decrease_over_pct"}
    assert {a.actor_type for a in audits} == {"api"}
    stale = api.patch(URL, json={"hold_detached": False}, headers={"If-Match": tag})
    assert stale.status_code == 412 and _integration().hold_detached == read.json["hold_detached"]
    cleared = api.patch(URL, json={"hold_decrease_over_pct": None})
    assert cleared.status_code == 200 and cleared.json["hold_decrease_over_pct"] is None
    assert cleared.json["hold_decrease_over_seats"] == 7  # left out: unchanged


def test_bad_values_are_named_and_change_nothing(api, mapped_world):
    before = api.get(URL).json
    over = api.patch(URL, json={"hold_decrease_over_pct": "150", "hold_decrease_over_seats": 2})
    assert over.status_code == 422 and over.json["errors"][0]["field"] == "hold_decrease_over_pct"
    places = api.patch(URL, json={"hold_decrease_over_pct": "1.234"})
    assert places.status_code == 422 and places.json["errors"][0]["field"] == "hold_decrease_over_pct"
    negative = api.patch(URL, json={"hold_decrease_over_seats": -1})
    assert negative.status_code == 422 and negative.json["errors"][0]["field"] == "hold_decrease_over_seats"
    assert api.get(URL).json == before
    assert api.get("/api/v1/integrations/nope/hold-policy").status_code == 404
    assert api.patch("/api/v1/integrations/nope/hold-policy", json={"hold_detached": True}).status_code == 404
    assert api.as_role("viewer").get(URL).status_code == 403
    assert api.as_role("viewer").patch(URL, json={"hold_detached": False}).status_code == 403
