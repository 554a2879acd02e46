"""Groups and rights.

| route                                  | right                                       |
|----------------------------------------|---------------------------------------------|
| list groups                            | everyone (lab admins see all, others theirs) |
| create, delete a group; grant, revoke  | lab admin                                   |
| add, remove members                    | lab admin, or ``admin`` held by that group   |
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.api.params import GroupName, NewGroupName, UserName
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.models import Right
from vidjil_kernel.db.views import GroupView

router = APIRouter(tags=["groups"])

RightName = Annotated[Right, Path(description="A right: " + ", ".join(r.value for r in Right))]


class NewGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NewGroupName
    parent: str | None = Field(None, description="Parent group: members of this group see "
                                                 "the parent's records")
    description: str = ""


@router.get("/groups", response_model=list[GroupView], summary="Groups, with rights and members")
def list_groups(caller: CallerDep) -> list[GroupView]:
    with caller.session() as (session, actor):
        return svc.list_groups(session, actor)


@router.post("/groups", response_model=GroupView, status_code=201,
             summary="Create a group (lab admins)")
def create_group(new: NewGroup, caller: CallerDep) -> GroupView:
    with caller.session() as (session, actor):
        return svc.create_group(session, actor, new.name, parent=new.parent,
                                description=new.description, origin=caller.origin)


@router.delete("/groups/{group}", status_code=204, response_class=Response,
               summary="Delete a group without children (lab admins)")
def delete_group(group: GroupName, caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        svc.delete_group(session, actor, group, origin=caller.origin)
    return Response(status_code=204)


@router.put("/groups/{group}/members/{user}", response_model=GroupView,
            summary="Add a member to a group")
def add_member(group: GroupName, user: UserName, caller: CallerDep) -> GroupView:
    with caller.session() as (session, actor):
        return svc.add_member(session, actor, group, user, origin=caller.origin)


@router.delete("/groups/{group}/members/{user}", response_model=GroupView,
               summary="Remove a member from a group")
def remove_member(group: GroupName, user: UserName, caller: CallerDep) -> GroupView:
    with caller.session() as (session, actor):
        return svc.remove_member(session, actor, group, user, origin=caller.origin)


@router.put("/groups/{group}/rights/{right}", response_model=GroupView,
            summary="Let a group's members do something (lab admins)")
def grant(group: GroupName, right: RightName, caller: CallerDep) -> GroupView:
    with caller.session() as (session, actor):
        return svc.grant_right(session, actor, group, right, origin=caller.origin)


@router.delete("/groups/{group}/rights/{right}", response_model=GroupView,
               summary="Take a right back from a group (lab admins)")
def revoke(group: GroupName, right: RightName, caller: CallerDep) -> GroupView:
    with caller.session() as (session, actor):
        return svc.revoke_right(session, actor, group, right, origin=caller.origin)
