"""The hub's destination conformance kit, driving the plugin through its entry point and simulator."""

from hub.testing import destination_conformance_suite

TestXeroConformance = destination_conformance_suite("xero")
