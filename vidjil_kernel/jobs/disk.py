"""The disk guard: below ``disk_min_free_gb`` free, uploads and launches are refused.

``require_free_space`` raises the refusal; ``tell_admins`` posts one urgent
notification to each admin's personal group (at most one every few hours while
the disk stays low).  ``guard_disk`` does both, the notification in its own
committed transaction, so that it survives the refused request's rollback.
The job runner also checks the disk every minute and tells admins.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vidjil_kernel.db import SYSTEM, session_scope
from vidjil_kernel.db.base import utcnow
from vidjil_kernel.db.models import Group, Membership, Notification, User
from vidjil_kernel.db.services import post_notification
from vidjil_kernel.db.services.accounts import personal_group_name
from vidjil_kernel.exceptions import DiskFull
from vidjil_kernel.settings import Settings

GB = 1e9
NOTICE_TITLE = "The lab's disk is almost full"
#: how long one notice is shown; a new one is posted after it if the disk is still low
NOTICE_LIFETIME = dt.timedelta(hours=6)


@dataclass(frozen=True)
class DiskStatus:
    path: str
    free_bytes: int
    total_bytes: int
    threshold_bytes: int

    @property
    def low(self) -> bool:
        return self.free_bytes < self.threshold_bytes

    def describe(self) -> str:
        return (f"{self.free_bytes / GB:.1f} GB free of {self.total_bytes / GB:.1f} GB on "
                f"{self.path} (the lab keeps at least {self.threshold_bytes / GB:g} GB free, "
                "setting disk_min_free_gb)")

    def to_dict(self) -> dict:
        return {"path": self.path, "free_bytes": self.free_bytes,
                "total_bytes": self.total_bytes, "threshold_bytes": self.threshold_bytes,
                "low": self.low}


def disk_status(settings: Settings) -> DiskStatus:
    """Free space of the data directory (of its nearest existing parent before it exists)."""
    path = settings.data_dir.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    return DiskStatus(str(path), usage.free, usage.total, int(settings.disk_min_free_gb * GB))


def require_free_space(settings: Settings, what: str) -> DiskStatus:
    """Raise ``DiskFull`` if the disk is low; ``what`` is refused ("launch", "upload"...)."""
    status = disk_status(settings)
    if status.low:
        raise DiskFull(f"{what} refused: only {status.describe()}; the lab's admins have "
                       "been told: ask them to free space, then try again")
    return status


def tell_admins(session: Session, status: DiskStatus) -> int:
    """Notify each active admin (their personal group) unless a notice is still showing."""
    now = utcnow()
    posted = 0
    admins = session.scalars(select(User).where(User.is_admin.is_(True),
                                                User.active.is_(True)))
    for admin in admins:
        group = session.scalar(
            select(Group).join(Membership, Membership.group_id == Group.id)
            .where(Membership.user_id == admin.id,
                   Group.name == personal_group_name(admin.name)))
        if group is None:
            continue
        showing = session.scalar(select(Notification.id).where(
            Notification.group_id == group.id, Notification.title == NOTICE_TITLE,
            Notification.expires_at > now))
        if showing is not None:
            continue
        post_notification(session, SYSTEM, NOTICE_TITLE,
                          f"{status.describe()}. Uploads and launches are refused until "
                          "space is freed (old results, uploads, backups).",
                          priority="urgent", group=group.name,
                          expires_at=now + NOTICE_LIFETIME, origin="disk guard")
        posted += 1
    return posted


def guard_disk(settings: Settings, session_factory: sessionmaker[Session], what: str) -> None:
    """Refuse ``what`` if the disk is low, after telling admins (committed on its own)."""
    status = disk_status(settings)
    if status.low:
        with session_scope(session_factory) as session:
            tell_admins(session, status)
        require_free_space(settings, what)
