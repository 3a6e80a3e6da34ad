"""Full hub syncs of the Acronis plugin against its simulator: wall time against the rate-limit floor.

    .venv/bin/python plugins/acronis/benchmarks/bench_sync.py [--customers 2000] [--latency 0.02]

Acronis publishes no rate limit; the plugin keeps itself to ``VendorInfo.requests_per_second``. The
floor is the time that budget needs for the requests the sync made (requests / rate). Target: wall
time within 1.5x of the floor, and never more requests in one second than the budget allows.
Everything is real except the vendor: the hub app and its database (a temporary SQLite file, or
``--database-url``), the plugin loaded from its entry point, HTTP over loopback, real sleeping.
"""

from __future__ import annotations

import argparse
import bisect
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from cryptography.fernet import Fernet
from werkzeug.serving import WSGIRequestHandler, make_server

from hub import create_app, integrations
from hub.audit import Actor
from hub.extensions import db
from hub.sync import run_sync
from hub_acronis.plugin import hub_vendor_info
from hub_acronis.simulator import make_app


class Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


def max_in_one_second(times: list[float]) -> int:
    """The most requests that arrived within any half-open 1-second window."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def endpoint(path: str) -> str:
    parts = path.split("/")
    if len(parts) == 5 and parts[3] in ("clients", "tenants") and parts[4] != "usages":
        return f"/api/2/{parts[3]}/{{id}}"
    return path


def one_run(hub, sim, label: str, rate: float) -> None:
    start_index = len(sim.state.requests)
    started = time.perf_counter()
    with hub.app_context():
        run = run_sync("acronis", trigger="benchmark")
        status, added, changed = run.status, run.customers_added, run.counts_changed
    wall = time.perf_counter() - started
    calls = sim.state.requests[start_index:]
    times = sim.state.request_times[start_index:]
    floor = len(calls) / rate
    kinds = Counter(endpoint(path) for _, path, _ in calls)
    gaps = [b - a for a, b in zip(times, times[1:])]
    print(f"{label}: status={status} customers_added={added} counts_changed={changed}")
    print(f"  requests={len(calls)} ({', '.join(f'{k} x{n}' for k, n in sorted(kinds.items()))})")
    print(f"  wall={wall:.2f}s floor={floor:.2f}s ratio={wall / floor:.2f} (target <= 1.5)")
    # the hub's limiter spaces request *starts* 1/rate apart; arrivals jitter by a few ms around that
    print(f"  max requests arriving in any 1 s window={max_in_one_second(times)} (budget {rate:g}/s), "
          f"smallest gap between arrivals={min(gaps) * 1000:.0f} ms (spacing {1000 / rate:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every request")
    parser.add_argument("--page-size", type=int, nargs="+", default=[5000, 50],
                        help="simulated listing page sizes to try (Acronis' default limit is 5000)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    rate = hub_vendor_info().requests_per_second
    print(f"Acronis plugin sync benchmark: {args.customers} customers, {args.latency * 1000:.0f} ms latency, "
          f"budget {rate:g} requests/s")
    for page_size in args.page_size:
        workdir = Path(tempfile.mkdtemp(prefix="hub-acronis-bench-"))
        sim = make_app(args.customers, page_size=page_size)
        sim.faults.latency = args.latency
        server = make_server("127.0.0.1", 0, sim, threaded=True, request_handler=Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        hub = create_app({
            "INSTANCE_PATH": str(workdir / "instance"),
            "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{workdir / 'hub.sqlite3'}",
            "SECRET_KEY": "bench", "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "HUB_LOAD_ENTRY_POINTS": True,
        })
        with hub.app_context():
            db.drop_all()
            db.create_all()
            integrations.configure("acronis", {"base_url": f"http://127.0.0.1:{server.server_port}",
                                               "client_id": next(iter(sim.state.clients)),
                                               "client_secret": next(iter(sim.state.clients.values()))},
                                   Actor.cli("benchmark"), enable=True, check_connection=False)
        one_run(hub, sim, f"page size {page_size}, first sync", rate)
        one_run(hub, sim, f"page size {page_size}, second sync (nothing changed)", rate)
        server.shutdown()
        with hub.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
