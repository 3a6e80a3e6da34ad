"""Database models. Import models from here so every table is known to Alembic."""

from .organization import Organization, name_key
from .integration import IntegrationState, VendorIntegration
from .vendor_customer import LicenseCount, LicenseCountHistory, MapStatus, PastMapping, VendorCustomer, VendorSku
from .sync_run import SyncLease, SyncRun, SyncStatus
from .audit import AuditEvent
from .user import Role, User
from .login import LoginAddress, LoginFailure
from .billing import (
    ChangeStatus,
    Frequency,
    LineKind,
    PeriodMode,
    Product,
    Proration,
    QuantityBasis,
    QuantityChange,
    RecurringInvoice,
    RecurringLine,
)
from .billing_invoice import BillingCounter, Invoice, InvoiceLine, InvoiceStatus
from .api import ApiRateWindow, ApiToken, IdempotencyRecord
from .webhook import EndpointState, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint, WebhookEvent
from .delivery import (BillingContact, CompanySettings, DeliveryAttempt, DeliveryStatus, EmailTemplate, InvoiceDelivery,
                       RecurringDelivery, SmtpSecurity, SmtpSettings)
from .destination import (ConnectionState, DestinationConnection, DestinationMapping, DestinationPush, MappingKind,
                          PaymentState, PushState)
from .billing_tax import OrganizationTaxRate, TaxRate
from .billing_credit import CreditNote, CreditNoteLine
from .billing_charge import OneOffCharge

__all__ = [
    "Organization",
    "name_key",
    "IntegrationState",
    "VendorIntegration",
    "VendorCustomer",
    "VendorSku",
    "LicenseCount",
    "LicenseCountHistory",
    "PastMapping",
    "MapStatus",
    "SyncRun",
    "SyncLease",
    "SyncStatus",
    "AuditEvent",
    "Role",
    "User",
    "LoginFailure",
    "LoginAddress",
    "Product",
    "RecurringInvoice",
    "RecurringLine",
    "QuantityChange",
    "Frequency",
    "PeriodMode",
    "LineKind",
    "ChangeStatus",
    "QuantityBasis",
    "Proration",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "BillingCounter",
    "ApiRateWindow",
    "ApiToken",
    "IdempotencyRecord",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookDelivery",
    "WebhookAttempt",
    "EndpointState",
    "WebhookDeliveryStatus",
    "CompanySettings",
    "SmtpSettings",
    "SmtpSecurity",
    "EmailTemplate",
    "BillingContact",
    "RecurringDelivery",
    "InvoiceDelivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "ConnectionState",
    "DestinationConnection",
    "DestinationMapping",
    "DestinationPush",
    "MappingKind",
    "PushState",
    "PaymentState",
    "TaxRate",
    "OrganizationTaxRate",
    "CreditNote",
    "CreditNoteLine",
    "OneOffCharge",
]
