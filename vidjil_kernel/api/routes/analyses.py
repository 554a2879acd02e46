"""Analyses: the annotation layer of a set's clones (names, tags, clusters, sample order).

Keyed by set **and** config; each save is a new version, older versions stay readable.

| route                         | right             |
|-------------------------------|-------------------|
| load (latest or a version)    | ``read`` on the set |
| save a new version            | ``save`` on the set |
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.api.params import MAX_ID, ConfigId, SetId
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.views import AnalysisView

router = APIRouter(tags=["analyses"])


class CloneNote(BaseModel):
    """What a user says about one clone (its ``id`` is the clone's id in the results)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=1000)
    name: str | None = Field(None, description="A name given by the user")
    tag: int | str | None = Field(None, description="A tag (a colour class, or a word)")


class SampleOrder(BaseModel):
    """How samples are shown: their order (sample ids) and the names given to them."""

    model_config = ConfigDict(extra="allow")

    order: list[int] = Field(default_factory=list)
    names: dict[str, str] = Field(default_factory=dict, description="sample id -> name")


class AnalysisData(BaseModel):
    """The annotation layer; fields beyond these are kept as they are."""

    model_config = ConfigDict(extra="allow")

    clones: list[CloneNote] = Field(default_factory=list)
    clusters: list[list[str]] = Field(default_factory=list,
                                      description="Clone ids merged into one clone each")
    samples: SampleOrder = Field(default_factory=SampleOrder)
    tags: dict[str, Any] = Field(default_factory=dict, description="Names of the tags")


@router.get("/sets/{set_id}/analyses/{config_id}", response_model=AnalysisView,
            summary="The latest (or a given) version of a set's annotations for a config")
def load_analysis(set_id: SetId, config_id: ConfigId, caller: CallerDep,
                  version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> AnalysisView:
    with caller.session() as (session, actor):
        return svc.get_analysis(session, actor, set_id, config_id, version=version,
                                origin=caller.origin)


@router.post("/sets/{set_id}/analyses/{config_id}", response_model=AnalysisView,
             status_code=201, summary="Save a new version of a set's annotations for a config")
def save_analysis(set_id: SetId, config_id: ConfigId, data: AnalysisData,
                  caller: CallerDep) -> AnalysisView:
    with caller.session() as (session, actor):
        return svc.save_analysis(session, actor, set_id, config_id,
                                 data.model_dump(mode="json"), origin=caller.origin)
