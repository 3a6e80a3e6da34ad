"""CSV import benchmark: a 50,000-row file (10,000 customers x 5 SKUs) previewed, then applied.

    .venv/bin/python benchmarks/csv_import.py [--customers 10000] [--database-url URL] [--repeat 3]

Through the real plugin (found by its entry point), the real upload, preview and apply services and
the real sync engine. The floor is the sync engine benchmark's: the same rows a first sync writes
(customers, counts, history, audit events), one bulk insert per table. Target (issue 14): preview
and apply of 50,000 rows under 5 s on SQLite.

Each round runs on fresh databases; the median of the rounds is reported (and the best). Wall time
and this process's CPU time are both printed, with the load average: on a shared machine a process
waits for a CPU, and its wall time grows with the load while its CPU time (SQLite works in-process,
so its work is in it) stays near what a quiet machine's wall time would be.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from statistics import median

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_engine import SKUS, SyntheticVendor, bench_app, scratch_database, write_floor_timed  # noqa: E402

from hub import imports, integrations  # noqa: E402
from hub.audit import Actor  # noqa: E402
from hub.extensions import db  # noqa: E402

ACTOR = Actor.cli("bench")


def csv_bytes(vendor: SyntheticVendor) -> bytes:
    lines = ["customer_id,customer_name,sku,quantity,status"]
    for i in range(vendor.size):
        customer = vendor.customer(i)
        for k, sku in enumerate(SKUS):
            lines.append(f"{customer.external_id},{customer.name},{sku},{vendor.quantity(i, k)},"
                         f"{customer.status.value}")
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def one_round(url: str | None, data: bytes, size: int) -> dict[str, tuple[float, float]]:
    """{"preview": (wall, cpu), "apply": (wall, cpu)} of one upload on a fresh database."""
    with scratch_database(url) as (database_url, folder):
        app = _with_entry_points(database_url, folder)
        with app.app_context():
            db.create_all()
            integrations.add_instance("csv_import", "bench-csv", "Bench via CSV", ACTOR)
            db.session.commit()
            stored = imports.store_upload("bench-csv", "bench.csv", data)
            with timed() as preview_time:
                preview = imports.preview_upload("bench-csv", stored, {"complete_listing": True})
            assert preview.error is None and len(preview.plan.new) == size, preview.error
            db.session.rollback()
            with timed() as apply_time:
                run = imports.apply_upload("bench-csv", stored, {"complete_listing": True}, ACTOR)
            assert run.status == "succeeded" and run.customers_added == size, run.error_message
            db.session.remove()
            db.engine.dispose()
    return {"preview": tuple(preview_time), "apply": tuple(apply_time)}


@contextmanager
def timed():
    """Fills the yielded list with (wall seconds, CPU seconds) of the block."""
    gc.collect()
    result: list[float] = []
    started, cpu = time.perf_counter(), time.process_time()
    yield result
    result += [time.perf_counter() - started, time.process_time() - cpu]


def _with_entry_points(database_url: str, folder: str):
    from cryptography.fernet import Fernet

    from hub import create_app

    return create_app({"INSTANCE_PATH": folder, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                       "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "HUB_LOAD_ENTRY_POINTS": True,
                       "HUB_LOG_LEVEL": "WARNING"})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    vendor = SyntheticVendor(args.customers)
    data = csv_bytes(vendor)
    dialect = sa.engine.make_url(args.database_url or "sqlite://").get_backend_name()
    rows = args.customers * len(SKUS)
    print(f"CSV import benchmark: {rows} rows ({args.customers} customers x {len(SKUS)} SKUs, "
          f"{len(data) / 2**20:.1f} MB) on {dialect}, median of {args.repeat}; load average {load_average()}")
    rounds: dict[str, list[tuple[float, float]]] = {"floor": [], "preview": [], "apply": [], "total": []}
    for _ in range(args.repeat):
        timings = one_round(args.database_url, data, args.customers)
        with bench_app(args.database_url, vendor):
            rounds["floor"].append(write_floor_timed(vendor))
        rounds["preview"].append(timings["preview"])
        rounds["apply"].append(timings["apply"])
        rounds["total"].append(tuple(p + a for p, a in zip(timings["preview"], timings["apply"])))
    print(f"load average at the end: {load_average()}")
    floor_wall, floor_cpu = (median(t[i] for t in rounds["floor"]) for i in (0, 1))
    print(f"{'phase':44} {'wall s':>8} {'x floor':>8} {'cpu s':>8} {'x floor':>8} {'best wall':>10}")
    labels = {"floor": "floor: same rows, one bulk insert per table",
              "preview": "preview (read, parse, plan; writes nothing)",
              "apply": "apply (save settings, read again, sync)", "total": "preview + apply"}
    for key, label in labels.items():
        wall, cpu = (median(t[i] for t in rounds[key]) for i in (0, 1))
        best = min(t[0] for t in rounds[key])
        print(f"{label:44} {wall:8.3f} {wall / floor_wall:8.2f} {cpu:8.3f} {cpu / floor_cpu:8.2f} {best:10.3f}")
    total_wall, total_cpu = (median(t[i] for t in rounds["total"]) for i in (0, 1))
    verdict = {True: "met", False: "NOT met"}
    print(f"target: preview + apply under 5 s: {verdict[total_wall < 5]} in wall time "
          f"({total_wall:.2f} s); in CPU time {verdict[total_cpu < 5]} ({total_cpu:.2f} s)")
    return 0


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


if __name__ == "__main__":
    sys.exit(main())
