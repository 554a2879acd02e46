"""Pre-processes (commands run on sequence files before analysis, e.g. merging R1/R2).

| route                          | right                                            |
|--------------------------------|--------------------------------------------------|
| list, read                     | ``read`` on the pre-process                      |
| create, edit the command       | lab admin (it runs on the workers), ``create_config`` |
| delete, share                  | ``admin`` on the pre-process                     |
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.api.params import GroupName, PreProcessId
from vidjil_kernel.db import rights
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.services.accounts import personal_group_name
from vidjil_kernel.db.views import PreProcessView

router = APIRouter(tags=["preprocesses"])

COMMAND_HELP = ("Command template run by a worker: {file1}, {file2} (R1, R2) and {result} "
                "(the file to write) are filled in")


class PreProcessFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(None, min_length=1, max_length=255)
    command: str = Field(None, min_length=1, description=COMMAND_HELP)
    description: str = None

    def given(self) -> dict:
        return self.model_dump(exclude_unset=True, exclude={"group"})


class NewPreProcess(PreProcessFields):
    name: str = Field(min_length=1, max_length=255)
    command: str = Field(min_length=1, description=COMMAND_HELP)
    group: str | None = Field(None, description="Group that may use it (default: your "
                                                "personal group)")


def _commands_are_for_admins(actor) -> None:
    rights.require_lab_admin(actor, "pre-process commands (they run on the lab's workers)")


@router.get("/preprocesses", response_model=list[PreProcessView],
            summary="Pre-processes you may read")
def list_preprocesses(caller: CallerDep) -> list[PreProcessView]:
    with caller.session() as (session, actor):
        return rights.readable_preprocesses(session, actor)


@router.post("/preprocesses", response_model=PreProcessView, status_code=201,
             summary="Create a pre-process (lab admins)")
def create_preprocess(new: NewPreProcess, caller: CallerDep) -> PreProcessView:
    with caller.session() as (session, actor):
        _commands_are_for_admins(actor)
        return svc.create_preprocess(session, actor,
                                     new.group or personal_group_name(actor.name),
                                     origin=caller.origin, **new.given())


@router.get("/preprocesses/{preprocess_id}", response_model=PreProcessView,
            summary="One pre-process")
def get_preprocess(preprocess_id: PreProcessId, caller: CallerDep) -> PreProcessView:
    with caller.session() as (session, actor):
        return svc.get_preprocess(session, actor, preprocess_id, origin=caller.origin)


@router.patch("/preprocesses/{preprocess_id}", response_model=PreProcessView,
              summary="Change a pre-process")
def update_preprocess(preprocess_id: PreProcessId, changes: PreProcessFields,
                      caller: CallerDep) -> PreProcessView:
    with caller.session() as (session, actor):
        if changes.command is not None:
            _commands_are_for_admins(actor)
        return svc.update_preprocess(session, actor, preprocess_id, origin=caller.origin,
                                     **changes.given())


@router.delete("/preprocesses/{preprocess_id}", status_code=204, response_class=Response,
               summary="Delete a pre-process no sample uses")
def delete_preprocess(preprocess_id: PreProcessId, caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        svc.delete_preprocess(session, actor, preprocess_id, origin=caller.origin)
    return Response(status_code=204)


@router.put("/preprocesses/{preprocess_id}/groups/{group}", response_model=PreProcessView,
            summary="Let a group (and its child groups) use a pre-process")
def share_preprocess(preprocess_id: PreProcessId, group: GroupName,
                     caller: CallerDep) -> PreProcessView:
    with caller.session() as (session, actor):
        return svc.share_preprocess(session, actor, preprocess_id, group, origin=caller.origin)


@router.delete("/preprocesses/{preprocess_id}/groups/{group}", status_code=204,
               response_class=Response, summary="Take a group's use of a pre-process away")
def unshare_preprocess(preprocess_id: PreProcessId, group: GroupName,
                       caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        svc.unshare_preprocess(session, actor, preprocess_id, group, origin=caller.origin)
    return Response(status_code=204)
