"""Billing: catalog, recurring invoices whose vendor lines follow license counts, invoices, usage report.

Services for the panel, the API and the CLI (each validates its input, raises ``BillingError`` naming
the field, audits every change and commits):

- catalog: ``list_products``, ``create_product``, ``update_product``, ``list_skus``, ``unmapped_skus``,
  ``map_sku``, ``accept_suggestions``, ``create_product_from_sku``, ``set_sku_billable``
- recurring: ``list_recurring_invoices``, ``create_recurring_invoice``, ``update_recurring_invoice``,
  ``delete_recurring_invoice``, ``add_line``, ``update_line``, ``remove_line``
- pending: ``list_pending_changes``, ``count_pending_changes``, ``approve_change``, ``reject_change``,
  ``approve_changes``, ``reject_changes``
- invoicing / invoices: ``run_due_invoices``, ``list_invoices``, ``get_invoice``, ``issue_invoice``,
  ``void_invoice``
- preview: ``preview_invoice``, ``preview_to_dict``; export: ``invoice_to_dict``, ``invoice_csv``,
  ``invoice_json``, ``render_invoice_html``
- usage_report: ``usage_report``, ``usage_report_csv``, ``count_history``
- one_off: ``list_charges``, ``create_charge``, ``update_charge``, ``delete_charge`` (billed once by the run,
  a reissue or a manual invoice; released when that invoice is voided)
- manual_invoices: ``create_manual_invoice``; margin: ``margin_report``, ``margin_csv``
"""


def init_app(app) -> None:
    """Connects billing to the hub's signals and adds the daily invoice run to the scheduler's jobs."""
    from hub.billing import jobs, listeners

    listeners.connect()
    jobs.register()
