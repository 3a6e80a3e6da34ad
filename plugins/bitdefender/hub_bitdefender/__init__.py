"""Bitdefender GravityZone Cloud plugin for the MSP billing hub (partner / MSP JSON-RPC API)."""

__version__ = "0.1.0"
