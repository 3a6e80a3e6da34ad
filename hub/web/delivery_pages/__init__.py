"""The delivery pages of the panel: Company settings, E-mail (SMTP) settings and template (admins),
an Organization's billing contacts, a recurring invoice's send choice, an invoice's PDF, send and resend
(an invoice's and a credit note's).

One blueprint named ``delivery``. Views only read forms and call ``hub.delivery`` services; a refused
form changes nothing and shows the message next to the field it names (``billing_pages.forms.call``).
Other pages show delivery facts through the template helpers registered here (``delivery_state``...).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("delivery", __name__)


def register_template_helpers(app) -> None:
    from hub.billing import credit_notes
    from hub.billing.numbering import label
    from hub.delivery import contacts, outbox, status

    app.jinja_env.globals.update(
        invoice_label=label, credit_note_label=credit_notes.label, delivery_summary=status.summary,
        credit_note_delivery_summary=status.credit_note_summary, billing_contacts=contacts.get_contacts,
        sends_on_issue=outbox.sends_on_issue, credit_notes_sent_on_issue=outbox.sends_credit_notes_on_issue,
        failing_deliveries=status.failing_documents)


# the route modules attach their views to ``bp`` when imported
from hub.web.delivery_pages import sending, settings  # noqa: E402,F401
