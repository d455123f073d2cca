"""Users with one role and a scope, and API bearer tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin, utcnow
from base_ops.core.enums import enum_column
from base_ops.core.roles import Role  # the kernel's; imported from here too, where User carries it
from base_ops.extensions import db

user_bases = Table(
    "user_bases",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("base_id", ForeignKey("bases.id", ondelete="CASCADE"), primary_key=True),
)


class User(TimestampMixin, UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # Where the daily reminder digest goes (reminders/mail.py); none: the inbox only.
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    # Scope: a region for county officers, bases for managers and trainers,
    # an enterprise for enterprise users.
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    bases = relationship("Base", secondary=user_bases, lazy="selectin", order_by="Base.id")
    enterprise = relationship("Enterprise", lazy="joined")

    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by `flask seed demo`; production refuses to start while any is active.
    has_seeded_password: Mapped[bool] = mapped_column(default=False)
    is_enabled: Mapped[bool] = mapped_column(default=True)

    # Every cookie session and every API token carries the version it was made under; bumping it
    # (logout, password change or reset, role/scope change, disabling, second-factor change) ends
    # them all at once: one revocation for both (README "Sign-in, sessions and tokens").
    session_version: Mapped[int] = mapped_column(default=1)

    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # A new secret being enrolled: kept here, never in the (signed, not encrypted) session cookie.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    # The last time step a code was accepted for: a code is never accepted twice.
    totp_last_step: Mapped[int | None]
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def base_ids(self) -> list[int]:
        return [b.id for b in self.bases]

    def end_sessions(self) -> None:
        """End every session and every API token of this user (they carry the old version)."""
        self.session_version += 1

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(TimestampMixin, db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # The user's session_version when the token was issued: a token is only valid while they match.
    session_version: Mapped[int] = mapped_column(default=0)
    # How it was issued ("api", "cli"), so the account page can tell the user which is which.
    issued_via: Mapped[str] = mapped_column(String(16), default="api")

    user: Mapped[User] = relationship(lazy="joined")

    def is_valid(self, now: datetime) -> bool:
        return (self.revoked_at is None and self.expires_at > now and self.user.is_enabled
                and self.session_version == self.user.session_version)


class SignInThrottle(db.Model):
    """Failed sign-ins counted per typed user name *and* client address (docs/security.md "Lockout").

    Counting per account alone let anyone lock a known user out by typing wrong passwords from
    anywhere; counting per name and address locks out only the address that failed. Unknown names
    are counted the same way as known ones, so the answers (401, then 403 account_locked) never
    tell whether an account exists. The name is kept only as a keyed digest (it may be a mistyped
    password or an ID number); `user_id` is set when the name is a real account, for the
    administrator's "locked" list and unlock.
    """

    __tablename__ = "sign_in_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_digest: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(45))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("name_digest", "address", name="uq_sign_in_throttles_name_address"),)

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now
