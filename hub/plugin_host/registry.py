"""Builds one plugin manager per app from the ``hub`` entry-point group.

A plugin that fails to import, registers an unknown hook or describes itself wrongly is recorded
as a ``LoadError`` and left out; the others load. ``HUB_STRICT_PLUGINS`` turns that into a crash
for development, ``HUB_DISABLED_PLUGINS`` blocks names, ``HUB_TRACE_PLUGINS`` logs every hook call.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from hub.plugins import PROJECT, DestinationInfo, PluginLoadError, VendorInfo
from hub.plugins import destination_hookspecs, hookspecs

log = logging.getLogger("hub.plugins")

REQUIRED_HOOKS = ("hub_vendor_info", "hub_test_connection", "hub_list_customers", "hub_fetch_license_counts")
#: a plugin implementing hub_destination_info is a destination, and must implement these
REQUIRED_DESTINATION_HOOKS = ("hub_destination_info", "hub_destination_test_connection", "hub_destination_list",
                              "hub_destination_customer", "hub_destination_item", "hub_destination_push_invoices",
                              "hub_destination_void_invoice")
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class LoadError:
    name: str
    source: str
    message: str


@dataclass(frozen=True)
class VendorPlugin:
    """A loaded plugin: its registered object, its self-description and where it came from."""

    slug: str
    plugin: Any
    info: VendorInfo
    distribution: str | None
    dist_version: str | None


@dataclass(frozen=True)
class DestinationPlugin:
    """A loaded destination plugin (it receives invoices): as ``VendorPlugin``, with its own info."""

    slug: str
    plugin: Any
    info: DestinationInfo
    distribution: str | None
    dist_version: str | None


class PluginRegistry:
    """Per-app registry of vendor and destination plugins (kept in ``app.extensions["hub.plugins"]``)."""

    def __init__(self, *, strict: bool = False, blocked: set[str] | None = None, trace: bool = False) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.pm.add_hookspecs(destination_hookspecs)
        self.strict = strict
        self.blocked = set(blocked or ())
        self.vendors: dict[str, VendorPlugin] = {}
        self.destinations: dict[str, DestinationPlugin] = {}
        self.errors: list[LoadError] = []
        if trace:
            # not pm.enable_tracing(): it logs every argument's value, and config holds the secrets
            self.pm.add_hookcall_monitoring(_trace_before, _trace_after)

    # -- loading -------------------------------------------------------------------------------

    def load_entry_points(self) -> None:
        for ep in sorted(entry_points(group=PROJECT), key=lambda e: e.name):
            if ep.name in self.blocked:
                log.info("plugin %s blocked by HUB_DISABLED_PLUGINS", ep.name)
                continue
            dist = getattr(ep, "dist", None)
            try:
                module = ep.load()
            except Exception as err:  # an import error in one plugin must not stop the hub
                self._fail(ep.name, ep.value, f"could not be imported: {type(err).__name__}: {err}", err)
                continue
            self.register(module, ep.name, source=ep.value,
                          distribution=dist.metadata["Name"] if dist else None,
                          dist_version=dist.version if dist else None)

    def register(self, plugin: Any, name: str, *, source: str | None = None,
                 distribution: str | None = None, dist_version: str | None = None):
        """Register one plugin object under ``name`` and validate it (as a destination when it
        implements ``hub_destination_info``). Returns its record, or None when it failed."""
        source = source or repr(plugin)
        if name in self.vendors or name in self.destinations:
            return self._fail(name, source, f"a plugin named {name!r} is already loaded")
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as err:
            self._forget(plugin)
            return self._fail(name, source, f"hooks do not match the specs: {err}", err)
        except ValueError as err:
            return self._fail(name, source, str(err), err)
        destination = "hub_destination_info" in self._implemented(plugin)
        try:
            info = self._validate_destination(plugin, name) if destination else self._validate(plugin, name)
        except PluginLoadError as err:
            self.pm.unregister(plugin)
            return self._fail(name, source, str(err), err)
        if destination:
            plugin_record = DestinationPlugin(name, plugin, info, distribution, dist_version or info.version)
            self.destinations[name] = plugin_record
        else:
            plugin_record = VendorPlugin(name, plugin, info, distribution, dist_version or info.version)
            self.vendors[name] = plugin_record
        self.errors = [e for e in self.errors if e.name != name]  # an earlier failed attempt is history
        return plugin_record

    def unregister(self, name: str) -> None:
        record = self.vendors.pop(name, None) or self.destinations.pop(name, None)
        if record is not None:
            self.pm.unregister(record.plugin)

    def _implemented(self, plugin: Any) -> set[str]:
        return {caller.name for caller in self.pm.get_hookcallers(plugin) or []}

    def _check_hooks(self, plugin: Any, required: tuple[str, ...], family: str) -> None:
        callers = self.pm.get_hookcallers(plugin) or []
        implemented = {caller.name for caller in callers}
        unknown = sorted(caller.name for caller in callers if caller.spec is None)
        if unknown:
            raise PluginLoadError(f"unknown hooks: {', '.join(unknown)}")
        crossed = sorted(h for h in implemented if h.startswith("hub_destination_") != (family == "destination"))
        if crossed:  # one object is a vendor or a destination, never both: each family has its own handle
            raise PluginLoadError(f"a {family} plugin implements hooks of the other family: {', '.join(crossed)}")
        missing = [hook for hook in required if hook not in implemented]
        if missing:
            unmarked = [hook for hook in missing if callable(getattr(plugin, hook, None))]
            raise PluginLoadError(f"missing required hooks: {', '.join(missing)}"
                                  + (f" ({', '.join(unmarked)} not marked @hookimpl)" if unmarked else ""))

    def _describe(self, plugin: Any, name: str, hook: str, kind: type) -> Any:
        try:
            info = self.pm.subset_hook_caller(hook, self._others(plugin))()
        except Exception as err:
            raise PluginLoadError(f"{hook} failed: {type(err).__name__}: {err}") from err
        if not isinstance(info, kind):
            raise PluginLoadError(f"{hook} returned {type(info).__name__}, not {kind.__name__}")
        if info.slug != name:
            raise PluginLoadError(f"slug {info.slug!r} does not match the entry-point name {name!r}")
        if not SLUG_RE.match(info.slug):
            raise PluginLoadError(f"slug {info.slug!r} must be 2-40 lower-case letters, digits or _")
        try:
            info.config_schema()
        except Exception as err:
            raise PluginLoadError(f"config_schema cannot be built: {err}") from err
        return info

    def _validate_destination(self, plugin: Any, name: str) -> DestinationInfo:
        self._check_hooks(plugin, REQUIRED_DESTINATION_HOOKS, "destination")
        info = self._describe(plugin, name, "hub_destination_info", DestinationInfo)
        if not isinstance(info.max_batch, int) or info.max_batch < 1:
            raise PluginLoadError(f"max_batch must be a whole number >= 1, not {info.max_batch!r}")
        return info

    def _validate(self, plugin: Any, name: str) -> VendorInfo:
        self._check_hooks(plugin, REQUIRED_HOOKS, "vendor")
        return self._describe(plugin, name, "hub_vendor_info", VendorInfo)

    def _forget(self, plugin: Any) -> None:
        # pluggy before 1.7 left a plugin that failed validation half registered
        if self.pm.is_registered(plugin):
            self.pm.unregister(plugin)

    def _others(self, plugin: Any) -> list[Any]:
        return [p for p in self.pm.get_plugins() if p is not plugin]

    def _fail(self, name: str, source: str, message: str, err: BaseException | None = None) -> None:
        self.errors = [e for e in self.errors if e.name != name] + [LoadError(name, source, message)]
        log.warning("plugin %s not loaded: %s", name, message)
        if self.strict:
            raise PluginLoadError(f"plugin {name}: {message}") from err
        return None

    # -- access --------------------------------------------------------------------------------

    def get(self, slug: str) -> VendorPlugin | None:
        return self.vendors.get(slug)

    def handle(self, slug: str):
        from .dispatch import VendorHandle

        record = self.vendors.get(slug)
        if record is None:
            raise KeyError(slug)
        return VendorHandle(self, record)

    def destination_handle(self, slug: str):
        from .destination_dispatch import DestinationHandle

        record = self.destinations.get(slug)
        if record is None:
            raise KeyError(slug)
        return DestinationHandle(self, record)

    def hooks_of(self, slug: str) -> list[str]:
        record = self.vendors.get(slug) or self.destinations[slug]
        return sorted(caller.name for caller in self.pm.get_hookcallers(record.plugin) or [])


_trace_started = threading.local()


def _trace_before(hook_name: str, impls, kwargs) -> None:
    _trace_started.at = time.perf_counter()
    log.info("hook %s(%s) -> %s", hook_name, ", ".join(kwargs), ", ".join(i.plugin_name for i in impls) or "nobody")


def _trace_after(outcome, hook_name: str, impls, kwargs) -> None:
    ms = (time.perf_counter() - getattr(_trace_started, "at", time.perf_counter())) * 1000
    if outcome.exception is not None:
        log.info("hook %s raised %s after %.1f ms", hook_name, type(outcome.exception).__name__, ms)
    else:
        log.info("hook %s returned %s after %.1f ms", hook_name, type(outcome.get_result()).__name__, ms)


def build_registry(config: dict) -> PluginRegistry:
    """Make the registry for one app from its config and load every entry point."""
    blocked = {n.strip() for n in str(config.get("HUB_DISABLED_PLUGINS") or "").split(",") if n.strip()}
    registry = PluginRegistry(strict=bool(config.get("HUB_STRICT_PLUGINS")), blocked=blocked,
                              trace=bool(config.get("HUB_TRACE_PLUGINS")))
    if config.get("HUB_LOAD_ENTRY_POINTS", True):
        registry.load_entry_points()
    return registry
