"""An integration's detach threshold over the API: shown with the integration, changed by admins (audited),
bad values named and nothing changed; a sync then follows the new threshold."""

from __future__ import annotations

from decimal import Decimal

from hub.extensions import db
from hub.models import AuditEvent, SyncRun, VendorIntegration
from hub.sync import run_sync

URL = "/api/v1/integrations/fake/detach-threshold"


def _threshold() -> Decimal:
    db.session.expire_all()
    return Decimal(db.session.execute(db.select(VendorIntegration.detach_threshold_pct).filter_by(slug="fake"))
                   .scalar_one())


def test_read_change_and_audit(api, mapped_world):
    before = _threshold()
    assert Decimal(api.get("/api/v1/integrations/fake").json["detach_threshold_pct"]) == before
    changed = api.put(URL, json={"detach_threshold_pct": "35.5"})
    assert changed.status_code == 200, changed.json
    assert Decimal(changed.json["detach_threshold_pct"]) == Decimal("35.5") == _threshold()
    [audit] = db.session.execute(db.select(AuditEvent).filter_by(action="integration.detach_threshold")).scalars()
    assert (Decimal(audit.old_value), Decimal(audit.new_value), audit.actor_type) == (before, Decimal("35.5"), "api")
    for bad in ("0", "100.01", "12.345", "lots", -5):
        refused = api.put(URL, json={"detach_threshold_pct": bad})
        assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "detach_threshold_pct", bad
    assert _threshold() == Decimal("35.5")
    assert api.as_role("billing").put(URL, json={"detach_threshold_pct": "50"}).status_code == 403
    assert api.put("/api/v1/integrations/nope/detach-threshold", json={"detach_threshold_pct": "5"}).status_code == 404


def test_a_sync_follows_the_new_threshold(api, mapped_world, fake_vendor):
    """One of the four active customers gone is 25 %: over the default threshold, under a raised one."""
    assert _threshold() < 25
    assert api.put(URL, json={"detach_threshold_pct": "30"}).status_code == 200
    fake_vendor.remove("c-2")
    assert run_sync("fake", trigger="cli", triggered_by="test").status == "succeeded"
    assert api.put(URL, json={"detach_threshold_pct": "10"}).status_code == 200
    fake_vendor.remove("c-4")
    run = run_sync("fake", trigger="cli", triggered_by="test")
    assert run.status == "needs_review" and db.session.get(SyncRun, run.id).review
