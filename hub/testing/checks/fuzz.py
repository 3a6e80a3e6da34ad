"""Spoiled answers: whatever shape a vendor's JSON takes, the plugin yields right records or raises a
``Vendor*Error``; never a raw ``KeyError``/``TypeError``/``InvalidOperation``, never a wrong id or
quantity passed off as right."""

from __future__ import annotations

from decimal import Decimal

from hub.plugins import CountFailure, LicenseCount, VendorCustomer, VendorError
from hub.testing.checks.base import check
from hub.testing.fuzz import ShapeFuzzer, mutations
from hub.testing.harness import PluginHarness, fail
from hub.testing.server import serve


def _run(h: PluginHarness, config: dict):
    """Listing then counts on one session, as a sync does: (customers, counts, error)."""
    customers: list = []
    counts: list = []
    with h.session(config) as session:
        try:
            customers = list(h.handle.list_customers(config, session))
            counts = list(h.handle.fetch_license_counts(config, session, customers))
        except Exception as err:  # the outcome under test
            return customers, counts, err, session.redact
    return customers, counts, None, session.redact


def _lies(baseline: tuple, customers: list, counts: list, kind: str) -> list[str]:
    """What a spoiled run yielded that differs from the healthy run without saying so."""
    ids = {c.external_id for c in baseline[0]}
    truth = {(r.customer_external_id, r.sku): r.quantity for r in baseline[1] if isinstance(r, LicenseCount)}
    problems = []
    wrong = [type(c).__name__ for c in customers if not isinstance(c, VendorCustomer)]
    wrong += [type(r).__name__ for r in counts if not isinstance(r, (LicenseCount, CountFailure))]
    if wrong:
        return [f"yielded {sorted(set(wrong))} instead of hub records"]
    listed = {c.external_id for c in customers}
    if listed != ids:
        problems.append(f"listed {len(listed)} customers without raising, not the {len(ids)} of the healthy run "
                        f"(missing {sorted(map(str, ids - listed))[:2]}, unknown {sorted(map(str, listed - ids))[:2]})")
    failed = {r.customer_external_id for r in counts if isinstance(r, CountFailure)}
    got = {(r.customer_external_id, r.sku): r.quantity for r in counts
           if isinstance(r, LicenseCount) and r.customer_external_id not in failed}
    for key, quantity in got.items():
        expected = truth.get(key)
        # a counter summed over several entries (one per product) loses a part when one entry's field is
        # removed: that reads exactly like the vendor not reporting it there, so lower is not a lie; higher is
        partial = kind == "remove" and isinstance(quantity, Decimal) and expected is not None and quantity < expected
        if expected is None or not isinstance(quantity, Decimal) or (quantity != expected and not partial):
            problems.append(f"counted {key[0]}/{key[1]} = {quantity!r}, the healthy run said "
                            f"{expected if expected is not None else 'nothing'}")
            break
    # a SKU left out reads as 0 to the hub. A removed field may be the vendor not reporting a counter
    # (open-ended counter sets), but a value it did send and we could not read must not vanish
    dropped = sorted(k for k, q in truth.items() if q and k not in got and k[0] in listed and k[0] not in failed)
    if dropped and kind != "remove":
        problems.append(f"left out {dropped[0][0]}/{dropped[0][1]} (the healthy run counted {truth[dropped[0]]}), "
                        "which the hub reads as 0; yield a CountFailure for that customer instead")
    return problems


@check("spoiled_answers_never_crash_or_lie")
def spoiled_answers_never_crash_or_lie(h: PluginHarness) -> None:
    """One JSON answer at a time is spoiled (a field removed, set to null, of another type, or an
    unknown field added): the plugin yields the healthy run's ids and quantities, or leaves a customer's
    counts out with a CountFailure, or raises a VendorError; never another exception, never a wrong id
    or quantity, and never drops a count whose value came but could not be read (the hub reads it as 0)."""
    fuzzer = ShapeFuzzer(h.demo().make_app(h.config.customers))
    with serve(fuzzer, name=f"{h.name}-fuzzed") as served:
        config = h.loaded_config(served)
        baseline = _run(h, config)
        if baseline[2] is not None:
            fail(f"hub_list_customers/hub_fetch_license_counts failed against a healthy simulator: "
                 f"{type(baseline[2]).__name__}: {baseline[3](baseline[2])}")
        answers = fuzzer.seen
        problems = []
        for mutation in mutations(h.config.fuzz_runs, answers, h.config.fuzz_seed):
            fuzzer.arm(mutation)
            customers, counts, error, redact = _run(h, config)
            where = fuzzer.applied
            fuzzer.arm(None)
            if where is None:
                continue  # that answer never came, or had nothing to spoil
            if error is not None:
                if not isinstance(error, VendorError):
                    problems.append(f"{where}: raised {type(error).__name__}: {redact(error)}"[:300])
                continue
            problems += [f"{where}: {lie}" for lie in _lies(baseline, customers, counts, mutation.kind)]
    if problems:
        fail(f"{len(problems)} spoiled answer(s) of {h.config.fuzz_runs} were not caught:\n  "
             + "\n  ".join(problems[:12]) + "\n  Check each field you read (type, presence) and raise "
             "VendorDataError (or yield a CountFailure for that customer) when it is not what the API documents")
