"""What needs a person today, gathered for the dashboard in a fixed number of queries whatever the size.

Two parts: ``gather`` (counts, cheap: the dashboard itself) and ``billing_summary`` (the unbilled value
and the next run's total, which price every count and every due line: the dashboard fetches it as a
fragment after it is shown, so a hub with 10,000 customers still opens its dashboard at once).

Each figure comes from the service that owns its rule (the usage report's unbilled value, the invoice
run's total (``forecast``), the pending-change count, the delivery and push states); this module only adds
them up.

The billing figures read every count and every due line (half a second with 10,000 customers), so each
process keeps the last ones it computed with the billing data's version (``data_version``: one cheap
query) and computes them again only when that moved: after a sync, an edit, an issue, or a new day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from hub.billing import catalog, data_version, pending
from hub.billing.forecast import run_totals
from hub.billing.usage_report import report_rows, unbilled_value
from hub.extensions import db
from hub.models import (
    IntegrationState,
    Invoice,
    InvoiceStatus,
    RecurringInvoice,
    SyncRun,
    SyncStatus,
    VendorIntegration,
)
from hub.web.mapping_query import status_count_query, status_of

#: integration states that mean its syncs are not getting through
FAILING_STATES = (IntegrationState.ERROR.value, IntegrationState.RETRYING.value)


@dataclass
class InvoiceRun:
    """One invoice run: its date, how many invoices, and their total per currency."""

    day: date
    count: int
    totals: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class BillingSummary:
    unbilled: dict[str, Decimal]
    unpriced_unbilled_rows: int
    skus_without_product: int
    next_run: InvoiceRun | None
    last_run: InvoiceRun | None
    #: vendor lines billing a quantity a person kept though the counts say otherwise (a rejected change)
    kept_lines: int = 0


@dataclass(frozen=True)
class ReconnectNeeded:
    """A destination in *needs reconnect*: its name, why, and how many of its pushes wait meanwhile."""

    slug: str
    name: str
    message: str | None
    waiting: int


@dataclass
class Attention:
    pending_changes: int
    #: integration id -> {"not_mapped": n, "detached": n, "mapped": n}
    customers: dict[int, dict[str, int]]
    failing: list[VendorIntegration]
    needs_credentials: list[VendorIntegration]
    reviews: list[SyncRun]
    failed_emails: int
    blocked_pushes: int | None
    failing_webhooks: int | None
    #: enabled destinations whose tokens the provider refused: their pushes wait until someone reconnects
    destinations_to_reconnect: list[ReconnectNeeded] = field(default_factory=list)

    @property
    def unmapped_customers(self) -> int:
        return sum(c.get("not_mapped", 0) for c in self.customers.values())

    @property
    def detached_customers(self) -> int:
        return sum(c.get("detached", 0) for c in self.customers.values())

    @property
    def all_clear(self) -> bool:
        return not (self.pending_changes or self.unmapped_customers or self.detached_customers or self.failing
                    or self.needs_credentials or self.reviews or self.failed_emails
                    or self.blocked_pushes or self.failing_webhooks or self.destinations_to_reconnect)


def gather(integrations: list[VendorIntegration]) -> Attention:
    return Attention(
        pending_changes=pending.count_pending_changes(), customers=customer_counts(),
        failing=[i for i in integrations if i.enabled and i.state in FAILING_STATES],
        needs_credentials=[i for i in integrations if i.enabled and i.state == IntegrationState.NEEDS_REAUTH.value],
        reviews=list(db.session.execute(
            select(SyncRun).filter_by(status=SyncStatus.NEEDS_REVIEW.value).order_by(SyncRun.started_at.desc())
            .limit(10)).scalars()),
        failed_emails=_failed_emails(), blocked_pushes=_blocked_pushes(), failing_webhooks=_failing_webhooks(),
        destinations_to_reconnect=_destinations_to_reconnect())


#: app.extensions key: (billing data version, the BillingSummary computed at it)
CACHE_KEY = "hub.dashboard_billing"


def billing_summary() -> BillingSummary:
    """The billing figures, computed again only when the billing data's version moved (see above)."""
    version = data_version.current()  # read before computing: a change meanwhile only makes it recompute
    kept = current_app.extensions.get(CACHE_KEY)
    if kept is not None and kept[0] == version:
        return kept[1]
    summary = compute_billing_summary()
    current_app.extensions[CACHE_KEY] = (version, summary)
    return summary


def compute_billing_summary() -> BillingSummary:
    rows = report_rows()
    unbilled, unpriced = unbilled_value(rows)  # the usage report's figure, without its other totals
    return BillingSummary(
        unbilled={cur: value for cur, value in sorted(unbilled.items()) if value},
        unpriced_unbilled_rows=unpriced,
        skus_without_product=catalog.count_skus_without_product(),
        next_run=next_invoice_run(), last_run=last_invoice_run(),
        kept_lines=len({(r.organization_id, r.integration_id, r.product_id) for r in rows
                        if r.line_state == "kept" and r.status != "still_billed"}))


def customer_counts() -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    for integration_id, detached, mapped, n in db.session.execute(status_count_query()):
        by_status = counts.setdefault(integration_id, {})
        status = status_of(detached, mapped)
        by_status[status] = by_status.get(status, 0) + n
    return counts


def next_invoice_run() -> InvoiceRun | None:
    """The earliest next-run date of the active recurring invoices, how many run then, and what the run
    would bill for them now, before tax (``forecast.run_totals``: the sum of their previews' subtotals, the
    pending one-off charges each takes included)."""
    day = db.session.execute(
        select(func.min(RecurringInvoice.next_run_date)).where(RecurringInvoice.active.is_(True))).scalar()
    if day is None:
        return None
    due = (RecurringInvoice.active.is_(True), RecurringInvoice.next_run_date == day)
    count = db.session.execute(select(func.count()).select_from(RecurringInvoice).where(*due)).scalar_one()
    return InvoiceRun(day, count, dict(sorted(run_totals(day).items())))


def last_invoice_run() -> InvoiceRun | None:
    """The last day recurring invoices were issued: how many, and their totals per currency."""
    issued = (Invoice.status != InvoiceStatus.DRAFT.value, Invoice.status != InvoiceStatus.VOID.value,
              Invoice.recurring_invoice_id.is_not(None))
    day = db.session.execute(select(func.max(Invoice.invoice_date)).where(*issued)).scalar()
    if day is None:
        return None
    rows = db.session.execute(
        select(Invoice.currency, func.count(), func.sum(Invoice.total))
        .where(*issued, Invoice.invoice_date == day).group_by(Invoice.currency).order_by(Invoice.currency)).all()
    return InvoiceRun(day, sum(n for _, n, _ in rows), {cur: Decimal(total or 0) for cur, _, total in rows})


def _failed_emails() -> int:
    from hub.delivery.status import failing_documents

    return failing_documents(limit=0).count


def _blocked_pushes() -> int | None:
    from hub.models.destination import DestinationPush, PushState

    return db.session.execute(select(func.count()).select_from(DestinationPush)
                              .where(DestinationPush.state == PushState.BLOCKED.value)).scalar_one()


def _destinations_to_reconnect() -> list[ReconnectNeeded]:
    """Two queries whatever the number of pushes: the connections, then their waiting pushes counted."""
    from hub.models.destination import ConnectionState, DestinationConnection, DestinationPush, PushState
    from hub.web.helpers import registry

    found = list(db.session.execute(select(DestinationConnection).where(
        DestinationConnection.enabled.is_(True), DestinationConnection.state == ConnectionState.NEEDS_RECONNECT.value)
        .order_by(DestinationConnection.slug)).scalars())
    if not found:
        return []
    waiting = dict(db.session.execute(
        select(DestinationPush.connection_id, func.count()).where(
            DestinationPush.connection_id.in_([c.id for c in found]),
            DestinationPush.state.in_([PushState.QUEUED.value, PushState.RETRYING.value, PushState.PUSHING.value,
                                       PushState.BLOCKED.value]))
        .group_by(DestinationPush.connection_id)).all())
    plugins = registry().destinations
    return [ReconnectNeeded(c.slug, plugins[c.slug].info.display_name if c.slug in plugins else c.slug,
                            c.state_message, waiting.get(c.id, 0)) for c in found]


def _failing_webhooks() -> int | None:
    from hub.models.webhook import EndpointState, WebhookEndpoint

    return db.session.execute(select(func.count()).select_from(WebhookEndpoint)
                              .where(WebhookEndpoint.state == EndpointState.FAILING.value)).scalar_one()
