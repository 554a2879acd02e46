"""What a job sees while it runs on a worker: progress, its log, cancel and timeout checks.

A job never touches the database.  Its progress and start go to the runner as
Dask events (topic ``vidjil-jobs``); a cancel reaches it as a flag file in its
work directory (shared storage, no round trip); its deadline is local.  The job
calls ``check`` (or ``progress``, which checks) between steps; commands it runs
are polled and killed on cancel or timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vidjil_kernel.exceptions import VidjilError

EVENT_TOPIC = "vidjil-jobs"
#: at most one progress event per job this often (seconds)
PROGRESS_INTERVAL = 1.0
#: what of a command's output a job keeps in its log (the end matters most)
COMMAND_LOG_CHARS = 20_000
POLL_SECONDS = 0.2


class JobStopped(Exception):
    """The job must stop now: cancelled, or past its deadline (not a user error)."""


class JobCancelled(JobStopped):
    pass


class JobTimedOut(JobStopped):
    pass


class CommandFailed(VidjilError):
    """A pre-process or external program exited with an error; the message quotes its end."""


def _worker() -> Any:
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


class JobContext:
    """The running job's link to the runner."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.job_id: int = spec["job_id"]
        self.key: str = spec.get("key", f"job-{self.job_id}")
        self.timeout: float = float(spec["timeout"])
        self.started = time.monotonic()
        self.deadline = self.started + self.timeout
        self.cancel_flag = Path(spec["cancel_flag"])
        self.lines: list[str] = []
        self._last_progress = 0.0
        self._worker = _worker()

    @property
    def worker_name(self) -> str:
        """The worker's address (its name when it has one of its own), or the process id."""
        if self._worker is None:
            return f"pid {os.getpid()}"
        name, address = str(self._worker.name), str(self._worker.address)
        return address if name == address or name.isdigit() else f"{name} ({address})"

    def emit(self, event: str, **fields: Any) -> None:
        if self._worker is not None:
            self._worker.log_event(EVENT_TOPIC, {"event": event, "job": self.job_id,
                                                 "key": self.key, **fields})

    def announce(self) -> None:
        """Tell the runner which worker runs the job (and where to restart it if stuck)."""
        address = self._worker.address if self._worker is not None else ""
        self.emit("started", worker=self.worker_name, address=address, pid=os.getpid())

    def check(self) -> None:
        if self.cancel_flag.exists():
            raise JobCancelled(f"job {self.job_id} cancelled")
        if time.monotonic() > self.deadline:
            raise JobTimedOut(f"timed out after {self.timeout:g} s")

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def progress(self, done: int, total: int | None, message: str = "") -> None:
        """Report ``done`` of ``total`` (reads for analyses); also a cancel/timeout check."""
        self.check()
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_INTERVAL:
            self._last_progress = now
            self.emit("progress", done=int(done), total=None if total is None else int(total),
                      message=message)

    def log(self, text: str) -> None:
        self.lines.extend(text.rstrip("\n").split("\n"))

    def run_command(self, command: str, cwd: Path, what: str,
                    env: Mapping[str, str] | None = None) -> None:
        """Run ``command`` with ``sh -c`` in ``cwd``; its output joins the job log.

        Killed (with its children) on cancel or timeout; a non-zero exit raises
        ``CommandFailed`` quoting the end of its output.
        """
        self.log(f"$ {command}")
        output_path = cwd / f".{what.replace(' ', '-')}-output.log"
        with open(output_path, "wb") as output:
            process = subprocess.Popen(
                ["/bin/sh", "-c", command], cwd=cwd, stdout=output, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
                env={**os.environ, **(env or {})})
            try:
                while process.poll() is None:
                    try:
                        self.check()
                    except JobStopped:
                        _kill_group(process)
                        raise
                    time.sleep(POLL_SECONDS)
            finally:
                if process.poll() is None:
                    _kill_group(process)
        text = _tail(output_path, COMMAND_LOG_CHARS)
        output_path.unlink(missing_ok=True)
        if text:
            self.log(text)
        if process.returncode != 0:
            reason = (f"killed by signal {-process.returncode}" if process.returncode < 0
                      else f"exit code {process.returncode}")
            last = text.strip().split("\n")[-3:] if text.strip() else ["(no output)"]
            raise CommandFailed(f"{what} failed ({reason}): " + " / ".join(last))


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _tail(path: Path, chars: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(size - chars, 0))
        text = handle.read().decode("utf-8", "replace")
    return ("[...]\n" + text) if size > chars else text
