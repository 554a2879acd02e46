"""Lab accounts of hub users: made when the hub says a user logged in, or on their first request.

The hub process never opens the lab database (the API is the only process
holding it), so accounts are kept in sync by the API, on two paths:

- **eagerly**, at each login: the hub's post-auth hook
  (``vidjil_kernel.server.accounts.AccountSync``) posts the user's name, email and
  hub admin flag to ``POST <prefix>/internal/accounts``, authenticated by a secret
  made for this start of the lab and given to the hub and the API only
  (``VIDJIL_ACCOUNT_SYNC_TOKEN``).  The account is created with its personal group
  (or updated), and its last login recorded.  This is the only way the lab learns
  a local account's email, and it makes the account before the user does anything.
- **lazily**, on the first request of a user the API has no account for: the hook
  may have failed (the API was restarting), or the token was made on the hub
  before the account existed.  Either way an authorised hub user reaching the lab
  always has an account, and never two.

The admin flag: a hub admin is a lab admin (a hub admin can act as any user
through the hub anyway); for everybody else the lab's own flag decides (set by
lab admins), so the hub never demotes a lab admin.
"""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vidjil_kernel.db import services as svc
from vidjil_kernel.db import session_scope
from vidjil_kernel.db.models import User
from vidjil_kernel.db.views import UserView


class AccountSync:
    """Makes sure hub users have a lab account; remembers who has one (per process)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._lock = threading.Lock()
        #: (name, hub admin) pairs whose account exists and reflects the hub admin flag
        self._known: set[tuple[str, bool]] = set()

    def ensure(self, name: str, *, hub_admin: bool, origin: str) -> None:
        """The account of a hub user making a request (created on their first one)."""
        with self._lock:
            if (name, hub_admin) in self._known:
                return
        with session_scope(self.sessions) as session:
            user = session.scalar(select(User).where(User.name == name))
            current = user is not None and (user.is_admin or not hub_admin)
        if not current:
            self._ensure(name, None, hub_admin, origin=origin, login=False)
        with self._lock:
            self._known.add((name, hub_admin))

    def login(self, name: str, email: str | None, hub_admin: bool, *, origin: str) -> UserView:
        """The hub's login hook: create or update the account, record the login."""
        view = self._ensure(name, email, hub_admin, origin=origin, login=True)
        with self._lock:
            self._known.add((name, hub_admin))
        return view

    def forget(self, name: str) -> None:
        """An admin changed the account: apply the hub's admin rule again on its next request."""
        with self._lock:
            self._known -= {(name, False), (name, True)}

    def _ensure(self, name: str, email: str | None, hub_admin: bool, *, origin: str,
                login: bool) -> UserView:
        # two first requests of one user at once: the second insert fails, and its
        # retry finds the account the first one made
        for attempt in (1, 2):
            try:
                with session_scope(self.sessions) as session:
                    user = svc.ensure_account(session, name, email, True if hub_admin else None,
                                              origin=origin)
                    if login:
                        svc.record_login(session, user)
                    return svc.user_view(session, user)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
