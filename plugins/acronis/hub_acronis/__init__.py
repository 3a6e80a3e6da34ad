"""Acronis Cyber Protect Cloud plugin for the MSP billing hub (Account Management API v2)."""

__version__ = "0.1.0"
