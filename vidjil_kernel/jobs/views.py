"""Jobs as the API and the CLI show them (plain views, never ORM rows)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Config, FusedResult, Job, Result, Sample, User
from vidjil_kernel.db.views import View


@dataclasses.dataclass(slots=True)
class JobView(View):
    """A job: what it does, where it stands, who launched it.

    ``progress`` is 0..1; for analyses ``progress_done`` of ``progress_total``
    reads (the total is estimated from the file size while the job runs).
    """

    id: int
    kind: str
    state: str
    attempts: int
    worker: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    progress: float
    progress_done: int | None
    progress_total: int | None
    progress_message: str
    error: str | None
    set_id: int | None
    sample_id: int | None
    sample: str | None
    config_id: int | None
    config: str | None
    result_id: int | None
    fused_result_id: int | None
    user: str | None


def job_views(session: Session, jobs: list[Job]) -> list[JobView]:
    """Views of ``jobs`` with their sample, config and user names (four queries in all)."""
    samples = _names(session, Sample.id, Sample.original_name, [j.sample_id for j in jobs])
    users = _names(session, User.id, User.name, [j.user_id for j in jobs])
    result_configs = dict(session.execute(
        select(Result.id, Result.config_id).where(
            Result.id.in_([j.result_id for j in jobs if j.result_id is not None]))).all())
    fused_configs = dict(session.execute(
        select(FusedResult.id, FusedResult.config_id).where(
            FusedResult.id.in_([j.fused_result_id for j in jobs
                                if j.fused_result_id is not None]))).all())
    config_of = {job.id: result_configs.get(job.result_id) or fused_configs.get(
        job.fused_result_id) for job in jobs}
    configs = _names(session, Config.id, Config.name, list(config_of.values()))
    return [JobView(
        job.id, job.kind, job.state, job.attempts, job.worker, job.created_at, job.started_at,
        job.finished_at, job.progress, job.progress_done, job.progress_total,
        job.progress_message, job.error, job.set_id, job.sample_id, samples.get(job.sample_id),
        config_of[job.id], configs.get(config_of[job.id]), job.result_id, job.fused_result_id,
        users.get(job.user_id)) for job in jobs]


def _names(session: Session, key, name, ids: list[int | None]) -> dict[int, str]:  # noqa: ANN001
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(session.execute(select(key, name).where(key.in_(wanted))).all())
