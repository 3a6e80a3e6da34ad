"""Test kit for vendor plugin authors (conformance suite and fixtures)."""
