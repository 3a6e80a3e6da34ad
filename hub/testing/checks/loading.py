"""Checks that need no vendor: the plugin loads, its hooks match the specs, it describes itself well."""

from __future__ import annotations

import difflib
import re
from typing import Any

import pluggy

from hub.plugins import PROJECT, DocumentedLimits, VendorInfo, hookspecs
from hub.plugin_host.registry import REQUIRED_HOOKS, SLUG_RE
from hub.testing.checks.base import check
from hub.testing.harness import PluginHarness, fail

#: a configuration field whose name holds one of these words must be flagged secret
SECRET_NAME = re.compile(r"secret|password|passwd|token|api_?key|credential", re.IGNORECASE)
VERSION = re.compile(r"^\d+(\.\d+)*([._-]?(a|b|rc|dev|post)\d*)*$")


def _specs() -> dict[str, Any]:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    return {name: getattr(pm.hook, name).spec for name in dir(pm.hook) if name.startswith("hub_")}


def _impls(plugin: Any) -> dict[str, pluggy.HookImpl]:
    """The plugin's @hookimpl functions by hook name, read the way pluggy reads them."""
    pm = pluggy.PluginManager(PROJECT)
    found = {}
    for attr in dir(plugin):
        opts = pm.parse_hookimpl_opts(plugin, attr)
        if opts is None:
            continue
        impl = pluggy.HookImpl(plugin, "under-test", getattr(plugin, attr), opts)
        found[opts.get("specname") or attr] = impl
    return found


def _require_plugin(h: PluginHarness) -> Any:
    if h.plugin is None:
        fail(f"the {h.name!r} plugin object could not be obtained: "
             f"{h.import_error or h.load_error or 'no entry point found'}")
    return h.plugin


@check("entry_point_loads")
def entry_point_loads(h: PluginHarness) -> None:
    """The ``hub`` entry point exists once, imports, and the hub registers the plugin."""
    if not h.direct:
        if not h.entry_points:
            from importlib.metadata import entry_points

            known = sorted(ep.name for ep in entry_points(group="hub")) or ["none"]
            fail(f"no entry point named {h.name!r} in the 'hub' group. Declare it in pyproject.toml:\n"
                 f"    [project.entry-points.hub]\n    {h.name} = \"hub_{h.name}.plugin\"\n"
                 f"and install the distribution (pip install -e .). Installed: {', '.join(known)}")
        if len(h.entry_points) > 1:
            fail(f"{len(h.entry_points)} entry points are named {h.name!r}: "
                 + ", ".join(f"{ep.value} ({ep.dist.name if ep.dist else '?'})" for ep in h.entry_points))
        if h.import_error:
            fail(f"{h.entry_points[0].value} could not be imported: {h.import_error}")
    if h.record is None:
        fail(f"the hub did not load {h.name!r}: {h.load_error or 'it was not registered'}")


@check("no_unknown_hooks")
def no_unknown_hooks(h: PluginHarness) -> None:
    """Every ``@hookimpl`` names a hook in hookspecs.py and takes only arguments the spec has."""
    plugin = _require_plugin(h)
    specs, impls = _specs(), _impls(plugin)
    problems = []
    for name, impl in sorted(impls.items()):
        spec = specs.get(name)
        if spec is None:
            near = difflib.get_close_matches(name, specs, n=1)
            problems.append(f"{name} is not a hub hook" + (f" (did you mean {near[0]}?)" if near else ""))
            continue
        extra = [a for a in impl.argnames if a not in spec.argnames]
        if extra:
            problems.append(f"{name} takes {', '.join(extra)}, which the spec does not pass "
                            f"(spec: {name}({', '.join(spec.argnames)}))")
        if impl.kwargnames:
            problems.append(f"{name} gives {', '.join(impl.kwargnames)} a default value: pluggy never passes "
                            "arguments with defaults; drop the default")
    for name in sorted(specs):
        if name not in impls and callable(getattr(plugin, name, None)):
            problems.append(f"{name} is defined but not marked @hookimpl, so the hub never calls it")
    if problems:
        fail("hooks do not match hookspecs.py:\n  " + "\n  ".join(problems))


@check("required_hooks_implemented")
def required_hooks_implemented(h: PluginHarness) -> None:
    """hub_vendor_info, hub_test_connection, hub_list_customers and hub_fetch_license_counts exist."""
    impls = _impls(_require_plugin(h))
    missing = [name for name in REQUIRED_HOOKS if name not in impls]
    if missing:
        fail(f"required hooks not implemented: {', '.join(missing)} "
             f"(implemented: {', '.join(sorted(impls)) or 'none'})")


@check("vendor_info_valid")
def vendor_info_valid(h: PluginHarness) -> None:
    """hub_vendor_info returns a VendorInfo: slug == entry-point name, a version, a schema that builds,
    secret fields flagged, sane rate limits; the simulator's settings survive the save round trip."""
    plugin = _require_plugin(h)
    impl = _impls(plugin).get("hub_vendor_info")
    if impl is None:
        fail("hub_vendor_info is not implemented")
    try:
        info = impl.function()
    except Exception as err:
        fail(f"hub_vendor_info raised {type(err).__name__}: {err}")
    if not isinstance(info, VendorInfo):
        fail(f"hub_vendor_info returned {type(info).__name__}, not hub.plugins.VendorInfo")
    problems = []
    if info.slug != h.name:
        problems.append(f"slug {info.slug!r} differs from the entry-point name {h.name!r}")
    if not SLUG_RE.match(info.slug or ""):
        problems.append(f"slug {info.slug!r} must be 2-40 characters: a-z first, then a-z, 0-9 or _")
    if not (info.display_name or "").strip():
        problems.append("display_name is empty")
    if not VERSION.match(str(info.version or "")):
        problems.append(f"version {info.version!r} is not a version number like 1.2.0")
    if info.requests_per_second is not None and not info.requests_per_second > 0:
        problems.append(f"requests_per_second must be > 0 or None, not {info.requests_per_second!r}")
    bad_limits = {k: v for k, v in dict(info.rate_limits or {}).items() if not (v and v > 0)}
    if bad_limits:
        problems.append(f"rate_limits must be > 0: {bad_limits}")
    problems += _pacing_problems(info)
    if not isinstance(info.max_concurrency, int) or info.max_concurrency < 1:
        problems.append(f"max_concurrency must be an int >= 1, not {info.max_concurrency!r}")
    problems += _schema_problems(info)
    if not problems and h.record is not None:
        problems += _round_trip_problems(h, info)
    if problems:
        fail("hub_vendor_info is not valid:\n  " + "\n  ".join(problems))


def _pacing_problems(info: VendorInfo) -> list[str]:
    """The plugin's own pacing must keep within what the vendor documents."""
    documented = info.documented_limits
    if documented is None:
        return []
    if not isinstance(documented, DocumentedLimits):
        return [f"documented_limits is {type(documented).__name__}, not hub.plugins.DocumentedLimits"]
    problems = []
    budgets = [("requests_per_second", documented.requests_per_second, info.requests_per_second)]
    budgets += [(f"rate_limits[{key!r}]", rate, dict(info.rate_limits or {}).get(key))
                for key, rate in dict(documented.rate_limits or {}).items()]
    for name, vendor, own in budgets:
        if vendor is None:
            continue
        if not vendor > 0:
            problems.append(f"documented_limits.{name} must be > 0, not {vendor!r}")
        elif own is None or own > vendor:
            problems.append(f"{name} is {own!r} but the vendor documents {vendor:g}: pace at or under the "
                            "documented limit (the session only keeps to the plugin's own budgets)")
    return problems


def _schema_problems(info: VendorInfo) -> list[str]:
    from marshmallow import Schema

    if not (isinstance(info.config_schema, type) and issubclass(info.config_schema, Schema)):
        return [f"config_schema must be a marshmallow Schema class, not {info.config_schema!r}"]
    try:
        schema = info.config_schema()
    except Exception as err:
        return [f"config_schema cannot be built: {type(err).__name__}: {err}"]
    problems = []
    secret = {n for n, f in schema.fields.items() if f.metadata.get("secret")}
    if not secret:
        problems.append("no configuration field is flagged secret; mark credentials with "
                        "metadata={'secret': True} so they are encrypted and never shown back")
    unflagged = sorted(n for n in schema.fields if SECRET_NAME.search(n) and n not in secret)
    if unflagged:
        problems.append(f"field(s) {', '.join(unflagged)} look like credentials but are not flagged secret")
    load_only = sorted(n for n in secret if schema.fields[n].load_only)
    if load_only:
        problems.append(f"secret field(s) {', '.join(load_only)} are load_only: the hub stores what the schema "
                        "dumps, so they would be lost on save")
    return problems


def _round_trip_problems(h: PluginHarness, info: VendorInfo) -> list[str]:
    """The hub saves ``schema.dump(loaded)`` and loads it again before every sync."""
    try:
        demo = h.handle.demo_simulator()
    except Exception as err:
        return [f"hub_demo_simulator raised {type(err).__name__}: {err}"]
    if demo is None:
        return []
    raw = {**demo.config_for("http://127.0.0.1:9"), **h.config.extra_config}
    try:
        loaded = info.config_schema().load(raw)
    except Exception as err:
        return [f"the simulator's own settings do not load with config_schema: {err}"]
    try:
        again = info.config_schema().load(info.config_schema().dump(loaded))
    except Exception as err:
        return [f"settings do not load again after the hub saves them (dump then load): {err}"]
    if again != loaded:
        changed = sorted(k for k in set(again) | set(loaded) if again.get(k) != loaded.get(k))
        return [f"settings change when saved and loaded again (dump then load): {', '.join(changed)}"]
    return []
