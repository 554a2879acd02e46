"""Launching analyses, saving the user's annotations, reading results.

| operation                               | right                                 |
|-----------------------------------------|---------------------------------------|
| launch a config on samples of a set     | ``run`` on the set and on the config  |
| save an analysis (annotations)          | ``save`` on the set                   |
| read results, fused results, analyses   | ``read`` on the set (sample)          |

Launching writes a queued ``Result`` and a pending ``Job`` per sample; the
jobs layer picks queued jobs up and owns their state machine from there.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import (
    Analysis,
    Config,
    FusedResult,
    Job,
    Result,
    Right,
    SetSample,
    User,
)
from vidjil_kernel.db.rights import (
    Actor,
    audit,
    require_record_right,
    require_sample_right,
    require_set_right,
)
from vidjil_kernel.db.rights.listings import set_ref
from vidjil_kernel.db.views import AnalysisView, FusedResultView, ResultView
from vidjil_kernel.exceptions import InputFormatError, NotFound, UsageError

ANALYSIS_JOB = "analysis"


def _actor_id(actor: Actor) -> int | None:
    return actor.id if isinstance(actor, User) else None


def launch_analysis(
    session: Session, actor: Actor, set_id: int, config_id: int, *,
    sample_ids: list[int] | None = None, origin: str,
) -> list[ResultView]:
    """Queue ``config_id`` on the samples of a set (all of them unless ``sample_ids``)."""
    require_set_right(session, actor, Right.RUN, set_id, origin=origin)
    require_record_right(session, "config", actor, Right.RUN, config_id, origin=origin)
    in_set = list(session.scalars(select(SetSample.sample_id).where(SetSample.set_id == set_id)
                                  .order_by(SetSample.sample_id)))
    chosen = in_set if sample_ids is None else sample_ids
    missing = sorted(set(chosen) - set(in_set))
    if missing:
        raise NotFound("sample", missing[0], f"not in set {set_id}")
    if not chosen:
        raise UsageError(f"set {set_id} has no sample to analyse")
    views = []
    for sample_id in chosen:
        result = Result(sample_id=sample_id, config_id=config_id, launched_by_id=_actor_id(actor))
        session.add(result)
        session.flush()
        job = Job(kind=ANALYSIS_JOB, user_id=_actor_id(actor), set_id=set_id,
                  sample_id=sample_id, result_id=result.id)
        session.add(job)
        session.flush()
        views.append(_result_view(result, session.get(Config, config_id).name, job.id))
    audit(session, actor, "launch", "set", set_id, origin=origin,
          details={"config": config_id, "samples": chosen})
    return views


def _result_view(result: Result, config_name: str, job_id: int | None) -> ResultView:
    return ResultView(result.id, result.sample_id, result.config_id, config_name, result.state,
                      result.launched_at, result.finished_at, result.result_path, job_id)


def list_results(session: Session, actor: Actor, sample_id: int, *,
                 origin: str = "") -> list[ResultView]:
    """A sample's results, newest first (needs ``read`` on one of its sets)."""
    require_sample_right(session, actor, Right.READ, sample_id, origin=origin)
    job_of = (select(func.max(Job.id)).where(Job.result_id == Result.id)
              .correlate(Result).scalar_subquery())
    rows = session.execute(
        select(Result, Config.name, job_of.label("job_id"))
        .join(Config, Config.id == Result.config_id)
        .where(Result.sample_id == sample_id)
        .order_by(Result.launched_at.desc(), Result.id.desc())
    ).all()
    return [_result_view(row.Result, row.name, row.job_id) for row in rows]


def list_fused_results(session: Session, actor: Actor, set_id: int, *,
                       origin: str = "") -> list[FusedResultView]:
    """A set's fused results, newest first (needs ``read``)."""
    require_set_right(session, actor, Right.READ, set_id, origin=origin)
    ref = set_ref(session, actor, set_id)
    fused = session.scalars(select(FusedResult).where(FusedResult.set_id == set_id)
                            .order_by(FusedResult.fused_at.desc(), FusedResult.id.desc()))
    return [FusedResultView(item.id, ref, item.config_id, item.state, item.fused_at,
                            item.fused_path) for item in fused]


def save_analysis(
    session: Session, actor: Actor, set_id: int, config_id: int, data: dict[str, Any], *,
    origin: str,
) -> AnalysisView:
    """Store a new version of the annotations of a set for a config (needs ``save``)."""
    require_set_right(session, actor, Right.SAVE, set_id, origin=origin)
    if session.get(Config, config_id) is None:
        raise NotFound("config", config_id)
    try:
        text = json.dumps(data, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise InputFormatError(f"analysis of set {set_id}", f"not JSON-serialisable: {error}") \
            from None
    latest = session.scalar(select(func.max(Analysis.version)).where(
        Analysis.set_id == set_id, Analysis.config_id == config_id)) or 0
    analysis = Analysis(set_id=set_id, config_id=config_id, version=latest + 1, data=text,
                        author_id=_actor_id(actor))
    session.add(analysis)
    session.flush()
    audit(session, actor, "save", "analysis", analysis.id, origin=origin,
          details={"set": set_id, "config": config_id, "version": analysis.version})
    return _analysis_view(session, actor, analysis)


def _analysis_view(session: Session, actor: Actor, analysis: Analysis) -> AnalysisView:
    author = session.get(User, analysis.author_id) if analysis.author_id else None
    ref = set_ref(session, actor, analysis.set_id)
    return AnalysisView(analysis.id, ref, analysis.config_id, analysis.version,
                        json.loads(analysis.data), author.name if author else None,
                        analysis.saved_at)


def get_analysis(
    session: Session, actor: Actor, set_id: int, config_id: int, *,
    version: int | None = None, origin: str = "",
) -> AnalysisView:
    """The latest (or the given) version of a set's analysis for a config (needs ``read``)."""
    require_set_right(session, actor, Right.READ, set_id, origin=origin)
    query = select(Analysis).where(Analysis.set_id == set_id, Analysis.config_id == config_id)
    query = query.where(Analysis.version == version) if version is not None else query.order_by(
        Analysis.version.desc()).limit(1)
    analysis = session.scalar(query)
    if analysis is None:
        raise NotFound("analysis", f"set {set_id}, config {config_id}"
                       + (f", version {version}" if version is not None else ""))
    return _analysis_view(session, actor, analysis)

