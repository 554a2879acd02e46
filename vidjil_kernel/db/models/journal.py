"""Notifications (news for users) and the audit log (who did what, when, from where)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vidjil_kernel.db.base import Base, UTCDateTime, utcnow


class Notification(Base):
    """A message shown to everyone, or to one group's members, until it expires."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(16), default="info")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("lab_group.id", ondelete="CASCADE"))


class NotificationRead(Base):
    """A user has dismissed a notification."""

    __tablename__ = "notification_read"

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )


class AuditEntry(Base):
    """One thing done to one record.

    ``user_name`` is kept as text so that entries survive the account;
    ``details`` (JSON) names changed fields, never patient identities.
    ``admin_override`` marks what an admin did without holding the right.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    admin_override: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_audit_entry_record_type_record_id", "record_type", "record_id"),)
