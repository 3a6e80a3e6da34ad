"""``hub benchmark SLUG``: a plugin against its simulator, timed against its documented limits' floor."""

from __future__ import annotations

import dataclasses

import pytest

from hub.plugin_host.benchmark import ALL, floor_of, run_benchmark
from hub.plugins import DocumentedLimits, hookimpl
from tests.testing.dummy_vendor import AcmeVendor


class Paced(AcmeVendor):
    """Acme with a documented 5 requests/s, and its own pacing ``own`` per second."""

    def __init__(self, own: float, documented: DocumentedLimits | None) -> None:
        self.own, self.documented = own, documented

    @hookimpl
    def hub_vendor_info(self):
        return dataclasses.replace(super().hub_vendor_info(), requests_per_second=self.own,
                                   documented_limits=self.documented)


FIVE = DocumentedLimits(requests_per_second=5, source="Acme docs")


def benchmark(app, plugin, customers=60):
    registry = app.extensions["hub.plugins"]
    assert registry.register(plugin, "acme") is not None, registry.errors
    return run_benchmark(registry.handle("acme"), customers=customers, latency=0.0)


def test_wall_time_is_set_against_the_documented_floor_and_nothing_goes_over(app):
    result = benchmark(app, Paced(own=5, documented=FIVE))
    # 60 customers: /api/me, three pages of 25, two usage batches of 50
    assert (result.customers, result.requests, result.error) == (60, 6, None)
    assert result.floor == pytest.approx(6 / 5) and "Acme docs" in result.floor_reason
    assert result.wall >= 1.0 and result.ratio >= 0.8  # six requests at 5/s cannot all fit in one second
    assert result.peaks[ALL] <= 5 and result.over == {ALL: 0}


def test_a_plugin_pacing_faster_than_documented_is_shown_over_the_limit(app):
    result = benchmark(app, Paced(own=50, documented=FIVE))
    assert result.peaks[ALL] == 6 and result.over == {ALL: 1}


def test_without_documented_limits_the_floor_is_the_latency_of_the_requests():
    floor, why = floor_of(None, [(0.0, ""), (0.1, "")], latency=0.02)
    assert floor == pytest.approx(0.04) and "documents no rate limit" in why


def test_named_budgets_are_counted_on_the_rate_key_each_request_was_sent_under():
    limits = DocumentedLimits(requests_per_second=10, rate_limits={"licensing": 2})
    arrivals = [(0.0, ""), (0.1, "licensing"), (0.2, "licensing"), (0.3, "licensing"), (0.4, "")]
    floor, why = floor_of(limits, arrivals, latency=0.0)
    assert floor == pytest.approx(1.5) and "3 licensing requests / 2 per s" in why


def test_the_command_names_an_unknown_slug(runner):
    result = runner.invoke(args=["benchmark", "nosuch"])
    assert result.exit_code != 0 and "SLUG: no loaded plugin 'nosuch'" in result.output


def test_plugin_sync_takes_the_documented_limits_of_a_plugin_it_does_not_know_from_its_vendor_info(monkeypatch):
    # benchmarks/plugin_sync.py names the bundled vendors' limits itself; a new plugin's come from its
    # VendorInfo.documented_limits (limits as data), so benchmarking it needs no edit of the hub's repo
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "plugin_sync.py"
    spec = importlib.util.spec_from_file_location("plugin_sync_under_test", path)
    plugin_sync = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, plugin_sync)  # its dataclasses look their module up there
    spec.loader.exec_module(plugin_sync)
    info = Paced(own=4, documented=DocumentedLimits(requests_per_second=4, source="Acme docs")).hub_vendor_info()
    arrivals = [(i * 0.1, "/api/customers") for i in range(12)]  # 12 requests in 1.1 s
    assert "acme" not in plugin_sync.DOCUMENTED_LIMITS
    floor, why = plugin_sync.floor_for("acme", arrivals, 0.02, info.requests_per_second, info=info)
    assert floor == pytest.approx(12 / 4) and "Acme docs" in why
    assert plugin_sync.over_the_limit("acme", arrivals, info=info).startswith("8 arrival(s) over")
    minute = Paced(own=1, documented=DocumentedLimits(requests_per_second=1, window_seconds=60)).hub_vendor_info()
    assert plugin_sync.documented_for("acme", minute)["window"] == 60
    # what the table says wins for the vendors it names; no documented limit stays none
    assert plugin_sync.documented_for("bitdefender", info) is plugin_sync.DOCUMENTED_LIMITS["bitdefender"]
    assert plugin_sync.documented_for("acme", Paced(own=4, documented=None).hub_vendor_info()) is None


def test_busy_time_counts_overlapping_answers_once():
    from hub.plugin_host.benchmark import busy_time

    assert busy_time([]) == 0
    assert busy_time([(0.0, 1.0), (0.5, 1.5), (3.0, 4.0)]) == 2.5
    assert busy_time([(2.0, 3.0), (0.0, 10.0)]) == 10.0
