"""A failing command says what went wrong in one line on stderr and exits non-zero: no traceback.

Exit statuses: 2 usage or unusable input, 6 the command failed (1, 3, 4, 5 are sync outcomes).
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from hub import create_app
from hub.extensions import db
from hub.models import Organization, SyncRun, SyncStatus, VendorCustomer
from hub.plugins import hookimpl
from hub.sync import run_sync
from hub.testing.databases import throwaway_database
from tests.conftest import PG_URL, make_test_config
from tests.fakes.fake_vendor import FakeVendor


@pytest.fixture
def app_config(tmp_path, database_url):
    # a short lease: a sync cut off by a lost database is taken over seconds later, not a minute
    return make_test_config(tmp_path, database_url, HUB_SYNC_LEASE_SECONDS=3)


def one_line_error(result, code: int, words: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert words in lines[0], lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize("body, words", [
    ('[{"base_url": "http://x.example"}]', "settings must be a JSON object ({\"key\": value, ...}), not an array"),
    ('{"base_url": ', "--from-json: not valid JSON: Expecting value (line 1, column 14)"),
    ('"http://x.example"', "not a string"),
], ids=["array", "invalid", "string"])
def test_configure_from_json_that_is_not_an_object(body, words, runner, app_ctx, fake_vendor):
    result = runner.invoke(args=["integration", "configure", "fake", "--from-json", "-"], input=body)
    one_line_error(result, 2, words)
    assert db.session.execute(db.text("SELECT count(*) FROM vendor_integrations")).scalar_one() == 0


@pytest.fixture
def unmigrated_app(tmp_path):
    """A hub on an empty database (no ``hub db upgrade`` yet)."""
    def build(url):
        app = create_app(make_test_config(tmp_path, url))
        app.extensions["hub.plugins"].register(FakeVendor("fake"), "fake")
        return app
    if PG_URL:
        with throwaway_database(PG_URL, "hub_empty") as url:
            app = build(url)
            yield app
            with app.app_context():
                db.engine.dispose()
    else:
        yield build(None)


@pytest.mark.parametrize("args", [["sync", "fake"], ["customers", "fake"], ["runs"], ["integration", "list"],
                                  ["invoices", "list"]])
def test_an_unmigrated_database(args, unmigrated_app):
    result = unmigrated_app.test_cli_runner().invoke(args=args)
    one_line_error(result, 6, "the database has no hub tables (or older ones): run `hub db upgrade` first")


def test_an_unreachable_database(tmp_path):
    url = (PG_URL.rsplit("/", 1)[0] + "/hub_no_such_database" if PG_URL
           else f"sqlite:///{tmp_path / 'missing-folder' / 'hub.sqlite3'}")
    app = create_app(make_test_config(tmp_path, url))
    result = app.test_cli_runner().invoke(args=["runs"])
    one_line_error(result, 6, "the database could not be reached: ")


class DatabaseLosingVendor(FakeVendor):
    """While the hub reads its customers, the database server goes away (every connection cut, no new ones)."""

    def __init__(self, database_url: str) -> None:
        super().__init__("fake")
        self.database = sa.make_url(database_url).database
        self.server = sa.create_engine(sa.make_url(database_url).set(database="postgres"),
                                       isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.lose = False

    def allow(self, allowed: bool) -> None:
        with self.server.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": self.database})

    @hookimpl
    def hub_list_customers(self, config, session):
        if self.lose:
            self.allow(False)
        yield from FakeVendor.hub_list_customers(self, config, session)


@pytest.mark.skipif(not PG_URL, reason="cuts a PostgreSQL server's connections")
def test_a_database_lost_mid_sync(app, runner, database_url):
    from hub import integrations
    from hub.audit import Actor
    from tests.fakes.fake_vendor import FAKE_CONFIG

    vendor = DatabaseLosingVendor(database_url)
    app.extensions["hub.plugins"].register(vendor, "fake")
    with app.app_context():
        integrations.configure("fake", dict(FAKE_CONFIG), Actor.cli("t"), enable=True)
        vendor.add("c1", "One", seats=1)
        vendor.lose = True
        try:
            result = runner.invoke(args=["sync", "fake"])
        finally:
            vendor.allow(True)
            vendor.lose = False
        one_line_error(result, 6, "the database could not be reached: ")
        db.session.remove()
        (stuck,) = db.session.execute(db.select(SyncRun)).scalars()
        assert stuck.status == SyncStatus.RUNNING.value  # nobody could write it down
        # the next sync takes the lapsed lease over by itself and closes the cut-off run
        time.sleep(3.5)
        again = runner.invoke(args=["sync", "fake"])
        assert again.exit_code == 0, again.output
        db.session.refresh(stuck)
        assert (stuck.status, stuck.error_kind) == (SyncStatus.FAILED.value, "interrupted")


def test_table_printers_strip_terminal_control_sequences(runner, fake_integration, fake_vendor):
    fake_vendor.add("c1", "Plain", seats=1)
    run_sync("fake")
    # a name stored before vendor strings were cleaned, and an Organization typed with an escape
    org = Organization(name="Org \x1b]0;pwned\x07Ltd")
    db.session.add(org)
    db.session.flush()
    db.session.execute(db.update(VendorCustomer).values(name="\x1b[2J\x1b[31mEvil\x1b[0m\x07 Co\r", organization_id=org.id))
    db.session.commit()
    for args in (["customers", "fake"], ["runs"], ["integration", "list"], ["plugins"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert not any(ch in result.output for ch in "\x1b\x07\r\x9b"), (args, result.output)
    table = runner.invoke(args=["customers", "fake"]).output
    assert "Evil Co" in table and "Org Ltd" in table
