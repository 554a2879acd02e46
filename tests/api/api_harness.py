"""Run the vidjil-api application against a real database, without a hub.

Route tests need many users and their tokens; starting a JupyterHub for each
would cost minutes, so :class:`TokenTable` answers the one question the API
asks the hub ("whose token is this?") from a table.  Everything behind it is
the real service: the FastAPI app with its lifespan, SQLite in a temporary data
directory, the upload store, the file source.  The hub's own token checks are
tested against a real lab in ``tests/lab``.
"""

from __future__ import annotations

import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vidjil_kernel.api.app import create_app
from vidjil_kernel.api.config import ApiConfig
from vidjil_kernel.settings import load_settings

PREFIX = "/services/vidjil-api"
SYNC_TOKEN = "account-sync-secret-of-the-tests"


class TokenTable:
    """Stands for the hub's token check: tokens made by :meth:`add`, every scope granted."""

    auth_header_pat = re.compile(r"(?:token|bearer)\s+(.+)", re.IGNORECASE)
    cookie_name = "vidjil-api-test-cookie"
    access_scopes = {"access:services!service=vidjil-api"}

    def __init__(self) -> None:
        self.models: dict[str, dict] = {}

    def add(self, name: str, *, admin: bool = False) -> str:
        token = secrets.token_hex(16)
        self.models[token] = {"name": name, "admin": admin, "kind": "user", "groups": []}
        return token

    async def user_for_token(self, token: str, sync: bool = True) -> dict | None:
        return self.models.get(token)

    def check_scopes(self, scopes: set, model: dict) -> bool:
        return True


def make_config(data_dir: Path, *, run_jobs: bool = False, **settings: object) -> ApiConfig:
    settings.setdefault("demo_patient", False)
    return ApiConfig(settings=load_settings(data_dir=data_dir, db_url="", **settings),
                     prefix=PREFIX, host="127.0.0.1", port=0, account_sync_token=SYNC_TOKEN,
                     run_jobs=run_jobs)


@dataclass
class ApiUser:
    """Requests as one user: paths are relative to the API's prefix."""

    client: httpx.Client | TestClient
    name: str
    token: str | None

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers["Authorization"] = f"token {self.token}"
        return self.client.request(method, PREFIX + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs):
        """The JSON of a request that must succeed with ``status``."""
        reply = self.request(method, path, **kwargs)
        assert reply.status_code == status, (method, path, reply.status_code, reply.text)
        return reply.json() if reply.content else None


@dataclass
class ApiLab:
    """An app, its token table and a client; ``user(name)`` makes a user and their token."""

    app: FastAPI
    tokens: TokenTable
    client: httpx.Client | TestClient
    config: ApiConfig
    users: dict[str, ApiUser] = field(default_factory=dict)

    def user(self, name: str, *, admin: bool = False) -> ApiUser:
        if name not in self.users:
            self.users[name] = ApiUser(self.client, name, self.tokens.add(name, admin=admin))
        return self.users[name]

    def anonymous(self) -> ApiUser:
        return ApiUser(self.client, "anonymous", None)

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackServer:
    """The app served by uvicorn on a free loopback port, in a thread (for real HTTP)."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API did not start on loopback")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def start_api(data_dir: Path, *, run_jobs: bool = False,
              **settings: object) -> tuple[FastAPI, TokenTable, ApiConfig]:
    tokens = TokenTable()
    config = make_config(data_dir, run_jobs=run_jobs, **settings)
    return create_app(config, hub=tokens), tokens, config


def write_fastq(path: Path, reads: int = 50, *, mate: int | None = None, seed: int = 0) -> Path:
    """A small valid FASTQ (gzipped if the name ends with .gz); R1/R2 mates share read ids."""
    import gzip
    import random

    rng = random.Random(seed)
    lines = []
    for index in range(reads):
        sequence = "".join(rng.choice("ACGT") for _ in range(60))
        suffix = f" {mate}:N:0:1" if mate else ""
        lines += [f"@s{seed}read{index}{suffix}", sequence, "+", "I" * len(sequence)]
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    return path


def upload_file(user: ApiUser, set_id: int, path: Path, chunk: int = 1 << 16) -> dict:
    """Upload ``path`` through the protocol, in chunks; the finished upload."""
    import hashlib

    data = path.read_bytes()
    upload = user.ok("POST", "/uploads", 201,
                     json={"set_id": set_id, "filename": path.name, "size": len(data)})
    for start in range(0, len(data), chunk):
        upload = user.ok("PUT", f"/uploads/{upload['id']}", params={"offset": start},
                         content=data[start:start + chunk])
    return user.ok("POST", f"/uploads/{upload['id']}/finish",
                   json={"sha256": hashlib.sha256(data).hexdigest()})
