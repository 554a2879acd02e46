"""Isolated mode: each user's server is its own system user and cannot read the lab's data."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from lab_harness import ADMIN, HubSession, make_user, run_in_kernel, start_lab

pytestmark = [pytest.mark.hub, pytest.mark.slow]

PROBE = """
import json, os
from pathlib import Path
from vidjil_kernel.client import Lab

def attempt(action):
    try:
        action()
        return "allowed"
    except PermissionError:
        return "denied"

data = Path({data!r})
print(json.dumps({{
    "user": os.environ["USER"], "uid": os.getuid(),
    "control": Path({control!r}).read_text(),
    "list_data_dir": attempt(lambda: os.listdir(data)),
    "read_hub_db": attempt(lambda: (data / "hub" / "jupyterhub.sqlite").read_bytes()),
    "read_lab_db": attempt(lambda: (data / "vidjil.sqlite").read_bytes()),
    "write_data_dir": attempt(lambda: (data / "planted").write_text("x")),
    "whoami": Lab().whoami()["name"],
}}))
"""


@pytest.fixture
def open_parent():
    """A parent folder anyone may traverse, so that only the data dir's own mode protects it."""
    parent = Path(tempfile.mkdtemp(prefix="vidjil-isolated-", dir="/tmp"))
    os.chmod(parent, 0o755)
    yield parent
    subprocess.run(["rm", "-rf", str(parent)], check=False)


def test_isolated_kernel_cannot_read_the_database_or_the_data_dir(open_parent):
    data = open_parent / "data"
    control = open_parent / "public.txt"
    control.write_text("readable")
    os.chmod(control, 0o644)
    name = f"iso{os.getpid() % 100000}"
    lab = start_lab(data, admin=ADMIN, options=("--spawner", "isolated"),
                    env={"VIDJIL_DEMO_PATIENT": "false"})
    try:
        assert (data / "vidjil.sqlite").is_file()  # made by `vidjil up`, used by the API
        admin = HubSession(lab.url)
        assert admin.login(*ADMIN)
        user, token = make_user(lab, admin, name)
        user.start_server(name)
        out = run_in_kernel(lab.url, name, token, PROBE.format(data=str(data),
                                                                control=str(control)))
        result = json.loads(out.strip().splitlines()[-1])
    finally:
        code = lab.stop()
        subprocess.run(["userdel", "--remove", f"vl_{name}"], check=False, capture_output=True)
    entry_uid = result["uid"]
    assert result == {
        "user": f"vl_{name}", "uid": entry_uid, "control": "readable",
        "list_data_dir": "denied", "read_hub_db": "denied", "read_lab_db": "denied",
        "write_data_dir": "denied", "whoami": name,
    }
    assert entry_uid != 0
    assert code == 0, lab.diagnostics()
    assert not (data / "planted").exists()


@pytest.mark.hub
def test_isolated_user_names_cannot_map_to_system_accounts():
    from vidjil_kernel.exceptions import UsageError
    from vidjil_kernel.server.spawners import system_user_name

    assert system_user_name("root") == "vl_root"
    with pytest.raises(UsageError, match="cannot be a system user name"):
        system_user_name("../etc")
