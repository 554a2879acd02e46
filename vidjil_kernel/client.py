"""``Lab``: the Python client of the vidjil-api service, for notebooks and scripts.

In a user's server of the lab, ``Lab()`` needs no argument: the hub gives the
server its token (``JUPYTERHUB_API_TOKEN``) and the lab gives it the API's
address (``VIDJIL_API_URL``).  Elsewhere, pass the lab's URL and a token made
on the hub's token page: ``Lab("https://lab.example.org", token="...")``.

Errors of the API become exceptions naming the route and the API's reason:
``ApiAuthError`` (401), ``ApiForbidden`` (403), ``ApiNotFound`` (404), and
``ApiError`` for the others.
"""

from __future__ import annotations

import os
from typing import Any

import requests

from vidjil_kernel.exceptions import ApiAuthError, ApiError, ApiForbidden, ApiNotFound, UsageError
from vidjil_kernel.server.runtime import API_SERVICE_NAME

_ERRORS = {401: ApiAuthError, 403: ApiForbidden, 404: ApiNotFound}


def _api_url(hub_url: str | None, api_url: str | None) -> str:
    if api_url:
        return api_url
    if hub_url:
        base = os.environ.get("JUPYTERHUB_BASE_URL", "/").strip("/")
        path = "/".join(part for part in (base, "services", API_SERVICE_NAME) if part)
        return f"{hub_url.rstrip('/')}/{path}"
    if os.environ.get("VIDJIL_API_URL"):
        return os.environ["VIDJIL_API_URL"]
    raise UsageError("where is the lab? Pass Lab(hub_url, token=...) outside a lab server "
                     "(VIDJIL_API_URL is not set)")


class Lab:
    """A connection to the lab's API as one user.

    Parameters
    ----------
    hub_url
        The lab's address (``http://127.0.0.1:8000``); default: the lab this server runs in.
    token
        A JupyterHub API token; default ``$JUPYTERHUB_API_TOKEN``.
    api_url
        The API's own address, when it is not ``<hub_url>/services/vidjil-api``.
    timeout
        Seconds to wait for each answer.
    """

    def __init__(self, hub_url: str | None = None, token: str | None = None, *,
                 api_url: str | None = None, timeout: float = 30.0) -> None:
        self.url = _api_url(hub_url, api_url).rstrip("/")
        token = token or os.environ.get("JUPYTERHUB_API_TOKEN")
        if not token:
            raise UsageError("no token: pass Lab(token=...) (make one on the hub's token page)")
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"token {token}"

    def __repr__(self) -> str:
        return f"Lab({self.url!r})"

    def _request(self, method: str, route: str, **kwargs: Any) -> Any:
        try:
            reply = self._session.request(method, self.url + route, timeout=self.timeout,
                                          allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            raise ApiError(method, route, None, f"cannot reach the lab at {self.url}: {error}") \
                from None
        if reply.status_code >= 300:
            raise _ERRORS.get(reply.status_code, ApiError)(
                method, route, reply.status_code, _detail(reply))
        return reply.json()

    def status(self) -> dict:
        """The server's version, uptime and free disk space."""
        return self._request("GET", "/status")

    def whoami(self) -> dict:
        """The user this connection acts as: name, admin flag, hub groups."""
        return self._request("GET", "/whoami")


def _detail(reply: requests.Response) -> str:
    """The API's reason (FastAPI's ``detail``), or the start of what came back."""
    try:
        detail = reply.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str):
        return detail
    if detail is not None:
        return str(detail)
    return reply.reason or reply.text[:200]
