"""``hub backup`` and ``hub restore``: a hub with data, backed up, restored into an empty database, is the
same hub, table by table, and keeps working."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from hub import create_app
from hub.audit import Actor
from hub.extensions import db
from hub.testing.databases import throwaway_database
from tests.conftest import make_test_config
from tests.dbstate import snapshot
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor
from tests.sync.helpers import bill_through_vendor_line


@pytest.fixture
def empty_urls(tmp_path, database_url):
    """Two databases with no tables: the hub's, and the one it is restored into."""
    if database_url is None:
        yield f"sqlite:///{tmp_path / 'hub.sqlite3'}", f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    with throwaway_database(database_url, "hub_backup") as source, \
            throwaway_database(database_url, "hub_restored") as target:
        yield source, target


def make_hub(tmp_path, url, name):
    app = create_app(make_test_config(tmp_path / name, None, SQLALCHEMY_DATABASE_URI=url))
    vendor = FakeVendor("fake")
    app.extensions["hub.plugins"].register(vendor, "fake")
    return app, vendor


def run(app, *args, code=0):
    result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    assert result.exit_code == code, (args, result.output)
    return result.output


def tables(app) -> dict:
    with app.app_context():
        state = snapshot()
        with db.engine.connect() as conn:
            state["alembic_version"] = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        db.session.remove()
        return state


@pytest.fixture
def hubs(tmp_path, empty_urls):
    source, vendor = make_hub(tmp_path, empty_urls[0], "source")
    target, _ = make_hub(tmp_path, empty_urls[1], "target")
    yield source, vendor, target
    for app in (source, target):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def populate(app, vendor) -> None:
    """Customers, counts, a mapping, a catalog, a recurring invoice, an issued invoice, a user."""
    run(app, "db", "upgrade")
    for n in range(1, 6):
        vendor.add(f"c{n}", f"Customer {n} Ærø", seats=n, mail=1)
    run(app, "integration", "configure", "fake", "--set", f"base_url={FAKE_CONFIG['base_url']}",
        "--set", f"api_key={FAKE_CONFIG['api_key']}", "--enable")
    run(app, "sync", "fake")
    run(app, "user", "create", "--email", "admin@example.com", "--role", "admin", "--password", "a-long-password-1")
    with app.app_context():
        bill_through_vendor_line("c1", "seats", Actor.cli("test"), date(2024, 1, 31))
        db.session.remove()
    run(app, "invoices", "run", "--date", "2024-01-31")


def test_backup_and_restore_into_an_empty_database(hubs, tmp_path):
    source, vendor, target = hubs
    populate(source, vendor)
    path = tmp_path / "hub.backup"
    assert "backup written to" in run(source, "backup", path)
    before = tables(source)
    assert before["invoices"] and before["vendor_customers"] and before["users"]  # a hub with data

    assert "restored" in run(target, "restore", path)
    assert tables(target) == before  # every table, row by row

    # the restored hub works: credentials decrypt, a sync adds rows (sequences restored too)
    target.extensions["hub.plugins"].unregister("fake")
    target.extensions["hub.plugins"].register(vendor, "fake")
    vendor.add("c9", "New after restore", seats=2)
    run(target, "sync", "fake")
    with target.app_context():
        from hub.models import VendorCustomer

        assert db.session.execute(db.select(db.func.count()).select_from(VendorCustomer)).scalar_one() == 6
        db.session.remove()


def test_restore_only_into_an_empty_database_and_backup_never_overwrites(hubs, tmp_path):
    source, vendor, _ = hubs
    populate(source, vendor)
    path = tmp_path / "hub.backup"
    run(source, "backup", path)
    before = tables(source)
    refused = run(source, "restore", path, code=6)
    assert "the database is not empty" in refused
    existing = run(source, "backup", path, code=6)
    assert "exists already" in existing
    assert tables(source) == before


def test_a_backup_of_the_other_kind_of_database_is_refused(hubs, tmp_path):
    _, _, target = hubs
    with target.app_context():
        other = b"PGDMP-not-sqlite" if db.engine.dialect.name == "sqlite" else b"SQLite format 3\x00..."
        db.engine.dispose()
    path = tmp_path / "other.backup"
    path.write_bytes(other + b"\x00" * 64)
    assert "restores only into" in run(target, "restore", path, code=6)


def test_without_pg_dump_on_path_the_message_says_so(hubs, tmp_path, monkeypatch):
    source, vendor, _ = hubs
    with source.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL backups use pg_dump")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    output = run(source, "backup", tmp_path / "x.backup", code=6)
    assert "pg_dump is not on PATH" in output
    assert not (tmp_path / "x.backup").exists()
