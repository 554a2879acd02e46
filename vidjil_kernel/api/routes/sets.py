"""Sets: patients, runs and generic sets (create one or a batch, edit, delete, search, share).

| route                                | right                                   |
|--------------------------------------|-----------------------------------------|
| list, search, read a set             | ``read`` (patients anonymised without ``anon``) |
| create (one or a batch) in a group   | ``create`` into the group               |
| edit, delete, see and change sharing | ``admin`` on the set                    |
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.api.params import (
    GroupName,
    Limit,
    Offset,
    SamplePage,
    Search,
    SetId,
    SetPage,
    Tag,
)
from vidjil_kernel.api.routes.samples import samples_page
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.models import User
from vidjil_kernel.db.services.accounts import personal_group_name
from vidjil_kernel.db.views import SetView
from vidjil_kernel.storage.sample_files import remove_sample_files

router = APIRouter(tags=["sets"])

SetKindName = Literal["patient", "run", "generic"]


class SetFields(BaseModel):
    """Fields of a set; which ones a kind accepts: patient (first_name, last_name, birth_date,
    info, id_label), run (name, run_date, sequencer, pcr, info, id_label), generic (name, info).
    ``#words`` in ``info`` are tags.  Omitted: unchanged; null clears a name or a date."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = None
    last_name: str | None = None
    birth_date: dt.date | None = None
    name: str | None = None
    run_date: dt.date | None = None
    sequencer: str | None = None
    pcr: str | None = None
    info: str = Field(None, description="Free text; #words are tags")
    id_label: str = Field(None, description="The lab's own identifier")

    def given(self) -> dict:
        return self.model_dump(exclude_unset=True)


class NewSet(SetFields):
    kind: SetKindName
    group: str | None = Field(None, description="Group that gets access (default: your "
                                                "personal group)")

    def given(self) -> dict:
        return self.model_dump(exclude_unset=True, exclude={"kind", "group"})


class NewSets(BaseModel):
    """Many sets of one kind at once (e.g. rows pasted from a spreadsheet): all or none."""

    model_config = ConfigDict(extra="forbid")

    kind: SetKindName
    group: str | None = None
    items: list[SetFields] = Field(min_length=1, max_length=1000)


def _group(actor: User, group: str | None) -> str:
    return group or personal_group_name(actor.name)


@router.get("/sets", response_model=SetPage, summary="Sets you may read, newest first")
def list_sets(caller: CallerDep, kind: SetKindName | None = None, search: Search = None,
              tag: Tag = None, offset: Offset = 0, limit: Limit = None) -> SetPage:
    with caller.session() as (session, actor):
        page = svc.list_sets(session, actor, kind=kind, search=search, tag=tag, offset=offset,
                             limit=limit, origin=caller.origin)
        return SetPage(items=list(page.items), total=page.total, offset=page.offset,
                       limit=page.limit)


@router.post("/sets", response_model=SetView, status_code=201, summary="Create a set")
def create_set(new: NewSet, caller: CallerDep) -> SetView:
    with caller.session() as (session, actor):
        return svc.create_set(session, actor, new.kind, _group(actor, new.group),
                              origin=caller.origin, **new.given())


@router.post("/sets/batch", response_model=list[SetView], status_code=201,
             summary="Create many sets of one kind (all or none)")
def create_sets(new: NewSets, caller: CallerDep) -> list[SetView]:
    with caller.session() as (session, actor):
        group = _group(actor, new.group)
        return [svc.create_set(session, actor, new.kind, group, origin=caller.origin,
                               **item.given()) for item in new.items]


@router.get("/sets/{set_id}", response_model=SetView, summary="One set")
def get_set(set_id: SetId, caller: CallerDep) -> SetView:
    with caller.session() as (session, actor):
        return svc.get_set(session, actor, set_id, origin=caller.origin)


@router.patch("/sets/{set_id}", response_model=SetView, summary="Change fields of a set")
def update_set(set_id: SetId, changes: SetFields, caller: CallerDep) -> SetView:
    with caller.session() as (session, actor):
        return svc.update_set(session, actor, set_id, origin=caller.origin, **changes.given())


@router.delete("/sets/{set_id}", status_code=204, response_class=Response,
               summary="Delete a set, with its samples that are in no other set")
def delete_set(set_id: SetId, caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        paths = svc.delete_set(session, actor, set_id, origin=caller.origin)
    remove_sample_files(caller.lab.config.data_dir, paths)
    return Response(status_code=204)


@router.get("/sets/{set_id}/groups", response_model=list[str],
            summary="Groups that have access to a set")
def set_groups(set_id: SetId, caller: CallerDep) -> list[str]:
    with caller.session() as (session, actor):
        return svc.set_groups(session, actor, set_id, origin=caller.origin)


@router.put("/sets/{set_id}/groups/{group}", response_model=SetView,
            summary="Give a group (and its child groups) access to a set")
def share_set(set_id: SetId, group: GroupName, caller: CallerDep) -> SetView:
    with caller.session() as (session, actor):
        return svc.share_set(session, actor, set_id, group, origin=caller.origin)


@router.delete("/sets/{set_id}/groups/{group}", status_code=204, response_class=Response,
               summary="Take a group's access to a set away")
def unshare_set(set_id: SetId, group: GroupName, caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        svc.unshare_set(session, actor, set_id, group, origin=caller.origin)
    return Response(status_code=204)


@router.get("/sets/{set_id}/samples", response_model=SamplePage,
            summary="Samples of a set, newest first")
def set_samples(set_id: SetId, caller: CallerDep, search: Search = None, tag: Tag = None,
                offset: Offset = 0, limit: Limit = None) -> SamplePage:
    return samples_page(caller, set_id=set_id, search=search, tag=tag, offset=offset,
                        limit=limit)
