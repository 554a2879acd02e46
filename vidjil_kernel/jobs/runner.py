"""The job runner: takes jobs from the database and runs them on the Dask cluster.

The API service (and ``vidjil runner`` for labs without the hub) holds one::

    runner = JobRunner(settings, session_factory)
    runner.start()        # lease, cluster, reconciliation, dispatch thread
    ...                   # services.launch(...) then runner.wake()
    runner.status()       # workers, their jobs, queue, disk
    runner.stop()

One background thread does all the dispatching and every database write of
the runner, once a second or when woken: it records events from workers
(start, progress), finishes completed jobs, stops cancelled ones, moves pending
jobs to queued (or waiting for their pre-process), submits queued jobs while
workers are free, and fails jobs past their timeout.  A transition is committed
before the runner acts on it; Dask callbacks only put messages on a queue.

Failures: a worker that dies during a job fails that attempt (KilledWorker); the
job goes back to queued until ``job_max_attempts`` starts.  A job past its
timeout that does not stop by itself gets its worker restarted; a worker of the
local cluster that does not come back (distributed's nanny sometimes fails to
restart it) is replaced.  At start, jobs left running by a previous runner are
queued again (the cluster has forgotten them); nothing is launched twice, since
jobs are rows, not futures.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from vidjil_kernel.db import SYSTEM, session_scope
from vidjil_kernel.db.base import utcnow
from vidjil_kernel.db.models import Job
from vidjil_kernel.exceptions import VidjilError
from vidjil_kernel.jobs import services
from vidjil_kernel.jobs.cluster import connect
from vidjil_kernel.jobs.configs import ensure_default_configs
from vidjil_kernel.jobs.context import EVENT_TOPIC
from vidjil_kernel.jobs.disk import disk_status, tell_admins
from vidjil_kernel.jobs.intake import fail, intake
from vidjil_kernel.jobs.kinds import get_kind
from vidjil_kernel.jobs.lease import RENEW_SECONDS, RunnerLeaseHandle
from vidjil_kernel.jobs.log import append_log
from vidjil_kernel.jobs.paths import LabPaths
from vidjil_kernel.jobs.states import ACTIVE, JobState, move, state_of
from vidjil_kernel.jobs.tasks import execute_job
from vidjil_kernel.jobs.views import JobView
from vidjil_kernel.settings import Settings

log = logging.getLogger("vidjil_kernel.jobs")

POLL_SECONDS = 1.0
DISK_CHECK_SECONDS = 60.0
#: a cancelled job that has not stopped by itself after this long gets its worker restarted
CANCEL_GRACE_SECONDS = 15.0
#: a job past its timeout by this much (it checks its deadline between steps) is stopped hard
TIMEOUT_GRACE_SECONDS = 30.0
#: database writes of progress events, at most this often per job
PROGRESS_WRITE_SECONDS = 2.0
#: the local cluster's workers are checked this often; one missing from the scheduler this
#: long (a restart takes seconds, at most a minute) is replaced
WORKER_CHECK_SECONDS = 10.0
WORKER_LOST_SECONDS = 90.0


@dataclass
class _Attempt:
    """One start of a job on the cluster, as this runner knows it."""

    job_id: int
    attempt: int
    key: str
    kind: str
    timeout: float
    future: Any
    spec: dict
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    worker_address: str = ""
    worker_pid: int | None = None
    stop_by: float | None = None
    last_progress_write: float = 0.0


class JobRunner:
    """Dispatches the lab's jobs to Dask; the database is the record of every job."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session], *,
                 workers: int | None = None, poll_seconds: float = POLL_SECONDS) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.paths = LabPaths(settings)
        self.workers = workers
        self.poll_seconds = poll_seconds
        self.client: Any = None
        self.cluster: Any = None
        self._lease = RunnerLeaseHandle(session_factory)
        self._attempts: dict[int, _Attempt] = {}
        self._messages: queue.SimpleQueue = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_renew = 0.0
        self._last_disk_check = 0.0
        self._last_worker_check = 0.0
        #: the local cluster's workers missing from the scheduler, since when (monotonic)
        self._missing_since: dict[object, float] = {}
        #: the local cluster's size when it started
        self._worker_target = 0
        self._lock = threading.Lock()
        #: why the dispatch thread stopped on its own (lost lease, crash), if it did
        self.failure: str | None = None

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        """Take the lease, reach the cluster, reconcile the job table, start dispatching."""
        self._lease.acquire()
        try:
            self.client, self.cluster = connect(self.settings, workers=self.workers)
            if self.cluster is not None:
                self._worker_target = len(self.cluster.worker_spec)
            self._lease.renew(scheduler=self.scheduler_address)
            self.client.subscribe_topic(EVENT_TOPIC, self._on_event)
            with session_scope(self.session_factory) as session:
                created = ensure_default_configs(session)
                requeued = self._reconcile(session)
            if created:
                log.info("created the default analysis configs: %s", ", ".join(created))
            if requeued:
                log.info("queued again %d job(s) left running by a previous runner", requeued)
        except BaseException:
            self._close_cluster()
            self._lease.release()
            raise
        self._last_renew = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="vidjil-job-runner",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop dispatching; running jobs go back to queued (their attempt given back)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        try:
            with session_scope(self.session_factory) as session:
                for attempt in list(self._attempts.values()):
                    self._flag_stop(attempt)
                    job = session.get(Job, attempt.job_id)
                    if job is not None and state_of(job) is JobState.RUNNING \
                            and job.attempts == attempt.attempt:
                        move(session, job, JobState.QUEUED, attempts=job.attempts - 1,
                             log=append_log(job.log, "runner stopped: queued again"))
        finally:
            self._attempts.clear()
            self._close_cluster()
            self._lease.release()

    def wake(self) -> None:
        """New jobs were queued or cancelled: dispatch now rather than at the next poll."""
        self._wake.set()

    @property
    def scheduler_address(self) -> str:
        return self.client.scheduler.address if self.client is not None else ""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _close_cluster(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    # --- operations for administrators (the API calls ``services`` with the user) ---------

    def cancel(self, job_id: int) -> JobView:
        """Cancel a job as the lab itself, and stop its work now."""
        with session_scope(self.session_factory) as session:
            view = services.cancel(session, SYSTEM, job_id, origin="runner")
        self.wake()
        return view

    def rerun(self, job_id: int) -> JobView:
        """Re-run a failed or cancelled job as the lab itself."""
        with session_scope(self.session_factory) as session:
            view = services.rerun(session, SYSTEM, job_id, settings=self.settings,
                                  origin="runner")
        self.wake()
        return view

    def status(self) -> dict:
        """Workers and the jobs they run, queue length by state, disk space."""
        with self._lock:
            attempts = list(self._attempts.values())
        workers = []
        if self.client is not None:
            info = self.client.scheduler_info()["workers"]
            for address, worker in sorted(info.items()):
                jobs = [a.job_id for a in attempts if a.worker_address == address]
                workers.append({"address": address, "name": str(worker.get("name")),
                                "threads": worker.get("nthreads"),
                                "memory_limit": worker.get("memory_limit"),
                                "jobs": jobs})
        with session_scope(self.session_factory) as session:
            counts = dict(session.execute(
                select(Job.state, func.count()).where(Job.state.in_(
                    [s.value for s in ACTIVE])).group_by(Job.state)).all())
        return {
            "scheduler": self.scheduler_address,
            "local_cluster": self.cluster is not None,
            "running": self.running,
            "failure": self.failure,
            "workers": workers,
            "jobs": {state.value: int(counts.get(state.value, 0)) for state in
                     (JobState.PENDING, JobState.WAITING, JobState.QUEUED, JobState.RUNNING)},
            "queue_length": int(sum(counts.get(s, 0) for s in (
                JobState.PENDING, JobState.WAITING, JobState.QUEUED))),
            "disk": disk_status(self.settings).to_dict(),
        }

    # --- callbacks (Dask's threads): messages for the dispatch thread --------------------

    def _on_event(self, event: tuple[float, dict]) -> None:
        self._messages.put(("event", event[1]))
        self._wake.set()

    def _on_done(self, future: Any) -> None:
        self._messages.put(("done", future))
        self._wake.set()

    # --- the dispatch thread ----------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                if not self._renew_lease():
                    return
                self._tick()
            except Exception as error:  # keep dispatching: a database hiccup must not stop it
                log.exception("job runner: %s", error)

    def _renew_lease(self) -> bool:
        if time.monotonic() - self._last_renew < RENEW_SECONDS:
            return True
        if self._lease.renew():
            self._last_renew = time.monotonic()
            return True
        self.failure = "another job runner took the lease of this database: this one stopped"
        log.error(self.failure)
        return False

    def _tick(self) -> None:
        self._handle_messages()
        with session_scope(self.session_factory) as session:
            stuck = self._stop_cancelled(session) + self._enforce_timeouts(session)
            intake(session)
        for attempt, why in stuck:  # committed first: restarting a worker takes a while
            self._force_stop(attempt, why)
        self._submit_ready()
        if self.cluster is not None \
                and time.monotonic() - self._last_worker_check >= WORKER_CHECK_SECONDS:
            self._last_worker_check = time.monotonic()
            self._replace_lost_workers()
        if time.monotonic() - self._last_disk_check >= DISK_CHECK_SECONDS:
            self._last_disk_check = time.monotonic()
            status = disk_status(self.settings)
            if status.low:
                with session_scope(self.session_factory) as session:
                    tell_admins(session, status)

    # --- messages from workers and futures ------------------------------------------------

    def _handle_messages(self) -> None:
        events: list[dict] = []
        while True:
            try:
                kind, payload = self._messages.get_nowait()
            except queue.Empty:
                break
            if kind == "event":
                events.append(payload)
                continue
            try:
                self._finish(payload)
            except Exception:  # e.g. the database is busy: try again at the next tick
                self._messages.put((kind, payload))
                raise
        if events:
            with session_scope(self.session_factory) as session:
                for event in events:
                    self._record_event(session, event)

    def _current(self, job_id: int, key: str) -> _Attempt | None:
        current = self._attempts.get(job_id)
        return current if current is not None and current.key == key else None

    def _record_event(self, session: Session, event: dict) -> None:
        attempt = self._current(event.get("job", -1), event.get("key", ""))
        if attempt is None:
            return
        job = session.get(Job, attempt.job_id)
        if job is None or state_of(job) is not JobState.RUNNING:
            return
        now = time.monotonic()
        if event.get("event") == "started":
            attempt.started = now
            attempt.worker_address = event.get("address", "")
            attempt.worker_pid = event.get("pid")
            job.worker = str(event.get("worker") or attempt.worker_address)
            job.heartbeat_at = utcnow()
        elif event.get("event") == "progress":
            if now - attempt.last_progress_write < PROGRESS_WRITE_SECONDS:
                return
            attempt.last_progress_write = now
            done, total = event.get("done"), event.get("total")
            job.progress_done, job.progress_total = done, total
            job.progress = min(done / total, 0.99) if done is not None and total else \
                job.progress
            job.progress_message = str(event.get("message", ""))[:255]
            job.heartbeat_at = utcnow()

    def _finish(self, future: Any) -> None:
        """Record what a finished attempt did; it is forgotten once that is committed."""
        job_id = _job_of_key(future.key)
        attempt = self._current(job_id, future.key)
        if attempt is None:
            return
        outcome, lost = _outcome(future)
        with session_scope(self.session_factory) as session:
            self._record_outcome(session, attempt, outcome, lost)
        self._forget(job_id)
        self._wake.set()

    def _record_outcome(self, session: Session, attempt: _Attempt, outcome: dict,
                        lost: str | None) -> None:
        job = session.get(Job, attempt.job_id)
        kind = get_kind(attempt.kind)
        if job is None or state_of(job) is not JobState.RUNNING \
                or job.attempts != attempt.attempt:  # cancelled or failed meanwhile
            self._discard(attempt, outcome, kind.owns_files)
            return
        job.worker = outcome.get("worker") or job.worker
        if lost is not None:
            self._retry_or_fail(session, job, lost)
            return
        job.log = append_log(job.log, outcome.get("log", ""))
        shutil.rmtree(self.paths.work_dir(job.id), ignore_errors=True)
        if outcome["status"] == "ok":
            try:
                kind.finish(session, job, outcome, self.paths)
            except VidjilError as error:
                fail(session, job, str(error))
            except SQLAlchemyError:  # the database, not the job: try again at the next tick
                raise
            except Exception as error:  # a bug in recording it: fail the job, not the runner
                log.exception("recording job %d", job.id)
                fail(session, job, f"internal error recording the result "
                                   f"({type(error).__name__}: {error})")
        elif outcome["status"] == "cancelled":
            fail(session, job, "stopped on its worker")
        else:
            fail(session, job, outcome.get("error") or "failed")

    def _forget(self, job_id: int) -> None:
        with self._lock:
            self._attempts.pop(job_id, None)

    def _retry_or_fail(self, session: Session, job: Job, why: str) -> None:
        if job.attempts < self.settings.job_max_attempts:
            move(session, job, JobState.QUEUED,
                 log=append_log(job.log, f"attempt {job.attempts} lost: {why}; queued again"))
        else:
            fail(session, job, f"{why}; gave up after {job.attempts} attempts "
                               f"(setting job_max_attempts)")

    def _discard(self, attempt: _Attempt, outcome: dict, owned: bool) -> None:
        """What an attempt left after its job was cancelled or failed meanwhile."""
        for path in outcome.get("files", []) if owned else []:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        shutil.rmtree(self.paths.work_dir(attempt.job_id), ignore_errors=True)

    # --- the job table --------------------------------------------------------------------

    def _reconcile(self, session: Session) -> int:
        """Jobs left running by a runner that is gone: the cluster forgot them, queue again."""
        left = list(session.scalars(select(Job).where(Job.state == JobState.RUNNING.value)))
        for job in left:
            self._retry_or_fail(session, job, "the job runner stopped while it ran")
        return len(left)

    def _stop_cancelled(self, session: Session) -> list[tuple[_Attempt, str]]:
        """Flag the jobs this runner runs that were cancelled in the database meanwhile.

        Returns those still running after the grace period, to be stopped hard.
        """
        now = time.monotonic()
        stuck = []
        for attempt in list(self._attempts.values()):
            job = session.get(Job, attempt.job_id)
            if job is not None and state_of(job) is JobState.RUNNING \
                    and job.attempts == attempt.attempt:
                continue
            if attempt.stop_by is None:
                self._flag_stop(attempt)
                attempt.stop_by = now + CANCEL_GRACE_SECONDS
            elif now > attempt.stop_by:
                stuck.append((attempt, "it did not stop after being cancelled"))
        return stuck

    def _flag_stop(self, attempt: _Attempt) -> None:
        flag = attempt.spec["cancel_flag"]
        os.makedirs(os.path.dirname(flag), exist_ok=True)
        with open(flag, "w") as handle:
            handle.write("stop\n")

    def _force_stop(self, attempt: _Attempt, why: str) -> None:
        """Restart the worker of a job that does not stop by itself (only way to stop a thread).

        The restart runs in the background: it takes seconds, the dispatching goes on.
        """
        with self._lock:
            self._attempts.pop(attempt.job_id, None)
        attempt.future.release()
        shutil.rmtree(self.paths.work_dir(attempt.job_id), ignore_errors=True)
        if not attempt.worker_address or self.client is None:
            return
        log.warning("restarting worker %s: job %d %s", attempt.worker_address, attempt.job_id,
                    why)
        client, address = self.client, attempt.worker_address

        def restart() -> None:
            try:
                client.restart_workers([address], timeout=60, raise_for_error=False)
            except Exception as error:  # the worker may be gone already
                log.warning("could not restart worker %s: %s", address, error)

        threading.Thread(target=restart, name="vidjil-worker-restart", daemon=True).start()

    def _replace_lost_workers(self) -> None:
        """Start a new worker in place of one of the local cluster gone for good.

        When the runner restarts a stuck worker, distributed's nanny sometimes kills it
        and starts no other (2 of 9 runs of the jobs tests); a nanny may also die.  On a
        two-core machine that was the lab's only worker.  The lost worker leaves the
        cluster's specification (the cluster closes its nanny); once it is gone, the
        cluster is scaled back to its size with a new one.
        """
        cluster = self.cluster
        present = {str(worker.get("name"))
                   for worker in self.client.scheduler_info()["workers"].values()}
        now = time.monotonic()
        for name in list(cluster.worker_spec):
            if str(name) in present:
                self._missing_since.pop(name, None)
            elif now - self._missing_since.setdefault(name, now) >= WORKER_LOST_SECONDS:
                log.warning("worker %s of the local cluster did not come back: replacing it",
                            name)
                del cluster.worker_spec[name]
                del self._missing_since[name]
                cluster.scale(len(cluster.worker_spec))
        if len(cluster.worker_spec) < self._worker_target \
                and set(cluster.workers) <= set(cluster.worker_spec):
            cluster.scale(self._worker_target)

    def _enforce_timeouts(self, session: Session) -> list[tuple[_Attempt, str]]:
        """Fail the jobs past their timeout that did not stop by themselves."""
        now = time.monotonic()
        stuck = []
        for attempt in list(self._attempts.values()):
            if attempt.started is None or attempt.stop_by is not None:
                continue
            if now > attempt.started + attempt.timeout + TIMEOUT_GRACE_SECONDS:
                job = session.get(Job, attempt.job_id)
                if job is not None and state_of(job) is JobState.RUNNING:
                    fail(session, job, f"timed out after {attempt.timeout:g} s (its "
                                       "worker was restarted to stop it)")
                self._flag_stop(attempt)
                attempt.stop_by = now
                stuck.append((attempt, "ran past its timeout"))
        return stuck

    def _free_slots(self) -> int:
        try:
            threads = sum(self.client.nthreads().values())
        except Exception as error:  # scheduler unreachable: nothing can be submitted now
            log.warning("cannot reach the Dask scheduler: %s", error)
            return 0
        return threads - len(self._attempts)

    def _submit_ready(self) -> None:
        with session_scope(self.session_factory) as session:
            if session.scalar(select(Job.id).where(Job.state == JobState.QUEUED.value)
                              .limit(1)) is None:
                return
        free = self._free_slots()
        while free > 0 and not self._stopping.is_set():
            with session_scope(self.session_factory) as session:
                # a job whose last start is still stopping waits for it to be gone
                job = session.scalar(select(Job).where(Job.state == JobState.QUEUED.value,
                                                       Job.id.not_in(list(self._attempts)))
                                     .order_by(Job.id).limit(1))
                if job is None:
                    return
                try:
                    kind = get_kind(job.kind)
                    spec = kind.prepare(session, job, self.paths)
                except LookupError:
                    fail(session, job, f"no job kind {job.kind!r} in this version of "
                                       "the lab")
                    continue
                except VidjilError as error:
                    fail(session, job, str(error))
                    continue
                except Exception as error:  # a bug: fail this job, keep the queue moving
                    log.exception("preparing job %d", job.id)
                    fail(session, job, f"internal error preparing the job "
                                       f"({type(error).__name__}: {error})")
                    continue
                move(session, job, JobState.RUNNING)
                attempt_number = job.attempts
            # committed: the start is on record before the cluster hears of it
            key = f"vidjil-job-{job.id}-{attempt_number}-{secrets.token_hex(3)}"
            spec.update(job_id=job.id, attempt=attempt_number, key=key, kind=job.kind,
                        timeout=getattr(self.settings, kind.timeout_setting),
                        cancel_flag=str(self.paths.cancel_flag(job.id, key)))
            self._submit(kind, job.id, attempt_number, spec)
            free -= 1

    def _submit(self, kind: Any, job_id: int, attempt_number: int, spec: dict) -> None:
        key = spec["key"]
        try:
            future = self.client.submit(execute_job, kind.run, spec, key=key, pure=False,
                                        retries=0)
        except Exception as error:  # the cluster went away between two ticks
            with session_scope(self.session_factory) as session:
                job = session.get(Job, job_id)
                move(session, job, JobState.QUEUED, attempts=job.attempts - 1,
                     log=append_log(job.log, f"could not reach the cluster: {error}"))
            return
        with self._lock:
            self._attempts[job_id] = _Attempt(job_id, attempt_number, key, spec["kind"],
                                              float(spec["timeout"]), future, spec)
        future.add_done_callback(self._on_done)


def _job_of_key(key: str) -> int:
    """``vidjil-job-<job id>-<attempt>-<token>`` -> job id."""
    return int(key.split("-")[2])


def _outcome(future: Any) -> tuple[dict, str | None]:
    """The task's outcome, or why the attempt was lost (worker died, cluster lost it)."""
    if future.status == "finished":
        return future.result(), None
    if future.status == "error":
        error = future.exception()
        name = type(error).__name__
        if name == "KilledWorker":
            return {}, "its worker died while running it"
        return {}, f"the cluster failed it ({name}: {error})"
    return {}, f"the cluster dropped it ({future.status})"
