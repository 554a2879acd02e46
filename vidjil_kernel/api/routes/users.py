"""Accounts: the caller's own, the list for lab admins, and the hub's login hook."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from vidjil_kernel.api.context import CallerDep, lab_of
from vidjil_kernel.api.params import UserName
from vidjil_kernel.db import rights
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.views import UserView

router = APIRouter(tags=["users"])


class Me(BaseModel):
    """The caller: hub identity, and the lab account's admin flag and groups."""

    name: str
    admin: bool
    kind: str
    groups: list[str] = Field(description="The user's groups on the hub")
    email: str | None
    lab_groups: list[str] = Field(description="The account's groups in the lab")


@router.get("/whoami", response_model=Me, summary="The user making the request")
def whoami(caller: CallerDep) -> Me:
    with caller.session() as (session, actor):
        view = svc.user_view(session, actor)
    return Me(name=view.name, admin=view.is_admin, kind=caller.user.kind,
              groups=caller.user.groups, email=view.email, lab_groups=view.groups)


@router.get("/users", response_model=list[UserView], summary="Every account (lab admins)")
def list_users(caller: CallerDep) -> list[UserView]:
    with caller.session() as (session, actor):
        return svc.list_users(session, actor)


class AccountChange(BaseModel):
    """What a lab admin may change on an account (omitted: unchanged)."""

    active: bool | None = Field(None, description="A disabled account may do nothing")
    admin: bool | None = Field(None, description="Lab admin flag (hub admins always have it)")


@router.patch("/users/{name}", response_model=UserView,
              summary="Enable/disable an account, make it a lab admin or not (lab admins)")
def change_user(name: UserName, change: AccountChange, caller: CallerDep) -> UserView:
    with caller.session() as (session, actor):
        rights.require_lab_admin(actor, "accounts")
        view = svc.user_view(session, svc.get_account(session, name))
        if change.active is not None:
            view = svc.set_user_active(session, actor, name, change.active,
                                       origin=caller.origin)
        if change.admin is not None:
            view = svc.set_user_admin(session, actor, name, change.admin, origin=caller.origin)
    caller.lab.accounts.forget(name)
    return view


class HubLogin(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    email: str | None = Field(None, max_length=255)
    admin: bool


def _hub_itself(request: Request) -> None:
    """Only the hub's login hook holds the account-sync secret of this start of the lab."""
    expected = request.app.state.config.account_sync_token
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("token ").strip()
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "this route is for the hub's login hook only")


@router.post("/internal/accounts", response_model=UserView, include_in_schema=False)
def hub_login(login: HubLogin, request: Request,
              hub: Annotated[None, Depends(_hub_itself)]) -> UserView:
    """The hub says a user logged in: their account exists, with its email and last login."""
    return lab_of(request).accounts.login(login.name, login.email, login.admin,
                                          origin="hub-sync")
