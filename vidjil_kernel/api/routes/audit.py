"""The audit log: who did what to which record, when, from where.

One set's, config's or pre-process's log needs ``admin`` on it; the whole log,
or that of other record types, is for lab admins.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.api.params import MAX_ID
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.views import AuditView

router = APIRouter(tags=["audit"])

RecordType = Literal["set", "sample", "config", "preprocess", "group", "user", "analysis",
                     "notification", "job", "lab"]


@router.get("/audit", response_model=list[AuditView], summary="Audit entries, newest first")
def list_audit(caller: CallerDep, record_type: RecordType | None = None,
               record_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
               user: Annotated[str | None, Query(min_length=1, max_length=255,
                                                 description="Only entries by this "
                                                             "account")] = None,
               limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> list[AuditView]:
    with caller.session() as (session, actor):
        return svc.list_audit(session, actor, record_type=record_type, record_id=record_id,
                              user=user, limit=limit, origin=caller.origin)
