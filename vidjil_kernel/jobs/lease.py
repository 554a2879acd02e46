"""One job runner per database: a lease row the runner takes, renews and gives back.

Two runners dispatching the same jobs would run them twice, so the runner of
the API (``vidjil up``) and ``vidjil runner`` take the ``jobs`` lease first.  The
holder renews it every ``RENEW_SECONDS``; a lease not renewed for ``EXPIRY`` was
left by a runner that died, and the next runner takes it over.  Taking a lease
is a compare-and-swap on its row, so two runners starting together cannot both win.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vidjil_kernel.db import session_scope
from vidjil_kernel.db.base import utcnow
from vidjil_kernel.db.models import RunnerLease
from vidjil_kernel.exceptions import LeaseHeld

LEASE_NAME = "jobs"
RENEW_SECONDS = 5.0
EXPIRY = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds the lease (for messages and ``vidjil worker status``)."""

    holder: str
    host: str
    pid: int
    scheduler: str
    acquired_at: dt.datetime
    renewed_at: dt.datetime

    def live(self, now: dt.datetime | None = None) -> bool:
        return (now or utcnow()) - self.renewed_at < EXPIRY


def _info(row: RunnerLease) -> LeaseInfo:
    return LeaseInfo(row.holder, row.host, row.pid, row.scheduler, row.acquired_at,
                     row.renewed_at)


def current_lease(session: Session) -> LeaseInfo | None:
    """The lease as written (it may be stale: see ``LeaseInfo.live``)."""
    row = session.get(RunnerLease, LEASE_NAME)
    return _info(row) if row is not None else None


class RunnerLeaseHandle:
    """The lease of one runner: ``acquire``, ``renew`` (False once lost), ``release``."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self.holder = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()

    def acquire(self, scheduler: str = "") -> None:
        """Take the lease, or raise ``LeaseHeld`` naming the runner that holds it."""
        now = utcnow()
        try:
            with session_scope(self.session_factory) as session:
                session.add(RunnerLease(name=LEASE_NAME, holder=self.holder, host=self.host,
                                        pid=self.pid, scheduler=scheduler, acquired_at=now,
                                        renewed_at=now))
            return
        except IntegrityError:
            pass
        with session_scope(self.session_factory) as session:
            row = session.get(RunnerLease, LEASE_NAME)
            if row is None:
                raise LeaseHeld("the job runner lease changed hands while starting: "
                                "start the runner again")
            info = _info(row)
            if info.live(now) and info.holder != self.holder:
                raise LeaseHeld(
                    f"another job runner already runs this lab's jobs: pid {info.pid} on "
                    f"{info.host}, since {info.acquired_at:%Y-%m-%d %H:%M:%S} UTC (one runner "
                    "per database: stop it first; a runner that crashed frees its lease "
                    f"after {int(EXPIRY.total_seconds())} s)")
            taken = session.execute(
                update(RunnerLease)
                .where(RunnerLease.name == LEASE_NAME, RunnerLease.holder == info.holder,
                       RunnerLease.renewed_at == info.renewed_at)
                .values(holder=self.holder, host=self.host, pid=self.pid,
                        scheduler=scheduler, acquired_at=now, renewed_at=now))
            if taken.rowcount != 1:
                raise LeaseHeld("another job runner took this lab's lease at the same time: "
                                "only one runner per database")

    def renew(self, scheduler: str | None = None) -> bool:
        """Extend the lease; False if another runner has taken it (stop dispatching)."""
        values: dict = {"renewed_at": utcnow()}
        if scheduler is not None:
            values["scheduler"] = scheduler
        with session_scope(self.session_factory) as session:
            done = session.execute(update(RunnerLease).where(
                RunnerLease.name == LEASE_NAME, RunnerLease.holder == self.holder)
                .values(**values))
            return done.rowcount == 1

    def release(self) -> None:
        with session_scope(self.session_factory) as session:
            session.execute(delete(RunnerLease).where(RunnerLease.name == LEASE_NAME,
                                                      RunnerLease.holder == self.holder))

    def holds(self) -> bool:
        with session_scope(self.session_factory) as session:
            return session.scalar(select(RunnerLease.holder).where(
                RunnerLease.name == LEASE_NAME)) == self.holder
