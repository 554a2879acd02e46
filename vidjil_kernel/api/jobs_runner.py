"""The API's job runner, started in the background so that the API answers at once.

The API process owns the Dask client (DESIGN.md): it starts the jobs layer's
``JobRunner`` when it starts and stops it when it stops.  Starting a local
cluster takes seconds, and a first start then simulates the demo patient, so
both happen in a thread; meanwhile requests are served, and launches simply
wait in the job table (the database is the record of every job).  If another
runner holds this lab's lease (``vidjil runner`` on another machine), that one
runs the jobs and the API only records them.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from vidjil_kernel.api.seed import seed_demo
from vidjil_kernel.exceptions import LeaseHeld, VidjilError
from vidjil_kernel.jobs import JobRunner, disk_status
from vidjil_kernel.settings import Settings

log = logging.getLogger("vidjil_kernel.api")


class RunnerHolder:
    """Starts, wakes and stops the process's ``JobRunner``; says how it stands."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], *,
                 demo: bool = True) -> None:
        self.settings = settings
        self.sessions = sessions
        self.demo = demo
        self.runner: JobRunner | None = None
        #: why there is no runner here (another one holds the lease, or it failed to start)
        self.problem: str | None = "starting"
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._start, name="vidjil-api-start",
                                        daemon=True)
        self._thread.start()

    def wait_started(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _start(self) -> None:
        runner = JobRunner(self.settings, self.sessions)
        try:
            runner.start()
        except LeaseHeld as held:
            self.problem = f"jobs are run by another runner: {held}"
            log.warning("%s", self.problem)
        except Exception as error:
            self.problem = f"the job runner did not start: {error}"
            log.exception("the job runner did not start")
        else:
            self.runner, self.problem = runner, None
        if self.demo and not self._stopping.is_set():
            self._seed_demo()

    def _seed_demo(self) -> None:
        try:
            set_id = seed_demo(self.settings, self.sessions)
        except VidjilError as error:  # no germline yet, a full disk: tried again next start
            log.warning("no demo patient this time: %s", error)
            return
        if set_id is not None:
            log.info("demo patient created (set %d), its analyses queued", set_id)
            self.wake()

    def wake(self) -> None:
        if self.runner is not None:
            self.runner.wake()

    def stop(self) -> None:
        self._stopping.set()
        self.wait_started()
        if self.runner is not None:
            self.runner.stop()
            self.runner = None

    @property
    def starting(self) -> bool:
        """The runner, or the first start's demo, is still being made."""
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> dict[str, Any]:
        """The runner's status (workers, queue, disk), or why this process has none."""
        if self.runner is not None:
            status = self.runner.status()
            status["problem"] = self.runner.failure
        else:
            status = {"scheduler": "", "local_cluster": False, "running": False,
                      "failure": None, "problem": self.problem, "workers": [], "jobs": {},
                      "queue_length": 0, "disk": disk_status(self.settings).to_dict()}
        status["starting"] = self.starting
        return status
