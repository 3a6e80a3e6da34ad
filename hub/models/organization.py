from __future__ import annotations

import unicodedata
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, validates

from hub.extensions import db
from hub.timeutil import utcnow

#: a name of 200 characters can grow when NFKC expands compatibility characters ("ﬃ" -> "ffi")
NAME_KEY_LENGTH = 800


def name_key(name: str) -> str:
    """The key two Organization names are compared on: NFKC, Unicode case-folded, spaces collapsed.

    Computed here, never by the database, so SQLite (whose lower() knows only ASCII) and PostgreSQL
    agree: "Ærøskøbing Æbler ApS" and "ærøskøbing æbler aps" are one name on both.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name or "").casefold())
    return " ".join(folded.split())


def _key_of_inserted_name(context) -> str:
    return name_key(context.get_current_parameters()["name"])


class Organization(db.Model):
    """One of the MSP's own customers: the party that gets invoiced."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: ``name_key(name)``; unique, so two spellings of one name can never both be saved. Set when ``name`` is
    #: (below), and by default on any INSERT, bulk ones too
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH), unique=True, default=_key_of_inserted_name)
    domain: Mapped[str | None] = mapped_column(String(200), index=True)
    #: an integrator's own id for this Organization (their PSA's or CRM's); unique when set
    external_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: exempt: its invoices carry no tax, whatever its default rates (hub.billing.tax)
    tax_exempt: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    @validates("name")
    def _keep_key(self, _attribute: str, name: str) -> str:
        self.name_key = name_key(name)
        return name

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r}>"
