"""Proofpoint Essentials vendor plugin for the MSP billing hub (entry point ``hub_proofpoint.plugin``)."""

__version__ = "0.1.0"
