"""``conformance_suite``: the named checks as one pytest class, so a plugin's conformance test is one line::

    from hub.testing import conformance_suite

    TestAcmeConformance = conformance_suite("acme")
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from hub.testing.checks import CHECKS
from hub.testing.config import SuiteConfig
from hub.testing.harness import PluginHarness


def conformance_suite(entry_point: str, *, config: SuiteConfig | None = None, _plugin: Any = None) -> type:
    """A pytest test class with one ``test_<check>`` per named check, for the plugin registered under
    ``entry_point`` in the ``hub`` group.

    The class loads the plugin into a real hub app (its own database), serves the plugin's simulator
    on loopback and drives every check against it; it is built once per class. ``config`` skips
    checks (with a reason) and sets sizes. ``_plugin`` registers an object instead of loading the
    entry point: the kit's own tests use it for deliberately broken plugins.
    """
    config = config or SuiteConfig()
    unknown = sorted(set(config.skip) - set(CHECKS))
    if unknown:
        raise ValueError(f"SuiteConfig.skip names no check: {', '.join(unknown)} (checks: {', '.join(CHECKS)})")

    return suite_class(entry_point, lambda workdir: PluginHarness(entry_point, config, plugin=_plugin, workdir=workdir),
                       CHECKS, config.skip, f"Conformance of the {entry_point!r} vendor plugin with the hub's plugin "
                       "contract.")


def suite_class(entry_point: str, make_harness, checks: dict, skip, doc: str) -> type:
    """A pytest class with a class-scoped ``hub_conformance`` harness and one ``test_<check>`` per check."""
    def hub_conformance(cls, tmp_path_factory):
        harness = make_harness(tmp_path_factory.mktemp(f"hub-conformance-{entry_point}"))
        try:
            yield harness
        finally:
            harness.close()

    attrs: dict[str, Any] = {
        "hub_conformance": pytest.fixture(scope="class")(classmethod(hub_conformance)),
        "__doc__": doc,
        "__module__": _caller_module(3),
    }
    for name, fn in checks.items():
        attrs[f"test_{name}"] = _test_method(name, fn, skip.get(name))
    class_name = f"Test{''.join(p.title() for p in entry_point.split('_'))}Conformance"
    return type(class_name, (), attrs)


def _test_method(name: str, fn, skip_reason: str | None):
    def test(self, hub_conformance: PluginHarness) -> None:
        if skip_reason is not None:
            pytest.skip(f"{name}: {skip_reason}")
        __tracebackhide__ = True
        fn(hub_conformance)

    test.__name__ = f"test_{name}"
    test.__qualname__ = f"test_{name}"
    test.__doc__ = fn.__doc__
    return test


def _caller_module(depth: int = 2) -> str:
    # the module that assigned the class, so reports and -k selection read naturally
    frame = sys._getframe(depth)
    return frame.f_globals.get("__name__", __name__)
