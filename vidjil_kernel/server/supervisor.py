"""Start the lab's processes and stop all of them, grandchildren included.

JupyterHub starts single-user servers and managed services in their own
sessions (so that Ctrl-C in a terminal does not reach them), and stops them
itself when it shuts down cleanly.  When it does not (killed, crashed), those
processes would be orphans.  The supervisor makes itself a *child subreaper*
(Linux ``PR_SET_CHILD_SUBREAPER``): orphans of its descendants are re-parented
to it instead of to init, so that on shutdown it can find and stop every one of
them.  Its direct children also get ``PR_SET_PDEATHSIG`` so that they are told
to stop if the supervisor itself is killed.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("vidjil_kernel.server")

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGTERM when the supervisor dies."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def child_pids(parent: int) -> list[int]:
    """Pids of the live processes whose parent is ``parent`` (read from /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: split after it
        fields = stat[stat.rindex(")") + 2:].split()
        state, ppid = fields[0], int(fields[1])
        if ppid == parent and state != "Z":
            children.append(int(entry.name))
    return children


def descendant_pids(root: int) -> list[int]:
    """Pids of all live descendants of ``root``, parents before children."""
    found, queue = [], [root]
    while queue:
        for pid in child_pids(queue.pop()):
            found.append(pid)
            queue.append(pid)
    return found


def _reap_zombies() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


@dataclass
class Supervisor:
    """The processes of one lab run, stopped in reverse order of start.

    ``stop_timeout`` is how long a process gets to exit after SIGTERM before it
    is killed; JupyterHub needs a few seconds to stop the single-user servers.
    """

    stop_timeout: float = 20.0
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def __post_init__(self) -> None:
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)

    def start(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
        log_file: Path | None = None,
    ) -> subprocess.Popen:
        """Start ``command`` as a supervised child; its output goes to ``log_file`` or ours."""
        output = open(log_file, "ab") if log_file else None  # noqa: SIM115 (kept by the child)
        try:
            process = subprocess.Popen(
                list(command), env=dict(env), cwd=cwd, stdout=output, stderr=output,
                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
                start_new_session=True,  # Ctrl-C reaches us only: we stop them in order
            )
        finally:
            if output:
                output.close()
        log.debug("started %s (pid %d): %s", name, process.pid, " ".join(command))
        self.processes.append((name, process))
        return process

    def first_exited(self) -> tuple[str, int] | None:
        """Name and exit code of a supervised process that has stopped, if any."""
        for name, process in self.processes:
            code = process.poll()
            if code is not None:
                return name, code
        return None

    def stop(self) -> None:
        """SIGTERM each process (last started first), then every orphan left behind."""
        for name, process in reversed(self.processes):
            if process.poll() is None:
                log.info("stopping %s (pid %d)", name, process.pid)
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    log.warning("%s did not stop in %.0f s: killing it", name, self.stop_timeout)
                    process.kill()
                    process.wait()
        self._stop_orphans()

    def _stop_orphans(self) -> None:
        """Stop what the children left behind (re-parented to us as subreaper)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            orphans = descendant_pids(os.getpid())
            if not orphans:
                break
            log.warning("stopping %d process(es) left behind: %s", len(orphans), orphans)
            for pid in orphans:
                _signal_quietly(pid, sig)
            _wait_until(lambda: not descendant_pids(os.getpid()), 5.0, _reap_zombies)
        _reap_zombies()


def _signal_quietly(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_until(done: Callable[[], bool], timeout: float, between: Callable[[], None]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        between()
        if done():
            return True
        time.sleep(0.1)
    return False
