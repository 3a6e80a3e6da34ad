"""``PluginHarness``: one plugin loaded into a real hub app, its simulator served, faults at hand.

The conformance checks and the pytest fixtures both drive a plugin through this object, so a check
sees the plugin exactly as the hub does: found through its entry point (or, for the kit's own tests,
registered as an object), called through ``VendorHandle``, synced by the real engine.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Iterator

from hub.testing.config import SuiteConfig
from hub.testing.hubapp import TestDatabase, create_tables, dispose, make_hub_app
from hub.testing.server import ServedApp, serve

GROUP = "hub"


class ConformanceFailure(AssertionError):
    """A plugin broke the contract. The message says what, and what to change."""


def fail(message: str) -> None:
    raise ConformanceFailure(message)


def no_sleep(seconds: float) -> None:
    """Passed to VendorSession as ``sleep``: retries and rate-limit spacing cost no real time."""


@dataclass(frozen=True)
class RunResult:
    """What one hub sync run left in ``SyncRun``, read while its app context was open."""

    status: str
    error_kind: str | None
    error_message: str | None
    customers_seen: int
    customers_added: int
    customers_updated: int
    customers_detached: int
    counts_changed: int
    integration_state: str
    state_message: str | None

    def describe(self) -> str:
        """``succeeded``, or ``failed (bad_data: the message)``; never ``(None: None)``."""
        if self.error_kind is None and self.error_message is None:
            return self.status
        return f"{self.status} ({self.error_kind or 'no error kind'}: {self.error_message or 'no message'})"


@dataclass
class FaultWindow:
    """When a fault was switched on (in simulator requests) and when it was switched off again."""

    served: ServedApp
    armed_at: int | None = None
    ended_at: int | None = None

    @property
    def vendor_called(self) -> bool:
        """Whether any request reached the simulator while the fault was on."""
        return self.armed_at is not None and (self.ended_at or 0) > self.armed_at


@contextlib.contextmanager
def set_faults(faults: Any, **knobs: Any) -> Iterator[Any]:
    """Set fault knobs on a simulator's ``faults`` for the block, then put the old values back."""
    old = {k: getattr(faults, k) for k in knobs}
    for k, v in knobs.items():
        if not hasattr(faults, k):
            raise AttributeError(f"{type(faults).__name__} has no knob {k!r}")
        setattr(faults, k, v)
    try:
        yield faults
    finally:
        for k, v in old.items():
            setattr(faults, k, v)


class PluginHarness:
    """A plugin under test. ``plugin`` registers an object directly instead of the entry point."""

    def __init__(self, name: str, config: SuiteConfig | None = None, *, plugin: Any = None,
                 workdir: Path | None = None) -> None:
        self.name = name
        self.config = config or SuiteConfig()
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="hub-kit-"))
        self.direct = plugin is not None
        self.entry_points: list[EntryPoint] = [] if self.direct else [
            ep for ep in entry_points(group=GROUP) if ep.name == name]
        others = [] if self.direct else sorted({ep.name for ep in entry_points(group=GROUP)} - {name})
        self._database: TestDatabase | None = None
        self._tables = False
        self._served: dict[int, ServedApp] = {}
        # a plugin's own tests must not depend on whether some other installed plugin loads
        self.app = make_hub_app(self.workdir, self._database_url(), load_entry_points=not self.direct,
                                disabled=others)
        self.registry = self.app.extensions["hub.plugins"]
        if self.direct:
            self.registry.register(plugin, name, source=f"{type(plugin).__name__} (registered directly)")
        self.record = self.registry.get(name)
        self.load_error = next((e.message for e in self.registry.errors if e.name == name), None)
        self.plugin, self.import_error = self._plugin_object(plugin)

    # -- loading ---------------------------------------------------------------------------------

    def _database_url(self) -> str:
        self._database = TestDatabase(self.workdir, self.config.database_url)
        return self._database.url

    def _plugin_object(self, plugin: Any) -> tuple[Any, str | None]:
        if plugin is not None:
            return plugin, None
        if self.record is not None:
            return self.record.plugin, None
        if len(self.entry_points) != 1:
            return None, None
        try:  # the registry failed it: import it again for the static checks (modules are cached)
            return self.entry_points[0].load(), None
        except Exception as err:
            return None, f"{type(err).__name__}: {err}"

    @property
    def handle(self):
        """The hub's ``VendorHandle`` for the plugin; fails the check when the plugin did not load."""
        if self.record is None:
            fail(f"the {self.name!r} plugin did not load, so this check cannot run "
                 f"(see entry_point_loads): {self.load_error or 'no entry point found'}")
        return self.registry.handle(self.name)

    # -- simulator -------------------------------------------------------------------------------

    def simulator(self, customers: int | None = None) -> ServedApp:
        """The plugin's simulator seeded with ``customers`` (default ``config.customers``), served."""
        customers = customers or self.config.customers
        if customers not in self._served:
            demo = self.demo()
            app = demo.make_app(customers)
            if not hasattr(app, "faults"):
                fail("the simulator's WSGI app has no `faults` attribute: give it a "
                     "hub.plugins.simulator.Faults and honour every knob")
            self._served[customers] = serve(app, name=f"{self.name}-sim")
        return self._served[customers]

    def expected_customers(self, served: ServedApp) -> int:
        """How many customers the served simulator lists, in its own words."""
        if self.config.expected_customers is not None:
            return int(self.config.expected_customers(served.app))
        ask = getattr(served.app, "listed_customer_count", None)
        if ask is not None:
            return int(ask() if callable(ask) else ask)
        fail("the simulator does not say how many customers a complete listing returns: give its WSGI app a "
             "listed_customer_count() method, or set SuiteConfig(expected_customers=...)")

    def demo(self):
        demo = self.handle.demo_simulator()
        if demo is None:
            fail(f"{self.name}: hub_demo_simulator returned None. The kit drives the plugin against its "
                 "simulator; ship one (see the plugin guide, 'Simulators and Faults')")
        return demo

    def raw_config(self, served: ServedApp | None = None) -> dict:
        served = served or self.simulator()
        return {**self.demo().config_for(served.base_url), **self.config.extra_config}

    def loaded_config(self, served: ServedApp | None = None) -> dict:
        return self.handle.load_config(self.raw_config(served))

    def session(self, config: dict, **options: Any):
        options.setdefault("sleep", no_sleep)
        return self.handle.make_session(config, **options)

    def faults(self, served: ServedApp | None = None, **knobs: Any):
        """Set fault knobs for the block, then put the old values back."""
        return set_faults((served or self.simulator()).faults, **knobs)

    @contextlib.contextmanager
    def faults_from(self, hook: str | None, served: ServedApp | None = None, **knobs: Any) -> Iterator["FaultWindow"]:
        """Set fault knobs the moment the hub calls ``hook`` (``None``: at once), so a sync gets past
        the earlier stages and fails in that one; put the old values back after the block. The
        yielded window tells afterwards whether the vendor was called while failing."""
        served = served or self.simulator()
        faults = served.faults
        old = {k: getattr(faults, k) for k in knobs}
        window = FaultWindow(served)

        def arm() -> None:
            for k, v in knobs.items():
                setattr(faults, k, v)
            window.armed_at = served.request_count

        def before(hook_name, impls, kwargs):
            if hook_name == hook:
                arm()

        undo = self.registry.pm.add_hookcall_monitoring(before, lambda *args: None) if hook else None
        if hook is None:
            arm()
        try:
            yield window
        finally:
            if undo is not None:
                undo()
            for k, v in old.items():
                setattr(faults, k, v)
            window.ended_at = served.request_count

    # -- hub syncs -------------------------------------------------------------------------------

    def fresh_database(self) -> None:
        """Empty tables for a check that syncs (created on first use)."""
        from hub.extensions import db

        self._database.ensure()
        with self.app.app_context():
            if self._tables:
                db.session.remove()
                db.drop_all()
            create_tables(self.app)
        self._tables = True

    def configure(self, raw: dict) -> None:
        """Save and enable the integration the way the App Center does (the check covers the test)."""
        from hub import integrations
        from hub.audit import Actor

        with self.app.app_context():
            integrations.configure(self.name, dict(raw), Actor.cli("conformance"), enable=True,
                                   check_connection=False)

    def sync(self) -> RunResult:
        """One full hub sync through the real engine, with retries that do not sleep."""
        from hub.extensions import db
        from hub.sync import run_sync

        with self.app.app_context():
            run = run_sync(self.name, trigger="conformance", session_options={"sleep": no_sleep})
            integration = run.integration
            result = RunResult(run.status, run.error_kind, run.error_message, run.customers_seen,
                               run.customers_added, run.customers_updated, run.customers_detached,
                               run.counts_changed, integration.state, integration.state_message)
            db.session.remove()
        return result

    @contextlib.contextmanager
    def app_context(self):
        with self.app.app_context():
            yield

    # -- teardown --------------------------------------------------------------------------------

    def close(self) -> None:
        for served in self._served.values():
            served.stop()
        self._served.clear()
        dispose(self.app)
        if self._database is not None:
            self._database.drop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "PluginHarness":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
