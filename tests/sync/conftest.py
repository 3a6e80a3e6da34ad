"""Fixtures for sync tests: the HTTP fake vendor, served by ``responses``, and retry waits without waiting."""

from __future__ import annotations

import pytest
import responses

from hub import integrations
from hub.audit import Actor
from tests.fakes.fake_vendor import FAKE_CONFIG
from tests.fakes.http_vendor import HttpFakeVendor


@pytest.fixture
def http_vendor(app):
    """HttpFakeVendor registered as plugin ``fakehttp``."""
    vendor = HttpFakeVendor("fakehttp")
    registry = app.extensions["hub.plugins"]
    assert registry.register(vendor, "fakehttp") is not None, registry.errors
    yield vendor
    registry.unregister("fakehttp")


@pytest.fixture
def served(http_vendor):
    """The HTTP fake's vendor side answering on FAKE_CONFIG's base_url for the whole test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        http_vendor.serve(rsps)
        yield rsps


@pytest.fixture
def http_integration(app_ctx, http_vendor, served):
    return integrations.configure("fakehttp", dict(FAKE_CONFIG), Actor.cli("test"), enable=True).integration


@pytest.fixture
def no_sleep():
    """Retry waits the VendorSession asked for, without waiting: pass as session_options."""
    waits: list[float] = []
    return waits, {"sleep": waits.append}
