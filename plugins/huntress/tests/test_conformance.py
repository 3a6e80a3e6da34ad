"""The hub's conformance kit, driving the plugin through its entry point and simulator."""

from hub.testing import SuiteConfig, conformance_suite

# 1,100 organizations: three of Huntress's 500-organization pages
TestHuntressConformance = conformance_suite("huntress", config=SuiteConfig(paging_customers=1100))
