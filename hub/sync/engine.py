"""One run of one vendor integration: read everything from the vendor, then apply it in one transaction.

Reading never writes. A run that fails while reading (auth, timeout, 5xx after retries, malformed
payload, paging cut short, a plugin bug) ends with a clear message and changes no customer and no
count. Only a complete listing may detach customers, and one that would detach too many stops for
review.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import current_app

from hub import integrations
from hub.audit import Actor, record
from hub.extensions import db
from hub.models import IntegrationState, SyncRun, SyncStatus, VendorIntegration
from hub.plugins import (
    CountFailure,
    CustomerStatus,
    LicenseCount,
    VendorAuthError,
    VendorCustomer,
    VendorDataError,
    VendorError,
    VendorUnavailableError,
)
from hub.sync import lease
from hub.sync.release import close_interrupted_runs
from hub.sync.boundary import storable_message, storable_snapshot
from hub.sync.apply import apply_plan, known_customers, load_current_counts
from hub.plugins.http import Redactor
from hub.security.secrets import SecretsError
from hub.sync.reconcile import plan_counts, plan_customers
from hub.timeutil import utcnow
from hub.webhooks import emitters

log = logging.getLogger("hub.sync")

#: the scale of stored quantities (``Numeric(18, 4)``): finer input would differ from what we read back
QUANTUM = Decimal("0.0001")
MAX_QUANTITY = Decimal(10) ** 14
#: when an unavailable vendor gave no Retry-After, try again after this long (or the interval, if shorter)
RETRY_BACKOFF = timedelta(minutes=15)
#: what a run left 'running' by a process that died (its lease lapsed and was taken over) says
INTERRUPTED = "the process running this sync stopped before it finished"


class SyncNotPossible(Exception):
    """The integration is missing or not configured. (A disabled one may still be synced by hand.)"""


class AlreadyRunning(Exception):
    """Another process or thread holds this integration's sync lease."""


class LeaseLost(Exception):
    """Another process took this run's lease over while it was reading (it was presumed dead)."""


@dataclass
class VendorSnapshot:
    """Everything one run read from the vendor, validated, before any write."""

    customers: list[VendorCustomer]
    counts: dict[tuple[str, str], Decimal]
    failures: dict[str, str]
    #: False when the plugin says its listing may leave customers out: then nobody is detached
    complete: bool = True
    #: the non-empty ``extra`` of counts, keyed like ``counts`` (most plugins give none)
    count_extras: dict[tuple[str, str], dict] = field(default_factory=dict)


def run_sync(slug: str, trigger: str = "manual", triggered_by: str | None = None, *,
             allow_mass_detach: bool = False, session_options: dict | None = None, only_if_due: bool = False) -> SyncRun:
    """Run one sync of ``slug`` now and return its SyncRun. Raises AlreadyRunning or SyncNotPossible.

    ``only_if_due`` (the scheduler): checked again once the lease is held, so two schedulers that both
    saw the integration due run it once: the second finds it synced and raises SyncNotPossible."""
    integration = integrations.get_integration(slug)
    if integration is None or (not integration.settings and not integration.secrets_token):
        raise SyncNotPossible(f"{slug} is not configured")
    holder = lease.new_holder()
    ttl = current_app.config["HUB_SYNC_LEASE_SECONDS"]
    if not lease.acquire(integration.id, holder, ttl):
        held = lease.holder_of(integration.id)
        raise AlreadyRunning(f"a sync of {slug} is already running" + (
            f" ({held.holder}, lease renewed until {held.expires_at:%H:%M:%S} UTC; if that process is gone, "
            f"`hub sync release {slug}` or wait for the lease to lapse)" if held else ""))
    try:
        if only_if_due:
            from hub.sync.jobs import is_due

            db.session.refresh(integration)
            if not is_due(integration, utcnow()):
                raise SyncNotPossible(f"{slug} is not due any more: it was synced a moment ago")
        close_interrupted_runs(integration, INTERRUPTED)
        run = SyncRun(integration_id=integration.id, trigger=trigger, triggered_by=triggered_by,
                      status=SyncStatus.RUNNING.value, started_at=utcnow())
        db.session.add(run)
        previous_state = integration.state
        integration.state = IntegrationState.SYNCING.value
        integration.last_sync_at = run.started_at
        db.session.commit()
        with lease.KeepAlive(db.engine, integration.id, holder, ttl):
            return _read_and_apply(run, integration, previous_state, holder, allow_mass_detach,
                                   session_options or {})
    finally:
        db.session.rollback()
        lease.release(integration.id, holder)


def _read_and_apply(run: SyncRun, integration: VendorIntegration, previous_state: str, holder: str,
                    allow_mass_detach: bool, session_options: dict) -> SyncRun:
    slug = integration.slug
    try:
        snapshot, config, handle = _read_vendor(integration, session_options)
    except VendorError as err:
        return _fail(run, integration, previous_state, err.kind, err.message, err)
    except SecretsError as err:  # the hub's keys, not the plugin's fault
        return _fail(run, integration, previous_state, "bad_config", str(err), err)
    except Exception as err:  # a plugin bug: never reconcile on it
        log.exception("plugin %s failed during sync run %s", slug, run.id)
        return _fail(run, integration, previous_state, "plugin_error",
                     f"the {slug} plugin failed: {type(err).__name__}: {err}", err)
    try:
        if not lease.still_held(integration.id, holder):
            raise LeaseLost("the sync lease was lost to another process; nothing applied")
        return _apply(run, integration, previous_state, snapshot, config, handle, allow_mass_detach)
    except Exception as err:
        db.session.rollback()
        # the traceback, SQL and parameters go to the server log only: viewers read the stored message
        log.exception("applying sync run %s failed", run.id)
        run = db.session.get(SyncRun, run.id)
        integration = db.session.get(VendorIntegration, integration.id)
        return _fail(run, integration, previous_state, "apply_error", _apply_error_message(run, err), err)


def _apply_error_message(run: SyncRun, err: Exception) -> str:
    if isinstance(err, LeaseLost):
        return str(err)
    cause = type(getattr(err, "orig", None) or err).__name__  # e.g. StringDataRightTruncation, no values
    return (f"the changes could not be saved ({cause}); nothing was applied. "
            f"The server log has the details of sync run {run.id}.")


def _read_vendor(integration: VendorIntegration, session_options: dict,
                 config: dict | None = None) -> tuple[VendorSnapshot, dict, Any]:
    """Everything the vendor says now, validated; ``config`` overrides the stored one (a preview)."""
    handle = integrations.handle_for(integration.slug)
    if config is None:
        config = integrations.load_config(integration)
    with handle.make_session(config, **session_options) as session:
        check = handle.test_connection(config, session)
        if check is not None and not check.ok:
            raise VendorAuthError(f"test connection failed: {check.message}")
        customers = _validated_customers(handle.list_customers(config, session))
        complete = handle.listing_is_complete(config)
        counts, failures, extras = _validated_counts(handle.fetch_license_counts(config, session, customers),
                                                     customers)
    customers, counts, failures, extras = storable_snapshot(customers, counts, failures, extras)
    return VendorSnapshot(customers, counts, failures, complete, extras), config, handle


def _validated_customers(listing) -> list[VendorCustomer]:
    customers: list[VendorCustomer] = []
    seen: set[str] = set()
    for item in listing:
        if not isinstance(item, VendorCustomer):
            raise VendorDataError(f"hub_list_customers yielded {type(item).__name__}, not VendorCustomer")
        if not item.external_id or not isinstance(item.external_id, str):
            raise VendorDataError(f"customer {item.name!r} has no external id (a non-empty string)")
        if not isinstance(item.name, str):
            raise VendorDataError(f"customer {item.external_id!r} has no name")
        if item.external_id in seen:
            raise VendorDataError(f"customer id {item.external_id!r} was listed twice")
        if not isinstance(item.status, CustomerStatus):
            try:
                item = replace(item, status=CustomerStatus(item.status))
            except ValueError:
                raise VendorDataError(f"customer {item.external_id!r} has unknown status {item.status!r}") from None
        seen.add(item.external_id)
        customers.append(item)
    return customers


def _validated_counts(results, customers: list[VendorCustomer]):
    listed = {c.external_id for c in customers}
    counts: dict[tuple[str, str], Decimal] = {}
    extras: dict[tuple[str, str], Any] = {}
    failures: dict[str, str] = {}
    for item in results:  # tens of thousands of items: kept lean
        if type(item) is not LicenseCount:
            if isinstance(item, CountFailure):
                failures[item.customer_external_id] = item.message
                continue
            if not isinstance(item, LicenseCount):
                raise VendorDataError(f"hub_fetch_license_counts yielded {type(item).__name__}")
        external_id, sku, quantity = item.customer_external_id, item.sku, item.quantity
        if external_id not in listed:
            raise VendorDataError(f"a count names customer {external_id!r}, which was not listed")
        if type(sku) is not str or not sku:
            raise VendorDataError(f"a count of customer {external_id!r} has no SKU")
        if not quantity.is_finite() or not 0 <= quantity < MAX_QUANTITY:
            # one absurd number is that customer's problem, like a count that could not be read
            failures.setdefault(external_id, f"SKU {sku!r} has quantity {quantity}, outside what the hub "
                                             f"stores (0 up to {MAX_QUANTITY:,}); its last counts were kept")
            continue
        key = (external_id, sku)
        if key in counts:
            raise VendorDataError(f"SKU {sku!r} was counted twice for customer {external_id!r}")
        counts[key] = quantity.quantize(QUANTUM)
        if item.extra:
            extras[key] = item.extra
    # a customer that failed keeps its last counts: drop whatever partial answer it gave
    if failures:
        counts = {k: v for k, v in counts.items() if k[0] not in failures}
        extras = {k: v for k, v in extras.items() if k[0] not in failures}
    return counts, failures, extras


def _apply(run: SyncRun, integration: VendorIntegration, previous_state: str, snapshot: VendorSnapshot,
           config: dict, handle, allow_mass_detach: bool) -> SyncRun:
    known = known_customers(integration.id)
    plan = plan_customers(known, snapshot.customers, detach_missing=snapshot.complete)
    run.customers_seen = len(snapshot.customers)
    if plan.needs_review(integration.detach_threshold_pct) and not allow_mass_detach:
        run.status = SyncStatus.NEEDS_REVIEW.value
        run.finished_at = utcnow()
        run.review = {
            "would_detach": len(plan.detach),
            "active_before": plan.active_before,
            "share_pct": str(plan.detach_share_pct),
            "threshold_pct": str(integration.detach_threshold_pct),
            "sample": [{"external_id": k.external_id, "name": k.name} for k in plan.detach[:50]],
        }
        run.error_message = (f"the vendor's listing would detach {len(plan.detach)} of {plan.active_before} "
                             f"active customers ({plan.detach_share_pct}%); nothing was applied")
        integration.state = IntegrationState.NEEDS_REVIEW.value
        integration.state_message = run.error_message
        emitters.sync_needs_review(run, integration)
        db.session.commit()
        log.warning("sync run %s of %s needs review: %s", run.id, integration.slug, run.error_message)
        return run

    id_by_external = {k.external_id: k.id for k in known}
    current, current_extras = load_current_counts(integration.id, with_extras=True)
    new_ids = {c.external_id for c in plan.new}
    # counts of brand-new customers are planned after they get ids (in apply_plan)
    reported_known = {(id_by_external[e], sku): q for (e, sku), q in snapshot.counts.items() if e in id_by_external}
    reported_extras = {(id_by_external[e], sku): x for (e, sku), x in snapshot.count_extras.items()
                       if e in id_by_external}
    answered = {id_by_external[c.external_id] for c in snapshot.customers
                if c.external_id in id_by_external and c.external_id not in snapshot.failures}
    count_changes = plan_counts(current, reported_known, answered, current_extras, reported_extras)

    result = apply_plan(run=run, integration=integration, plan=plan, count_changes=count_changes,
                        listed={c.external_id for c in snapshot.customers}, known_ids=id_by_external,
                        new_counts={k: v for k, v in snapshot.counts.items() if k[0] in new_ids},
                        new_extras={k: v for k, v in snapshot.count_extras.items() if k[0] in new_ids},
                        failures=snapshot.failures, config=config, handle=handle)
    run.status = SyncStatus.SUCCEEDED.value
    run.finished_at = utcnow()
    run.customers_added = len(plan.new)
    run.customers_updated = len(plan.changed)
    run.customers_detached = len(plan.detach)
    run.customers_reattached = len(plan.reattach)
    run.counts_changed = result.counts_changed
    run.count_failures = len(snapshot.failures)
    if previous_state == IntegrationState.RETRYING.value:
        log.info("%s is reachable again", integration.slug)
    integration.state = IntegrationState.READY.value if integration.enabled else IntegrationState.DISABLED.value
    integration.state_message = (f"{len(snapshot.failures)} customer(s) could not be counted"
                                 if snapshot.failures else None)
    integration.retry_not_before = None
    integration.last_success_at = run.finished_at
    emitters.sync_succeeded(run, integration)  # one event, in the sync's own transaction
    db.session.commit()
    return run


def _fail(run: SyncRun, integration: VendorIntegration, previous_state: str, kind: str, message: str,
          err: BaseException) -> SyncRun:
    db.session.rollback()
    message = storable_message(_redact(integration, message))
    run.status = SyncStatus.FAILED.value
    run.finished_at = utcnow()
    run.error_kind = kind
    run.error_message = message
    integration.state_message = message
    if isinstance(err, VendorAuthError):
        integration.state = IntegrationState.NEEDS_REAUTH.value
    elif isinstance(err, VendorUnavailableError):
        integration.state = IntegrationState.RETRYING.value
        # the scheduler retries a RETRYING integration at retry_not_before, not a whole interval later
        wait = (timedelta(seconds=err.retry_after) if err.retry_after
                else min(RETRY_BACKOFF, timedelta(minutes=integration.interval_minutes)))
        integration.retry_not_before = run.finished_at + wait
        if previous_state != IntegrationState.RETRYING.value:
            log.warning("%s is unavailable: %s", integration.slug, message)
    else:
        integration.state = IntegrationState.ERROR.value
    if not isinstance(err, VendorUnavailableError):
        integration.retry_not_before = None
    if not isinstance(err, VendorUnavailableError):
        log.warning("sync run %s of %s failed (%s): %s", run.id, integration.slug, kind, message)
    emitters.sync_failed(run, integration, reauth_needed=isinstance(err, VendorAuthError)
                         and previous_state != IntegrationState.NEEDS_REAUTH.value)
    db.session.commit()
    return run


def _redact(integration: VendorIntegration, message: str) -> str:
    """A plugin's error text may quote a URL or header holding a credential: never store it."""
    try:
        secrets = integrations.secret_box().decrypt(integration.secrets_token)
    except SecretsError:
        return message
    return Redactor(str(v) for v in secrets.values() if v)(message)


def confirm_review(run_id: int, actor: Actor) -> SyncRun:
    """An admin accepts a needs-review run: a fresh sync runs and may detach past the threshold.

    Returns the fresh run. The reviewed run is marked confirmed only when that run succeeded; if it
    failed (or another sync holds the lease) the review stays open. Raises SyncNotPossible or
    AlreadyRunning like ``run_sync``.
    """
    slug = _review_run(run_id).integration.slug
    fresh = run_sync(slug, trigger="review", triggered_by=actor.label, allow_mass_detach=True)
    if fresh.status == SyncStatus.SUCCEEDED.value:
        run = db.session.get(SyncRun, run_id)
        run.status = SyncStatus.CONFIRMED.value
        run.reviewed_by, run.reviewed_at = actor.label, utcnow()
        record(actor, "sync.review_confirm", "sync_run", run.id, integration_id=run.integration_id,
               details={**(run.review or {}), "applied_by_run": fresh.id})
        db.session.commit()
    return fresh


def dismiss_review(run_id: int, actor: Actor) -> SyncRun:
    run = _review_run(run_id)
    run.status = SyncStatus.DISMISSED.value
    run.reviewed_by, run.reviewed_at = actor.label, utcnow()
    integration = run.integration
    if integration.state == IntegrationState.NEEDS_REVIEW.value:
        integration.state = IntegrationState.READY.value if integration.enabled else IntegrationState.DISABLED.value
        integration.state_message = None
    record(actor, "sync.review_dismiss", "sync_run", run.id, integration_id=run.integration_id)
    db.session.commit()
    return run


def review_is_open(run: SyncRun) -> bool:
    """A needs-review run waits for an admin only until a later run of its integration applied a listing:
    after that, confirming or dismissing it would act on a listing that is no longer the vendor's."""
    if run.status != SyncStatus.NEEDS_REVIEW.value:
        return False
    applied = (SyncStatus.SUCCEEDED.value, SyncStatus.CONFIRMED.value)
    later = db.session.execute(db.select(SyncRun.id).where(
        SyncRun.integration_id == run.integration_id, SyncRun.id > run.id, SyncRun.status.in_(applied)).limit(1))
    return later.first() is None


def _review_run(run_id: int) -> SyncRun:
    run = db.session.get(SyncRun, run_id)
    if run is None or run.status != SyncStatus.NEEDS_REVIEW.value:
        raise SyncNotPossible(f"sync run {run_id} is not waiting for review")
    if not review_is_open(run):
        raise SyncNotPossible(f"sync run {run_id} needs no review any more: a later sync succeeded")
    return run
