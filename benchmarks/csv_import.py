"""CSV import benchmark: a 50,000-row file (10,000 customers x 5 SKUs) previewed, then applied.

    .venv/bin/python benchmarks/csv_import.py [--customers 10000] [--database-url URL] [--repeat 3]

Through the real plugin (found by its entry point), the real upload, preview and apply services and
the real sync engine. The floor is the sync engine benchmark's: the same rows a first sync writes
(customers, counts, history, audit events), one bulk insert per table. Target (issue 14): preview
and apply of 50,000 rows under 5 s on SQLite.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_engine import SKUS, SyntheticVendor, bench_app, scratch_database, write_floor  # noqa: E402

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


def one_round(url: str | None, data: bytes, size: int) -> tuple[float, float]:
    with scratch_database(url) as (database_url, folder):
        app = _with_entry_points(database_url, folder)
        with app.app_context():
            db.create_all()
            integrations.add_instance("csv_import", "bench-csv", "Bench via CSV", ACTOR)
            db.session.commit()
            stored = imports.store_upload("bench-csv", "bench.csv", data)
            gc.collect()
            started = time.perf_counter()
            preview = imports.preview_upload("bench-csv", stored, {"complete_listing": True})
            preview_s = time.perf_counter() - started
            assert preview.error is None and len(preview.plan.new) == size, preview.error
            db.session.rollback()
            gc.collect()
            started = time.perf_counter()
            run = imports.apply_upload("bench-csv", stored, {"complete_listing": True}, ACTOR)
            apply_s = time.perf_counter() - started
            assert run.status == "succeeded" and run.customers_added == size, run.error_message
            db.session.remove()
            db.engine.dispose()
    return preview_s, apply_s


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
          f"{len(data) / 2**20:.1f} MB) on {dialect}, best of {args.repeat}")
    best_preview = best_apply = best_floor = float("inf")
    for _ in range(args.repeat):
        preview_s, apply_s = one_round(args.database_url, data, args.customers)
        best_preview, best_apply = min(best_preview, preview_s), min(best_apply, apply_s)
        with bench_app(args.database_url, vendor):
            best_floor = min(best_floor, write_floor(vendor))
    total = best_preview + best_apply
    print(f"{'phase':44} {'seconds':>8} {'x floor':>8}")
    print(f"{'floor: same rows, one bulk insert per table':44} {best_floor:8.3f} {1:8.2f}")
    print(f"{'preview (read, parse, plan; writes nothing)':44} {best_preview:8.3f} {best_preview / best_floor:8.2f}")
    print(f"{'apply (save settings, read again, sync)':44} {best_apply:8.3f} {best_apply / best_floor:8.2f}")
    print(f"{'preview + apply':44} {total:8.3f} {total / best_floor:8.2f}   target < 5 s: "
          f"{'met' if total < 5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
