"""Pax8 vendor plugin for the MSP billing hub (entry point ``hub_pax8.plugin``)."""

__version__ = "0.1.0"
