"""A full hub sync of the Proofpoint plugin against its simulator: wall time against the rate-limit floor.

    .venv/bin/python plugins/proofpoint/benchmarks/full_sync.py [--customers 2000] [--latency 0.02]

Proofpoint documents no rate limit; the plugin declares its own conservative budget
(``VendorInfo.requests_per_second``), so the floor is (requests - 1) / that rate: the first request
goes at once. Real sleeps and real spacing here (this is not a test). Prints the figures and ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from hub import create_app, integrations
from hub.audit import Actor
from hub.extensions import db
from hub.sync import run_sync


class Arrivals:
    """Wraps the simulator to note when each request arrived (to show the rate limit is kept)."""

    def __init__(self, app) -> None:
        self.app, self.times = app, []

    def __call__(self, environ, start_response):
        self.times.append(time.monotonic())
        return self.app(environ, start_response)

    def min_gap(self) -> float:
        return min((b - a for a, b in zip(self.times, self.times[1:])), default=float("nan"))


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every simulated request")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-proofpoint-"))
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp), "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp / 'hub.sqlite3'}",
                      "HUB_ENCRYPTION_KEYS": "kJ9l0Xy2bcoV1a7m3tXJ5qQx0Hh4m8l1b9cR2dE6fF0=",
                      "HUB_LOAD_ENTRY_POINTS": True, "HUB_LOG_LEVEL": "WARNING"})
    handle = app.extensions["hub.plugins"].handle("proofpoint")
    simulator = handle.demo_simulator()
    sim_app = simulator.make_app(args.customers)
    sim_app.faults.latency = args.latency
    arrivals = Arrivals(sim_app)
    server = make_server("127.0.0.1", 0, arrivals, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    rate = handle.info.requests_per_second
    try:
        with app.app_context():
            db.create_all()
            integrations.configure("proofpoint", simulator.config_for(f"http://127.0.0.1:{server.server_port}"),
                                   Actor.cli("bench"), enable=True, check_connection=False)
            for label in ("first sync (all new)", "second sync (nothing changed)"):
                sim_app.calls.clear()
                arrivals.times.clear()
                started = time.perf_counter()
                run = run_sync("proofpoint", trigger="bench")
                wall = time.perf_counter() - started
                requests = len(sim_app.calls)
                floor = (requests - 1) / rate if rate else 0.0
                print(f"{label}: {run.status}, {run.customers_seen} customers, {requests} requests, "
                      f"wall {wall:.2f} s, rate-limit floor {floor:.2f} s at {rate:g} req/s, "
                      f"ratio {wall / floor if floor else float('nan'):.2f}x; closest two requests "
                      f"{arrivals.min_gap():.3f} s apart (limit {1 / rate if rate else 0:.3f} s)")
                assert run.status == "succeeded", run.error_message
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
