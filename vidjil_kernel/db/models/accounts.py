"""Accounts, groups, memberships and the rights groups hold.

Accounts mirror JupyterHub users.  Every account has a personal group and
belongs to the ``public`` group.  Groups have at most one level of parents: a
child group sees its parent's records, but rights are never inherited.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vidjil_kernel.db.base import Base, UTCDateTime, utcnow


class Right(enum.StrEnum):
    """What a group's members may do on the records the group (or its parent) can access."""

    READ = "read"
    CREATE = "create"
    UPLOAD = "upload"
    RUN = "run"
    SAVE = "save"
    ANON = "anon"
    ADMIN = "admin"
    CREATE_CONFIG = "create_config"
    IMPERSONATE = "impersonate"


class GroupKind(enum.StrEnum):
    """Why a group exists: made by an administrator, one per user, or everyone."""

    SHARED = "shared"
    PERSONAL = "personal"
    PUBLIC = "public"


PUBLIC_GROUP = "public"


class User(Base):
    """A lab account, named like its JupyterHub user."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<User {self.name}>"


class Group(Base):
    """A set of accounts that share records and hold rights on them."""

    __tablename__ = "lab_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default=GroupKind.SHARED)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("lab_group.id", ondelete="RESTRICT"), index=True
    )
    personal_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Group | None] = relationship(remote_side=[id])
    rights: Mapped[list[GroupRight]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Group {self.name}>"


class Membership(Base):
    """An account belongs to a group."""

    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("lab_group.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship()

    __table_args__ = (Index("ix_membership_group_id_user_id", "group_id", "user_id"),)


class GroupRight(Base):
    """A group holds a right (table-level capability) for its members."""

    __tablename__ = "group_right"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("lab_group.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(32), primary_key=True)

    __table_args__ = (Index("ix_group_right_name_group_id", "name", "group_id"),)
