"""Sync engine benchmark: a synthetic vendor of N customers x 5 SKUs through the real engine.

    .venv/bin/python benchmarks/sync_engine.py [--customers 10000] [--database-url URL]

Phases: the floor (the same rows a first sync writes -- customers, counts, history, audit events --
with one bulk insert per table), a first sync, an unchanged re-sync, and a re-sync with 1% of the
customers changed. The vendor is a plugin object generating records in memory (the boundary is the
vendor, so no HTTP). With a PostgreSQL URL, a scratch database is created on that server and
dropped afterwards. Targets (issue 2): first sync within 3x the floor, unchanged re-sync under 1 s
on SQLite, peak memory under 300 MB.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet
from marshmallow import Schema, fields

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub import create_app, integrations  # noqa: E402
from hub.audit import Actor, audit_event  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.models import (  # noqa: E402
    AuditEvent, LicenseCount, LicenseCountHistory, SyncRun, VendorCustomer, VendorIntegration, VendorSku,
)
from hub.plugins import (  # noqa: E402
    ConnectionCheck, CustomerStatus, LicenseCount as Count, SkuMapping, VendorCustomer as Listed, VendorInfo, hookimpl,
)
from hub.sync import run_sync  # noqa: E402
from hub.testing.databases import throwaway_database  # noqa: E402
from hub.timeutil import utcnow  # noqa: E402

SKUS = [f"sku-{k}" for k in range(5)]
STATUSES = [CustomerStatus.ACTIVE] * 8 + [CustomerStatus.SUSPENDED, CustomerStatus.TRIAL]


class SyntheticConfig(Schema):
    api_key = fields.String(required=True, metadata={"secret": True})


class SyntheticVendor:
    """A vendor of ``size`` customers; ``changed`` marks which of them differ from the first listing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.changed: frozenset[int] = frozenset()
        # the vendor's data, made once: the benchmark times the hub, not the making of test data
        self._quantities = [[Decimal((i * 7 + k * 13) % 250) + (Decimal("0.5") if k == 4 else 0)
                             for k in range(len(SKUS))] for i in range(size)]

    def customer(self, i: int) -> Listed:
        name = f"Customer {i}" + (" (renamed)" if i in self.changed else "")
        return Listed(f"cust-{i:06d}", name, STATUSES[i % len(STATUSES)], {"domain": f"c{i}.example"})

    def quantity(self, i: int, k: int) -> Decimal:
        base = self._quantities[i][k]
        return base + 1 if k == 0 and i in self.changed else base

    @hookimpl
    def hub_vendor_info(self):
        return VendorInfo(slug="synthetic", display_name="Synthetic", version="1.0",
                          description="benchmark vendor", config_schema=SyntheticConfig)

    @hookimpl
    def hub_test_connection(self, config, session):
        return ConnectionCheck(ok=True, message="ok")

    @hookimpl
    def hub_list_customers(self, config, session):
        return (self.customer(i) for i in range(self.size))

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        for customer in customers:
            i = int(customer.external_id[5:])
            for k, sku in enumerate(SKUS):
                yield Count(customer.external_id, sku, self.quantity(i, k))

    @hookimpl
    def hub_map_skus(self, config, skus):
        return [SkuMapping(s, s.upper()) for s in skus]


# -- database ------------------------------------------------------------------------------------

@contextmanager
def scratch_database(url: str | None):
    """A SQLite file in a temporary folder, or a new database on the given PostgreSQL server."""
    if not url or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            yield url or f"sqlite:///{folder}/bench.sqlite3", folder
        return
    with throwaway_database(url, "hub_bench") as database_url, tempfile.TemporaryDirectory() as folder:
        yield database_url, folder


def make_app(url: str, folder: str):
    return create_app({
        "INSTANCE_PATH": folder, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
        "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "HUB_LOAD_ENTRY_POINTS": False,
        "HUB_LOG_LEVEL": "WARNING",
    })


# -- the floor -----------------------------------------------------------------------------------

def write_floor(vendor: SyntheticVendor) -> float:
    """The rows a first sync writes, each table in one bulk insert (Core executemany), timed."""
    return write_floor_timed(vendor)[0]


def write_floor_timed(vendor: SyntheticVendor) -> tuple[float, float]:
    """``write_floor``'s (wall seconds, this process's CPU seconds)."""
    now = utcnow()
    integration = VendorIntegration(slug="floor", enabled=True, settings={}, state="ready")
    db.session.add(integration)
    db.session.flush()
    run = SyncRun(integration_id=integration.id, trigger="bench", status="succeeded", started_at=now)
    db.session.add(run)
    db.session.flush()
    db.session.execute(sa.insert(VendorSku.__table__), [
        dict(integration_id=integration.id, sku=s, name=s.upper(), unit="license", billable=True,
             first_seen_at=now) for s in SKUS])
    sku_ids = dict(db.session.execute(sa.select(VendorSku.sku, VendorSku.id)
                                      .where(VendorSku.integration_id == integration.id)).all())
    first_id = (db.session.execute(sa.select(sa.func.max(VendorCustomer.id))).scalar() or 0) + 1
    db.session.commit()
    actor = Actor.sync(run)

    # the rows, prepared outside the timing: the floor is the database's share only
    listed = [vendor.customer(i) for i in range(vendor.size)]
    customers = [dict(id=first_id + i, integration_id=integration.id, external_id=c.external_id, name=c.name,
                      vendor_status=c.status.value, extra=dict(c.extra), first_seen_at=now, last_seen_at=now)
                 for i, c in enumerate(listed)]
    counts, history, audits = [], [], []
    for i, c in enumerate(listed):
        cid = first_id + i
        audits.append(audit_event(actor, "customer.create", "vendor_customer", cid, field="name", new=c.name,
                                  integration_id=integration.id, at=now,
                                  details={"external_id": c.external_id, "vendor_status": c.status.value}))
        for k, sku in enumerate(SKUS):
            q = vendor.quantity(i, k)
            counts.append(dict(vendor_customer_id=cid, sku_id=sku_ids[sku], quantity=q, updated_at=now,
                               sync_run_id=run.id))
            history.append(dict(vendor_customer_id=cid, sku_id=sku_ids[sku], quantity=q, previous_quantity=None,
                                recorded_at=now, sync_run_id=run.id))
            audits.append(audit_event(actor, "count.change", "vendor_customer", cid, field=sku, old=None, new=q,
                                      integration_id=integration.id, at=now))

    started, cpu = time.perf_counter(), time.process_time()
    for table, rows in ((VendorCustomer, customers), (LicenseCount, counts), (LicenseCountHistory, history),
                        (AuditEvent, audits)):
        db.session.execute(sa.insert(table.__table__), rows)
    db.session.commit()
    return time.perf_counter() - started, time.process_time() - cpu


# -- the syncs -----------------------------------------------------------------------------------

def timed_sync(label: str, expect: dict) -> tuple[float, SyncRun]:
    gc.collect()
    started = time.perf_counter()
    run = run_sync("synthetic", trigger="bench")
    elapsed = time.perf_counter() - started
    assert run.status == "succeeded", f"{label}: {run.status} {run.error_message}"
    got = {k: getattr(run, k) for k in expect}
    assert got == expect, f"{label}: expected {expect}, got {got}"
    db.session.remove()
    return elapsed, run


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@contextmanager
def bench_app(url: str | None, vendor: SyntheticVendor):
    """A fresh scratch database with the hub's tables and the synthetic integration configured."""
    with scratch_database(url) as (database_url, folder):
        app = make_app(database_url, folder)
        app.extensions["hub.plugins"].register(vendor, "synthetic")
        with app.app_context():
            db.create_all()
            integrations.configure("synthetic", {"api_key": "bench-key"}, Actor.cli("bench"), enable=True)
            integrations.get_integration("synthetic").detach_threshold_pct = Decimal(100)
            db.session.commit()
            db.session.remove()
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


def sync_phases(vendor: SyntheticVendor, traced: bool) -> list[tuple[str, float, float | None]]:
    n, changed = vendor.size, frozenset(range(0, vendor.size, 100))  # 1%
    phases = [
        ("first sync", {"customers_added": n, "counts_changed": n * len(SKUS)}, frozenset()),
        ("unchanged re-sync", {"customers_added": 0, "customers_updated": 0, "counts_changed": 0}, frozenset()),
        ("re-sync, 1% changed", {"customers_updated": len(changed), "counts_changed": len(changed)}, changed),
    ]
    results = []
    for label, expect, changes in phases:
        vendor.changed = changes
        if traced:
            tracemalloc.start()
        elapsed, _ = timed_sync(label, expect)
        peak = None
        if traced:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        results.append((label, elapsed, peak))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file; a PostgreSQL URL names the "
                                               "server where a scratch database is created")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds, each on fresh databases; the best time of each phase is reported")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="one more round under tracemalloc, for Python's peak allocations per sync")
    args = parser.parse_args(argv)
    vendor = SyntheticVendor(args.customers)
    dialect = sa.engine.make_url(args.database_url or "sqlite://").get_backend_name()
    print(f"sync engine benchmark: {args.customers} customers x {len(SKUS)} SKUs on {dialect}, best of "
          f"{args.repeat} (python {sys.version.split()[0]}, SQLAlchemy {sa.__version__})")
    baseline = rss_mb()

    best: dict[str, float] = {}
    sync_rss = None
    for _ in range(args.repeat):
        with bench_app(args.database_url, vendor):
            for label, elapsed, _ in sync_phases(vendor, traced=False):
                best[label] = min(best.get(label, elapsed), elapsed)
        sync_rss = sync_rss or rss_mb()  # the syncs' peak, before the floor builds its rows in memory
        with bench_app(args.database_url, vendor):  # the floor gets a database of its own, as empty
            floor = write_floor(vendor)
        best["floor"] = min(best.get("floor", floor), floor)
    peaks: dict[str, float] = {}
    if args.tracemalloc:  # after the timed rounds: tracing slows Python down and adds to RSS
        with bench_app(args.database_url, vendor):
            peaks = {label: peak for label, _, peak in sync_phases(vendor, traced=True)}

    floor = best.pop("floor")
    print(f"{'phase':46} {'seconds':>8} {'x floor':>8}" + (f" {'py peak MB':>11}" if peaks else ""))
    print(f"{'floor: same rows, one bulk insert per table':46} {floor:8.3f} {1:8.2f}")
    for label, elapsed in best.items():
        print(f"{label:46} {elapsed:8.3f} {elapsed / floor:8.2f}" + (f" {peaks[label]:11.1f}" if peaks else ""))
    print(f"peak RSS of the syncs {sync_rss:.0f} MB (whole process: {baseline:.0f} MB after start-up, "
          f"{rss_mb():.0f} MB at the end)")
    checks = [("first sync within 3x the floor", best["first sync"] <= 3 * floor),
              ("peak memory under 300 MB", sync_rss < 300)]
    if dialect == "sqlite":
        checks.append(("unchanged re-sync under 1 s (SQLite)", best["unchanged re-sync"] < 1.0))
    for name, ok in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
