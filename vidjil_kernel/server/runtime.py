"""What one run of the lab needs to know: addresses, paths and choices.

``vidjil up`` builds a :class:`LabRuntime`, hands it to the hub process as JSON
in ``VIDJIL_LAB_RUNTIME``, and ``hub/jupyterhub_config.py`` turns it into
JupyterHub configuration.  Secrets are not in it: they live in files of the
hub state directory, readable by the lab's own user only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
from pathlib import Path

from vidjil_kernel.exceptions import UsageError

RUNTIME_ENV = "VIDJIL_LAB_RUNTIME"
API_SERVICE_NAME = "vidjil-api"
SPAWNER_MODES = ("embedded", "isolated")
AUTHENTICATORS = ("native", "ldap")


@dataclasses.dataclass(frozen=True)
class LabRuntime:
    """Everything the hub configuration depends on, for one start of the lab."""

    #: port of the public proxy on 127.0.0.1 (the URL people open)
    port: int
    #: ports on 127.0.0.1 of the proxy's REST API, the hub and the vidjil-api service
    proxy_api_port: int
    hub_port: int
    api_port: int
    #: the lab's data directory (API only) and hub state directory (hub only)
    data_dir: str
    state_dir: str
    #: what only the vidjil-api service receives, through its environment
    db_url: str
    dask_scheduler: str
    #: the lab's settings as VIDJIL_* variables, for the vidjil-api service only
    api_env: dict
    #: "embedded" (local processes as the lab's user) or "isolated" (one system user each)
    spawner: str
    #: "native" (sign-up + admin authorisation) or "ldap"
    authenticator: str
    #: LDAPAuthenticator trait name -> value, when authenticator is "ldap"
    ldap: dict
    #: first admin named by `vidjil up --admin`, or "" (first sign-up becomes admin)
    admin: str
    #: source tree (notebooks/dashboards) and the Python that runs servers and services
    source_root: str
    python: str

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The vidjil-api service as reached through the proxy."""
        return f"{self.public_url}/services/{API_SERVICE_NAME}"

    def to_env(self) -> dict[str, str]:
        return {RUNTIME_ENV: json.dumps(dataclasses.asdict(self))}

    @classmethod
    def from_env(cls) -> LabRuntime:
        """The runtime that `vidjil up` gave this (hub) process."""
        text = os.environ.get(RUNTIME_ENV)
        if not text:
            raise UsageError(f"{RUNTIME_ENV} is not set: start the lab with `vidjil up`")
        return cls(**json.loads(text))


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by this user only (temporary name, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def persistent_secret(path: Path) -> str:
    """A random token stored in ``path``, created on first use and kept afterwards."""
    if path.is_file():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_hex(32)
    write_private(path, token + "\n")
    return token
