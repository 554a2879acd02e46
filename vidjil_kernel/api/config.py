"""What the vidjil-api service knows, from its environment.

The hub gives every managed service ``JUPYTERHUB_SERVICE_URL`` (where to listen),
``JUPYTERHUB_SERVICE_PREFIX`` (its path behind the proxy) and a token; the lab's
hub configuration adds the lab's settings as ``VIDJIL_*`` variables (data
directory, database URL, Dask scheduler, germline, uploads...), which no other
process of the lab receives, and ``VIDJIL_ACCOUNT_SYNC_TOKEN``, the secret the
hub's login hook presents to create lab accounts (see ``api.accounts``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from vidjil_kernel.exceptions import UsageError
from vidjil_kernel.settings import Settings, load_settings

ACCOUNT_SYNC_TOKEN_ENV = "VIDJIL_ACCOUNT_SYNC_TOKEN"


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"${name} is not set: the vidjil-api service is started by `vidjil up`")
    return value


@dataclass(frozen=True)
class ApiConfig:
    """Settings of one run of the service."""

    settings: Settings
    #: path of the service behind the proxy, without the trailing slash
    prefix: str
    host: str
    port: int
    #: secret of the hub's account hook ("" refuses every hook call)
    account_sync_token: str = ""
    #: start the job runner with the service (tests of routes alone may not)
    run_jobs: bool = True
    started: float = field(default_factory=time.time)

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir.resolve()

    @property
    def db_url(self) -> str:
        return self.settings.database_url

    @property
    def dask_scheduler(self) -> str:
        return self.settings.dask_scheduler

    @classmethod
    def from_env(cls) -> ApiConfig:
        url = urlparse(_required("JUPYTERHUB_SERVICE_URL"))
        _required("VIDJIL_DATA_DIR")
        return cls(
            settings=load_settings(),
            prefix=_required("JUPYTERHUB_SERVICE_PREFIX").rstrip("/"),
            host=url.hostname or "127.0.0.1",
            port=url.port or 80,
            account_sync_token=os.environ.get(ACCOUNT_SYNC_TOKEN_ENV, ""),
        )
