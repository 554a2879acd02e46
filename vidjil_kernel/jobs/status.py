"""The state of the lab's job service as another process sees it (``vidjil worker status``).

The runner writes its scheduler's address in its lease; this reads the lease,
asks that scheduler for its workers (loopback or TLS, as the settings say), and
takes the jobs and the queue from the database.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Job
from vidjil_kernel.jobs.cluster import security
from vidjil_kernel.jobs.disk import disk_status
from vidjil_kernel.jobs.lease import current_lease
from vidjil_kernel.jobs.states import JobState
from vidjil_kernel.settings import Settings

SHOWN_STATES = (JobState.PENDING, JobState.WAITING, JobState.QUEUED, JobState.RUNNING)


def lab_status(session: Session, settings: Settings) -> dict:
    """Runner (None if none is live), workers with their running jobs, job counts, disk."""
    lease = current_lease(session)
    counts = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    running = session.execute(select(Job.id, Job.worker).where(
        Job.state == JobState.RUNNING.value)).all()
    report: dict = {
        "runner": None, "workers": [], "cluster_error": None,
        "jobs": {state.value: int(counts.get(state.value, 0)) for state in SHOWN_STATES},
        "disk": disk_status(settings).to_dict(),
    }
    if lease is None or not lease.live():
        return report
    report["runner"] = {"host": lease.host, "pid": lease.pid, "scheduler": lease.scheduler,
                        "since": lease.acquired_at.isoformat()}
    try:
        report["workers"] = _workers(lease.scheduler, settings, running)
    except (OSError, TimeoutError) as error:
        report["cluster_error"] = f"cannot reach {lease.scheduler}: {error}"
    return report


def _workers(address: str, settings: Settings, running: list) -> list[dict]:
    from dataclasses import replace

    from distributed import Client

    tls = security(replace(settings, dask_scheduler=address))
    with Client(address, security=tls, timeout=10) as client:
        info = client.scheduler_info()["workers"]
    rows = []
    for worker_address, worker in sorted(info.items()):
        name = str(worker.get("name"))
        jobs = [job_id for job_id, worker_name in running if worker_name and (
            worker_address in worker_name or worker_name == name)]
        rows.append({"address": worker_address, "name": name,
                     "threads": worker.get("nthreads"),
                     "memory_gb": round((worker.get("memory_limit") or 0) / 1e9, 1),
                     "jobs": [str(job_id) for job_id in jobs]})
    return rows
