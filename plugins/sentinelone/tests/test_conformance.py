"""The hub's conformance kit, driving the plugin through its entry point and simulator."""

from hub.testing import SuiteConfig, conformance_suite

# 2,100 sites: three of SentinelOne's 1,000-site pages
TestSentinelOneConformance = conformance_suite("sentinelone", config=SuiteConfig(paging_customers=2100))
