"""Importing files through the hub: preview first, then the same sync engine, rules and audit.

The hub app, its database and the plugin (found through its entry point) come from the kit's
``hub_app`` fixture; files are real files, and the panel is driven through Flask's test client.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from werkzeug.security import generate_password_hash

from hub import imports, integrations
from hub.audit import Actor
from hub.extensions import db
from hub.models import AuditEvent, LicenseCount, MapStatus, Role, SyncRun, User, VendorCustomer, VendorSku
from hub.plugins import VendorDataError

HEADER = "customer_id,customer_name,sku,quantity\n"
ADMIN = Actor.cli("test")


@pytest.fixture
def hub_plugin():
    return "csv_import"


@pytest.fixture
def datto(hub_app):
    with hub_app.app_context():
        integrations.add_instance("csv_import", "datto-csv", "Datto via CSV", ADMIN)
        db.session.commit()
    return "datto-csv"


def rows(n: int, *, start: int = 0, quantity: int = 5) -> str:
    return HEADER + "".join(f"C{i},Customer {i},siris,{quantity}\n" for i in range(start, start + n))


def upload(slug: str, text: str, **options):
    return imports.store_upload(slug, "export.csv", text.encode()), options


def apply(slug: str, text: str, **options) -> SyncRun:
    stored, options = upload(slug, text, **options)
    return imports.apply_upload(slug, stored, options, ADMIN)


def state(slug: str) -> dict[str, tuple[str, Decimal | None]]:
    db.session.expire_all()
    integration = integrations.get_integration(slug)
    customers = db.session.execute(db.select(VendorCustomer).filter_by(integration_id=integration.id)).scalars()
    counts = dict(db.session.execute(
        db.select(VendorCustomer.external_id, LicenseCount.quantity)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id).where(VendorSku.integration_id == integration.id)).all())
    return {c.external_id: (c.map_status.value, counts.get(c.external_id)) for c in customers}


def test_an_added_vendor_is_its_own_integration_with_its_own_name(hub_app, datto):
    with hub_app.app_context():
        assert integrations.handle_for(datto).slug == "csv_import"
        assert integrations.display_names()[datto] == "Datto via CSV"
        with pytest.raises(Exception, match="already taken"):
            integrations.add_instance("csv_import", "datto-csv", "Again", ADMIN)
        with pytest.raises(Exception, match="lower-case letters"):
            integrations.add_instance("csv_import", "Bad Slug!", "Bad", ADMIN)


def test_preview_shows_what_applies_and_writes_nothing(hub_app, datto):
    with hub_app.app_context():
        apply(datto, rows(3))
        before = state(datto)
        stored, options = upload(datto, rows(2, quantity=9) + "C7,New Co,siris,1\n", complete_listing=True)
        preview = imports.preview_upload(datto, stored, options)
        assert (len(preview.plan.new), len(preview.plan.detach), preview.complete) == (1, 1, True)
        assert {(c.external_id, c.old, c.new) for c in preview.counts} == {
            ("C0", Decimal(5), Decimal(9)), ("C1", Decimal(5), Decimal(9)), ("C7", None, Decimal(1))}
        db.session.rollback()
        assert state(datto) == before


def test_a_file_not_marked_complete_adds_and_updates_but_never_detaches(hub_app, datto):
    with hub_app.app_context():
        assert apply(datto, rows(3), complete_listing=True).status == "succeeded"
        run = apply(datto, HEADER + "C0,Customer 0,siris,8\nC9,Customer 9,siris,2\n")
        assert run.status == "succeeded" and run.customers_detached == 0
        assert state(datto) == {"C0": ("not_mapped", 8), "C1": ("not_mapped", 5), "C2": ("not_mapped", 5),
                                "C9": ("not_mapped", 2)}


def test_a_complete_file_detaches_the_missing_and_brings_them_back_later(hub_app, datto):
    with hub_app.app_context():
        apply(datto, rows(10), complete_listing=True)
        apply(datto, rows(9), complete_listing=True)
        assert state(datto)["C9"][0] == MapStatus.DETACHED.value
        apply(datto, rows(10), complete_listing=True)
        assert state(datto)["C9"][0] == MapStatus.NOT_MAPPED.value


def test_a_file_that_would_detach_too_many_stops_for_review(hub_app, datto):
    with hub_app.app_context():
        apply(datto, rows(10), complete_listing=True)
        run = apply(datto, rows(5), complete_listing=True)
        assert run.status == "needs_review"
        assert all(status == "not_mapped" for status, _ in state(datto).values())


def test_a_file_with_bad_rows_applies_nothing_and_names_the_lines(hub_app, datto):
    with hub_app.app_context():
        apply(datto, rows(3))
        before = state(datto)
        stored, options = upload(datto, rows(2, quantity=7) + "C5,X,siris,-1\nC6,Y,siris,lots\n")
        preview = imports.preview_upload(datto, stored, options)
        assert [line for line, _ in preview.error.problems] == [4, 5]
        source = integrations.get_integration(datto).settings["source"]
        with pytest.raises(VendorDataError, match="line 4: quantity '-1' is negative"):
            imports.apply_upload(datto, stored, options, ADMIN)
        db.session.rollback()
        assert state(datto) == before
        assert integrations.get_integration(datto).settings["source"] == source  # not even the settings


def test_every_change_is_audited_with_the_run_that_made_it(hub_app, datto):
    with hub_app.app_context():
        run = apply(datto, rows(2))
        actions = {e.action for e in db.session.execute(
            db.select(AuditEvent).filter_by(sync_run_id=run.id)).scalars()}
        assert actions  # the engine's own events: customers and counts added by this run
        configured = db.session.execute(db.select(AuditEvent).filter_by(action="integration.configure",
                                                                        field="source")).scalars().all()
        assert configured and configured[-1].actor == ADMIN.label


def test_a_watched_folder_reads_its_newest_file(hub_app, datto, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.csv").write_text(rows(2, quantity=1))
    time.sleep(0.01)
    (folder / "b.csv").write_text(rows(2, quantity=4))
    (folder / "notes.txt").write_text("not a listing")
    with hub_app.app_context():
        integrations.configure(datto, {"source": str(folder)}, ADMIN, enable=True)
        from hub.sync import run_sync

        assert run_sync(datto).status == "succeeded"
        assert state(datto)["C0"][1] == 4


def test_the_cli_previews_then_applies(hub_app, datto, tmp_path):
    path = tmp_path / "licenses.csv"
    path.write_text(rows(3, quantity=6))
    runner = hub_app.test_cli_runner()
    preview = runner.invoke(args=["import", "csv", datto, str(path)])
    assert preview.exit_code == 0 and "--apply" in preview.output
    with hub_app.app_context():
        assert state(datto) == {}
    applied = runner.invoke(args=["import", "csv", datto, str(path), "--set", "complete_listing=true", "--apply"])
    assert applied.exit_code == 0, applied.output
    with hub_app.app_context():
        assert state(datto)["C2"] == ("not_mapped", 6)
    path.write_text(HEADER + "C1,A,siris,-2\n")
    bad = runner.invoke(args=["import", "csv", datto, str(path)])
    assert bad.exit_code == 1 and "line 2: quantity '-2' is negative" in bad.output


def test_the_panel_uploads_previews_and_applies(hub_app, datto):
    with hub_app.app_context():
        db.session.add(User(email="admin@example.com", role=Role.ADMIN.value, active=True,
                            password_hash=generate_password_hash("pw-for-tests", method="pbkdf2:sha256:1")))
        db.session.commit()
    client = hub_app.test_client()
    client.post("/login", data={"email": "admin@example.com", "password": "pw-for-tests"})
    page = client.post(f"/admin/apps/{datto}/import", data={
        "file": (__import__("io").BytesIO(rows(2, quantity=3).encode()), "export.csv"), "complete_listing": "on"},
        content_type="multipart/form-data")
    assert page.status_code == 200 and b"What this file would change" in page.data
    stored = page.data.split(b'name="stored_name" value="')[1].split(b'"')[0].decode()
    with hub_app.app_context():
        assert state(datto) == {}
    done = client.post(f"/admin/apps/{datto}/import/apply", data={"stored_name": stored, "complete_listing": "1"})
    assert done.status_code == 302
    with hub_app.app_context():
        assert state(datto) == {"C0": ("not_mapped", 3), "C1": ("not_mapped", 3)}
    tampered = client.post(f"/admin/apps/{datto}/import/apply", data={"stored_name": "../../hub.sqlite3"})
    assert tampered.status_code == 302
    with hub_app.app_context():
        assert len(state(datto)) == 2


def test_a_formula_in_a_file_never_runs_where_the_hub_exports_it(hub_app, datto):
    from hub.billing.usage_report import usage_report, usage_report_csv

    with hub_app.app_context():
        apply(datto, HEADER + '=HYPERLINK("http://evil.example";"pay"),=cmd|calc,+siris,4\n')
        exported = usage_report_csv(usage_report(vendor=datto))
    assert "'=HYPERLINK" in exported and "'=cmd|calc" in exported and "'+siris" in exported
    assert ",=HYPERLINK" not in exported


def test_a_file_is_parsed_once_for_its_preview_and_apply_and_anew_once_it_changed(hub_app, datto, monkeypatch):
    from hub_csv_import import listing

    parses = []
    real_parse = listing.parse
    monkeypatch.setattr(listing, "parse", lambda data, **kw: parses.append(len(data)) or real_parse(data, **kw))
    text = HEADER + "P1,Parsed Once Co,siris,4\nP2,Parsed Twice Co,siris,6\n"  # a file no other test makes
    with hub_app.app_context():
        stored, options = upload(datto, text)
        assert imports.preview_upload(datto, stored, options).error is None
        assert imports.apply_upload(datto, stored, options, ADMIN).status == "succeeded"
        assert len(parses) == 1  # the preview's parse served the apply's connection test and its sync
        # the same stored file, changed after it was parsed: what applies is what it holds now
        imports.stored_path(datto, stored).write_text(text.replace(",4\n", ",7\n"))
        assert imports.apply_upload(datto, stored, options, ADMIN).status == "succeeded"
        assert len(parses) == 2
        assert state(datto) == {"P1": ("not_mapped", 7), "P2": ("not_mapped", 6)}
