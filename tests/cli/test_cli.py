"""The ``hub`` command line, through Flask's CLI runner against the test app."""

from __future__ import annotations

import json

import pytest

from hub import integrations
from hub.extensions import db
from hub.models import VendorIntegration
from hub.plugins import VendorAuthError, hookimpl
from hub.sync import lease, run_sync
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor

SET_FAKE = ["--set", f"base_url={FAKE_CONFIG['base_url']}", "--set", f"api_key={FAKE_CONFIG['api_key']}"]


def hub(runner, *args, input=None):
    return runner.invoke(args=[str(a) for a in args], input=input)


# -- hub plugins ----------------------------------------------------------------------------------

class NoHooks:
    """A plugin that forgot the sync hooks."""

    @hookimpl
    def hub_vendor_info(self):
        raise AssertionError("never asked: the missing hooks are found first")


def test_plugins_lists_vendors_and_load_errors(app, runner, fake_vendor):
    assert app.extensions["hub.plugins"].register(NoHooks(), "broken") is None
    result = hub(runner, "plugins")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "DISPLAY_NAME", "VERSION", "STATUS", "DISTRIBUTION", "ERROR"]
    fake_line = next(line for line in lines if line.startswith("fake "))
    assert fake_line.split()[:5] == ["fake", "Fake", "fake", "1.0", "loaded"]
    broken_line = next(line for line in lines if line.startswith("broken "))
    assert "failed" in broken_line and "missing required hooks" in broken_line

    rows = json.loads(hub(runner, "plugins", "--json").output)
    by_name = {r["name"]: r for r in rows}
    assert by_name["fake"]["version"] == "1.0" and by_name["fake"]["status"] == "loaded"
    assert "hub_list_customers" in by_name["fake"]["hooks"]
    assert by_name["broken"]["status"] == "failed" and "hub_list_customers" in by_name["broken"]["error"]


# -- hub integration ------------------------------------------------------------------------------

def test_configure_enable_and_list(app_ctx, runner, fake_vendor):
    result = hub(runner, "integration", "configure", "fake", *SET_FAKE, "--interval", 60, "--enable")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "fake saved; connection OK: ok (enabled)"
    assert FAKE_CONFIG["api_key"] not in result.output
    integration = integrations.get_integration("fake")
    assert (integration.enabled, integration.interval_minutes) == (True, 60)
    assert integrations.load_config(integration) == FAKE_CONFIG

    assert hub(runner, "integration", "disable", "fake").output.strip() == "fake disabled"
    db.session.expire_all()
    assert integrations.get_integration("fake").enabled is False
    listed = json.loads(hub(runner, "integration", "list", "--json").output)
    assert [(r["vendor"], r["enabled"], r["state"], r["interval_minutes"]) for r in listed] == [
        ("fake", False, "disabled", 60)]
    assert hub(runner, "integration", "enable", "fake").output.strip() == "fake enabled"
    table = hub(runner, "integration", "list").output.splitlines()
    assert table[0].split()[:4] == ["VENDOR", "ENABLED", "STATE", "INTERVAL_MINUTES"]
    assert table[1].split()[:4] == ["fake", "True", "ready", "60"]


def test_configure_from_json_on_stdin(app_ctx, runner, fake_vendor):
    result = hub(runner, "integration", "configure", "fake", "--from-json", "-", input=json.dumps(FAKE_CONFIG))
    assert result.exit_code == 0, result.output
    assert integrations.load_config(integrations.get_integration("fake")) == FAKE_CONFIG


BAD_CONFIGURE = [
    ("bad URL", ["--set", "base_url=nope", "--set", "api_key=k"], 6, "fake: base_url: Not a valid URL."),
    ("missing secret", ["--set", "base_url=http://x.example"], 6, "api_key"),
    ("bad interval", [*SET_FAKE, "--interval", 1], 6, "interval_minutes"),
    ("not KEY=VALUE", ["--set", "base_url"], 2, "--set"),
]


@pytest.mark.parametrize("args, code, words", [b[1:] for b in BAD_CONFIGURE], ids=[b[0] for b in BAD_CONFIGURE])
def test_configure_errors_name_the_field_and_save_nothing(args, code, words, app_ctx, runner, fake_vendor):
    result = hub(runner, "integration", "configure", "fake", *args)
    assert result.exit_code == code
    assert words in result.output
    assert db.session.execute(db.select(VendorIntegration)).first() is None


def test_configure_unknown_vendor_or_failed_connection(app_ctx, runner, fake_vendor):
    result = hub(runner, "integration", "configure", "nope", *SET_FAKE)
    assert result.exit_code == 6 and "nope: vendor: no vendor plugin named 'nope'" in result.output
    fake_vendor.connection_error = VendorAuthError("HTTP 401: bad key")
    result = hub(runner, "integration", "configure", "fake", *SET_FAKE)
    assert result.exit_code == 6 and "HTTP 401: bad key" in result.output
    assert db.session.execute(db.select(VendorIntegration)).first() is None


def test_enable_errors(app_ctx, runner, fake_vendor):
    result = hub(runner, "integration", "enable", "fake")
    assert result.exit_code == 6 and "fake is not configured" in result.output
    integrations.get_or_create_integration("fake")
    db.session.commit()
    result = hub(runner, "integration", "enable", "fake")
    assert result.exit_code == 6 and "configure the vendor before enabling it" in result.output


def test_rotate_keys(runner, fake_integration):
    token = fake_integration.secrets_token
    result = hub(runner, "integration", "rotate-keys")
    assert result.exit_code == 0, result.output
    assert "re-encrypted the credentials of 1 integration(s)" in result.output
    db.session.expire_all()
    integration = integrations.get_integration("fake")
    assert integration.secrets_token != token and integrations.load_config(integration) == FAKE_CONFIG


# -- hub sync, hub runs ---------------------------------------------------------------------------

def add_customers(vendor, n=6):
    for i in range(1, n + 1):
        vendor.add(f"c{i}", f"Customer {i}", seats=i)


SYNC_OUTCOMES = [
    ("success", lambda v, i: None, 0, "succeeded"),
    ("failure", lambda v, i: setattr(v, "list_error", VendorAuthError("HTTP 401")), 1, "failed"),
    ("needs review", lambda v, i: v.customers.clear(), 3, "needs_review"),
    ("already running", lambda v, i: lease.acquire(i.id, "elsewhere", 3600), 4, "already_running"),
]


@pytest.mark.parametrize("setup, code, status", [s[1:] for s in SYNC_OUTCOMES], ids=[s[0] for s in SYNC_OUTCOMES])
def test_sync_exit_status(setup, code, status, runner, fake_integration, fake_vendor):
    add_customers(fake_vendor)
    run_sync("fake")
    setup(fake_vendor, fake_integration)
    result = hub(runner, "sync", "fake", "--json")
    assert result.exit_code == code, result.output
    (row,) = json.loads(result.output)
    assert (row["vendor"], row["status"]) == ("fake", status)


def test_sync_not_possible_and_usage_errors(runner, app_ctx, fake_vendor):
    result = hub(runner, "sync", "fake")
    assert result.exit_code == 5 and "not_possible" in result.output and "fake is not configured" in result.output
    assert hub(runner, "sync").exit_code == 2
    assert hub(runner, "sync", "fake", "--all").exit_code == 2


def test_sync_all_reports_each_vendor_and_the_worst_status(app, runner, fake_integration, fake_vendor):
    other = FakeVendor("other")
    app.extensions["hub.plugins"].register(other, "other")
    integrations.configure("other", dict(FAKE_CONFIG), integrations.Actor.cli("t"), enable=True)
    add_customers(fake_vendor)
    other.list_error = RuntimeError("boom")
    result = hub(runner, "sync", "--all")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["VENDOR", "RUN", "STATUS"]
    assert [line.split()[:3] for line in lines[1:]] == [["fake", "1", "succeeded"], ["other", "2", "failed"]]
    assert "the other plugin failed: RuntimeError: boom" in lines[2]


def test_runs(runner, fake_integration, fake_vendor):
    add_customers(fake_vendor)
    run_sync("fake", trigger="schedule")
    fake_vendor.list_error = VendorAuthError("HTTP 401: key revoked")
    run_sync("fake")
    rows = json.loads(hub(runner, "runs", "--json").output)
    assert [(r["run"], r["vendor"], r["trigger"], r["status"], r["customers_seen"]) for r in rows] == [
        (2, "fake", "manual", "failed", 0), (1, "fake", "schedule", "succeeded", 6)]
    assert rows[0]["message"] == "HTTP 401: key revoked"
    assert len(json.loads(hub(runner, "runs", "fake", "--limit", 1, "--json").output)) == 1
    unknown = hub(runner, "runs", "other", "--json")  # not silently empty: a usage error naming the vendors
    assert unknown.exit_code == 2 and "choose from fake" in unknown.output
    table = hub(runner, "runs").output.splitlines()
    assert table[0].split() == ["RUN", "VENDOR", "TRIGGER", "STARTED_AT", "STATUS", "CUSTOMERS_SEEN",
                                "COUNTS_CHANGED", "MESSAGE"]
    assert table[1].split()[:3] == ["2", "fake", "manual"] and table[1].endswith("HTTP 401: key revoked")


# -- hub customers --------------------------------------------------------------------------------

def test_customers(runner, fake_integration, fake_vendor):
    from hub import mapping
    from hub.audit import Actor

    fake_vendor.add("a1", "Alpha", seats=5, mail=2)
    fake_vendor.add("b2", "Beta", "suspended", seats=1)
    for n in range(4):
        fake_vendor.add(f"z{n}", f"Zed {n}")
    from decimal import Decimal
    fake_vendor.counts["b2"]["storage_gb"] = Decimal("12.5")
    run_sync("fake")
    stored = {c.external_id: c for c in db.session.execute(db.select(mapping.VendorCustomer)).scalars()}
    organization = mapping.create_organization("Alpha Org", Actor.cli("t"))
    mapping.map_customer(stored["a1"].id, organization.id, Actor.cli("t"))
    fake_vendor.remove("z3")
    run_sync("fake")

    rows = {r["external_id"]: r for r in json.loads(hub(runner, "customers", "fake", "--json").output)}
    assert rows["a1"] == {"id": stored["a1"].id, "external_id": "a1", "name": "Alpha", "map_status": "mapped",
                          "vendor_status": "active", "organization": "Alpha Org",
                          "licenses": {"mail": "2", "seats": "5"}}
    assert (rows["b2"]["map_status"], rows["b2"]["vendor_status"], rows["b2"]["licenses"]) == (
        "not_mapped", "suspended", {"seats": "1", "storage_gb": "12.5"})
    assert rows["z3"]["map_status"] == "detached"
    detached = json.loads(hub(runner, "customers", "fake", "--status", "detached", "--json").output)
    assert [r["external_id"] for r in detached] == ["z3"]

    table = hub(runner, "customers", "fake").output.splitlines()
    assert table[0].split() == ["EXTERNAL_ID", "NAME", "MAP_STATUS", "VENDOR_STATUS", "ORGANIZATION", "LICENSES"]
    assert table[1].split() == ["a1", "Alpha", "mapped", "active", "Alpha", "Org", "mail=2,", "seats=5"]
    result = hub(runner, "customers", "nope")  # a filter value that names nothing is a usage error
    assert result.exit_code == 2 and "'nope' is not a configured vendor; choose from fake" in result.output
    result = hub(runner, "runs", "acronsi")
    assert result.exit_code == 2 and "'acronsi' is not a configured vendor; choose from fake" in result.output


# -- hub scheduler --------------------------------------------------------------------------------

def test_scheduler_command_builds_a_blocking_scheduler(runner, app, monkeypatch):
    from apscheduler.schedulers.blocking import BlockingScheduler

    started = []
    monkeypatch.setattr(BlockingScheduler, "start", lambda self: started.append(self))
    result = hub(runner, "scheduler", "--tick", 15)
    assert result.exit_code == 0, result.output
    assert "checking for due syncs every 15 s" in result.output
    (scheduler,) = started
    assert scheduler.get_job("hub-due-syncs").trigger.interval.total_seconds() == 15
