"""Xero (Accounting API 2.0) destination plugin for the MSP billing hub."""

__version__ = "0.1.0"
