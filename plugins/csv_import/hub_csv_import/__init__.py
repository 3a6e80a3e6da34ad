"""CSV import vendor plugin for the MSP billing hub (entry point ``hub_csv_import.plugin``)."""

__version__ = "0.1.0"
