"""The push queue: one ``DestinationPush`` per issued invoice (or credit note) and enabled destination,
written in the transaction that issues it, so an issued invoice is never forgotten; void requests; "push now".
"""

from __future__ import annotations

from hub import events
from hub.audit import Actor, audit_event, record, record_many
from hub.extensions import db
from hub.models import DestinationConnection, DestinationPush, Invoice, PushState
from hub.plugins import VendorConfigError
from hub.timeutil import utcnow

PUSHES = DestinationPush.__table__

#: a push in these states may still be (or become) an invoice at the provider
MAY_EXIST = {PushState.PUSHING.value, PushState.RETRYING.value, PushState.PUSHED.value}
#: the invoices list's push filter: name -> push states ("not_pushed": no push row at all)
PUSH_FILTERS = {"waiting": ("queued", "retrying", "pushing"), "blocked": ("blocked",), "pushed": ("pushed",),
                "voided": ("voided", "cancelled"), "not_pushed": ()}
#: states "push now" and "push all pending" move on
WAITING = {PushState.QUEUED.value, PushState.RETRYING.value, PushState.BLOCKED.value}


def on_invoices_issued(sender, invoice_ids=(), actor=None, **_kw) -> None:
    _queue("invoice", list(invoice_ids), actor or Actor.system("invoice run"))


def on_credit_notes_issued(sender, credit_note_ids=(), actor=None, **_kw) -> None:
    """A credit note goes to every enabled destination like an invoice; one whose plugin takes no credit
    notes gets an ``unsupported`` push at once, so the credit note shows it was not sent there."""
    _queue("credit_note", list(credit_note_ids), actor or Actor.system("credit note"))


def _queue(kind: str, ids: list[int], actor: Actor) -> None:
    """One push per enabled destination and document, in the issuing transaction, each audited."""
    connections = list(db.session.execute(
        db.select(DestinationConnection.id, DestinationConnection.slug).where(DestinationConnection.enabled.is_(True))))
    if not connections or not ids:
        return
    now = utcnow()
    rows = [{"connection_id": c.id, f"{kind}_id": i, "state": _first_state(kind, c.slug), "generation": 1,
             "attempts": 0, "next_attempt_at": now, "created_at": now, "updated_at": now}
            for c in connections for i in ids]
    db.session.execute(db.insert(PUSHES), rows)
    record_many([audit_event(actor, "destination.queue", kind, r[f"{kind}_id"], field="push", new=r["state"],
                             details={"connection_id": r["connection_id"]}, at=now)
                 for r in rows])


def _first_state(kind: str, slug: str) -> str:
    if kind == "credit_note" and credit_notes_supported(slug) is False:
        return PushState.UNSUPPORTED.value
    return PushState.QUEUED.value


def credit_notes_supported(slug: str) -> bool | None:
    """Whether the destination's plugin takes credit notes; None when its plugin is not loaded (the push
    waits queued: the run decides once the plugin is back)."""
    from hub import integrations

    record = integrations.registry().destinations.get(slug)
    if record is None:
        return None
    return integrations.registry().destination_handle(slug).can_push_credit_notes()


def unanswered_attempts(push: DestinationPush) -> int:
    """How many of the push's attempts may have made an invoice at the provider that the hub never heard
    of (a timeout, a 5xx, a crash mid-call). Each claim counts one attempt (a refused token takes it
    back); each refusal (``PushRejected``: nothing was made) moves the generation on. A push that was
    later blocked by a mapping or put back in the queue by a refused token keeps these attempts."""
    return max(0, push.attempts - (push.generation - 1))


def on_invoice_voided(sender, invoice_id=None, actor=None, **_kw) -> None:
    """Void at every destination too: a push never sent is cancelled, any other one gets a void request
    (one that may exist there is pushed first: the retry adopts the provider's invoice, then voids it)."""
    actor = actor or Actor.system("void")
    now = utcnow()
    for push in db.session.execute(db.select(DestinationPush).filter_by(invoice_id=invoice_id)).scalars():
        if push.void_requested_at is not None or push.state in (PushState.VOIDED.value, PushState.CANCELLED.value):
            continue
        # a queued or blocked push holds nothing at the provider unless an earlier attempt went unanswered
        never_sent = (push.state in (PushState.QUEUED.value, PushState.BLOCKED.value) and push.external_id is None
                      and not unanswered_attempts(push))
        old = push.state
        if never_sent:
            push.state = PushState.CANCELLED.value
        else:
            push.void_requested_at = now
            push.next_attempt_at = now
        record(actor, "destination.void_request", "invoice", invoice_id, field="push", old=old, new=push.state,
               details={"connection_id": push.connection_id, "external_id": push.external_id})


def connect() -> None:
    events.invoices_issued.connect(on_invoices_issued)
    events.credit_notes_issued.connect(on_credit_notes_issued)
    events.invoice_voided.connect(on_invoice_voided)


def get_push(push_id: int) -> DestinationPush:
    push = db.session.get(DestinationPush, push_id)
    if push is None:
        raise VendorConfigError(f"no push {push_id}", field="push_id")
    return push


def push_now(push_id: int, actor: Actor) -> DestinationPush:
    """Make a waiting push due at once (after the admin fixed its mapping). Commits, then starts the push run
    in this process's scheduler; a scheduler in another process sends it at its next tick (a minute)."""
    push = get_push(push_id)
    if push.state not in WAITING:
        raise VendorConfigError(f"this push is {push.state}; only a queued, retrying or blocked one can be pushed",
                                field="push_id")
    _make_due(push, actor)
    db.session.commit()
    _start_push_run()
    return push


def push_all_pending(connection_id: int | None, actor: Actor) -> int:
    """Make every waiting push (of one destination, or all) due at once. Commits; returns how many."""
    query = db.select(DestinationPush).where(DestinationPush.state.in_(WAITING))
    if connection_id is not None:
        query = query.where(DestinationPush.connection_id == connection_id)
    pushes = list(db.session.execute(query).scalars())
    for push in pushes:
        _make_due(push, actor)
    db.session.commit()
    if pushes:
        _start_push_run()
    return len(pushes)


def _start_push_run() -> bool:
    from hub.destinations.jobs import PUSH_JOB_ID
    from hub.sync.jobs import run_job_soon

    return run_job_soon(PUSH_JOB_ID)


def _make_due(push: DestinationPush, actor: Actor) -> None:
    old = push.state
    if push.state == PushState.BLOCKED.value:
        push.state = PushState.QUEUED.value
    push.next_attempt_at = utcnow()
    record(actor, "destination.push_now", *push.entity, field="push", old=old, new=push.state,
           details={"connection_id": push.connection_id, "push_id": push.id})


def list_pushes(*, connection_id: int | None = None, states=None, limit: int = 200, offset: int = 0) -> list:
    query = (db.select(DestinationPush)
             .order_by(DestinationPush.updated_at.desc(), DestinationPush.id.desc()))
    if connection_id is not None:
        query = query.where(DestinationPush.connection_id == connection_id)
    if states:
        query = query.where(DestinationPush.state.in_(list(states)))
    return list(db.session.execute(query.limit(limit).offset(offset)).scalars())


def push_state_filter(name: str):
    """A WHERE clause on invoices for one of PUSH_FILTERS (the invoices list's filter)."""
    if name not in PUSH_FILTERS:
        raise VendorConfigError(f"push_state must be one of {', '.join(PUSH_FILTERS)}", field="push_state")
    pushes = db.select(DestinationPush.id).where(DestinationPush.invoice_id == Invoice.id)
    if name == "not_pushed":
        return ~pushes.exists()
    return pushes.where(DestinationPush.state.in_(PUSH_FILTERS[name])).exists()


def pushes_of_credit_notes(credit_note_ids: list[int]) -> dict[int, list[DestinationPush]]:
    """The pushes of many credit notes in one query, each credit note's by destination."""
    return _pushes_of("credit_note_id", credit_note_ids)


def pushes_of_invoice(invoice_id: int) -> list[DestinationPush]:
    return pushes_of_invoices([invoice_id])[invoice_id]


def pushes_of_invoices(invoice_ids: list[int]) -> dict[int, list[DestinationPush]]:
    """The pushes of many invoices in one query (the API's invoice list), each invoice's by destination."""
    return _pushes_of("invoice_id", invoice_ids)


def _pushes_of(column: str, ids: list[int]) -> dict[int, list[DestinationPush]]:
    found: dict[int, list[DestinationPush]] = {i: [] for i in ids}
    if ids:
        key = getattr(DestinationPush, column)
        for push in db.session.execute(db.select(DestinationPush).where(key.in_(ids))
                                       .order_by(key, DestinationPush.connection_id)).scalars():
            found[getattr(push, column)].append(push)
    return found
