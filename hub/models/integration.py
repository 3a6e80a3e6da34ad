from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import JSON, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.timeutil import utcnow


class IntegrationState(str, enum.Enum):
    """Where a vendor integration stands, shown in the App Center (cf. Home Assistant's entry states)."""

    DISABLED = "disabled"
    NOT_CONFIGURED = "not_configured"
    READY = "ready"
    SYNCING = "syncing"
    RETRYING = "retrying"
    NEEDS_REAUTH = "needs_reauth"
    NEEDS_REVIEW = "needs_review"
    ERROR = "error"
    PLUGIN_MISSING = "plugin_missing"


class VendorIntegration(db.Model):
    """One vendor plugin enabled for this MSP: its settings, encrypted credentials and schedule."""

    __tablename__ = "vendor_integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the integration's own name; the plugin's slug, unless the plugin allows several instances
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    #: the plugin behind an added instance (``VendorInfo.instances``); None: ``slug`` is the plugin
    plugin: Mapped[str | None] = mapped_column(String(40))
    #: what the panel calls an added instance ("Datto via CSV"); None: the plugin's display name
    display_name: Mapped[str | None] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(default=False)
    #: non-secret settings, as loaded by the plugin's schema
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Fernet token of a JSON object holding the secret fields; never shown back
    secrets_token: Mapped[str | None] = mapped_column(Text)
    interval_minutes: Mapped[int] = mapped_column(default=360)
    #: a listing that would detach more than this share of active customers stops for review
    detach_threshold_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("20"))
    # Billing policy for quantity decreases (a recurring line may override it).
    hold_decrease_over_seats: Mapped[int | None] = mapped_column(default=5)
    hold_decrease_over_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), default=Decimal("10"))
    #: hold a drop to zero / a drop caused by a counted vendor customer turning Detached
    hold_drop_to_zero: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    hold_detached: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    state: Mapped[str] = mapped_column(String(20), default=IntegrationState.NOT_CONFIGURED.value)
    state_message: Mapped[str | None] = mapped_column(Text)
    retry_not_before: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def plugin_slug(self) -> str:
        return self.plugin or self.slug

    def __repr__(self) -> str:
        return f"<VendorIntegration {self.slug} {self.state}>"
