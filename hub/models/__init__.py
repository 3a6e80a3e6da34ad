"""Database models. Import models from here so every table is known to Alembic."""

from .organization import Organization
from .integration import IntegrationState, VendorIntegration
from .vendor_customer import LicenseCount, LicenseCountHistory, MapStatus, VendorCustomer, VendorSku
from .sync_run import SyncLease, SyncRun, SyncStatus
from .audit import AuditEvent
from .user import Role, User
from .billing import ChangeStatus, Frequency, LineKind, PeriodMode, Product, QuantityChange, RecurringInvoice, RecurringLine
from .billing_invoice import BillingCounter, Invoice, InvoiceLine, InvoiceStatus
from .billing_tax import OrganizationTaxRate, TaxRate
from .billing_credit import CreditNote, CreditNoteLine

__all__ = [
    "Organization",
    "IntegrationState",
    "VendorIntegration",
    "VendorCustomer",
    "VendorSku",
    "LicenseCount",
    "LicenseCountHistory",
    "MapStatus",
    "SyncRun",
    "SyncLease",
    "SyncStatus",
    "AuditEvent",
    "Role",
    "User",
    "Product",
    "RecurringInvoice",
    "RecurringLine",
    "QuantityChange",
    "Frequency",
    "PeriodMode",
    "LineKind",
    "ChangeStatus",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "BillingCounter",
    "TaxRate",
    "OrganizationTaxRate",
    "CreditNote",
    "CreditNoteLine",
]
