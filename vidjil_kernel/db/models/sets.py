"""Sample sets (patients, runs, generic sets), the samples in them, and who can see them.

The three kinds share one table (single-table inheritance) so that listing
sets of every kind, filtered by rights, is one indexed query.  A sample can
belong to several sets, e.g. its patient and its sequencing run.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vidjil_kernel.db.base import Base, UTCDateTime, utcnow


class SetKind(enum.StrEnum):
    PATIENT = "patient"
    RUN = "run"
    GENERIC = "generic"


class SampleSet(Base):
    """Columns every kind of set has; kind-specific ones are declared on the subclasses."""

    __tablename__ = "sample_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    id_label: Mapped[str] = mapped_column(String(255), default="")
    info: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))

    samples: Mapped[list[Sample]] = relationship(
        secondary="set_sample", back_populates="sets", passive_deletes=True
    )

    __mapper_args__ = {"polymorphic_on": "kind"}


class Patient(SampleSet):
    """A person followed over time; names and birth date need the ``anon`` right."""

    first_name: Mapped[str] = mapped_column(String(255), nullable=True)
    last_name: Mapped[str] = mapped_column(String(255), nullable=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    __mapper_args__ = {"polymorphic_identity": SetKind.PATIENT.value}


class Run(SampleSet):
    """A sequencing run (its name lives in ``SampleSet.name``)."""

    run_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    sequencer: Mapped[str] = mapped_column(String(255), nullable=True)
    pcr: Mapped[str] = mapped_column(String(255), nullable=True)

    __mapper_args__ = {"polymorphic_identity": SetKind.RUN.value}


class GenericSet(SampleSet):
    """Any other grouping of samples (a cohort, a study)."""

    __mapper_args__ = {"polymorphic_identity": SetKind.GENERIC.value}


SET_CLASSES: dict[str, type[SampleSet]] = {
    SetKind.PATIENT: Patient,
    SetKind.RUN: Run,
    SetKind.GENERIC: GenericSet,
}


class SetAccess(Base):
    """A group (and its child groups) can access a set."""

    __tablename__ = "set_access"

    set_id: Mapped[int] = mapped_column(
        ForeignKey("sample_set.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("lab_group.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_set_access_group_id_set_id", "group_id", "set_id"),)


class Sample(Base):
    """A sequence file (or R1/R2 pair) and what is known about how it was made."""

    __tablename__ = "sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    original_name: Mapped[str] = mapped_column(String(512))
    original_name_r2: Mapped[str | None] = mapped_column(String(512))
    stored_path: Mapped[str | None] = mapped_column(String(1024))
    stored_path_r2: Mapped[str | None] = mapped_column(String(1024))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    sampling_date: Mapped[dt.date | None] = mapped_column(Date)
    info: Mapped[str] = mapped_column(Text, default="")
    pcr: Mapped[str] = mapped_column(String(255), default="")
    sequencer: Mapped[str] = mapped_column(String(255), default="")
    producer: Mapped[str] = mapped_column(String(255), default="")
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    preprocess_id: Mapped[int | None] = mapped_column(
        ForeignKey("preprocess.id", ondelete="RESTRICT")
    )
    preprocess_state: Mapped[str | None] = mapped_column(String(16))
    #: the pre-process's output, the input of analyses once it is done
    preprocessed_path: Mapped[str | None] = mapped_column(String(1024))
    from_file_source: Mapped[bool] = mapped_column(Boolean, default=False)

    sets: Mapped[list[SampleSet]] = relationship(
        secondary="set_sample", back_populates="samples", passive_deletes=True
    )


class SetSample(Base):
    """A sample belongs to a set."""

    __tablename__ = "set_sample"

    set_id: Mapped[int] = mapped_column(
        ForeignKey("sample_set.id", ondelete="CASCADE"), primary_key=True
    )
    sample_id: Mapped[int] = mapped_column(
        ForeignKey("sample.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_set_sample_sample_id_set_id", "sample_id", "set_id"),)
