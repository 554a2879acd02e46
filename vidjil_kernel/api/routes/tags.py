"""Tags: the ``#words`` used in info fields of what you may read (for completion and search)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.db import services as svc

router = APIRouter(tags=["tags"])


class TagUse(BaseModel):
    name: str
    uses: int


@router.get("/tags", response_model=list[TagUse],
            summary="Tags on sets and samples you may read, most used first")
def list_tags(caller: CallerDep,
              prefix: Annotated[str, Query(max_length=64, description="Start of the tag")] = "",
              limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[TagUse]:
    with caller.session() as (session, actor):
        return [TagUse(name=name, uses=uses) for name, uses
                in svc.tag_vocabulary(session, actor, prefix=prefix, limit=limit)]
