"""What analyses produce: results, fused results, user analyses, and the jobs that make them.

The job table is the source of truth for work (a Dask future is only a way of
running a job); its state machine belongs to the jobs layer, these are only
its columns.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vidjil_kernel.db.base import Base, UTCDateTime, utcnow


class RunState(enum.StrEnum):
    """Where a result, a fused result or a pre-process stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Result(Base):
    """One launch of a config on a sample."""

    __tablename__ = "result"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"))
    config_id: Mapped[int] = mapped_column(ForeignKey("config.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(16), default=RunState.QUEUED)
    launched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    launched_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    result_path: Mapped[str | None] = mapped_column(String(1024))
    log: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_result_sample_id_config_id", "sample_id", "config_id"),)


class FusedResult(Base):
    """The results of a set's samples joined clone by clone, for one config."""

    __tablename__ = "fused_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("sample_set.id", ondelete="CASCADE"))
    config_id: Mapped[int] = mapped_column(ForeignKey("config.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(16), default=RunState.QUEUED)
    fused_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    fused_path: Mapped[str | None] = mapped_column(String(1024))

    __table_args__ = (Index("ix_fused_result_set_id_config_id", "set_id", "config_id"),)


class Analysis(Base):
    """The user's annotations of a set's clones for one config (names, tags, clusters,
    sample order), as a JSON document; each save is a new version."""

    __tablename__ = "analysis"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("sample_set.id", ondelete="CASCADE"))
    config_id: Mapped[int] = mapped_column(ForeignKey("config.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("set_id", "config_id", "version"),)


#: state of a new job (the jobs layer's ``JobState.PENDING``): no runner has taken it yet
NEW_JOB_STATE = "pending"


class Job(Base):
    """A unit of work for the cluster (pre-process, analysis, fuse, report...).

    ``attempts`` counts starts, ``worker`` names the worker of the last start,
    ``progress`` goes from 0 to 1 (``progress_done`` of ``progress_total`` reads
    for analyses), ``log`` keeps what the job printed (commands' stdout/stderr,
    the engine's summary), attempt after attempt.  Which of ``result_id``,
    ``fused_result_id``, ``sample_id`` is set depends on ``kind``.
    """

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=NEW_JOB_STATE)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    progress_message: Mapped[str] = mapped_column(String(255), default="")
    progress_done: Mapped[int | None] = mapped_column(BigInteger)
    progress_total: Mapped[int | None] = mapped_column(BigInteger)
    log: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    set_id: Mapped[int | None] = mapped_column(ForeignKey("sample_set.id", ondelete="SET NULL"))
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("sample.id", ondelete="SET NULL"))
    result_id: Mapped[int | None] = mapped_column(ForeignKey("result.id", ondelete="SET NULL"))
    fused_result_id: Mapped[int | None] = mapped_column(
        ForeignKey("fused_result.id", ondelete="SET NULL")
    )
    parameters: Mapped[str] = mapped_column(Text, default="{}")

    __table_args__ = (Index("ix_job_state_kind", "state", "kind"),)


class RunnerLease(Base):
    """Which job runner may dispatch the lab's jobs: one at a time per database.

    The holder renews ``renewed_at`` every few seconds; a lease not renewed for
    longer than the runner's lease time belongs to a runner that died and may
    be taken over.  ``scheduler`` is the Dask scheduler address the holder
    uses, so that other commands (``vidjil worker status``) can reach it.
    """

    __tablename__ = "runner_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    scheduler: Mapped[str] = mapped_column(String(255), default="")
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    renewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
