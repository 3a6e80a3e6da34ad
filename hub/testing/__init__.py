"""Test kit for vendor plugin authors: the conformance suite and pytest fixtures.

    from hub.testing import conformance_suite

    TestAcmeConformance = conformance_suite("acme")

Names are imported on first use, so ``import hub.testing`` (done by pytest for the ``hub`` pytest11
plugin) stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CHECKS", "ConformanceFailure", "PluginHarness", "SuiteConfig", "conformance_suite", "serve",
           "throwaway_database"]

_WHERE = {
    "CHECKS": "hub.testing.checks",
    "ConformanceFailure": "hub.testing.harness",
    "PluginHarness": "hub.testing.harness",
    "SuiteConfig": "hub.testing.config",
    "conformance_suite": "hub.testing.suite",
    "serve": "hub.testing.server",
    "throwaway_database": "hub.testing.databases",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'hub.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_WHERE[name]), name)
