"""The hub's conformance kit, driving the plugin through its entry point and simulator."""

from hub.testing import SuiteConfig, conformance_suite

# 450 companies: three of Pax8's 200-company pages
TestPax8Conformance = conformance_suite("pax8", config=SuiteConfig(paging_customers=450))
