"""The caller of a route: their hub identity, their lab account, and a database session.

Routes take a ``Caller`` (FastAPI dependency): the token was checked with the
hub (401 otherwise) and the user has a lab account (made on their first
request, see ``api.accounts``).  Each route then works in one transaction::

    with caller.session() as (session, actor):
        return services.get_set(session, actor, set_id, origin=caller.origin)

committed if the block succeeds; the services check ``actor``'s rights.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from vidjil_kernel.api.auth import CurrentUser, HubUser
from vidjil_kernel.api.state import LabState
from vidjil_kernel.db import session_scope
from vidjil_kernel.db.models import User


def origin_of(request: Request) -> str:
    """Where the request came from, for the audit log (the proxy adds X-Forwarded-For)."""
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    address = forwarded or (request.client.host if request.client else "")
    return f"api {address}".strip()[:255]


@dataclasses.dataclass
class Caller:
    """An authenticated request of a hub user who has a lab account."""

    user: HubUser
    lab: LabState
    origin: str

    @contextmanager
    def session(self) -> Iterator[tuple[Session, User]]:
        """A transaction and the caller's account in it (403 if an admin disabled it)."""
        with session_scope(self.lab.sessions) as session:
            account = session.scalar(select(User).where(User.name == self.user.name))
            if account is None:  # deleted since the first request
                raise HTTPException(403, f"user {self.user.name!r} has no lab account: log in "
                                         "to the hub again")
            if not account.active:
                raise HTTPException(403, f"the lab account of {self.user.name!r} is disabled: "
                                         "ask a lab administrator")
            yield session, account


def lab_of(request: Request) -> LabState:
    return request.app.state.lab


def caller(request: Request, user: CurrentUser) -> Caller:
    """FastAPI dependency: the caller, with a lab account (made on their first request)."""
    lab = lab_of(request)
    origin = origin_of(request)
    lab.accounts.ensure(user.name, hub_admin=user.admin, origin=origin)
    return Caller(user, lab, origin)


CallerDep = Annotated[Caller, Depends(caller)]
