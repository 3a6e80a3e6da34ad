"""Checks that run full hub syncs through the real engine and database."""

from __future__ import annotations

import base64
import re
import urllib.parse

from hub.testing.checks.base import check
from hub.testing.checks.calls import HOOKS, call, healthy_listing, secret_values
from hub.testing.harness import PluginHarness, RunResult, ServedApp, fail
from hub.testing.logs import capture_logs, log_text
from hub.testing.hubapp import diff_snapshots, snapshot_rows

#: (label, fault knobs, error kinds the failed SyncRun may carry, the hooks from which the vendor
#: starts failing: None = before the run; faults of the whole API also strike mid-run)
MID_RUN = (None, "hub_list_customers", "hub_fetch_license_counts")
FAILING_VENDORS = [
    ("credentials refused", {"auth": True}, {"auth_failed"}, MID_RUN),
    ("HTTP 503", {"unavailable": 503}, {"unavailable"}, MID_RUN),
    ("HTTP 429 with a long Retry-After", {"rate_limit_retry_after": 300}, {"unavailable"}, MID_RUN),
    ("malformed listing", {"malformed": True}, {"bad_data"}, (None,)),
    ("listing cut short", {"cut_listing": True}, {"bad_data", "unavailable"}, (None,)),
]


def _synced_hub(h: PluginHarness, served: ServedApp) -> RunResult:
    """Empty tables, the integration saved and pointed at ``served``, one successful sync."""
    h.fresh_database()
    h.configure(h.raw_config(served))
    first = h.sync()
    if first.status != "succeeded":
        fail(f"the first hub sync against a healthy simulator ended {first.describe()}")
    if not first.customers_added:
        fail("the first hub sync added no customers")
    return first


def _rows(h: PluginHarness):
    with h.app_context():
        return snapshot_rows()


@check("second_sync_changes_nothing")
def second_sync_changes_nothing(h: PluginHarness) -> None:
    """A second full sync of unchanged vendor data succeeds, changes no row and writes no audit event."""
    _synced_hub(h, h.simulator())
    before = _rows(h)
    second = h.sync()
    if second.status != "succeeded":
        fail(f"the second sync ended {second.describe()}")
    changes = diff_snapshots(before, _rows(h))
    counters = {k: getattr(second, k) for k in ("customers_added", "customers_updated", "customers_detached",
                                                 "counts_changed") if getattr(second, k)}
    if changes or counters:
        fail("a second sync of the same vendor data changed the hub (unstable ids, names, status, extra or "
             f"counts?): {counters or ''}\n  " + "\n  ".join(changes))


@check("failed_sync_changes_nothing")
def failed_sync_changes_nothing(h: PluginHarness) -> None:
    """A sync against a failing vendor (auth, 503, 429 from the start, from the listing or from the
    counts; a malformed or cut listing) ends failed with the right error kind and leaves every
    customer, count and audit row as it was. (A run that makes no call after the vendor starts
    failing may succeed, changing nothing.)"""
    served = h.simulator(h.config.paging_customers)
    _synced_hub(h, served)
    before = _rows(h)
    problems = []
    for label, knobs, kinds, stages in FAILING_VENDORS:
        for stage in stages:
            when = f"{label}, from {stage}" if stage else label
            with h.faults_from(stage, served, **knobs) as window:
                run = h.sync()
            # a plugin that read everything before this stage makes no further call: its run may
            # succeed, but (the data being unchanged) must still change nothing
            if window.vendor_called and (run.status != "failed" or run.error_kind not in kinds):
                problems.append(f"{when}: the run ended {run.describe()}; "
                                f"expected failed with {' or '.join(sorted(kinds))}")
            changes = diff_snapshots(before, _rows(h))
            if changes:
                problems.append(f"{when}: the failed run changed data:\n    " + "\n    ".join(changes))
                before = _rows(h)
    if problems:
        fail("a failing vendor reached the hub's data:\n  " + "\n  ".join(problems))


BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _variants(secret: str) -> set[str]:
    """The secret as a log could carry it in clear: plain or URL-encoded."""
    return {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}


def _leaked(text: str, secret: str) -> bool:
    """True when ``text`` holds the secret in clear, URL-encoded, or inside base64 (a Basic auth header)."""
    if any(v in text for v in _variants(secret)):
        return True
    for token in BASE64_TOKEN.findall(text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                if secret.encode() in decode(token + "=" * (-len(token) % 4)):
                    return True
            except ValueError:
                continue
    return False


@check("no_secret_in_logs_or_errors")
def no_secret_in_logs_or_errors(h: PluginHarness) -> None:
    """No secret value (in clear, URL-encoded or base64 as in Basic auth) reaches a log record at DEBUG,
    an error message, a SyncRun or integration message, or an audit row — on success or on failure."""
    served = h.simulator()
    config = h.loaded_config(served)
    secrets = secret_values(h, config)
    if not secrets:
        fail("the simulator's settings hold no secret value of 3 characters or more to look for")
    texts: list[tuple[str, str]] = []
    with capture_logs() as records:
        _synced_hub(h, served)
        customers = healthy_listing(h, served, config)
        for label, knobs, _, _ in FAILING_VENDORS:
            with h.faults(served, **knobs):
                h.sync()
                for hook in HOOKS:
                    result = call(h, hook, config, customers)
                    if result.error is not None:
                        texts.append((f"error from {hook} ({label})", f"{result.error}\n{result.error!r}"))
    texts += [(f"log record {r.name}:{r.lineno} ({r.levelname})", log_text(r)) for r in records]
    texts += _stored_texts(h)
    leaks = []
    for where, text in texts:
        for secret in secrets:
            if _leaked(text, secret):
                leaks.append(f"{where}: {_masked(text, secret)[:300]!r}")
                break
    if leaks:
        fail(f"a secret reached {len(leaks)} place(s) it must not:\n  " + "\n  ".join(leaks[:10]))


def _stored_texts(h: PluginHarness) -> list[tuple[str, str]]:
    from hub.extensions import db
    from hub.models import AuditEvent, SyncRun, VendorCustomer, VendorIntegration

    with h.app_context():
        texts = [(f"SyncRun {r.id} error_message", r.error_message or "")
                 for r in db.session.execute(db.select(SyncRun)).scalars()]
        texts += [("integration settings and state_message", f"{i.settings} {i.state_message}")
                  for i in db.session.execute(db.select(VendorIntegration)).scalars()]
        texts += [(f"audit event {a.action}", f"{a.old_value} {a.new_value} {a.details}")
                  for a in db.session.execute(db.select(AuditEvent)).scalars()]
        texts += [(f"customer {c.external_id} extra", f"{c.name} {c.extra}")
                  for c in db.session.execute(db.select(VendorCustomer)).scalars()]
    return texts


def _masked(text: str, secret: str) -> str:
    """The text as the failure message may show it: the secret, in every form found, replaced."""
    for variant in sorted(_variants(secret), key=len, reverse=True):
        text = text.replace(variant, "<SECRET>")
    return BASE64_TOKEN.sub(lambda m: "<SECRET>" if _leaked(m.group(0), secret) else m.group(0), text)
