"""QuickBooks Online (Intuit Accounting API v3) destination plugin for the MSP billing hub."""

__version__ = "0.1.0"
