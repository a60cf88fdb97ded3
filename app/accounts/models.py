"""Organizer accounts. Attendees never need one."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, db_enum, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.events.models import Organization


class Role(enum.StrEnum):
    ADMIN = "admin"  # everything an organizer does, on every event, and manages accounts
    ORGANIZER = "organizer"  # the events they own (app/events/access.py)
    HOST = "host"  # a host partner: reads the host list of its organization's events


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role <> 'host' OR organization_id IS NOT NULL", name="host_has_organization"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored case-folded
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(db_enum(Role, "user_role"), default=Role.ORGANIZER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the session identity: changing it (password change, deactivation) signs out
    # every browser that was signed in.
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    # Signs the account's emailed links (app/tokens.py): a new one revokes every link sent.
    token_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The organization a host account speaks for; unused for organizers and admins.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))

    # Granted by an admin: may see and export security lists (ID details of attendees).
    sees_security_lists: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    organization: Mapped[Organization | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_host(self) -> bool:
        return self.role is Role.HOST

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"


class SignInThrottle(db.Model):
    """Failed sign-ins to one account from one client address (an IPv6 /64 counts as one).

    Counting per address and account, not per account, means a stranger guessing elsewhere
    slows down only themselves: the owner signing in from their own address is never refused.
    """

    __tablename__ = "sign_in_throttles"
    __table_args__ = (
        UniqueConstraint("user_id", "client_address"),
        CheckConstraint("failures >= 0", name="failures_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
