"""Who is calling: the hub user behind a request's token.

Two ways to present a JupyterHub token:

- notebooks, dashboards, scripts: ``Authorization: token <token>`` (or ``Bearer``),
  the ``JUPYTERHUB_API_TOKEN`` of the user's server or a token made on the hub's
  token page;
- browsers: the OAuth dance with the hub (a page of the API opened without a
  token redirects to the hub, which sends back a code exchanged for a token
  kept in an HttpOnly cookie).  The cookie is accepted for GET/HEAD only, so
  that another site cannot make a logged-in browser change anything.

Every token is checked with the hub (cached a few minutes by ``HubOAuth``), and
must carry the scope that gives access to this service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from jupyterhub.services.auth import HubOAuth
from pydantic import BaseModel

SAFE_METHODS = frozenset({"GET", "HEAD"})
STATE_COOKIE = "vidjil-api-oauth-state"


class HubUser(BaseModel):
    """The authenticated caller, as the hub describes them."""

    name: str
    admin: bool
    kind: str
    groups: list[str]

    @classmethod
    def from_model(cls, model: dict) -> HubUser:
        return cls(
            name=model["name"],
            admin=bool(model.get("admin")),
            kind=model.get("kind", "user"),
            groups=list(model.get("groups") or []),
        )


class BrowserLoginRequired(Exception):
    """A browser without the OAuth cookie: send it to the hub to log in."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass
class Authenticator:
    """Checks tokens with the hub for one service run."""

    hub: HubOAuth
    prefix: str

    def token_of(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        match = self.hub.auth_header_pat.match(header)
        if match:
            return match.group(1).strip()
        if request.method in SAFE_METHODS:
            return request.cookies.get(self.hub.cookie_name)
        return None

    async def user_of(self, request: Request) -> HubUser:
        token = self.token_of(request)
        if not token:
            if request.method in SAFE_METHODS and "text/html" in request.headers.get("Accept", ""):
                raise BrowserLoginRequired(str(request.url.path))
            raise HTTPException(401, "no token: send the header 'Authorization: token <your "
                                     "JupyterHub API token>' (JUPYTERHUB_API_TOKEN in notebooks)")
        model = await self.hub.user_for_token(token, sync=False)
        if model is None:
            raise HTTPException(401, "invalid or expired token: log in again or make a new token")
        if not self.hub.check_scopes(self.hub.access_scopes, model):
            raise HTTPException(403, f"this token may not use the vidjil-api service (needs one "
                                     f"of the scopes {sorted(self.hub.access_scopes)})")
        return HubUser.from_model(model)

    def login_redirect(self, next_url: str) -> RedirectResponse:
        """Start the OAuth login: remember where to come back, go to the hub."""
        state = self.hub.generate_state(next_url)
        response = RedirectResponse(f"{self.hub.login_url}&{urlencode({'state': state})}", 302)
        response.set_cookie(STATE_COOKIE, state, max_age=600, path=self.prefix + "/",
                            httponly=True, samesite="lax")
        return response

    async def finish_login(self, request: Request) -> RedirectResponse:
        """The hub came back with a code: exchange it for a token kept in a cookie."""
        state = request.query_params.get("state", "")
        code = request.query_params.get("code", "")
        if not code or not state or request.cookies.get(STATE_COOKIE) != state:
            raise HTTPException(400, "OAuth state does not match: open the page again")
        next_url = self.hub.get_next_url(state)
        self.hub.clear_oauth_state(state)
        if not next_url.startswith(self.prefix + "/"):
            next_url = self.prefix + "/whoami"
        token = await self.hub.token_for_code(code, sync=False)
        response = RedirectResponse(next_url, 302)
        response.delete_cookie(STATE_COOKIE, path=self.prefix + "/")
        response.set_cookie(self.hub.cookie_name, token, path=self.prefix + "/",
                            httponly=True, samesite="lax")
        return response


def _authenticator(request: Request) -> Authenticator:
    return request.app.state.authenticator


async def current_user(request: Request,
                       auth: Annotated[Authenticator, Depends(_authenticator)]) -> HubUser:
    """FastAPI dependency: the authenticated caller (401 without a valid token)."""
    return await auth.user_of(request)


CurrentUser = Annotated[HubUser, Depends(current_user)]

