"""Intake: what a pending job waits for before it is queued, and waiting jobs released.

An analysis of a sample with a pre-process waits until the pre-process has
completed (its job is queued here when none is under way); it is queued then, or
fails with the pre-process's own error if that failed or was cancelled.  Other
pending jobs are queued at once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Job, RunState, Sample
from vidjil_kernel.jobs.states import ACTIVE, JobKind, JobState, move

#: longest error message kept on a job
ERROR_CHARS = 4000


def fail(session: Session, job: Job, error: str) -> None:
    move(session, job, JobState.FAILED, error=error[:ERROR_CHARS])


def intake(session: Session) -> None:
    """Pending jobs become queued (or waiting); waiting ones are queued or failed."""
    for job in session.scalars(select(Job).where(Job.state == JobState.PENDING.value)
                               .order_by(Job.id)):
        if job.kind == JobKind.ANALYSIS and needs_preprocess(session, job):
            move(session, job, JobState.WAITING)
        else:
            move(session, job, JobState.QUEUED)
    for job in session.scalars(select(Job).where(Job.state == JobState.WAITING.value)
                               .order_by(Job.id)):
        sample = session.get(Sample, job.sample_id) if job.sample_id else None
        if sample is None:
            fail(session, job, "its sample was deleted")
        elif sample.preprocessed_path and sample.preprocess_state == RunState.DONE:
            move(session, job, JobState.QUEUED)
        elif sample.preprocess_state in (RunState.FAILED, RunState.CANCELLED) and \
                active_preprocess(session, sample.id) is None:
            fail(session, job, preprocess_error(session, sample))


def needs_preprocess(session: Session, job: Job) -> bool:
    """Whether an analysis's sample waits for its pre-process (whose job is queued if need be)."""
    sample = session.get(Sample, job.sample_id) if job.sample_id else None
    if sample is None or sample.preprocess_id is None:
        return False
    if sample.preprocess_state == RunState.DONE and sample.preprocessed_path:
        return False
    if active_preprocess(session, sample.id) is None:
        preprocess = Job(kind=JobKind.PRE_PROCESS.value, user_id=job.user_id,
                         set_id=job.set_id, sample_id=sample.id)
        session.add(preprocess)
        session.flush()
        move(session, preprocess, JobState.QUEUED)
    return True


def active_preprocess(session: Session, sample_id: int) -> Job | None:
    return session.scalar(select(Job).where(
        Job.kind == JobKind.PRE_PROCESS.value, Job.sample_id == sample_id,
        Job.state.in_([s.value for s in ACTIVE])).limit(1))


def preprocess_error(session: Session, sample: Sample) -> str:
    """Why the analyses of ``sample`` cannot run: its last pre-process job's error."""
    last = session.scalar(select(Job).where(
        Job.kind == JobKind.PRE_PROCESS.value, Job.sample_id == sample.id)
        .order_by(Job.id.desc()).limit(1))
    reason = last.error if last is not None and last.error else sample.preprocess_state
    job = f" (job {last.id})" if last is not None else ""
    return f"pre-process of sample {sample.id} {sample.preprocess_state}{job}: {reason}"
