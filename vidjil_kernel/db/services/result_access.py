"""One result or fused result by its id, for those who may read it (downloads, clone tables).

| operation                   | right                                      |
|-----------------------------|--------------------------------------------|
| read a sample's result      | ``read`` on one of the sample's sets       |
| read a set's fused result   | ``read`` on the set                        |
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Config, FusedResult, Job, Result, Right
from vidjil_kernel.db.rights import Actor, require_sample_right, require_set_right
from vidjil_kernel.db.rights.listings import set_ref
from vidjil_kernel.db.services.analyses import _result_view
from vidjil_kernel.db.views import FusedResultView, ResultView
from vidjil_kernel.exceptions import NotFound


def get_result(session: Session, actor: Actor, result_id: int, *,
               origin: str = "") -> ResultView:
    """A result of a sample the actor may read."""
    result = session.get(Result, result_id)
    if result is None:
        raise NotFound("result", result_id)
    require_sample_right(session, actor, Right.READ, result.sample_id, origin=origin)
    config = session.get(Config, result.config_id)
    job_id = session.scalar(select(func.max(Job.id)).where(Job.result_id == result_id))
    return _result_view(result, config.name if config else "", job_id)


def get_fused_result(session: Session, actor: Actor, fused_id: int, *,
                     origin: str = "") -> FusedResultView:
    """A fused result of a set the actor may read."""
    fused = session.get(FusedResult, fused_id)
    if fused is None:
        raise NotFound("fused result", fused_id)
    require_set_right(session, actor, Right.READ, fused.set_id, origin=origin)
    return FusedResultView(fused.id, set_ref(session, actor, fused.set_id), fused.config_id,
                           fused.state, fused.fused_at, fused.fused_path)
