"""A full hub sync of each vendor plugin against its own simulator, timed against the vendor's floor.

    .venv/bin/python benchmarks/plugin_sync.py [--customers 2000] [--vendors acronis,bitdefender]
                                               [--latency 0.02] [--database-url URL] [--second-sync]
                                               [--sim state.page_size=5000 ...]

Each plugin is loaded through its ``hub`` entry point into a real hub app (a temporary SQLite file, or
``--database-url``), its ``hub_demo_simulator`` is seeded with ``--customers`` customers and served on
loopback with ``Faults.latency`` added to every request, and one ``run_sync`` runs with real sleeping:
the plugin's session keeps its own rate limits and retries as in production. The simulator serves from
a process of its own, as a vendor's server does (``--same-process``: from a thread of the benchmark's,
where its work of shaping and encoding answers competes with the hub's for one interpreter).

The floor has two parts, printed apart:

- the **pacing floor**: the least time the vendor's *documented* rate limit allows for the requests
  the sync made (requests / allowed requests per second, per budget, the largest). A vendor that
  documents no limit gets the pacing the plugin declares instead (its ``requests_per_second``: the
  gaps between its requests), or, with none declared, its requests made one after another
  (requests x latency); the larger of the two, and it says which.
- the **write floor**: the hub's own share, measured in the same run: the sync engine applying the
  same customers and counts (read back from what the sync stored) through a plugin that makes no
  request at all, into an integration of its own. It is the engine's bulk apply of those rows
  (plan, bulk statements, audit), what any sync of them costs however fast the vendor answers.

Why two parts: a vendor whose limit allows its few requests in a fraction of a second (SentinelOne
reads 1,000 sites a request at 100 requests/s; Pax8 200 rows a request) spends most of a first sync
of 2,000 customers in the hub's database writes, not in pacing. Against the pacing floor alone that
reads as a plugin far off its floor when the plugin waits for nothing; the combined floor leaves the
plugin's own overhead (parsing pages, per-page work, waits beyond its pacing) as the difference.
Both ratios are printed. Target (issue 14): the new API vendors (Pax8, SentinelOne, Huntress) within
1.2x of the combined floor; the others within 1.5x. The hub's writes are the sync engine's
concern (benchmarks/sync_engine.py holds its floor).

Whether a request went over a limit is counted here, on the arrival times recorded at the server:
every sliding one-second window (one-minute for Huntress), per documented budget (not a token
bucket, which lets 11 requests into one second). The most requests seen in any one window (per
documented budget too), the smallest gap between two arrivals and the requests per endpoint are
printed too, for information. The machine's load average is printed with the results: on a shared
machine, time spent waiting for a CPU counts in every wall time here.

``--sim NAME=VALUE`` sets an attribute of the simulator app before syncing (dotted; the value is read
as JSON, else kept as text): e.g. ``state.page_size=5000`` serves Acronis' default listing page
instead of the simulator's 50, ``limits.enforce=true`` has Bitdefender's refuse calls over its limits
(429) instead of only counting them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from marshmallow import Schema, fields

from hub.plugins import ConnectionCheck, VendorInfo, hookimpl
from hub.plugin_host.benchmark import busy_time
from hub.plugins.simulator import arrivals_over, most_in_window

#: the limits the bundled vendors document (shared/vendor-apis.md), not what a plugin chooses to keep to:
#: per-key requests/second, and named budgets matched on the request path. A vendor not named here is
#: measured against its plugin's ``VendorInfo.documented_limits`` (``documented_for``)
DOCUMENTED_LIMITS: dict[str, dict] = {
    # §2.7, docs 77211-394430: 10 requests/s per API key; 5/s for the Licensing usage methods
    "bitdefender": {"per_key": 10.0, "named": {"licensing": (5.0, r"/jsonrpc/licensing$")},
                    "source": "10 req/s per API key, 5 req/s for licensing methods (GravityZone docs 77211-394430)"},
    # §1.10: "Acronis publishes no numeric rate limits for the Account Management API"
    "acronis": None,
    # §3.7: "Rate limits: not documented"
    "proofpoint": None,
    # §6.6: 429 documented, no number (a third party's 1,000/minute is UNSURE)
    "pax8": None,
    # §7.6: per token and endpoint, /sites and /accounts 100 req/s
    "sentinelone": {"per_key": 100.0, "source": "/sites and /accounts 100 req/s per token (vendor-apis.md 7.6)"},
    # §8.6: 60 requests per minute, sliding window
    "huntress": {"per_key": 1.0, "window": 60.0,
                 "source": "60 requests per minute, sliding window (vendor-apis.md 8.6)"},
    # a file: no vendor API, nothing to count
    "csv_import": None,
}
TARGET = 1.5
#: issue 14: the new API vendors within 1.2x of their (combined) floor
TARGETS = {"pax8": 1.2, "sentinelone": 1.2, "huntress": 1.2}


@dataclass
class Result:
    vendor: str
    status: str
    wall: float
    requests: int
    vendor_phase: float
    floor: float  # the pacing floor
    floor_kind: str
    write_floor: float  # the sync engine applying the same rows with no request
    target: float
    over_limit: str
    peak_second: int  # most arrivals in any one sliding window of the vendor's (1 s, or 60 s for Huntress)
    smallest_gap: float | None = None
    #: this process's CPU seconds during the sync and during the write floor (the simulator serves from
    #: this process too, so its share is in the first)
    cpu: float = 0.0
    write_floor_cpu: float = 0.0
    #: how long the simulator was answering this sync's requests (added latency included; overlaps once)
    vendor_busy: float = 0.0
    endpoints: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def endpoint(path: str) -> str:
    """The path with ids (segments with a digit or a dot, 8 characters or more) folded, to count requests by kind."""
    return "/".join("{id}" if len(part) >= 8 and re.search(r"[\d.]", part) else part for part in path.split("/"))


def smallest_gap(times: list[float]) -> float | None:
    times = sorted(times)
    return min((b - a for a, b in zip(times, times[1:])), default=None)


def set_attributes(app, assignments: list[str]) -> None:
    """``--sim NAME=VALUE``: set a (dotted) attribute of the simulator app; it must exist already."""
    for assignment in assignments:
        name, _, raw = assignment.partition("=")
        *path, attribute = name.split(".")
        target = app
        for part in path:
            target = getattr(target, part, None)
        if target is None or not hasattr(target, attribute):
            raise SystemExit(f"--sim {assignment}: the simulator has no attribute {name!r}")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        setattr(target, attribute, value)


def documented_for(vendor: str, info: VendorInfo | None = None) -> dict | None:
    """The vendor's documented limits: this module's table for the vendors it names (its named budgets
    matched on request paths), else what the plugin declares in ``VendorInfo.documented_limits`` (its
    per-key rate and window; named budgets are counted by ``hub benchmark SLUG``, which sees each
    request's ``rate_key``). None: the vendor documents no limit."""
    if vendor in DOCUMENTED_LIMITS:
        return DOCUMENTED_LIMITS[vendor]
    declared = getattr(info, "documented_limits", None)
    if declared is None or not declared.requests_per_second:
        return None
    return {"per_key": float(declared.requests_per_second), "window": float(declared.window_seconds or 1.0),
            "source": f"{declared.source or 'VendorInfo.documented_limits'} (the plugin's VendorInfo)",
            "unmatched": sorted(dict(declared.rate_limits or {}))}


def floor_for(vendor: str, arrivals: list[tuple[float, str]], latency: float,
              declared_rate: float | None = None, info: VendorInfo | None = None) -> tuple[float, str]:
    """The pacing floor: the vendor's documented limit, else the plugin's declared pacing or latency."""
    documented = documented_for(vendor, info)
    if not documented:
        sequential = len(arrivals) * latency
        paced = (len(arrivals) - 1) / declared_rate if declared_rate and arrivals else 0.0
        if paced > sequential:
            return paced, (f"no documented rate limit: the plugin's declared pacing, {len(arrivals)} requests at "
                           f"{declared_rate:g} per s")
        return (sequential,
                f"no documented rate limit: latency floor, {len(arrivals)} sequential requests x {latency * 1000:g} ms")
    parts = [(len(arrivals) / documented["per_key"], f"{len(arrivals)} requests / {documented['per_key']:g} per s")]
    for name, (rate, pattern) in documented.get("named", {}).items():
        matched = sum(1 for _, path in arrivals if re.search(pattern, path))
        parts.append((matched / rate, f"{matched} {name} requests / {rate:g} per s"))
    floor, why = max(parts)
    return floor, f"documented limit ({documented['source']}): {why}"


class Replay:
    """A vendor answering from memory with the customers and counts a sync stored: no request at all.

    Synced into an integration of its own, it times the hub's share of a sync of the same rows."""

    slug = "bench_replay"

    def __init__(self) -> None:
        self.customers: list = []
        self.counts: list = []
        self.skus: dict = {}

    def load_from(self, slug: str) -> None:
        """What the sync of ``slug`` stored, as plugin records (its attached customers, their counts)."""
        from hub import integrations
        from hub.extensions import db
        from hub.models import LicenseCount, VendorCustomer, VendorSku
        from hub.plugins import CustomerStatus
        from hub.plugins import LicenseCount as Count
        from hub.plugins import SkuMapping
        from hub.plugins import VendorCustomer as Listed

        iid = integrations.get_integration(slug).id
        self.customers = [Listed(e, n, CustomerStatus(s), dict(x or {})) for e, n, s, x in db.session.execute(
            db.select(VendorCustomer.external_id, VendorCustomer.name, VendorCustomer.vendor_status,
                      VendorCustomer.extra).where(VendorCustomer.integration_id == iid,
                                                  VendorCustomer.detached_at.is_(None))
            .order_by(VendorCustomer.id)).all()]
        listed = {c.external_id for c in self.customers}
        self.counts = [Count(e, sku, q, dict(x or {})) for e, sku, q, x in db.session.execute(
            db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.quantity, LicenseCount.extra)
            .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
            .join(VendorSku, VendorSku.id == LicenseCount.sku_id)
            .where(VendorSku.integration_id == iid).order_by(VendorCustomer.id, VendorSku.sku)).all()
            if e in listed]
        self.skus = {sku: SkuMapping(sku, name, unit, billable, code) for sku, name, unit, billable, code in
                     db.session.execute(db.select(VendorSku.sku, VendorSku.name, VendorSku.unit, VendorSku.billable,
                                                  VendorSku.suggested_product_code)
                                        .where(VendorSku.integration_id == iid)).all()}

    @hookimpl
    def hub_vendor_info(self):
        return VendorInfo(slug=self.slug, display_name="Replay (write floor)", version="1.0",
                          description="the rows of the benchmarked sync, from memory", config_schema=ReplayConfig)

    @hookimpl
    def hub_test_connection(self, config, session):
        return ConnectionCheck(ok=True, message="in memory")

    @hookimpl
    def hub_list_customers(self, config, session):
        return iter(self.customers)

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        return iter(self.counts)

    @hookimpl
    def hub_map_skus(self, config, skus):
        return [self.skus[s] for s in skus if s in self.skus]


class ReplayConfig(Schema):
    key = fields.String(required=True, metadata={"secret": True})


def write_floor(replay: Replay, slug: str) -> tuple[float, float]:
    """The sync engine applying what the sync of ``slug`` stored, with no request: (wall, CPU) seconds."""
    from hub.extensions import db
    from hub.sync import run_sync

    replay.load_from(slug)
    db.session.remove()
    gc.collect()
    began, cpu = time.perf_counter(), time.process_time()
    run = run_sync(replay.slug, trigger="benchmark")
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    assert run.status == "succeeded", f"the write floor's sync: {run.status} {run.error_message}"
    db.session.remove()
    return elapsed, cpu


def over_the_limit(vendor: str, arrivals: list[tuple[float, str]], info: VendorInfo | None = None) -> str:
    """Counted here, on the arrival times the recorder saw, against every documented budget."""
    documented = documented_for(vendor, info)
    if not documented:
        return "no documented limit to exceed"
    window = documented.get("window", 1.0)
    over = arrivals_over([t for t, _ in arrivals], documented["per_key"] * window, window)
    for rate, pattern in documented.get("named", {}).values():
        over += arrivals_over([t for t, path in arrivals if re.search(pattern, path)], rate)
    return f"{over} arrival(s) over the documented limits in a sliding {window:g} s window"


class ServedElsewhere:
    """The simulator served from a process of its own (forked with its seeded state), as the vendor's
    server is: its CPU (shaping and encoding each answer) no longer competes with the hub's for this
    process's interpreter, and the CPU time printed is the hub's alone. ``arrivals`` are read from that
    process (time.perf_counter is the system's monotonic clock, the same in both)."""

    def __init__(self, recorder, name: str) -> None:
        import multiprocessing

        from hub.testing.server import serve

        context = multiprocessing.get_context("fork")
        self._pipe, child_end = context.Pipe()

        def run_server() -> None:
            # what the fork inherited stays out of the collector's scans (they would touch, and copy, every
            # page of the benchmark's heap: ~0.1 s of the second answer of a run, seen on SentinelOne)
            gc.freeze()
            served = serve(recorder, name=name)
            child_end.send(served.base_url)
            while (start := child_end.recv()) is not None:
                child_end.send((list(recorder.arrivals[start:]), list(recorder.answering[start:])))
            served.stop()

        self._process = context.Process(target=run_server, name=name, daemon=True)
        self._process.start()
        self.base_url = self._pipe.recv()

    def _read(self) -> tuple[list, list]:
        self._pipe.send(0)
        return self._pipe.recv()

    @property
    def arrivals(self) -> list[tuple[float, str]]:
        return self._read()[0]

    @property
    def answering(self) -> list[tuple[float, float]]:
        return self._read()[1]

    def stop(self) -> None:
        self._pipe.send(None)
        self._process.join(timeout=10)


def bench(vendor: str, customers: int, latency: float, database_url: str | None, second_sync: bool,
          sim_settings: list[str] = (), same_process: bool = False) -> list[Result]:
    from hub import integrations
    from hub.audit import Actor
    from hub.extensions import db
    from hub.sync import run_sync
    from hub.testing.hubapp import TestDatabase, create_tables, dispose, make_hub_app
    from hub.plugin_host.benchmark import ArrivalRecorder
    from hub.testing.server import serve

    workdir = Path(tempfile.mkdtemp(prefix=f"hub-bench-{vendor}-"))
    database = TestDatabase(workdir, database_url or "")  # "": SQLite, even if HUB_TEST_DATABASE_URL is set
    others = sorted({ep.name for ep in entry_points(group="hub")} - {vendor})
    app = make_hub_app(workdir, database.url, load_entry_points=True, disabled=others, fast_sqlite=False)
    registry = app.extensions["hub.plugins"]
    if vendor in getattr(registry, "destinations", {}):
        print(f"\n== {vendor}: a destination plugin, not a vendor: see benchmarks/push.py")
        dispose(app)
        shutil.rmtree(workdir, ignore_errors=True)
        return []
    if vendor not in registry.vendors:
        raise SystemExit(f"{vendor}: not loaded ({[e.message for e in registry.errors] or 'no such entry point'})")
    handle = registry.handle(vendor)
    demo = handle.demo_simulator()
    if demo is None:
        raise SystemExit(f"{vendor}: the plugin ships no simulator")
    sim = demo.make_app(customers)
    sim.faults.latency = latency
    set_attributes(sim, list(sim_settings))
    recorder = ArrivalRecorder(sim)
    # forked before the hub opens a database connection (a child must not share one)
    served = serve(recorder, name=f"{vendor}-bench") if same_process else ServedElsewhere(recorder, f"{vendor}-sim")
    if not same_process:
        recorder = served  # its arrivals are the other process's
    replay = Replay()
    registry.register(replay, Replay.slug)
    database.ensure()
    create_tables(app)
    results = []
    try:
        with app.app_context():
            integrations.configure(vendor, demo.config_for(served.base_url), Actor.cli("benchmark"),
                                   enable=True, check_connection=False)
            integrations.configure(Replay.slug, {"key": "none"}, Actor.cli("benchmark"), enable=True,
                                   check_connection=False)
        count = getattr(sim, "listed_customer_count", None)
        print(f"\n== {vendor}: {handle.info.display_name} {handle.info.version}; simulator lists "
              f"{count() if count else '?'} customers; {latency * 1000:g} ms per request; plugin's own budget "
              f"{handle.info.requests_per_second or 'none'}/s {dict(handle.info.rate_limits) or ''}, "
              f"{handle.info.max_concurrency} in flight" + (f"; simulator set: {', '.join(sim_settings)}"
                                                            if sim_settings else ""))
        for label in ["first sync"] + (["second sync (nothing changed)"] if second_sync else []):
            start = len(recorder.arrivals)
            gc.collect()
            began, cpu = time.perf_counter(), time.process_time()
            with app.app_context():
                run = run_sync(vendor, trigger="benchmark")
                status = f"{run.status} (+{run.customers_added} customers, {run.counts_changed} counts)" \
                    + (f" {run.error_kind}: {run.error_message}" if run.error_kind else "")
                db.session.remove()
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
            arrivals, answering = recorder.arrivals[start:], recorder.answering[start:]
            times = [t for t, _ in arrivals]
            with app.app_context():
                writes, writes_cpu = write_floor(replay, vendor)
            documented = documented_for(vendor, handle.info)
            floor, kind = floor_for(vendor, arrivals, latency, handle.info.requests_per_second, handle.info)
            result = Result(vendor, status, wall, len(arrivals), (times[-1] - times[0]) if times else 0.0,
                            floor, kind, writes, TARGETS.get(vendor, TARGET),
                            over_the_limit(vendor, arrivals, handle.info),
                            most_in_window(times, (documented or {}).get("window", 1.0)),
                            smallest_gap(times), cpu, writes_cpu, busy_time(answering),
                            dict(sorted(Counter(endpoint(p) for _, p in arrivals).items())))
            for name, (_, pattern) in (documented or {}).get("named", {}).items():
                named = [t for t, path in arrivals if re.search(pattern, path)]
                result.notes.append(f"most {name} requests in any 1 s: {most_in_window(named)}")
            if (documented or {}).get("unmatched"):
                result.notes.append(f"documented budgets {documented['unmatched']} are not counted here (no "
                                    f"request path names them): hub benchmark {vendor} counts them by rate_key")
            own_rate = handle.info.requests_per_second
            own = (len(arrivals) - 1) / own_rate if own_rate and arrivals else 0.0
            if documented and own > floor:
                # a plugin slower than its vendor allows is measured against what the vendor allows
                result.notes.append(f"the plugin keeps to {own_rate:g} requests/s of its own choice: its requests "
                                    f"alone take at least {own:.2f} s, more than the documented limit needs")
            report(label, result)
            results.append(result)
    finally:
        served.stop()
        dispose(app)
        database.drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def ratios(r: Result) -> tuple[float, float]:
    """(wall / pacing floor, wall / (pacing floor + write floor))."""
    combined = r.floor + r.write_floor
    return (r.wall / r.floor if r.floor else float("inf")), (r.wall / combined if combined else float("inf"))


def report(label: str, r: Result) -> None:
    to_pacing, to_combined = ratios(r)
    print(f"{label}: {r.status}")
    print(f"  wall time      {r.wall:8.2f} s   (requests from first to last: {r.vendor_phase:.2f} s; "
          f"the rest is the hub's own work)")
    print(f"  requests       {r.requests:8d}   ({', '.join(f'{k} x{n}' for k, n in r.endpoints.items())})")
    print(f"  pacing floor   {r.floor:8.2f} s   {r.floor_kind}")
    print(f"  write floor    {r.write_floor:8.2f} s   the sync engine applying the same rows with no request, "
          f"this run")
    print(f"  CPU time       {r.cpu:8.2f} s   of this process during the sync (with --same-process, the "
          f"simulator's share included); "
          f"{r.write_floor_cpu:.2f} s during the write floor")
    print(f"  floor          {r.floor + r.write_floor:8.2f} s   pacing + writes")
    if r.vendor_busy > r.floor:
        bound = r.vendor_busy + r.write_floor
        print(f"  vendor's time  {r.vendor_busy:8.2f} s   the simulator answering (its added latency and its own "
              f"work; overlaps once), longer than the pacing floor: no plugin finishes its requests sooner. "
              f"Against it + writes ({bound:.2f} s): {r.wall / bound:.2f} x")
    print(f"  ratio          {to_combined:8.2f} x  to the floor (target <= {r.target}: "
          f"{'met' if to_combined <= r.target else 'NOT met'}); {to_pacing:.2f} x to the pacing floor alone")
    gap = f"{r.smallest_gap * 1000:.0f} ms" if r.smallest_gap is not None else "-"
    print(f"  over the limit {r.over_limit}; most requests in any window: {r.peak_second}; "
          f"smallest gap between arrivals: {gap}")
    for note in r.notes:
        print(f"  note           {note}")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--vendors", default=None, help="comma-separated entry-point names (default: all installed)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the simulator adds to every request")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to create a throwaway database on")
    parser.add_argument("--second-sync", action="store_true", help="also time a second sync of unchanged data")
    parser.add_argument("--sim", action="append", default=[], metavar="NAME=VALUE",
                        help="set a simulator attribute before syncing, e.g. state.page_size=5000 (repeatable)")
    parser.add_argument("--same-process", action="store_true",
                        help="serve the simulator from a thread of this process (its CPU then competes with the "
                             "hub's, as in the figures measured before 2026-12-02)")
    args = parser.parse_args()
    vendors = [v.strip() for v in args.vendors.split(",")] if args.vendors else \
        sorted({ep.name for ep in entry_points(group="hub")})
    print(f"plugin sync benchmark: {args.customers} customers, {args.latency * 1000:g} ms latency, "
          f"vendors {', '.join(vendors)}; load average {load_average()}")
    results = [r for vendor in vendors for r in bench(vendor, args.customers, args.latency, args.database_url,
                                                      args.second_sync, args.sim, args.same_process)]
    print(f"\nload average at the end: {load_average()}")
    print("vendor        wall s   cpu s requests  pacing s  writes s  x pacing  x floor  target  over the limit")
    for r in results:
        to_pacing, to_combined = ratios(r)
        print(f"{r.vendor:<12} {r.wall:7.2f} {r.cpu:7.2f} {r.requests:8d} {r.floor:9.2f} {r.write_floor:9.2f} "
              f"{to_pacing:9.2f} "
              f"{to_combined:8.2f} {r.target:7.1f}  {r.over_limit}")


if __name__ == "__main__":
    main()
