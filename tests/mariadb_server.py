"""A private MariaDB server for the tests (pytest plugin, loaded by tests/conftest.py).

``mariadb_server`` starts ``mariadbd`` once per test session in its own data
directory, on a free loopback port, and stops it at the end (``bench/`` uses
``private_mariadb`` directly).  A missing
MariaDB is an error, not a skip: ``./lab test`` installs it, and CI must run
the MariaDB half of the suite.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest


@dataclass(frozen=True)
class MariaDB:
    host: str
    port: int

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@{self.host}:{self.port}/{database}?charset=utf8mb4"

    def create_database(self, name: str) -> str:
        """A new empty utf8mb4 database; returns its SQLAlchemy URL."""
        connection = pymysql.connect(host=self.host, port=self.port, user="root")
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                               "COLLATE utf8mb4_unicode_ci")
        finally:
            connection.close()
        return self.url(name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _program(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if path is None:
        raise RuntimeError(f"{name} not found: install mariadb-server (`./lab test` does it)")
    return path


def _wait_until_up(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {server.returncode}:\n{log.read_text()}")
        try:
            pymysql.connect(host="127.0.0.1", port=port, user="root", connect_timeout=1).close()
            return
        except pymysql.err.OperationalError:
            time.sleep(0.1)
    raise RuntimeError(f"mariadbd did not answer on port {port} within 60 s:\n{log.read_text()}")


@contextmanager
def private_mariadb() -> Iterator[MariaDB]:
    """Start ``mariadbd`` in a new data directory on a free loopback port; stop it after."""
    install, daemon = _program("mariadb-install-db"), _program("mariadbd")
    # a short path: the socket's name must fit in 107 bytes
    root = Path(tempfile.mkdtemp(prefix="vj-mariadb-", dir="/tmp"))
    data, log = root / "data", root / "mariadbd.log"
    try:
        subprocess.run([install, "--user=root", f"--datadir={data}",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True)
        port = _free_port()
        with log.open("w") as log_file:
            server = subprocess.Popen(
                [daemon, "--no-defaults", "--user=root", f"--datadir={data}",
                 f"--socket={root / 'mariadb.sock'}", f"--port={port}",
                 "--bind-address=127.0.0.1", "--skip-networking=0",
                 f"--pid-file={root / 'mariadbd.pid'}", "--innodb-buffer-pool-size=256M",
                 "--innodb-flush-log-at-trx-commit=2", "--skip-log-bin"],
                stdout=log_file, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(server, port, log)
            yield MariaDB("127.0.0.1", port)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDB]:
    """A running private MariaDB (root, no password, loopback only)."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(private_mariadb())
        except (RuntimeError, subprocess.CalledProcessError) as error:
            pytest.fail(f"cannot start the test MariaDB: {error}", pytrace=False)
        yield server
