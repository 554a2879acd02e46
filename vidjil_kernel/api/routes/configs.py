"""Analysis configs: list, create, edit, delete, share with groups.

| route                                  | right                                        |
|----------------------------------------|----------------------------------------------|
| list, read                             | ``read`` on the config                       |
| create, shared with a group            | ``create_config`` into the group             |
| edit, delete, share                    | ``admin`` on the config                      |
| a ``program`` other than the engine    | lab admin (it runs on the workers)           |

Configs are checked as the jobs layer will read them (``jobs.check_config``):
a bad option is refused (422) naming the config and the option.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.api.params import ConfigId, GroupName
from vidjil_kernel.db import rights
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.models import Config, User
from vidjil_kernel.db.services.accounts import personal_group_name
from vidjil_kernel.db.views import ConfigView
from vidjil_kernel.jobs import check_config
from vidjil_kernel.jobs.configs import ENGINE as ENGINE_PROGRAM

router = APIRouter(tags=["configs"])


class ConfigFields(BaseModel):
    """A config: ``parameters`` are options of the program (for the engine, those of
    ``vidjil detect``), ``fuse_parameters`` those of the fuse step."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(None, min_length=1, max_length=255)
    program: str = Field(None, max_length=64)
    parameters: str = None
    fuse_parameters: str = None
    description: str = None
    classification: str = Field(None, max_length=64)

    def given(self) -> dict:
        return self.model_dump(exclude_unset=True, exclude={"group"})


class NewConfig(ConfigFields):
    name: str = Field(min_length=1, max_length=255)
    group: str | None = Field(None, description="Group that may use it (default: your "
                                                "personal group)")


def _check_program(actor: User, program: str | None) -> None:  # None: not given
    if program is not None and program != ENGINE_PROGRAM:
        rights.require_lab_admin(actor, f"configs running the program {program!r} (only "
                                        f"'{ENGINE_PROGRAM}' is open to every user)")


@router.get("/configs", response_model=list[ConfigView], summary="Configs you may read")
def list_configs(caller: CallerDep) -> list[ConfigView]:
    with caller.session() as (session, actor):
        return rights.readable_configs(session, actor)


@router.post("/configs", response_model=ConfigView, status_code=201, summary="Create a config")
def create_config(new: NewConfig, caller: CallerDep) -> ConfigView:
    with caller.session() as (session, actor):
        _check_program(actor, new.program)
        view = svc.create_config(session, actor, new.group or personal_group_name(actor.name),
                                 origin=caller.origin, **new.given())
        check_config(session.get(Config, view.id))
        return view


@router.get("/configs/{config_id}", response_model=ConfigView, summary="One config")
def get_config(config_id: ConfigId, caller: CallerDep) -> ConfigView:
    with caller.session() as (session, actor):
        return svc.get_config(session, actor, config_id, origin=caller.origin)


@router.patch("/configs/{config_id}", response_model=ConfigView, summary="Change a config")
def update_config(config_id: ConfigId, changes: ConfigFields, caller: CallerDep) -> ConfigView:
    with caller.session() as (session, actor):
        _check_program(actor, changes.program)
        view = svc.update_config(session, actor, config_id, origin=caller.origin,
                                 **changes.given())
        check_config(session.get(Config, config_id))
        return view


@router.delete("/configs/{config_id}", status_code=204, response_class=Response,
               summary="Delete a config no result uses")
def delete_config(config_id: ConfigId, caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        svc.delete_config(session, actor, config_id, origin=caller.origin)
    return Response(status_code=204)


@router.put("/configs/{config_id}/groups/{group}", response_model=ConfigView,
            summary="Let a group (and its child groups) use a config")
def share_config(config_id: ConfigId, group: GroupName, caller: CallerDep) -> ConfigView:
    with caller.session() as (session, actor):
        return svc.share_config(session, actor, config_id, group, origin=caller.origin)


@router.delete("/configs/{config_id}/groups/{group}", status_code=204, response_class=Response,
               summary="Take a group's use of a config away")
def unshare_config(config_id: ConfigId, group: GroupName, caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        svc.unshare_config(session, actor, config_id, group, origin=caller.origin)
    return Response(status_code=204)
