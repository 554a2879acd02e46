"""Run the lab: the proxy, then JupyterHub (which starts vidjil-api and users' servers).

Layout of the data directory (owner-only, mode 0700)::

    <data_dir>/hub/      hub database, cookie secret, proxy token (kept across starts)
    <data_dir>/logs/     proxy.log, hub.log (the hub log includes the API's output)
    <data_dir>/homes/    users' folders in embedded mode
    <data_dir>/...       the lab's database and files, owned by the vidjil-api service
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import socket
import stat
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from vidjil_kernel.exceptions import UsageError, VidjilError
from vidjil_kernel.server.runtime import (
    AUTHENTICATORS,
    SPAWNER_MODES,
    LabRuntime,
    persistent_secret,
    write_private,
)
from vidjil_kernel.server.supervisor import Supervisor
from vidjil_kernel.settings import SOURCE_ROOT, Settings, settings_environment

log = logging.getLogger("vidjil_kernel.server")

PROXY_BIN = SOURCE_ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
HUB_CONFIG = SOURCE_ROOT / "hub" / "jupyterhub_config.py"
READY_TIMEOUT = 120.0


class LabStartError(VidjilError):
    """A process of the lab did not start; the message points to its log."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check_port_free(port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise UsageError(f"port {port} on 127.0.0.1 is in use: choose another with --port") \
                from None


def _check_readable_by_others(path: Path) -> None:
    """Isolated users run the lab's Python and read its dashboards: every parent must allow it."""
    for part in [path, *path.parents]:
        mode = part.stat().st_mode
        if not mode & stat.S_IXOTH or (part == path and not mode & stat.S_IROTH):
            raise UsageError(
                f"{part} is not readable by other users, so isolated users' servers cannot "
                f"use {path}: `chmod o+rx {part}` or install the lab elsewhere"
            )


@dataclass(frozen=True)
class AdminRequest:
    """The first admin named on the command line (password only for local accounts)."""

    name: str
    password: str | None


def prepare_data_dir(data_dir: Path) -> Path:
    """Create the data directory (owner-only) and its hub state folder; return the latter."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    state_dir = data_dir / "hub"
    state_dir.mkdir(mode=0o700, exist_ok=True)
    (data_dir / "logs").mkdir(mode=0o700, exist_ok=True)
    return state_dir


def build_runtime(settings: Settings, admin: AdminRequest | None) -> LabRuntime:
    """Check the settings and pick the internal ports of this start."""
    if settings.spawner not in SPAWNER_MODES:
        raise UsageError(f"spawner = {settings.spawner!r}: use one of {', '.join(SPAWNER_MODES)}")
    if settings.authenticator not in AUTHENTICATORS:
        raise UsageError(
            f"authenticator = {settings.authenticator!r}: use one of {', '.join(AUTHENTICATORS)}")
    if settings.spawner == "isolated":
        if os.geteuid() != 0:
            raise UsageError("spawner = \"isolated\" creates system users: run the lab as root")
        _check_readable_by_others(Path(sys.executable).parent)
        _check_readable_by_others(SOURCE_ROOT / "notebooks" / "dashboards")
    if not PROXY_BIN.exists():
        raise UsageError(f"{PROXY_BIN} is missing: run `./lab install` (npm ci in hub/)")
    _check_port_free(settings.port)
    data_dir = settings.data_dir.resolve()
    ports: list[int] = []
    while len(ports) < 3:
        port = free_port()
        if port != settings.port and port not in ports:
            ports.append(port)
    proxy_api_port, hub_port, api_port = ports
    return LabRuntime(
        port=settings.port, proxy_api_port=proxy_api_port, hub_port=hub_port, api_port=api_port,
        data_dir=str(data_dir), state_dir=str(data_dir / "hub"),
        db_url=settings.database_url, dask_scheduler=settings.dask_scheduler,
        api_env=settings_environment(settings),
        spawner=settings.spawner, authenticator=settings.authenticator, ldap=settings.ldap,
        admin=admin.name if admin else "", source_root=str(SOURCE_ROOT), python=sys.executable,
    )


def _wait_ready(url: str, supervisor: Supervisor, deadline: float) -> None:
    while time.monotonic() < deadline:
        exited = supervisor.first_exited()
        if exited:
            name, code = exited
            raise LabStartError(f"{name} stopped while starting (exit code {code})")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise LabStartError(f"{url} did not answer within {READY_TIMEOUT:.0f} s")


class _StopRequested(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _StopRequested(signal.Signals(signum).name)


def prepare_database(settings: Settings, *, upgrade: bool = False, echo=print) -> None:
    """Create the lab database on a first start; refuse an older one unless ``upgrade``.

    Done here, before any process starts, so that a database needing `vidjil db upgrade`
    is said at once on the terminal rather than in the API's log.
    """
    from vidjil_kernel.db import migrate
    from vidjil_kernel.db.engine import make_engine

    url = dataclasses.replace(settings, data_dir=settings.data_dir.resolve()).database_url
    engine = make_engine(url)
    try:
        state = migrate.schema_state(engine)
        if state is migrate.SchemaState.EMPTY:
            migrate.upgrade(engine, backup=False)
            echo("created the lab database")
        elif state is migrate.SchemaState.OLD and upgrade:
            backup = migrate.upgrade(engine)
            echo("upgraded the lab database" + (f" (backup: {backup})" if backup else ""))
        migrate.check_schema(engine)
    finally:
        engine.dispose()


def run_lab(settings: Settings, admin: AdminRequest | None = None, *, echo=print,
            upgrade_db: bool = False) -> None:
    """Start the lab, print its URL, and run until SIGINT/SIGTERM; then stop everything."""
    runtime = build_runtime(settings, admin)
    data_dir = Path(runtime.data_dir)
    state_dir = prepare_data_dir(data_dir)
    prepare_database(settings, upgrade=upgrade_db, echo=echo)
    logs = data_dir / "logs"
    proxy_token = persistent_secret(state_dir / "proxy_token")
    if admin and admin.password is not None:
        write_private(state_dir / "initial-admin.json",
                      json.dumps({"name": admin.name, "password": admin.password}))
    # the lab's settings go to the API service only, by the hub configuration
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIDJIL_")}
    env.update(runtime.to_env())
    env["CONFIGPROXY_AUTH_TOKEN"] = proxy_token
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    supervisor = Supervisor()
    try:
        supervisor.start("proxy", [
            str(PROXY_BIN), "--ip", "127.0.0.1", "--port", str(runtime.port),
            "--api-ip", "127.0.0.1", "--api-port", str(runtime.proxy_api_port),
            "--default-target", f"http://127.0.0.1:{runtime.hub_port}",
            "--error-target", f"http://127.0.0.1:{runtime.hub_port}/hub/error",
        ], env=env, log_file=logs / "proxy.log")
        supervisor.start("hub", [
            sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG),
        ], env=env, cwd=state_dir, log_file=logs / "hub.log")
        deadline = time.monotonic() + READY_TIMEOUT
        try:
            _wait_ready(f"{runtime.public_url}/hub/health", supervisor, deadline)
            _wait_ready(f"{runtime.api_url}/openapi.json", supervisor, deadline)
        except LabStartError as error:
            raise LabStartError(f"{error}; see {logs / 'hub.log'}") from None
        echo(f"Vidjil Lab is running at {runtime.public_url}/  (logs in {logs}; Ctrl-C stops it)")
        while True:
            exited = supervisor.first_exited()
            if exited:
                name, code = exited
                raise LabStartError(
                    f"{name} stopped unexpectedly (exit code {code}); see {logs / (name + '.log')}")
            time.sleep(0.5)
    except _StopRequested as stop:
        echo(f"stopping the lab ({stop})")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        supervisor.stop()
        (state_dir / "initial-admin.json").unlink(missing_ok=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
