"""SentinelOne vendor plugin for the MSP billing hub (entry point ``hub_sentinelone.plugin``)."""

__version__ = "0.1.0"
