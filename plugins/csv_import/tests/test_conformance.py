"""The hub's conformance kit, driving the plugin through its entry point and simulator."""

from hub.testing import conformance_suite

TestCsvImportConformance = conformance_suite("csv_import")
