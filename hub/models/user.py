from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from hub.extensions import db
from hub.timeutil import utcnow


class Role(str, enum.Enum):
    ADMIN = "admin"      # everything
    BILLING = "billing"  # mapping, recurring invoices, approvals, reports
    VIEWER = "viewer"    # read only


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default=Role.VIEWER.value)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: part of every session's user id; raising it ends all of this user's sessions at once
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    def get_id(self) -> str:  # flask-login: what the session cookie carries
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Every session signed in before this moment stops working (logout, new password, disabled)."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt, a current memory-hard algorithm
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def can(self, *roles: Role | str) -> bool:
        wanted = {Role(r).value for r in roles}
        return self.role == Role.ADMIN.value or self.role in wanted
