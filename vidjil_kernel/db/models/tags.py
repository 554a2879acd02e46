"""Tags: ``#words`` written in the info fields of sets and samples, in one shared vocabulary.

The links are derived from the info text whenever it changes (``services.tags``),
so searching by tag is an indexed join instead of a LIKE over every info field.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vidjil_kernel.db.base import Base

TAG_LENGTH = 64


class Tag(Base):
    """A word of the vocabulary, lower-case, without its ``#``."""

    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_LENGTH), unique=True)


class SetTag(Base):
    __tablename__ = "set_tag"

    set_id: Mapped[int] = mapped_column(
        ForeignKey("sample_set.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_set_tag_tag_id_set_id", "tag_id", "set_id"),)


class SampleTag(Base):
    __tablename__ = "sample_tag"

    sample_id: Mapped[int] = mapped_column(
        ForeignKey("sample.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_sample_tag_tag_id_sample_id", "tag_id", "sample_id"),)
