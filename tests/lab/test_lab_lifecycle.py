"""`vidjil up` as a person runs it: first sign-up is the admin, restarts keep everything,
Ctrl-C (and a crashed hub) leave no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from lab_harness import ROOT, HubSession, free_port, start_lab

from vidjil_kernel.server.supervisor import descendant_pids

pytestmark = [pytest.mark.hub, pytest.mark.slow]

SECRETS = ("jupyterhub_cookie_secret", "proxy_token", "jupyterhub.sqlite")


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _cmdline(pid: int) -> str:
    """The command line of ``pid``; empty when it has exited since it was listed (the
    lab's short-lived processes, e.g. a job's, may)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _whoami(lab, session: HubSession, name: str) -> dict:
    token = session.new_token(name)
    return requests.get(f"{lab.api_url}/whoami", headers={"Authorization": f"token {token}"}).json()


def _demo_patients(lab, session: HubSession, name: str) -> int:
    """Demo patients once the lab's first-start work is over (runner, demo)."""
    headers = {"Authorization": f"token {session.new_token(name)}"}
    deadline = time.monotonic() + 300
    while requests.get(f"{lab.api_url}/status", headers=headers).json()["starting"]:
        assert time.monotonic() < deadline, "the lab's job runner did not start"
        time.sleep(1)
    page = requests.get(f"{lab.api_url}/sets", headers=headers,
                        params={"search": "DEMO-1"}).json()
    return page["total"]


def test_first_signup_is_admin_restart_keeps_data_and_nothing_is_left(tmp_path):
    data = tmp_path / "data"
    lab = start_lab(data)
    try:
        chief = HubSession(lab.url)
        assert "successful" in chief.signup("chief", "chief-passphrase")
        assert chief.login("chief", "chief-passphrase")
        tech = HubSession(lab.url)
        assert "sent to the admin" in tech.signup("tech", "tech-passphrase")
        chief.authorize("tech")
        assert tech.login("tech", "tech-passphrase")
        tech.start_server("tech")
        tree = descendant_pids(lab.process.pid)
        commands = " | ".join(_cmdline(pid) for pid in tree)
        for part in ("configurable-http-proxy", "jupyterhub -f", "vidjil_kernel.api",
                     "jupyterhub-singleuser"):
            assert part in commands
        assert oct((data).stat().st_mode & 0o777) == "0o700"
        assert _demo_patients(lab, chief, "chief") == 1
        kept = {name: (data / "hub" / name).read_bytes() for name in SECRETS[:2]}
    finally:
        code = lab.stop(signal.SIGINT)
    assert code == 0, lab.diagnostics()
    assert _alive(tree) == []

    lab = start_lab(data, port=lab.port)
    try:
        assert {name: (data / "hub" / name).read_bytes() for name in SECRETS[:2]} == kept
        assert chief.api("GET", "/user").json()["name"] == "chief"  # cookie from before restart
        assert _whoami(lab, chief, "chief")["admin"] is True
        assert HubSession(lab.url).login("tech", "tech-passphrase")
        assert _whoami(lab, tech, "tech")["admin"] is False
        assert _demo_patients(lab, chief, "chief") == 1  # kept, not made again
        tech.start_server("tech")
        tree = descendant_pids(lab.process.pid)
        hub = next(pid for pid in tree if "jupyterhub -f" in _cmdline(pid))
        os.kill(hub, signal.SIGKILL)
        code = lab.process.wait(60)
    finally:
        lab.stop(signal.SIGKILL)
    assert code != 0 and "hub stopped unexpectedly" in lab.output.read_text()
    deadline = time.monotonic() + 10
    while _alive(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(tree) == []


def _up(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vidjil_kernel", "up", *args], cwd=ROOT,
                          env=dict(os.environ, **(env or {})), capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_up_refuses_a_busy_port_and_a_weak_admin_password(tmp_path):
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        busy = _up("--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert busy.returncode == 2 and f"port {port} on 127.0.0.1 is in use" in busy.stderr
    weak = _up("--port", str(free_port()), "--data-dir", str(tmp_path / "d"), "--admin", "root1",
               env={"VIDJIL_ADMIN_PASSWORD": "password"})
    assert weak.returncode == 2
    assert "password of the admin 'root1'" in weak.stderr and "Traceback" not in weak.stderr
