"""Sync history and audit log: filters and server-side paging."""

from __future__ import annotations

import re
from datetime import datetime

from hub.extensions import db
from hub.models import AuditEvent, SyncRun
from hub.plugins import VendorUnavailableError
from hub.sync import run_sync


def _run_ids(html: str) -> list[str]:
    return re.findall(r'href="/admin/sync-runs/(\d+)">#', html)


def test_sync_history_filters_by_vendor_and_status(client, auth, mapped_world, fake_vendor):
    fake_vendor.list_error = VendorUnavailableError("503 from the vendor")
    failed = run_sync("fake")
    auth.login("viewer")
    everything = _run_ids(client.get("/admin/sync-runs/").data.decode())
    assert len(everything) == 3 and everything[0] == str(failed.id)  # newest first
    html = client.get("/admin/sync-runs/?status=failed").data.decode()
    assert _run_ids(html) == [str(failed.id)] and "503 from the vendor" in html
    assert _run_ids(client.get("/admin/sync-runs/?vendor=nosuch").data.decode()) == []
    assert len(_run_ids(client.get("/admin/sync-runs/?vendor=fake&status=succeeded").data.decode())) == 2
    paged = client.get("/admin/sync-runs/?per_page=2&page=2").data.decode()
    assert len(_run_ids(paged)) == 1 and "3–3 of 3" in paged
    detail = client.get(f"/admin/sync-runs/{failed.id}").data.decode()
    assert "unavailable" in detail and "503 from the vendor" in detail


def _events(html: str) -> list[str]:
    return re.findall(r"<td><code>([^<]+)</code></td>", html)


def test_audit_log_filters(client, auth, mapped_world):
    auth.login("viewer")
    mapping_only = _events(client.get("/admin/audit/?action=mapping").data.decode())
    assert mapping_only and set(mapping_only) == {"mapping.map"}
    assert set(_events(client.get("/admin/audit/?action=mapping.map").data.decode())) == {"mapping.map"}
    assert _events(client.get("/admin/audit/?action=mapp").data.decode()) == []  # whole words of the verb only
    by_actor = client.get("/admin/audit/?actor=TEST").data.decode()
    assert set(_events(by_actor)) == {"organization.create", "mapping.map", "integration.configure",
                                      "integration.enable"}
    contoso = mapped_world["customers"]["c-1"]
    entity = _events(client.get(f"/admin/audit/?entity_type=vendor_customer&entity_id={contoso.id}").data.decode())
    assert entity.count("mapping.map") == 1  # Contoso's mapping, not Northwind's
    typo = client.get("/admin/audit/?entity_type=vendor_custmer")  # no event is about that: a typo, not "none"
    assert typo.status_code == 400
    assert "No event is about a 'vendor_custmer': choose one of" in typo.data.decode().replace("&#39;", "'")
    assert "vendor_customer" in typo.data.decode()


def test_audit_log_date_range_and_paging(client, auth, users, app_ctx):
    from hub.audit import Actor, record

    for day in (1, 2, 3):
        record(Actor.cli("t"), "test.event", "thing", day, at=datetime(2024, 5, day, 12))
    db.session.commit()
    auth.login("viewer")
    html = client.get("/admin/audit/?from=2024-05-02&to=2024-05-02").data.decode()
    assert re.findall(r"<td>thing (\d)</td>", html) == ["2"]
    html = client.get("/admin/audit/?from=2024-05-02").data.decode()
    assert re.findall(r"<td>thing (\d)</td>", html) == ["3", "2"]
    paged = client.get("/admin/audit/?action=test&per_page=1&page=3").data.decode()
    assert re.findall(r"<td>thing (\d)</td>", paged) == ["1"]


def test_bad_dates_name_the_field(client, auth, users):
    auth.login("viewer")
    response = client.get("/admin/audit/?from=yesterday")
    assert response.status_code == 400
    assert re.search(r'id="from-error">Enter a date as YYYY-MM-DD.<', response.data.decode())
    backwards = client.get("/admin/audit/?from=2024-05-03&to=2024-05-01")
    assert backwards.status_code == 400 and 'id="to-error"' in backwards.data.decode()


def test_runs_and_events_link_to_each_other(client, auth, mapped_world):
    run = db.session.execute(db.select(SyncRun)).scalars().first()
    auth.login("viewer")
    assert f"/admin/audit/?entity_type=sync_run&amp;entity_id={run.id}" in client.get(
        f"/admin/sync-runs/{run.id}").data.decode()
    assert db.session.execute(db.select(AuditEvent)).first()
