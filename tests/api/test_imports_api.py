"""File imports over the API (the CSV import plugin, registered as its entry point would): upload a file and
see what it would change, or every bad line; preview again with other options; apply it through a normal
sync run followed at /sync-runs. Through ``hub.imports``, as the panel's import page and ``hub import``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hub import integrations
from hub.audit import Actor
from hub.extensions import db
from hub.models import AuditEvent, SyncRun, VendorCustomer

HEADER = "customer_id,customer_name,sku,quantity\n"
SLUG = "datto-csv"


@pytest.fixture
def datto(app_ctx):
    import hub_csv_import.plugin as csv_plugin

    registry = app_ctx.extensions["hub.plugins"]
    assert registry.register(csv_plugin, "csv_import") is not None, registry.errors
    integrations.add_instance("csv_import", SLUG, "Datto via CSV", Actor.cli("test"))
    db.session.commit()
    yield SLUG
    registry.unregister("csv_import")


def _upload(api, text: str, name: str = "export.csv", options: str | None = None, slug: str = SLUG):
    form = {"file": (io.BytesIO(text.encode()), name)}
    if options is not None:
        form["options"] = options
    return api.post(f"/api/v1/integrations/{slug}/imports", json=None, data=form, content_type="multipart/form-data")


def _uploads(app) -> list[str]:
    folder = Path(app.instance_path) / "uploads" / SLUG
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _customers() -> dict[str, str]:
    db.session.expire_all()
    return {c.external_id: c.name for c in db.session.execute(db.select(VendorCustomer)).scalars()}


def test_upload_preview_and_apply_through_a_sync_run(api, app, datto, users):
    assert api.as_role("billing").post(f"/api/v1/integrations/{SLUG}/imports").status_code == 403
    first = _upload(api, HEADER + "C1,Contoso,siris,5\nC2,Fabrikam,siris,3\n")
    assert first.status_code == 201, first.json
    body = first.json
    assert body["vendor"] == SLUG and body["options"] == {} and body["complete"] is False
    assert body["totals"] == {"customers_listed": 2, "new": 2, "changed": 0, "reattached": 0, "detached": 0,
                              "counts": 2, "count_failures": 0}
    assert {c["external_id"] for c in body["new"]} == {"C1", "C2"}
    assert {(c["external_id"], c["old"], c["new"]) for c in body["counts"]} == {("C1", None, "5"), ("C2", None, "3")}
    assert _customers() == {}  # nothing applied yet

    applied = api.post(f"/api/v1/integrations/{SLUG}/imports/{body['upload']}/apply", json={},
                       headers={"Idempotency-Key": "datto-1"})
    assert applied.status_code in (200, 202), applied.json
    run = api.get(applied.headers["Location"]).json
    assert run["vendor"] == SLUG and run["trigger"] == "import" and run["status"] == "succeeded"
    assert run["customers_added"] == 2 and run["triggered_by"].startswith("API token")
    assert _customers() == {"C1": "Contoso", "C2": "Fabrikam"}
    replay = api.post(f"/api/v1/integrations/{SLUG}/imports/{body['upload']}/apply", json={},
                      headers={"Idempotency-Key": "datto-1"})
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert db.session.execute(db.select(db.func.count()).select_from(SyncRun)).scalar_one() == 1
    configured = db.session.execute(db.select(AuditEvent).filter_by(action="integration.configure")).scalars().all()
    assert configured and configured[-1].actor.startswith("API token")

    # a second file listing C1 only: with complete_listing it would detach C2, and says so before applying
    second = _upload(api, HEADER + "C1,Contoso,siris,7\n", options='{"complete_listing": false}').json
    assert second["totals"]["detached"] == 0 and second["options"] == {"complete_listing": False}
    url = f"/api/v1/integrations/{SLUG}/imports/{second['upload']}/preview"
    complete = api.post(url, json={"options": {"complete_listing": True}})
    assert complete.status_code == 200, complete.json
    assert complete.json["complete"] is True and [c["external_id"] for c in complete.json["detached"]] == ["C2"]
    assert complete.json["needs_review"] is True  # one of two active customers: over the 20 % threshold
    assert [(c["external_id"], c["old"], c["new"]) for c in complete.json["counts"]] == [("C1", "5", "7")]
    assert _customers() == {"C1": "Contoso", "C2": "Fabrikam"}


def test_a_bad_file_names_every_bad_line_and_is_not_kept(api, app, datto, users):
    bad = _upload(api, HEADER + "C1,Contoso,siris,5\nC2,,siris,-2\nC3,Tailspin,siris,many\n")
    assert bad.status_code == 422
    lines = [(e["field"], e["location"], e["line"]) for e in bad.json["errors"]]
    assert {(field, location) for field, location, _ in lines} == {("file", "form")}
    assert {line for *_, line in lines} == {3, 4}
    assert all(e["detail"].startswith(f"line {e['line']}:") for e in bad.json["errors"])
    assert _uploads(app) == [] and _customers() == {}
    not_csv = _upload(api, HEADER, name="export.xlsx")
    assert not_csv.status_code == 422 and not_csv.json["errors"][0]["field"] == "file"
    empty = _upload(api, "")
    assert empty.status_code == 422 and empty.json["errors"][0]["field"] == "file"
    no_file = api.post(f"/api/v1/integrations/{SLUG}/imports", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and no_file.json["errors"][0]["field"] == "file"


def test_options_and_unknown_uploads_are_named(api, app, datto, users):
    junk = _upload(api, HEADER + "C1,Contoso,siris,5\n", options="not json")
    assert junk.status_code == 422 and junk.json["errors"][0]["field"] == "options"
    unknown = _upload(api, HEADER + "C1,Contoso,siris,5\n", options='{"delete_everything": true, "x": true}')
    assert unknown.status_code == 422
    assert {e["field"] for e in unknown.json["errors"]} == {"options.delete_everything", "options.x"}
    assert _uploads(app) == []
    stored = _upload(api, HEADER + "C1,Contoso,siris,5\n").json["upload"]
    base = f"/api/v1/integrations/{SLUG}/imports"
    assert api.post(f"{base}/{stored}/preview", json={"options": {"nope": True}}).status_code == 422
    assert api.post(f"{base}/{stored}/apply", json={"options": {"nope": True}}).status_code == 422
    assert api.post(f"{base}/{stored}/preview", json={"options": {"complete_listing": "x"}}).status_code == 422
    for missing in ("20990101T000000000000-gone.csv", "..hub.sqlite3", ".hidden"):
        assert api.post(f"{base}/{missing}/preview", json={}).status_code == 404
        assert api.post(f"{base}/{missing}/apply", json={}).status_code == 404
    assert _customers() == {}
    assert _upload(api, HEADER, slug="nope").status_code == 404


def test_a_vendor_that_reads_no_files_has_no_imports(api, fake_integration, users):
    answer = api.post("/api/v1/integrations/fake/imports", data={"file": (io.BytesIO(b"x"), "a.csv")},
                      content_type="multipart/form-data")
    assert answer.status_code == 404 and "does not import files" in answer.json["detail"]
