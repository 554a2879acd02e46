"""HTTP to the vidjil-api service: where it is, the token, and errors as exceptions."""

from __future__ import annotations

import os
from typing import Any

import requests

from vidjil_kernel.exceptions import ApiAuthError, ApiError, ApiForbidden, ApiNotFound, UsageError
from vidjil_kernel.server.runtime import API_SERVICE_NAME

_ERRORS = {401: ApiAuthError, 403: ApiForbidden, 404: ApiNotFound}
#: network failures worth a retry (the connection was cut, the server restarted)
TRANSIENT = (requests.ConnectionError, requests.Timeout)


def locate_api(hub_url: str | None, url: str | None) -> str:
    """The API's address: given, from the hub's address, or from the lab server's environment."""
    if url:
        return url
    if hub_url:
        base = os.environ.get("JUPYTERHUB_BASE_URL", "/").strip("/")
        path = "/".join(part for part in (base, "services", API_SERVICE_NAME) if part)
        return f"{hub_url.rstrip('/')}/{path}"
    if os.environ.get("VIDJIL_API_URL"):
        return os.environ["VIDJIL_API_URL"]
    raise UsageError("where is the lab? Pass Lab(hub_url, token=...) outside a lab server "
                     "(VIDJIL_API_URL is not set)")


class Transport:
    """A ``requests`` session on the API, authenticated with a hub token."""

    def __init__(self, url: str, token: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def send(self, method: str, route: str, **kwargs: Any) -> requests.Response:
        """The reply of a route; ``ApiError`` (and subclasses) for refusals."""
        kwargs.setdefault("timeout", self.timeout)
        try:
            reply = self.session.request(method, self.url + route, allow_redirects=False,
                                         **kwargs)
        except TRANSIENT:
            raise
        except requests.RequestException as error:
            raise ApiError(method, route, None, f"cannot reach the lab at {self.url}: {error}") \
                from None
        if reply.status_code >= 300:
            raise _ERRORS.get(reply.status_code, ApiError)(
                method, route, reply.status_code, _detail(reply))
        return reply

    def json(self, method: str, route: str, **kwargs: Any) -> Any:
        try:
            reply = self.send(method, route, **kwargs)
        except TRANSIENT as error:
            raise ApiError(method, route, None, f"cannot reach the lab at {self.url}: {error}") \
                from None
        return reply.json() if reply.content else None


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
