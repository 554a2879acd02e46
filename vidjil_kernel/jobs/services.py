"""What the API and the CLI call: launch, cancel, re-run, list jobs, read a job's log.

| operation                           | right                                        |
|-------------------------------------|----------------------------------------------|
| launch a config on a set's samples  | ``run`` on the set and on the config          |
| import a result file for a sample   | ``upload`` on the set, ``run`` on the config  |
| cancel / re-run a job               | ``run`` on the job's set (and its config)     |
| list jobs, read a job and its log   | ``read`` on the job's set                     |

Jobs without a set (their set was deleted) are for lab admins.  Each function
works in the caller's transaction; once it is committed, the caller wakes the
runner (``JobRunner.wake()``) so that it acts at once rather than at its next poll.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import (
    Config,
    Job,
    Result,
    Right,
    Sample,
    SampleSet,
    SetSample,
    User,
)
from vidjil_kernel.db.rights import (
    Actor,
    audit,
    require_lab_admin,
    require_record_right,
    require_set_right,
)
from vidjil_kernel.db.rights.core import is_admin, set_filter
from vidjil_kernel.db.services import launch_analysis
from vidjil_kernel.db.views import ResultView
from vidjil_kernel.exceptions import Conflict, NotFound, UsageError
from vidjil_kernel.jobs.configs import check_config
from vidjil_kernel.jobs.disk import require_free_space
from vidjil_kernel.jobs.paths import LabPaths
from vidjil_kernel.jobs.states import ACTIVE, JobKind, JobState, move, state_of
from vidjil_kernel.jobs.views import JobView, job_views
from vidjil_kernel.settings import Settings

IMPORT_FORMATS = ("vidjil", "airr")


def _actor_id(actor: Actor) -> int | None:
    return actor.id if isinstance(actor, User) else None


def active_job(session: Session, sample_id: int, config_id: int) -> Job | None:
    """The analysis or import of ``sample_id`` with ``config_id`` still under way, if any."""
    return session.scalar(
        select(Job).join(Result, Result.id == Job.result_id)
        .where(Result.sample_id == sample_id, Result.config_id == config_id,
               Job.kind.in_([JobKind.ANALYSIS, JobKind.IMPORT]),
               Job.state.in_([state.value for state in ACTIVE]))
        .order_by(Job.id).limit(1))


def _refuse_duplicates(session: Session, sample_ids: list[int], config: Config) -> None:
    busy = [(sample_id, job) for sample_id in sample_ids
            if (job := active_job(session, sample_id, config.id)) is not None]
    if busy:
        names = "; ".join(f"sample {sample_id} ({session.get(Sample, sample_id).original_name}): "
                          f"job {job.id} is {job.state}" for sample_id, job in busy)
        raise Conflict(f"already under way with config {config.name!r}: {names}. Wait for it "
                       "to finish or cancel it before launching again")


def _check_inputs(session: Session, paths: LabPaths, sample_ids: list[int]) -> None:
    for sample_id in sample_ids:
        sample = session.get(Sample, sample_id)
        if not sample.stored_path:
            raise UsageError(f"sample {sample_id} ({sample.original_name}) has no stored file "
                             "yet: finish its upload first")
        if not paths.stored(sample.stored_path).is_file():
            raise UsageError(f"sample {sample_id} ({sample.original_name}): its file "
                             f"{sample.stored_path} is missing from the data directory")


def launch(session: Session, actor: Actor, set_id: int, config_id: int,
           sample_ids: list[int] | None = None, *, settings: Settings,
           origin: str) -> list[ResultView]:
    """Launch ``config_id`` on the samples of a set (all unless ``sample_ids``).

    Refused when the disk is low (``DiskFull``), when the config cannot run
    (``ConfigError``), or when one of the samples already has an analysis with this
    config under way (``Conflict``, naming the samples and jobs).
    """
    require_free_space(settings, "launch")
    require_set_right(session, actor, Right.RUN, set_id, origin=origin)
    config = require_record_right(session, "config", actor, Right.RUN, config_id, origin=origin)
    assert isinstance(config, Config)
    check_config(config)
    in_set = list(session.scalars(select(SetSample.sample_id)
                                  .where(SetSample.set_id == set_id)
                                  .order_by(SetSample.sample_id)))
    chosen = in_set if sample_ids is None else list(dict.fromkeys(sample_ids))
    missing = sorted(set(chosen) - set(in_set))
    if missing:
        raise NotFound("sample", missing[0], f"not in set {set_id}")
    _refuse_duplicates(session, chosen, config)
    _check_inputs(session, LabPaths(settings), chosen)
    return launch_analysis(session, actor, set_id, config_id, sample_ids=chosen, origin=origin)


def import_result(session: Session, actor: Actor, set_id: int, sample_id: int, config_id: int,
                  path: str | Path, *, settings: Settings, origin: str,
                  result_format: str | None = None) -> ResultView:
    """Queue an uploaded ``.vidjil`` or AIRR file to be validated and stored as a result.

    ``path`` is where the upload was stored (it is read by a worker, then left
    in place); ``result_format`` is guessed from the file name when not given.
    """
    require_free_space(settings, "import")
    require_set_right(session, actor, Right.UPLOAD, set_id, origin=origin)
    config = require_record_right(session, "config", actor, Right.RUN, config_id, origin=origin)
    assert isinstance(config, Config)
    if session.get(SetSample, (set_id, sample_id)) is None:
        raise NotFound("sample", sample_id, f"not in set {set_id}")
    fmt = result_format or ("airr" if str(path).endswith((".tsv", ".tsv.gz")) else "vidjil")
    if fmt not in IMPORT_FORMATS:
        raise UsageError(f"cannot import {fmt!r} results: use one of {', '.join(IMPORT_FORMATS)}")
    stored = LabPaths(settings).stored(path)
    if not stored.is_file():
        raise NotFound("file", str(path), "upload it first")
    _refuse_duplicates(session, [sample_id], config)
    result = Result(sample_id=sample_id, config_id=config_id, launched_by_id=_actor_id(actor))
    session.add(result)
    session.flush()
    job = Job(kind=JobKind.IMPORT.value, user_id=_actor_id(actor), set_id=set_id,
              sample_id=sample_id, result_id=result.id,
              parameters=json.dumps({"path": LabPaths(settings).relative(stored),
                                     "format": fmt}))
    session.add(job)
    session.flush()
    audit(session, actor, "import", "set", set_id, origin=origin,
          details={"sample": sample_id, "config": config_id, "format": fmt})
    return ResultView(result.id, sample_id, config_id, config.name, result.state,
                      result.launched_at, result.finished_at, result.result_path, job.id)


def _job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("job", job_id)
    return job


def _require_job_right(session: Session, actor: Actor, job: Job, right: Right,
                       origin: str) -> None:
    if job.set_id is None:
        require_lab_admin(actor, f"job {job.id} (its set was deleted)")
    else:
        require_set_right(session, actor, right, job.set_id, origin=origin)


def cancel(session: Session, actor: Actor, job_id: int, *, origin: str) -> JobView:
    """Cancel an active job (needs ``run`` on its set); the runner stops its work."""
    job = _job(session, job_id)
    _require_job_right(session, actor, job, Right.RUN, origin)
    if state_of(job) not in ACTIVE:
        raise Conflict(f"job {job_id} is {job.state}: only pending, waiting, queued or "
                       "running jobs can be cancelled")
    move(session, job, JobState.CANCELLED, error=f"cancelled by {_name(actor)}")
    audit(session, actor, "cancel", "job", job_id, origin=origin, details={"kind": job.kind})
    return get_job(session, actor, job_id, origin=origin)


def rerun(session: Session, actor: Actor, job_id: int, *, settings: Settings,
          origin: str) -> JobView:
    """Run a failed or cancelled job again, as a new start (needs ``run``; disk guard)."""
    require_free_space(settings, "re-run")
    job = _job(session, job_id)
    _require_job_right(session, actor, job, Right.RUN, origin)
    if state_of(job) not in (JobState.FAILED, JobState.CANCELLED):
        raise Conflict(f"job {job_id} is {job.state}: only failed or cancelled jobs can be "
                       "re-run (launch the analysis again instead)")
    if job.result_id is not None:
        result = session.get(Result, job.result_id)
        config = require_record_right(session, "config", actor, Right.RUN, result.config_id,
                                      origin=origin)
        assert isinstance(config, Config)
        check_config(config)
        _refuse_duplicates(session, [result.sample_id], config)
    note = f"--- re-run by {_name(actor)} ---"
    move(session, job, JobState.PENDING, log=(job.log + "\n" + note).lstrip("\n"))
    audit(session, actor, "rerun", "job", job_id, origin=origin, details={"kind": job.kind})
    return get_job(session, actor, job_id, origin=origin)


def _name(actor: Actor) -> str:
    return "no account" if actor is None else actor.name


def list_jobs(session: Session, actor: Actor, *, state: str | None = None,
              kind: str | None = None, set_id: int | None = None,
              limit: int = 200) -> list[JobView]:
    """Jobs on sets the actor can read (all jobs for admins), newest first."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    readable = select(SampleSet.id).where(set_filter(actor, Right.READ))
    if not is_admin(actor):  # jobs without a set (deleted) are for admins only
        query = query.where(Job.set_id.in_(readable.scalar_subquery()))
    if state is not None:
        if state not in {s.value for s in JobState}:
            raise UsageError(f"unknown job state {state!r}: use one of "
                             f"{', '.join(s.value for s in JobState)}")
        query = query.where(Job.state == state)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if set_id is not None:
        query = query.where(Job.set_id == set_id)
    return job_views(session, list(session.scalars(query)))


def get_job(session: Session, actor: Actor, job_id: int, *, origin: str = "") -> JobView:
    """One job (needs ``read`` on its set)."""
    job = _job(session, job_id)
    _require_job_right(session, actor, job, Right.READ, origin)
    return job_views(session, [job])[0]


def job_log(session: Session, actor: Actor, job_id: int, *, origin: str = "") -> str:
    """What the job printed, attempt after attempt (needs ``read`` on its set)."""
    job = _job(session, job_id)
    _require_job_right(session, actor, job, Right.READ, origin)
    return job.log
