"""Test kit for plugin authors: the conformance suites (vendors, destinations) and pytest fixtures.

    from hub.testing import conformance_suite, destination_conformance_suite

    TestAcmeConformance = conformance_suite("acme")
    TestBooksConformance = destination_conformance_suite("books")

Names are imported on first use, so ``import hub.testing`` (done by pytest for the ``hub`` pytest11
plugin) stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CHECKS", "ConformanceFailure", "DESTINATION_CHECKS", "DestinationHarness", "DestinationSuiteConfig",
           "PluginHarness", "SuiteConfig", "conformance_suite", "destination_conformance_suite", "serve",
           "throwaway_database"]

_WHERE = {
    "CHECKS": "hub.testing.checks",
    "ConformanceFailure": "hub.testing.harness",
    "PluginHarness": "hub.testing.harness",
    "SuiteConfig": "hub.testing.config",
    "conformance_suite": "hub.testing.suite",
    "DESTINATION_CHECKS": "hub.testing.destination_checks",
    "DestinationHarness": "hub.testing.destination_harness",
    "DestinationSuiteConfig": "hub.testing.destination_harness",
    "destination_conformance_suite": "hub.testing.destination_suite",
    "serve": "hub.testing.server",
    "throwaway_database": "hub.testing.databases",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'hub.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_WHERE[name]), name)
