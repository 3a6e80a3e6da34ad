"""The plugin host: loading entry points, refusing bad plugins, and calling one vendor at a time."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from importlib.metadata import entry_points

import pytest

from hub.plugins import PluginLoadError, VendorInfo, VendorUnavailableError, hookimpl
from hub.plugin_host import PluginRegistry, build_registry
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor

#: the plugins installed in this environment (the bundled ones): kept out unless a test wants them
INSTALLED = sorted({ep.name for ep in entry_points(group="hub")})


def install_distribution(site, name: str, source: str, value: str | None = None, dist: str | None = None) -> None:
    """Write a distribution as pip leaves it: a module plus a .dist-info holding its entry point."""
    (site / f"hub_{name}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist or 'hub_' + name}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {(dist or 'hub-' + name)}\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(f"[hub]\n{name} = {value or f'hub_{name}:plugin'}\n")


GOOD = """
    from tests.fakes.fake_vendor import FakeVendor
    plugin = FakeVendor("{name}")
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("hub_reg")]:
        del sys.modules[name]


def registry_from(config: dict | None = None, **extra) -> PluginRegistry:
    blocked = set(INSTALLED) | set(str(extra.pop("HUB_DISABLED_PLUGINS", "")).split(","))
    return build_registry({"HUB_DISABLED_PLUGINS": ",".join(sorted(blocked - {""})), **(config or {}), **extra})


# -- loading ---------------------------------------------------------------------------------------


def test_entry_points_load_with_their_distribution(site):
    install_distribution(site, "reg_alpha", GOOD.format(name="reg_alpha"))
    registry = registry_from()
    record = registry.get("reg_alpha")
    assert record is not None and registry.errors == []
    assert (record.distribution, record.dist_version, record.info.slug) == ("hub-reg_alpha", "1.0.0", "reg_alpha")
    assert registry.hooks_of("reg_alpha") == ["hub_fetch_license_counts", "hub_list_customers", "hub_map_skus",
                                              "hub_test_connection", "hub_vendor_info"]


def test_a_broken_entry_point_is_isolated_and_recorded(site):
    install_distribution(site, "reg_alpha", GOOD.format(name="reg_alpha"))
    install_distribution(site, "reg_boom", "import hub_no_such_dependency\n")
    install_distribution(site, "reg_omega", GOOD.format(name="reg_omega"))
    registry = registry_from()
    assert sorted(registry.vendors) == ["reg_alpha", "reg_omega"]
    [error] = registry.errors
    assert (error.name, error.source) == ("reg_boom", "hub_reg_boom:plugin")
    assert "could not be imported: ModuleNotFoundError" in error.message


def test_strict_mode_raises_on_the_first_broken_plugin(site):
    install_distribution(site, "reg_boom", "raise RuntimeError('no config')\n")
    with pytest.raises(PluginLoadError, match="plugin reg_boom: could not be imported: RuntimeError: no config"):
        registry_from(HUB_STRICT_PLUGINS=True)


def test_disabled_plugins_are_not_even_imported(site):
    install_distribution(site, "reg_alpha", GOOD.format(name="reg_alpha"))
    install_distribution(site, "reg_beta", GOOD.format(name="reg_beta"))
    registry = registry_from(HUB_DISABLED_PLUGINS="reg_alpha, other")
    assert sorted(registry.vendors) == ["reg_beta"] and registry.errors == []
    assert "hub_reg_alpha" not in sys.modules


def test_two_distributions_claiming_one_name(site):
    install_distribution(site, "reg_alpha", GOOD.format(name="reg_alpha"))
    (site / "hub_reg_alpha2.py").write_text(textwrap.dedent(GOOD.format(name="reg_alpha")))
    info = site / "hub_reg_alpha2-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hub-reg-alpha2\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text("[hub]\nreg_alpha = hub_reg_alpha2:plugin\n")
    registry = registry_from()
    assert list(registry.vendors) == ["reg_alpha"]
    assert [e.message for e in registry.errors] == ["a plugin named 'reg_alpha' is already loaded"]


# -- what a plugin must be -------------------------------------------------------------------------


class WrongSlug(FakeVendor):
    @hookimpl
    def hub_vendor_info(self):
        return VendorInfo(slug="other", display_name="x", version="1", description="", config_schema=None)


class BadSlugName(FakeVendor):
    pass


class UnknownHook(FakeVendor):
    @hookimpl
    def hub_list_customer(self, config, session):
        return []


class ExtraArgument(FakeVendor):
    @hookimpl
    def hub_map_skus(self, config, skus, catalogue):
        return []


class Undecorated:
    @hookimpl
    def hub_vendor_info(self):
        return FakeVendor("undecorated").hub_vendor_info()

    @hookimpl
    def hub_test_connection(self, config, session):
        return None

    @hookimpl
    def hub_list_customers(self, config, session):
        return []

    def hub_fetch_license_counts(self, config, session, customers):  # no @hookimpl: the point
        return []


class InfoRaises(FakeVendor):
    @hookimpl
    def hub_vendor_info(self):
        raise RuntimeError("boom")


class InfoWrongType(FakeVendor):
    @hookimpl
    def hub_vendor_info(self):
        return {"slug": self.slug}


@pytest.mark.parametrize(("plugin", "name", "message"), [
    (WrongSlug("x"), "x", "slug 'other' does not match the entry-point name 'x'"),
    (BadSlugName("Acme-1"), "Acme-1", "slug 'Acme-1' must be 2-40 lower-case letters, digits or _"),
    (UnknownHook("u"), "u", "unknown hooks: hub_list_customer"),
    (ExtraArgument("e"), "e", "hooks do not match the specs"),
    (Undecorated(), "undecorated", "missing required hooks: hub_fetch_license_counts "
                                   "(hub_fetch_license_counts not marked @hookimpl)"),
    (InfoRaises("r"), "r", "hub_vendor_info failed: RuntimeError: boom"),
    (InfoWrongType("w"), "w", "hub_vendor_info returned dict, not VendorInfo"),
], ids=["slug-mismatch", "slug-rules", "unknown-hook", "extra-argument", "missing-required", "info-raises",
        "info-wrong-type"])
def test_bad_plugins_are_refused_with_a_reason(plugin, name, message):
    registry = PluginRegistry()
    assert registry.register(plugin, name) is None
    assert name not in registry.vendors
    assert [(e.name, message in e.message) for e in registry.errors] == [(name, True)], registry.errors
    assert not registry.pm.is_registered(plugin), "a refused plugin must leave nothing behind"


def test_a_refused_name_can_load_once_fixed():
    registry = PluginRegistry()
    registry.register(ExtraArgument("fixme"), "fixme")
    assert registry.register(FakeVendor("fixme"), "fixme") is not None
    assert registry.errors == []


def test_duplicate_slug_is_refused():
    registry = PluginRegistry()
    first = FakeVendor("dup")
    assert registry.register(first, "dup") is not None
    assert registry.register(FakeVendor("dup"), "dup") is None
    assert registry.get("dup").plugin is first
    assert registry.errors[0].message == "a plugin named 'dup' is already loaded"


def test_strict_mode_refuses_loudly():
    with pytest.raises(PluginLoadError, match="plugin u: unknown hooks: hub_list_customer"):
        PluginRegistry(strict=True).register(UnknownHook("u"), "u")


# -- one vendor at a time --------------------------------------------------------------------------


@pytest.fixture
def two_vendors():
    registry = PluginRegistry()
    a, b = FakeVendor("alpha"), FakeVendor("beta")
    a.add("a1", "Alpha One", seats=1)
    b.add("b1", "Beta One", seats=2)
    registry.register(a, "alpha")
    registry.register(b, "beta")
    return registry, a, b


def test_a_call_reaches_exactly_one_plugin(two_vendors):
    registry, a, b = two_vendors
    handle = registry.handle("beta")
    with handle.make_session(FAKE_CONFIG) as session:
        listed = list(handle.list_customers(FAKE_CONFIG, session))
    assert [c.external_id for c in listed] == ["b1"]
    assert (a.calls, b.calls) == ([], ["list_customers"])
    assert registry.handle("alpha").info.slug == "alpha"


def test_one_vendors_failure_never_reaches_another(two_vendors):
    registry, a, b = two_vendors
    a.list_error = VendorUnavailableError("alpha is down")
    alpha, beta = registry.handle("alpha"), registry.handle("beta")
    with alpha.make_session(FAKE_CONFIG) as session, pytest.raises(VendorUnavailableError):
        list(alpha.list_customers(FAKE_CONFIG, session))
    with beta.make_session(FAKE_CONFIG) as session:
        assert [c.name for c in beta.list_customers(FAKE_CONFIG, session)] == ["Beta One"]


def test_one_vendors_failed_sync_leaves_the_other_syncing(app_ctx, fake_vendor):
    from hub import integrations
    from hub.audit import Actor
    from hub.sync import run_sync

    registry = app_ctx.extensions["hub.plugins"]
    other = FakeVendor("other")
    registry.register(other, "other")
    try:
        for slug, vendor in (("fake", fake_vendor), ("other", other)):
            vendor.add(f"{slug}-1", f"{slug} customer", seats=3)
            integrations.configure(slug, dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
        fake_vendor.list_error = RuntimeError("plugin bug")
        assert (run_sync("fake").status, run_sync("other").status) == ("failed", "succeeded")
    finally:
        registry.unregister("other")


def test_a_missing_optional_hook_answers_nothing(two_vendors):
    registry, *_ = two_vendors
    assert registry.handle("alpha").demo_simulator() is None


def test_unknown_vendor_has_no_handle(two_vendors):
    registry, *_ = two_vendors
    with pytest.raises(KeyError):
        registry.handle("gamma")


# -- tracing ---------------------------------------------------------------------------------------


def test_trace_logs_each_hook_call_but_never_the_arguments(caplog):
    registry = PluginRegistry(trace=True)
    vendor = FakeVendor("traced")
    vendor.add("t1", "Traced One")
    registry.register(vendor, "traced")
    handle = registry.handle("traced")
    caplog.set_level(logging.INFO, logger="hub.plugins")
    with handle.make_session(FAKE_CONFIG) as session:
        handle.test_connection(FAKE_CONFIG, session)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "hook hub_test_connection(config, session) -> traced" in text
    assert "hook hub_test_connection returned ConnectionCheck" in text
    assert FAKE_CONFIG["api_key"] not in text


def test_build_registry_reads_the_switches():
    registry = build_registry({"HUB_LOAD_ENTRY_POINTS": False, "HUB_STRICT_PLUGINS": True,
                               "HUB_DISABLED_PLUGINS": " a, b ,", "HUB_TRACE_PLUGINS": False})
    assert (registry.strict, registry.blocked, registry.vendors) == (True, {"a", "b"}, {})


# -- what the admin sees ---------------------------------------------------------------------------


@pytest.fixture
def app_config(tmp_path, database_url, site):
    from tests.conftest import make_test_config

    install_distribution(site, "reg_alpha", GOOD.format(name="reg_alpha"))
    install_distribution(site, "reg_boom", "import hub_no_such_dependency\n")
    return make_test_config(tmp_path, database_url, HUB_LOAD_ENTRY_POINTS=True,
                            HUB_DISABLED_PLUGINS=",".join(INSTALLED))


def test_hub_plugins_lists_loaded_and_failed_plugins(runner):
    result = runner.invoke(args=["plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["reg_alpha"]["status"] == "loaded" and rows["reg_alpha"]["distribution"] == "hub-reg_alpha"
    assert rows["reg_boom"]["status"] == "failed" and "ModuleNotFoundError" in rows["reg_boom"]["error"]
