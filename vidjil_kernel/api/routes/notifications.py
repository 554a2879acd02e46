"""Notifications: news for every user or one group's members (posted by lab admins)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.api.params import NotificationId
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.views import NotificationView

router = APIRouter(tags=["notifications"])


class NewNotification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=255)
    message: str = ""
    priority: Literal["info", "warning", "urgent"] = "info"
    group: str | None = Field(None, description="Only this group's members see it")
    expires_at: dt.datetime | None = None


@router.get("/notifications", response_model=list[NotificationView],
            summary="Current news for you, newest first")
def list_notifications(caller: CallerDep, include_dismissed: bool = False
                       ) -> list[NotificationView]:
    with caller.session() as (session, actor):
        return svc.list_notifications(session, actor, include_dismissed=include_dismissed)


@router.post("/notifications", response_model=NotificationView, status_code=201,
             summary="Post news (lab admins)")
def post_notification(new: NewNotification, caller: CallerDep) -> NotificationView:
    with caller.session() as (session, actor):
        return svc.post_notification(session, actor, new.title, new.message,
                                     priority=new.priority, group=new.group,
                                     expires_at=new.expires_at, origin=caller.origin)


@router.post("/notifications/{notification_id}/dismiss", status_code=204,
             response_class=Response, summary="Stop showing you a notification")
def dismiss(notification_id: NotificationId, caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        svc.dismiss_notification(session, actor, notification_id)
    return Response(status_code=204)
