"""The caller's own account."""

from __future__ import annotations

from fastapi import APIRouter

from vidjil_kernel.api.auth import CurrentUser, HubUser

router = APIRouter(tags=["users"])


@router.get("/whoami", response_model=HubUser, summary="The hub user making the request")
def whoami(user: CurrentUser) -> HubUser:
    return user
