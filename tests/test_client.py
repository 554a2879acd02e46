"""``Lab``: where it finds the API and how API errors become exceptions (real HTTP server)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vidjil_kernel.client import Lab
from vidjil_kernel.exceptions import (
    ApiAuthError,
    ApiError,
    ApiForbidden,
    ApiNotFound,
    UsageError,
)

REPLIES = {
    "/api/status": (200, {"version": "1", "uptime_seconds": 1.0}),
    "/api/whoami": (401, {"detail": "invalid or expired token"}),
}


class _Api(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != "token t0k":
            code, body = 401, {"detail": "no token"}
        else:
            code, body = REPLIES.get(self.path, (404, {"detail": "Not Found"}))
        if self.path == "/api/boom":
            code, body = 500, None
        payload = json.dumps(body).encode() if body else b"<html>oops</html>"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def api_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()


def test_lab_finds_the_api_from_a_users_server_environment(monkeypatch, api_url):
    monkeypatch.setenv("VIDJIL_API_URL", api_url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t0k")
    lab = Lab()
    assert lab.url == api_url
    assert lab.status()["version"] == "1"


def test_lab_from_explicit_hub_url(monkeypatch):
    monkeypatch.delenv("VIDJIL_API_URL", raising=False)
    monkeypatch.setenv("JUPYTERHUB_BASE_URL", "/lab/")
    assert Lab("https://x.org/", token="t").url == "https://x.org/lab/services/vidjil-api"
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    with pytest.raises(UsageError, match="no token"):
        Lab("https://x.org")
    with pytest.raises(UsageError, match="where is the lab"):
        Lab(token="t")


def test_api_errors_name_the_route_and_the_reason(api_url):
    lab = Lab(api_url=api_url, token="t0k")
    with pytest.raises(ApiAuthError, match=r"^GET /whoami \(401\): invalid or expired token$"):
        lab.whoami()
    with pytest.raises(ApiNotFound, match=r"GET /nothing \(404\): Not Found"):
        lab._request("GET", "/nothing")
    with pytest.raises(ApiError, match=r"GET /boom \(500\): Internal Server Error") as error:
        lab._request("GET", "/boom")
    assert error.value.status == 500 and not isinstance(error.value, ApiForbidden)
    with pytest.raises(ApiError, match="cannot reach the lab"):
        Lab(api_url="http://127.0.0.1:9/api", token="t0k").status()
