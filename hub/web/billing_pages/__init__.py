"""The billing pages of the panel: catalog and SKU mapping, recurring invoices, invoices, pending changes,
the integration-wide hold policy, tax rates and an Organization's tax, and the Third-Party Vendor Usage Report.

One blueprint named ``billing`` (the navigation links to ``billing.recurring_list``,
``billing.invoice_list``, ``billing.pending_list`` and ``billing.usage_report``), its routes split
over one module per page family. Views only read forms and call ``hub.billing`` services: every
billing rule, validation and audit lives there. A ``BillingError`` names the field at fault; the
view rolls back, so a refused form changes nothing, and shows the message next to that field.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("billing", __name__, url_prefix="/billing")


@bp.context_processor
def _formatters():
    from hub.billing.money import fmt_money, fmt_price, fmt_quantity
    from hub.billing.numbering import label

    return {"money": fmt_money, "price": fmt_price, "quantity": fmt_quantity, "invoice_label": label}


# the route modules attach their views to ``bp`` when imported
from hub.web.billing_pages import (  # noqa: E402,F401,I001
    catalog, charges, credit_notes, hold_policy, invoices, margin, pending, recurring, reports, tax)
