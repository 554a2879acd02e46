"""Analysis configs and pre-processes, each shared with chosen groups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vidjil_kernel.db.base import Base, UTCDateTime, utcnow


class Config(Base):
    """How to analyse a sample: program, its parameters, and how to fuse the results."""

    __tablename__ = "config"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    program: Mapped[str] = mapped_column(String(64), default="vidjil")
    parameters: Mapped[str] = mapped_column(Text, default="")
    fuse_parameters: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))


class ConfigAccess(Base):
    """A group (and its child groups) can use a config."""

    __tablename__ = "config_access"

    config_id: Mapped[int] = mapped_column(
        ForeignKey("config.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("lab_group.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_config_access_group_id_config_id", "group_id", "config_id"),)


class PreProcess(Base):
    """A command run on uploaded files before analysis (e.g. merging R1/R2).

    ``command`` is a template; the jobs layer fills its placeholders.
    """

    __tablename__ = "preprocess"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    command: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))


class PreProcessAccess(Base):
    """A group (and its child groups) can use a pre-process."""

    __tablename__ = "preprocess_access"

    preprocess_id: Mapped[int] = mapped_column(
        ForeignKey("preprocess.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("lab_group.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (
        Index("ix_preprocess_access_group_id_preprocess_id", "group_id", "preprocess_id"),
    )
