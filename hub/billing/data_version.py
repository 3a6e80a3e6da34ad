"""The version of the billing data: a value that changes whenever anything a billing figure is computed from
changes, read in one cheap query (primary-key maxima and a few small tables' last update), so a costly figure
(the dashboard's unbilled value and next run) can be kept until its inputs change, in every process.

What moves it, and why that covers every change to those inputs:

- **a sync**: each count that changes adds a ``license_count_history`` row; a new customer or SKU a row of
  its own; a customer turning Detached (or back) is audited;
- **a person or the API** (mapping a customer or a SKU, a product's price, a recurring invoice or line, a
  quantity change approved or rejected, a one-off charge, voiding an invoice): every such change is
  audited (``audit_events``), and most also add a row or touch an ``updated_at`` kept by the model;
- **the invoice run** adds invoices (and audits them) and moves ``next_run_date`` (``updated_at``);
- **the day**: period-basis lines are measured up to today, so the date is part of it.

A write that goes around the services (SQL typed into the database) is not seen until one of these moves.
"""

from __future__ import annotations

from sqlalchemy import func, select

from hub.extensions import db
from hub.models import (
    AuditEvent,
    Invoice,
    LicenseCount,
    LicenseCountHistory,
    OneOffCharge,
    Product,
    QuantityChange,
    RecurringInvoice,
    RecurringLine,
    VendorCustomer,
    VendorIntegration,
    VendorSku,
)
from hub.timeutil import utcnow

#: tables whose new rows (largest id, from the primary key index) change billing figures
GROWING = (AuditEvent, LicenseCountHistory, LicenseCount, VendorCustomer, VendorSku, QuantityChange, Invoice,
           OneOffCharge, RecurringInvoice, RecurringLine, Product)
#: tables whose rows change in place with an ``updated_at`` the model keeps (onupdate)
UPDATED = (OneOffCharge, RecurringInvoice, RecurringLine, Product, VendorIntegration)


def current() -> tuple:
    """A value equal to the last one read exactly when no billing input changed since (one query)."""
    columns = [select(func.max(model.id)).scalar_subquery() for model in GROWING]
    columns += [select(func.max(model.updated_at)).scalar_subquery() for model in UPDATED]
    return (utcnow().date(), *db.session.execute(select(*columns)).one())
