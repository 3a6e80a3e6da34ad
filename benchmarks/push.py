"""Push benchmark: 1,000 issued invoices pushed to each destination simulator through the real push
run, using the provider's batch endpoint, under its documented rate limit.

    .venv/bin/python benchmarks/push.py                       # both simulators, SQLite
    .venv/bin/python benchmarks/push.py --invoices 200 --only xero

For each provider it prints the wall time, the floor that the documented limit and the batch size
set (QuickBooks: 30 invoices per batch, 40 batch requests a minute; Xero: 50 invoices per request,
60 calls a minute), the ratio to that floor (target within 1.2x), the requests the simulator refused
as over its limit (target 0) and duplicate invoices at the provider (target 0).

Set-up (Organizations, products, recurring invoices, the invoice run, OAuth connection, mappings) is
not measured; the measured part is ``run_pushes`` until every push is ``pushed``.
"""

from __future__ import annotations

import argparse
import collections
import math
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from hub import create_app  # noqa: E402
from hub.audit import Actor  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.models import DestinationPush, Organization, Product, RecurringInvoice, RecurringLine  # noqa: E402
from hub.testing.server import serve  # noqa: E402

ACTOR = Actor.cli("benchmark")
RUN_DATE = date(2024, 1, 31)
#: provider -> (invoices per request, requests per minute for those requests)
LIMITS = {"quickbooks": (30, 40), "xero": (50, 60)}


def seed(count: int) -> None:
    """One Organization, one product and ``count`` recurring invoices due on RUN_DATE."""
    db.session.add(Organization(name="Customer 001"))
    db.session.add(Product(code="EP-MGD", name="Managed Endpoint", unit_price=Decimal("12.50")))
    db.session.flush()
    org_id = db.session.execute(sa.select(Organization.id)).scalar_one()
    product_id = db.session.execute(sa.select(Product.id)).scalar_one()
    db.session.execute(sa.insert(RecurringInvoice.__table__), [
        dict(organization_id=org_id, name=f"R{n}", frequency="monthly", period_mode="in_advance", anchor_day=31,
             next_run_date=RUN_DATE, currency="USD", due_days=30, auto_issue=True, active=True)
        for n in range(count)])
    ids = list(db.session.execute(sa.select(RecurringInvoice.id)).scalars())
    db.session.execute(sa.insert(RecurringLine.__table__), [
        dict(recurring_invoice_id=i, position=1, kind="standard", product_id=product_id, quantity=Decimal(3))
        for i in ids])
    db.session.commit()


def connect(slug: str, served) -> None:
    from hub.destinations import connections, mappings, oauth

    handle = connections.handle_for(slug)
    connections.configure(slug, handle.demo_simulator().config_for(served.base_url), ACTOR)
    redirect_uri = f"http://bench.local/{slug}/callback"
    answer = requests.get(oauth.start(slug, redirect_uri, ACTOR), allow_redirects=False, timeout=10)
    connection = oauth.finish(slug, dict(parse_qsl(urlsplit(answer.headers["Location"]).query)), redirect_uri, ACTOR)
    if connection.account_choices:
        oauth.choose_account(slug, connection.account_choices[0]["account_id"], ACTOR)
    connections.set_enabled(slug, True, ACTOR)
    mappings.auto_match(slug, "customer", ACTOR)
    mappings.auto_match(slug, "item", ACTOR)
    for kind in ("customer", "item"):
        mappings.confirm(slug, kind, [r.local_key for r in mappings.rows(slug, kind) if r.mapping], ACTOR)


def bench(slug: str, count: int, folder: Path) -> dict:
    from hub.billing.invoicing import run_due_invoices
    from hub.destinations.push import run_pushes

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / (slug + '.sqlite3')}", "SECRET_KEY": "bench",
                      "INSTANCE_PATH": str(folder / "instance"), "HUB_LOAD_ENTRY_POINTS": True,
                      "HUB_ENCRYPTION_KEYS": "kJ9l0Xy2bcoV1a7m3tXJ5qQx0Hh4m8l1b9cR2dE6fF0="})
    handle = app.extensions["hub.plugins"].destination_handle(slug)
    with app.app_context():
        db.create_all()
        served = serve(handle.demo_simulator().make_app(4), name=f"bench-{slug}")
        try:
            seed(count)
            connect(slug, served)
            result = run_due_invoices(RUN_DATE, ACTOR, batch_size=500)
            assert len(result.issued) == count, result.skipped[:3]
            sim = served.app
            sim.state.requests.clear()
            started = time.perf_counter()
            rounds = 0
            while rounds < 20:
                rounds += 1
                run_pushes()
                left = db.session.execute(sa.select(sa.func.count()).select_from(DestinationPush).where(
                    DestinationPush.state != "pushed")).scalar()
                if not left:
                    break
                db.session.execute(sa.update(DestinationPush).values(next_attempt_at=None))  # retry now
                db.session.commit()
            wall = time.perf_counter() - started
            per_request, per_minute = LIMITS[slug]
            batches = math.ceil(count / per_request)
            floor = (batches - 1) * 60 / per_minute
            numbers = collections.Counter(str(i.get("DocNumber") or i.get("InvoiceNumber")) for i in
                                          (sim.state.invoices.values() if slug == "quickbooks" else sim.all_invoices()))
            return {"slug": slug, "invoices": count, "wall": wall, "floor": floor, "batches": batches,
                    "requests": len(sim.state.requests), "over_limit": sim.state.over_limit,
                    "duplicates": sum(n - 1 for n in numbers.values() if n > 1), "held": sum(numbers.values()),
                    "left": left, "rounds": rounds}
        finally:
            served.stop()
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--only", choices=sorted(LIMITS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hub-push-bench-") as folder:
        for slug in [args.only] if args.only else sorted(LIMITS):
            r = bench(slug, args.invoices, Path(folder))
            ratio = r["wall"] / r["floor"] if r["floor"] else float("nan")
            print(f"{slug:11} {r['invoices']} invoices in {r['batches']} batches: {r['wall']:.1f} s, floor "
                  f"{r['floor']:.1f} s ({LIMITS[slug][1]} requests/min of {LIMITS[slug][0]}), ratio {ratio:.2f}x, "
                  f"{r['requests']} requests, {r['over_limit']} over the limit, {r['duplicates']} duplicates, "
                  f"{r['held']} held by the provider, {r['left']} not pushed, {r['rounds']} run(s)")


if __name__ == "__main__":
    main()
