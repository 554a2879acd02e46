"""Lab accounts on the hub: local sign-up with admin authorisation, or LDAP.

Local accounts use nativeauthenticator (sign-up page, admin authorisation page,
password rules, password change).  :class:`LabAuthenticator` adds what Vidjil
does on a new server: the first account signed up becomes the administrator
("init"), unless ``vidjil up --admin NAME`` named one.

Every successful login goes through :class:`AccountHook` (the post-auth hook),
the one place where the lab learns that a hub user may work in it: the hub does
not hold the lab's database, so the hook tells the vidjil-api service, which
makes (or updates) the lab account (see ``vidjil_kernel.api.accounts``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import SignUpHandler
from traitlets import Unicode

from vidjil_kernel.exceptions import UsageError

log = logging.getLogger("vidjil_kernel.server")

#: password rules of local accounts (nativeauthenticator also refuses common passwords)
MINIMUM_PASSWORD_LENGTH = 8
#: failed logins before an account is locked for LOCKOUT_SECONDS
ALLOWED_FAILED_LOGINS = 5
LOCKOUT_SECONDS = 120


def password_problem(password: str) -> str | None:
    """Why the hub would refuse ``password`` for a local account, or None if it is fine."""
    rules = NativeAuthenticator(
        add_new_table=False,
        minimum_password_length=MINIMUM_PASSWORD_LENGTH,
        check_common_password=True,
    )
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        return f"a password needs at least {MINIMUM_PASSWORD_LENGTH} characters"
    if not rules.is_password_strong(password):
        return "this password is in the list of common passwords: choose another one"
    return None


def _email_of(authenticator: Any, authentication: dict) -> str | None:
    """The email of a local account, or the LDAP ``mail`` attribute when it was fetched."""
    if isinstance(authenticator, NativeAuthenticator):
        info = authenticator.get_user(authentication["name"])
        return (info.email or None) if info else None
    attributes = (authentication.get("auth_state") or {}).get("user_attributes") or {}
    mail = attributes.get("mail") or []
    return str(mail[0]) if mail else None


class AccountHook:
    """JupyterHub ``Authenticator.post_auth_hook``: tell the vidjil-api service who logged in.

    Called on every login, for local and LDAP accounts alike, in the hub process;
    it posts the user's name, email and hub admin flag to the API's
    ``internal/accounts`` route (``url``) with the account-sync secret of this
    start of the lab (``token``).  A failure is logged, never a refused login:
    the API also makes the account on the user's first request.
    """

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    async def __call__(self, authenticator: Any, handler: Any, authentication: dict) -> dict:
        from tornado.httpclient import AsyncHTTPClient

        name = authentication["name"]
        admin = authentication.get("admin")
        if admin is None:
            user = handler.find_user(name)
            admin = bool(user and user.admin)
        email = _email_of(authenticator, authentication)
        log.info("lab account authorised: %s (email %s, admin %s)", name, email or "-", admin)
        try:
            await AsyncHTTPClient().fetch(
                self.url, method="POST", request_timeout=self.timeout,
                headers={"Authorization": f"token {self.token}",
                         "Content-Type": "application/json"},
                body=json.dumps({"name": name, "email": email, "admin": bool(admin)}))
        except Exception as error:  # the API restarting: the first request makes the account
            log.warning("vidjil-api was not told about %s's login (%s); their account is "
                        "made on their first request", name, error)
        return authentication


class LabSignUpHandler(SignUpHandler):
    """The sign-up page, telling the first account that it may log in at once."""

    def get_result_message(self, user: Any, *args: Any) -> tuple[str, str]:
        if user is not None and user.is_authorized:
            return "alert-success", ("The signup was successful! You can now go to the home "
                                     "page and log in to the system.")
        return super().get_result_message(user, *args)


class LabAuthenticator(NativeAuthenticator):
    """nativeauthenticator plus the lab's first administrator."""

    initial_admin_file = Unicode(
        "",
        help="""JSON file {"name": ..., "password": ...} written by `vidjil up --admin`.

        Read and deleted at start: the account is created (or its password
        reset), authorised, and made admin through ``admin_users``.
        """,
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.initial_admin_file and Path(self.initial_admin_file).is_file():
            self._set_initial_admin(Path(self.initial_admin_file))

    def _set_initial_admin(self, path: Path) -> None:
        request = json.loads(path.read_text())
        path.unlink()
        name = self.normalize_username(request["name"])
        password = request["password"]
        problem = password_problem(password)
        if problem:
            raise UsageError(f"password of the admin {name!r}: {problem}")
        self.admin_users.add(name)
        if self.user_exists(name):
            self.change_password(name, password)
            info = self.get_user(name)
            info.is_authorized = True
            self.db.commit()
            log.info("admin %s: password reset and account authorised", name)
        elif self.create_user(name, password) is None:
            raise UsageError(f"cannot create the admin account {name!r}: invalid user name")
        else:
            log.info("admin %s: account created", name)

    def get_handlers(self, app: Any) -> list:
        return [(path, LabSignUpHandler if handler is SignUpHandler else handler)
                for path, handler in super().get_handlers(app)]

    def _has_no_account(self) -> bool:
        from nativeauthenticator.orm import UserInfo

        return not self.admin_users and self.db.query(UserInfo).count() == 0

    def create_user(self, username: str, password: str, **kwargs: Any) -> Any:
        """Sign-up; the very first account of a lab without admin becomes the admin."""
        name = self.normalize_username(username)
        first = self._has_no_account()
        if first:
            self.admin_users.add(name)
        created = super().create_user(username, password, **kwargs)
        if first and created is None:
            self.admin_users.discard(name)
        elif first:
            log.info("first account %s: authorised as the lab's admin", name)
        return created
