"""Demo data that tells the story by itself, made once on a demo's first start (after its first syncs,
mappings and recurring invoices):

- 90 days of count history with believable movement (seats added and removed over the weeks), so the
  usage report's chart is a line, not a flat zero with a spike on the last day;
- a few issued invoices (this month's run for the first recurring invoices);
- a held change (a big drop at a vendor, waiting in Pending changes);
- a failed sync (a vendor answering nonsense once), as the dashboard shows one.

Everything but the history goes through the real code paths (the simulators, syncs, billing); the
history is written as the syncs would have written it, had the demo run for 90 days.
"""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta
from decimal import Decimal

from hub.extensions import db
from hub.timeutil import utcnow

log = logging.getLogger("hub.demo")

HISTORY_DAYS = 90


def backdate_history(days: int = HISTORY_DAYS, seed: int = 13) -> None:
    """Give each current count a past: it started lower or higher ``days`` ago and moved a few times."""
    from hub.models import LicenseCount, LicenseCountHistory

    rng, now = random.Random(seed), utcnow()
    db.session.execute(db.delete(LicenseCountHistory).where(LicenseCountHistory.previous_quantity.is_(None)))
    rows = []
    for count in db.session.execute(db.select(LicenseCount).where(LicenseCount.quantity > 0)).scalars():
        final = int(count.quantity)
        steps = sorted(rng.sample(range(1, days), k=min(days - 1, rng.randint(2, 5))), reverse=True)
        quantity = max(1, final + rng.randint(-max(2, final // 3), max(2, final // 4)))
        rows.append(_history(count, now - timedelta(days=days), None, quantity))
        for n, days_ago in enumerate(steps):
            new = final if n == len(steps) - 1 else max(0, quantity + rng.randint(-max(1, final // 6), max(2, final // 5)))
            if new != quantity:
                rows.append(_history(count, now - timedelta(days=days_ago, hours=rng.randint(0, 20)), quantity, new))
                quantity = new
    if rows:
        db.session.execute(db.insert(LicenseCountHistory), rows)
    db.session.commit()


def _history(count, at, previous: int | None, quantity: int) -> dict:
    return {"vendor_customer_id": count.vendor_customer_id, "sku_id": count.sku_id, "recorded_at": at,
            "previous_quantity": None if previous is None else Decimal(previous), "quantity": Decimal(quantity)}


def issue_a_few_invoices(actor, how_many: int = 3) -> list[int]:
    """This month's invoice for the first recurring invoices: what an issued invoice looks like."""
    from hub.billing import recurring
    from hub.billing.invoicing import run_due_invoices
    from hub.models import RecurringInvoice

    today = utcnow().date()
    ids = list(db.session.execute(db.select(RecurringInvoice.id).order_by(RecurringInvoice.id).limit(how_many))
               .scalars())
    for recurring_id in ids:
        recurring.update_recurring_invoice(recurring_id, actor, next_run_date=date(today.year, today.month, 1))
    return run_due_invoices(today, actor, recurring_ids=ids).issued


def hold_one_change(consoles: dict, actor) -> None:
    """A mapped customer's count drops by two thirds at its vendor; the hold policy keeps it for approval."""
    from hub.billing.hold_policy import update_hold_policy
    from hub.models import VendorCustomer, VendorIntegration
    from hub.sync import run_sync

    for slug, console in consoles.items():
        mapped = set(db.session.execute(
            db.select(VendorCustomer.external_id).join(VendorIntegration)
            .where(VendorIntegration.slug == slug, VendorCustomer.organization_id.is_not(None))).scalars())
        for customer in console.customers():
            counter, count = next(((c, n) for c, n in customer.counts.items() if n >= 6), (None, 0))
            if customer.key in mapped and counter:
                update_hold_policy(slug, actor, hold_decrease_over_pct="20")
                console.set_count(customer.key, counter, count // 3)
                log.info("demo: %s drops %s to %s at %s (held)", customer.name, counter, count // 3, slug)
                run_sync(slug, trigger="demo", triggered_by="demo")
                return


def fail_one_sync(simulators: dict, spare: set[str]) -> None:
    """One vendor answers its listing with nonsense once: a failed run, as the dashboard and history show it.
    A vendor outside ``spare`` (those the vendor console plays) is chosen when there is one."""
    from hub.sync import run_sync

    for slug in sorted(simulators, key=lambda s: (s in spare, s)):
        faults = getattr(simulators[slug].app, "faults", None)
        if faults is None:
            continue
        faults.malformed = True
        try:
            run = run_sync(slug, trigger="demo", triggered_by="demo")
            log.info("demo: %s sync with a malformed answer: %s", slug, run.status)
        finally:
            faults.reset()
        return


def tell_the_story(app, actor) -> None:
    from hub.demo_console import consoles

    simulators = app.extensions.get("hub.demo.simulators", {})
    steps = (("count history", backdate_history), ("issued invoices", lambda: issue_a_few_invoices(actor)),
             ("a held change", lambda: hold_one_change(consoles(simulators), actor)),
             ("a failed sync", lambda: fail_one_sync(simulators, spare=set(consoles(simulators)))))
    for what, step in steps:
        try:
            step()
        except Exception:  # the demo still starts, with less of its story
            db.session.rollback()
            log.exception("demo: could not set up %s", what)
