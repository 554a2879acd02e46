"""Drive a real lab from tests: `vidjil up` as a subprocess, hub sessions, kernels.

Nothing here is a fake: :func:`start_lab` runs the same command as a person,
on free loopback ports and in a temporary data directory; :class:`HubSession`
fills in the hub's own forms (sign-up, login, authorisation) over HTTP;
:func:`run_in_kernel` executes code in a user's kernel through the Jupyter
server's websocket, as a notebook would.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0
#: the admin that the shared lab creates with `vidjil up --admin`
ADMIN = ("boss", "Boss-passw0rd-lab")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningLab:
    """A `vidjil up` process and where to reach it."""

    process: subprocess.Popen
    port: int
    data_dir: Path
    output: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/services/vidjil-api"

    @property
    def hub_log(self) -> Path:
        return self.data_dir / "logs" / "hub.log"

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60.0) -> int:
        """Stop the lab as Ctrl-C would; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def diagnostics(self) -> str:
        parts = [self.output.read_text(errors="replace")[-3000:]]
        if self.hub_log.is_file():
            parts.append(self.hub_log.read_text(errors="replace")[-6000:])
        return "\n----\n".join(parts)


def start_lab(data_dir: Path, *, admin: tuple[str, str] | None = None,
              options: tuple[str, ...] = (), env: dict | None = None,
              port: int | None = None) -> RunningLab:
    """Run `vidjil up` (on a free port by default); return once the hub and the API answer."""
    port = port or free_port()
    command = [sys.executable, "-m", "vidjil_kernel", "up", "--port", str(port),
               "--data-dir", str(data_dir), *options]
    run_env = dict(os.environ, **(env or {}))
    if admin:
        command += ["--admin", admin[0]]
        run_env["VIDJIL_ADMIN_PASSWORD"] = admin[1]
    data_dir.mkdir(parents=True, exist_ok=True)
    output = data_dir.parent / f"{data_dir.name}-vidjil-up-{uuid.uuid4().hex[:6]}.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=run_env, stdout=sink, stderr=sink,
                                   stdin=subprocess.DEVNULL)
    lab = RunningLab(process, port, data_dir, output)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vidjil up exited with {process.returncode}:\n{lab.diagnostics()}")
        if "is running at" in output.read_text(errors="replace"):
            return lab
        time.sleep(0.2)
    lab.stop(signal.SIGKILL)
    raise RuntimeError(f"vidjil up not ready in {START_TIMEOUT} s:\n{lab.diagnostics()}")


@dataclass
class HubSession:
    """A browser-like HTTP session on the hub (cookies, XSRF tokens of the forms)."""

    url: str
    session: requests.Session = field(default_factory=requests.Session)

    def _xsrf(self, path: str) -> str:
        page = self.session.get(self.url + path)
        page.raise_for_status()
        match = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        return match.group(1) if match else self.session.cookies.get("_xsrf", "")

    def signup(self, name: str, password: str, email: str = "") -> str:
        """Sign up through the hub's form; the page's message."""
        xsrf = self._xsrf("/hub/signup")
        reply = self.session.post(self.url + "/hub/signup", data={
            "username": name, "email": email or f"{name}@example.org",
            "signup_password": password, "signup_password_confirmation": password,
            "_xsrf": xsrf,
        })
        reply.raise_for_status()
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", reply.text))
        match = re.search(r"(The signup was successful[^.]*\.|Your information has been sent[^.]*\."
                          r"|[^.]*(?:password|username|exists)[^.]*\.)", text)
        return match.group(1).strip() if match else text

    def login(self, name: str, password: str) -> bool:
        xsrf = self._xsrf("/hub/login")
        reply = self.session.post(self.url + "/hub/login", allow_redirects=False, data={
            "username": name, "password": password, "_xsrf": xsrf,
        })
        return reply.status_code == 302

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """The hub's REST API with the session cookie (and its XSRF header)."""
        headers = {"X-XSRFToken": self.session.cookies.get("_xsrf", "")}
        return self.session.request(method, f"{self.url}/hub/api{path}", headers=headers,
                                    **kwargs)

    def authorize(self, name: str) -> None:
        """As an admin: toggle the authorisation of ``name`` on nativeauthenticator's page."""
        page = self.session.get(f"{self.url}/hub/authorize")
        page.raise_for_status()
        self.session.get(f"{self.url}/hub/authorize/{name}").raise_for_status()

    def new_token(self, name: str, note: str = "tests") -> str:
        reply = self.api("POST", f"/users/{name}/tokens", json={"note": note})
        reply.raise_for_status()
        return reply.json()["token"]

    def start_server(self, name: str, timeout: float = 120.0) -> None:
        """Start the user's server and wait until the hub says it is ready."""
        reply = self.api("POST", f"/users/{name}/server")
        if reply.status_code not in (201, 202, 400):
            reply.raise_for_status()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{name}").json()
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"server of {name} not ready in {timeout} s")


def make_user(lab: RunningLab, admin: HubSession, name: str,
              password: str = "correct-horse-battery") -> tuple[HubSession, str]:
    """A signed-up, authorised, logged-in user and an API token of theirs."""
    user = HubSession(lab.url)
    user.signup(name, password)
    admin.authorize(name)
    assert user.login(name, password), f"{name} cannot log in after authorisation"
    return user, user.new_token(name)


def run_in_kernel(lab_url: str, user: str, token: str, code: str, timeout: float = 60.0) -> str:
    """Run ``code`` in a new kernel of ``user``'s server; its stdout (the kernel is shut down)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    base = f"{lab_url}/user/{user}/api"
    headers = {"Authorization": f"token {token}"}
    kernel = requests.post(f"{base}/kernels", headers=headers, json={"name": "python3"})
    kernel.raise_for_status()
    kernel_id = kernel.json()["id"]

    async def execute() -> str:
        ws_url = base.replace("http://", "ws://") + f"/kernels/{kernel_id}/channels"
        connection = await websocket_connect(HTTPRequest(ws_url, headers=headers))
        msg_id = uuid.uuid4().hex
        connection.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False},
        }))
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(await connection.read_message())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "stream":
                out.append(message["content"]["text"])
            elif kind == "error":
                out.append("\n".join(message["content"]["traceback"]))
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                break
        connection.close()
        return "".join(out)

    try:
        # a thread of its own: the test may already run an event loop (Playwright)
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, execute()).result(timeout + 5)
    finally:
        requests.delete(f"{base}/kernels/{kernel_id}", headers=headers)


def first_clone(page, timeout_ms: float) -> dict[str, str]:  # noqa: ANN001
    """The top row of the Results dashboard's clone table: name, tag, locus, V, J."""
    row = page.wait_for_selector("tr.vidjil-clone", timeout=timeout_ms)
    return {column: row.query_selector(f"td.vidjil-{column}").inner_text()
            for column in ("name", "tag", "locus", "v", "j")}


def browser_signup(page, url: str, name: str, password: str) -> None:  # noqa: ANN001
    """Sign up on the hub's page; the account then waits for an admin."""
    page.goto(f"{url}/hub/signup")
    page.fill("#username_input", name)
    page.fill("#email_input", f"{name}@example.org")
    page.fill("#password_input", password)
    page.fill("#password_confirmation_input", password)
    page.click("#signup_submit")
    page.wait_for_selector("text=sent to the admin")


def browser_login(page, url: str, name: str, password: str) -> None:  # noqa: ANN001
    """Log in on the hub's page (the hub then sends the browser to the home dashboard)."""
    page.goto(f"{url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
