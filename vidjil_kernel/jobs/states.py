"""The life of a job, and the one function that moves it: ``move``.

::

    pending ──> queued ──> running ──> completed
       │   \\      │  ^        │  \\
       │    waiting  └─ retry ─┘   failed / cancelled ──(re-run)──> pending
       └──────> failed / cancelled (from any active state)

- **pending**: written by a launch; no runner has looked at it yet.
- **waiting**: its input is not ready (the sample's pre-process has not completed).
- **queued**: ready; waits for a free worker.
- **running**: handed to the cluster (``attempts`` counts these starts).  A worker
  that dies, or a runner restarting, sends it back to queued while attempts are left.
- **completed**, **failed**, **cancelled**: final.  A failed or cancelled job may be
  re-run: it becomes pending again with its attempts reset (its log is kept).

The database is the record: a transition is written (and committed by the caller)
before the runner acts on it, and the record a job works for (a result, a fused
result, a sample's pre-process) follows the job's state in the same write.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.orm import Session

from vidjil_kernel.db.base import utcnow
from vidjil_kernel.db.models import FusedResult, Job, Result, RunState, Sample


class JobState(enum.StrEnum):
    PENDING = "pending"
    WAITING = "waiting"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobKind(enum.StrEnum):
    """The kinds the lab offers (``kinds.register`` adds others, e.g. reports)."""

    PRE_PROCESS = "pre_process"
    ANALYSIS = "analysis"
    FUSE = "fuse"
    IMPORT = "import"


ACTIVE = frozenset({JobState.PENDING, JobState.WAITING, JobState.QUEUED, JobState.RUNNING})
FINAL = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED})

#: state -> the states a job may move to from it
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.PENDING: frozenset({JobState.WAITING, JobState.QUEUED, JobState.FAILED,
                                 JobState.CANCELLED}),
    JobState.WAITING: frozenset({JobState.QUEUED, JobState.FAILED, JobState.CANCELLED}),
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.FAILED, JobState.CANCELLED}),
    JobState.RUNNING: frozenset({JobState.QUEUED, JobState.COMPLETED, JobState.FAILED,
                                 JobState.CANCELLED}),
    JobState.COMPLETED: frozenset(),
    JobState.FAILED: frozenset({JobState.PENDING}),
    JobState.CANCELLED: frozenset({JobState.PENDING}),
}

#: job state -> state of the result / fused result / pre-process it works for
RECORD_STATE = {
    JobState.PENDING: RunState.QUEUED,
    JobState.WAITING: RunState.QUEUED,
    JobState.QUEUED: RunState.QUEUED,
    JobState.RUNNING: RunState.RUNNING,
    JobState.COMPLETED: RunState.DONE,
    JobState.FAILED: RunState.FAILED,
    JobState.CANCELLED: RunState.CANCELLED,
}


class InvalidTransition(RuntimeError):
    """A job was asked to make a move its state does not allow (a race or a bug)."""


def state_of(job: Job) -> JobState:
    return JobState(job.state)


def move(session: Session, job: Job, state: JobState, **changes: Any) -> None:
    """Move ``job`` to ``state`` (with column ``changes``), and its record along; flushes.

    Timings follow: a start sets ``started_at`` and counts an attempt, a final
    state sets ``finished_at``, a re-run clears what the last run left.
    """
    current = state_of(job)
    if state not in TRANSITIONS[current]:
        raise InvalidTransition(f"job {job.id} ({job.kind}) cannot go from {current} to {state}")
    now = utcnow()
    job.state = state.value
    if state is JobState.RUNNING:
        job.attempts += 1
        job.started_at = now
        job.heartbeat_at = now
        job.finished_at = None
        job.worker = None
    elif state in FINAL:
        job.finished_at = now
        if state is JobState.COMPLETED:
            job.progress = 1.0
    elif state is JobState.PENDING:
        job.attempts = 0
        job.error = None
        job.started_at = job.finished_at = job.heartbeat_at = None
        job.worker = None
        job.progress, job.progress_message = 0.0, ""
        job.progress_done = job.progress_total = None
    for name, value in changes.items():
        setattr(job, name, value)
    _follow(session, job, state, now)
    session.flush()


def _follow(session: Session, job: Job, state: JobState, now: Any) -> None:
    """The record the job works for takes the job's state."""
    record_state = RECORD_STATE[state].value
    if job.result_id is not None and job.kind in (JobKind.ANALYSIS, JobKind.IMPORT):
        result = session.get(Result, job.result_id)
        if result is not None:
            result.state = record_state
            result.finished_at = now if state in FINAL else None
            if state is JobState.PENDING:
                result.result_path = None
    elif job.fused_result_id is not None and job.kind == JobKind.FUSE:
        fused = session.get(FusedResult, job.fused_result_id)
        if fused is not None:
            fused.state = record_state
    elif job.kind == JobKind.PRE_PROCESS and job.sample_id is not None:
        sample = session.get(Sample, job.sample_id)
        if sample is not None:
            sample.preprocess_state = record_state
