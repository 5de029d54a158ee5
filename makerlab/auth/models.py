from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from makerlab import clock
from makerlab.audit import audited
from makerlab.auth.passwords import is_unusable
from makerlab.db import Base, UTCDateTime
from makerlab.enums import Role, sql_in
from makerlab.schools.models import School


@audited
class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(sql_in("role", Role), name="role_known"),
        sa.CheckConstraint("role != 'teacher' OR school_id IS NOT NULL", name="teacher_has_school"),
        sa.CheckConstraint("locale IS NULL OR locale IN ('de', 'en')", name="locale_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    school_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("schools.id", ondelete="RESTRICT"), index=True
    )
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of every session and remember-me cookie (``get_id``): raising it
    # ends them all (logout, new password, deactivation).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    school: Mapped[School | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session and remember cookies hold
        return f"{self.id}:{self.session_version}"

    @property
    def has_password(self) -> bool:
        """False for an invited account that has not chosen a password yet."""
        return not is_unusable(self.password_hash)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


@audited
class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored (tokens are high-entropy)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """One failed login, under the hash of its account or client-address key.

    Counted over a short window by ``makerlab.auth.throttle``; rows older
    than the longest window are deleted as new ones come in.
    """

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_key_failed_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
