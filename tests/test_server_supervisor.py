"""The supervisor stops its children and what they leave behind (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import json, subprocess, sys, time
    from vidjil_kernel.server.supervisor import Supervisor, descendant_pids
    import os

    supervisor = Supervisor(stop_timeout=5)
    # a child that starts a grandchild in its own session, then exits: an orphan
    supervisor.start("spawner", [sys.executable, "-c",
        "import subprocess, sys; subprocess.Popen([sys.executable, '-c', "
        "'import time; time.sleep(600)'], start_new_session=True)"], env=os.environ)
    # a child that ignores SIGTERM: it must be killed after the timeout
    supervisor.start("stubborn", [sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"],
        env=os.environ)
    time.sleep(1.5)
    before = descendant_pids(os.getpid())
    supervisor.stop_timeout = 1
    supervisor.stop()
    print(json.dumps({"before": before, "after": descendant_pids(os.getpid())}))
""")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_stop_reaches_orphans_and_kills_the_stubborn():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert len(result["before"]) == 2  # the orphan (re-parented to us) and the stubborn child
    assert result["after"] == []
    assert not any(_alive(pid) for pid in result["before"])
