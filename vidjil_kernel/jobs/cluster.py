"""The Dask cluster jobs run on: a local one on loopback, or an existing scheduler.

Embedded default (``dask_scheduler`` empty): a ``LocalCluster`` whose scheduler,
workers and HTTP endpoints (dashboard included) all listen on 127.0.0.1 only, on
random ports; ``job_workers`` worker processes (0: one per core but one, at least
one) of one thread each, all sharing one numba cache (``NUMBA_CACHE_DIR``, so
kernels compile once for every worker).  Production:
``dask_scheduler`` is the address of a running ``dask scheduler`` whose
``dask worker`` processes may run on other machines (sharing the data directory);
a ``tls://`` address uses the ``dask_tls_*`` files.

``config/dask.yaml`` (then ``<data_dir>/dask.yaml`` when present) overrides
Dask's own settings; the job layer needs ``distributed.scheduler.allowed-failures``
at 0 so that a dead worker fails the attempt and the job layer retries it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from vidjil_kernel.exceptions import UsageError
from vidjil_kernel.settings import SOURCE_ROOT, Settings

DASK_DEFAULTS = SOURCE_ROOT / "config" / "dask.yaml"
LOOPBACK = "127.0.0.1"


def numba_cache_dir(settings: Settings) -> Path:
    """Where every worker keeps compiled kernels (the environment's choice wins)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    return Path(settings.data_dir).resolve() / "cache" / "numba"


def local_workers(settings: Settings) -> int:
    """Workers of the local cluster: the setting, else one per core but one (at least 1)."""
    if settings.job_workers:
        return settings.job_workers
    return max((os.cpu_count() or 1) - 1, 1)


def load_dask_config(settings: Settings) -> None:
    """Apply config/dask.yaml, then the site's <data_dir>/dask.yaml, to Dask's settings."""
    import dask.config

    for path in (DASK_DEFAULTS, Path(settings.data_dir) / "dask.yaml"):
        if path.is_file():
            with open(path) as handle:
                overrides = yaml.safe_load(handle) or {}
            dask.config.update(dask.config.config, overrides, priority="new")


def security(settings: Settings) -> Any:
    """Dask TLS settings for a ``tls://`` scheduler (None otherwise)."""
    if not settings.dask_scheduler.startswith("tls://"):
        return None
    files = {"dask_tls_ca_file": settings.dask_tls_ca_file,
             "dask_tls_cert_file": settings.dask_tls_cert_file,
             "dask_tls_key_file": settings.dask_tls_key_file}
    missing = [name for name, value in files.items() if not value]
    if missing:
        raise UsageError(f"dask_scheduler {settings.dask_scheduler} uses TLS: set "
                         f"{', '.join(missing)} (CA, client certificate and key)")
    for name, value in files.items():
        if not Path(value).is_file():
            raise UsageError(f"{name} = {value}: no such file")
    from distributed.security import Security

    return Security(tls_ca_file=settings.dask_tls_ca_file,
                    tls_client_cert=settings.dask_tls_cert_file,
                    tls_client_key=settings.dask_tls_key_file, require_encryption=True)


def connect(settings: Settings, *, workers: int | None = None) -> tuple[Any, Any]:
    """A client on the lab's cluster, and the local cluster it started (None if external)."""
    from distributed import Client, LocalCluster

    load_dask_config(settings)
    if settings.dask_scheduler:
        try:
            client = Client(settings.dask_scheduler, security=security(settings), timeout=30)
        except OSError as error:
            raise UsageError(f"cannot reach the Dask scheduler {settings.dask_scheduler}: "
                             f"{error} (is `dask scheduler` running there?)") from None
        return client, None
    import dask.config

    cache = numba_cache_dir(settings)
    cache.mkdir(parents=True, exist_ok=True)
    # set before the worker processes start: numba reads it when it is first imported
    with dask.config.set({"distributed.nanny.pre-spawn-environ.NUMBA_CACHE_DIR": str(cache)}):
        cluster = LocalCluster(
            n_workers=workers or local_workers(settings), threads_per_worker=1, processes=True,
            host=LOOPBACK, dashboard_address=f"{LOOPBACK}:0", scheduler_port=0,
            local_directory=str(Path(settings.data_dir).resolve() / "cache" / "dask"))
    try:
        client = Client(cluster)
    except BaseException:
        cluster.close()
        raise
    return client, cluster
