"""``destination_conformance_suite``: the destination checks as one pytest class, so a destination
plugin's conformance test is one line::

    from hub.testing import destination_conformance_suite

    TestQuickbooksConformance = destination_conformance_suite("quickbooks")
"""

from __future__ import annotations

from typing import Any

from hub.testing.destination_checks import DESTINATION_CHECKS
from hub.testing.destination_harness import DestinationHarness, DestinationSuiteConfig
from hub.testing.suite import suite_class


def destination_conformance_suite(entry_point: str, *, config: DestinationSuiteConfig | None = None,
                                  _plugin: Any = None) -> type:
    """A pytest class with one ``test_<check>`` per destination check, for the destination registered
    under ``entry_point``: loaded into a real hub app, its simulator served, connected through the
    core's OAuth. ``_plugin`` registers an object instead (the kit's own tests)."""
    config = config or DestinationSuiteConfig()
    unknown = sorted(set(config.skip) - set(DESTINATION_CHECKS))
    if unknown:
        raise ValueError(f"DestinationSuiteConfig.skip names no check: {', '.join(unknown)}")

    return suite_class(entry_point,
                       lambda workdir: DestinationHarness(entry_point, config, plugin=_plugin, workdir=workdir),
                       DESTINATION_CHECKS, config.skip,
                       f"Conformance of the {entry_point!r} destination plugin with the hub's destination contract.")
