"""What the vidjil-api service knows, from its environment.

The hub gives every managed service ``JUPYTERHUB_SERVICE_URL`` (where to listen),
``JUPYTERHUB_SERVICE_PREFIX`` (its path behind the proxy) and a token; the lab's
hub configuration adds ``VIDJIL_DATA_DIR``, ``VIDJIL_DB_URL`` and
``VIDJIL_DASK_SCHEDULER``, which no other process of the lab receives.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from vidjil_kernel.exceptions import UsageError


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"${name} is not set: the vidjil-api service is started by `vidjil up`")
    return value


@dataclass(frozen=True)
class ApiConfig:
    """Settings of one run of the service."""

    data_dir: Path
    db_url: str
    dask_scheduler: str
    #: path of the service behind the proxy, without the trailing slash
    prefix: str
    host: str
    port: int
    started: float = field(default_factory=time.time)

    @classmethod
    def from_env(cls) -> ApiConfig:
        url = urlparse(_required("JUPYTERHUB_SERVICE_URL"))
        data_dir = Path(_required("VIDJIL_DATA_DIR"))
        return cls(
            data_dir=data_dir,
            db_url=os.environ.get("VIDJIL_DB_URL") or f"sqlite:///{data_dir / 'vidjil.sqlite'}",
            dask_scheduler=os.environ.get("VIDJIL_DASK_SCHEDULER", ""),
            prefix=_required("JUPYTERHUB_SERVICE_PREFIX").rstrip("/"),
            host=url.hostname or "127.0.0.1",
            port=url.port or 80,
        )
