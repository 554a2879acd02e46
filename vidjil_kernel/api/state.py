"""What one run of the API holds open: the database, the file stores, the account sync,
the job runner.

Built when the service starts (FastAPI lifespan) and closed when it stops;
routes reach it as ``request.app.state.lab``.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy.orm import Session, sessionmaker

from vidjil_kernel.api.accounts import AccountSync
from vidjil_kernel.api.config import ApiConfig
from vidjil_kernel.api.jobs_runner import RunnerHolder
from vidjil_kernel.api.seed import seed_lab
from vidjil_kernel.db import new_session_factory
from vidjil_kernel.storage.disk import GB
from vidjil_kernel.storage.file_source import FileSource
from vidjil_kernel.storage.uploads import UploadStore

log = logging.getLogger("vidjil_kernel.api")


@dataclasses.dataclass
class LabState:
    """The service's open resources."""

    config: ApiConfig
    sessions: sessionmaker[Session]
    accounts: AccountSync
    uploads: UploadStore
    file_source: FileSource
    jobs: RunnerHolder

    def close(self) -> None:
        self.jobs.stop()
        self.sessions.kw["bind"].dispose()


def open_lab(config: ApiConfig) -> LabState:
    """Open the database (created if empty; ``SchemaMismatch`` if old), seed a new lab,
    open the stores, and start the job runner (in the background)."""
    settings = config.settings
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    sessions = new_session_factory(config.db_url)
    seed_lab(sessions)
    uploads = UploadStore(data_dir / "uploads", int(settings.disk_min_free_gb * GB))
    expired = uploads.expire()
    if expired:
        log.info("removed %d expired upload(s)", len(expired))
    jobs = RunnerHolder(settings, sessions, demo=settings.demo_patient)
    if config.run_jobs:
        jobs.start()
    return LabState(
        config=config,
        sessions=sessions,
        accounts=AccountSync(sessions),
        uploads=uploads,
        file_source=FileSource(settings.file_source, settings.file_source_types),
        jobs=jobs,
    )
