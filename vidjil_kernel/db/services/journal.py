"""Notifications (news for users) and reading the audit log.

Posting news is for lab admins.  The audit log of one record is readable by
whoever holds ``admin`` on it (set, config, pre-process); the whole log by lab
admins only.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from vidjil_kernel.db.base import utcnow
from vidjil_kernel.db.models import (
    AuditEntry,
    Group,
    Membership,
    Notification,
    NotificationRead,
    Right,
    User,
)
from vidjil_kernel.db.rights import (
    Actor,
    actor_name,
    audit,
    is_admin,
    require_lab_admin,
    require_record_right,
)
from vidjil_kernel.db.rights.core import ACCESS_TABLES
from vidjil_kernel.db.services.accounts import get_group
from vidjil_kernel.db.views import AuditView, NotificationView
from vidjil_kernel.exceptions import NotFound, PermissionDenied, UsageError

PRIORITIES = ("info", "warning", "urgent")


def post_notification(
    session: Session, actor: Actor, title: str, message: str = "", *,
    priority: str = "info", group: str | None = None, expires_at: dt.datetime | None = None,
    origin: str,
) -> NotificationView:
    """News for every user, or for ``group``'s members (lab admins only)."""
    require_lab_admin(actor, "notifications")
    if priority not in PRIORITIES:
        raise UsageError(f"unknown priority {priority!r}: use one of {', '.join(PRIORITIES)}")
    if not title.strip():
        raise UsageError("a notification needs a title")
    target = get_group(session, group) if group else None
    notification = Notification(
        title=title, message=message, priority=priority, expires_at=expires_at,
        author_id=actor.id if isinstance(actor, User) else None,
        group_id=target.id if target else None)
    session.add(notification)
    session.flush()
    audit(session, actor, "create", "notification", notification.id, origin=origin)
    return _notification_view(notification, target.name if target else None)


def _notification_view(notification: Notification, group: str | None) -> NotificationView:
    return NotificationView(notification.id, notification.title, notification.message,
                            notification.priority, notification.created_at,
                            notification.expires_at, group)


def list_notifications(
    session: Session, actor: Actor, *, include_dismissed: bool = False
) -> list[NotificationView]:
    """Current news for the actor (addressed to all or to one of their groups), newest first."""
    if not isinstance(actor, User):
        return []
    now = utcnow()
    mine = select(Membership.group_id).where(Membership.user_id == actor.id)
    query = (
        select(Notification, Group.name)
        .outerjoin(Group, Group.id == Notification.group_id)
        .where(or_(Notification.group_id.is_(None), Notification.group_id.in_(mine)),
               or_(Notification.expires_at.is_(None), Notification.expires_at > now))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    if not include_dismissed:
        query = query.where(~exists().where(
            NotificationRead.notification_id == Notification.id,
            NotificationRead.user_id == actor.id))
    return [_notification_view(row.Notification, row.name) for row in session.execute(query)]


def dismiss_notification(session: Session, actor: Actor, notification_id: int) -> None:
    """The actor has read a notification: stop showing it to them."""
    if not isinstance(actor, User):
        raise PermissionDenied("account", f"notification {notification_id}", actor_name(actor))
    if session.get(Notification, notification_id) is None:
        raise NotFound("notification", notification_id)
    if session.get(NotificationRead, (notification_id, actor.id)) is None:
        session.add(NotificationRead(notification_id=notification_id, user_id=actor.id))
        session.flush()


def _audit_view(entry: AuditEntry) -> AuditView:
    return AuditView(entry.id, entry.at, entry.user_name, entry.action, entry.record_type,
                     entry.record_id, entry.origin, json.loads(entry.details),
                     entry.admin_override)


def list_audit(
    session: Session, actor: Actor, *, record_type: str | None = None,
    record_id: int | None = None, user: str | None = None, limit: int = 100,
    origin: str = "",
) -> list[AuditView]:
    """Audit entries, newest first: of one record (``admin`` on it), or all (lab admins);
    only those made by ``user`` when given."""
    if record_type in ACCESS_TABLES and record_id is not None:
        try:
            require_record_right(session, record_type, actor, Right.ADMIN, record_id,
                                 origin=origin)
        except NotFound:
            if not is_admin(actor):  # a deleted record's history is for lab admins
                raise
    else:
        require_lab_admin(actor, "the audit log" if record_type is None
                          else f"the audit log of {record_type} records")
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if record_type is not None:
        query = query.where(AuditEntry.record_type == record_type)
    if record_id is not None:
        query = query.where(AuditEntry.record_id == record_id)
    if user is not None:
        query = query.where(AuditEntry.user_name == user)
    return [_audit_view(entry) for entry in session.scalars(query)]

