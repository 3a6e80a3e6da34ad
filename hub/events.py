"""Signals between the hub's parts, so sync and mapping need not know who listens (billing does).

Receivers run inside the sender's database transaction: what they write commits or rolls back
with the change that caused it.
"""

from blinker import Namespace

_signals = Namespace()

#: sent after a sync applied its changes, before commit.
#: kwargs: run (SyncRun), changed_customer_ids (set[int]): customers whose counts or status changed
sync_applied = _signals.signal("sync-applied")

#: sent when a vendor customer is mapped (after the change) or unmapped / removed (before the row
#: changes, so receivers can still read it), always before commit.
#: kwargs: customer_id (int), old_organization_id, new_organization_id, actor (hub.audit.Actor)
mapping_changed = _signals.signal("mapping-changed")


#: sent when invoices are issued (by the invoice run or by hand), before commit.
#: kwargs: invoice_ids (list[int]), actor (hub.audit.Actor); optional send_ids (list[int]): invoices to
#: e-mail whatever their recurring invoice says (a manual invoice issued with "e-mail it")
invoices_issued = _signals.signal("invoices-issued")

#: sent when an invoice is voided, before commit. kwargs: invoice_id (int), actor (hub.audit.Actor)
invoice_voided = _signals.signal("invoice-voided")

#: sent when a credit note is issued (made: a credit note is issued when it is made), before commit.
#: kwargs: credit_note_id (int), actor (hub.audit.Actor)
credit_note_issued = _signals.signal("credit-note-issued")
