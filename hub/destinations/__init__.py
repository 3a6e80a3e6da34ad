"""Destinations: issued invoices (and credit notes) leave the hub for the MSP's accounting system, exactly once.

One module per job, shared by the panel, the CLI and the scheduler:

- ``connections``: a destination's settings (OAuth client), enable/disable, the plugin handle
- ``oauth``: the authorization-code flow (state, PKCE), the callback, account choice, disconnect (revoke)
- ``tokens``: tokens at rest (encrypted), refresh before expiry, one refresh at a time per connection
- ``calls``: calling a plugin hook with a fresh token (a 401 refreshes once and calls again)
- ``mappings``: Organization / product / tax treatment -> provider ids; auto-match by name, confirm
- ``queue``: a push row per issued invoice or credit note (in the issuing transaction), void requests, push now
- ``push``: the push run: claim, map, send in batches, record the outcome, retry with backoff
- ``payments``: reading back whether pushed invoices are paid (stored, audited, ``invoice.paid``)
- ``jobs``: the scheduler's push and payment ticks
"""


def init_app(app) -> None:
    """Queue issued invoices and credit notes for every enabled destination, and push them from the scheduler."""
    from hub.destinations import jobs, queue

    queue.connect()
    jobs.register()
