"""How each user's server (JupyterLab + Voila) is started.

Two modes, chosen by the ``spawner`` setting:

- ``embedded`` (default): local processes running as the lab's own user, each in
  its home folder ``<data_dir>/homes/<name>``.  No isolation between users: for a
  lab on one trusted machine.
- ``isolated``: each user's server runs as its own system user ``vl_<name>``
  (created on first start, home ``/home/vl_<name>`` mode 0700).  The data
  directory being root's with mode 0700, a user's kernel cannot read the
  database or the samples: it has to go through the vidjil-api service.

Every home gets a ``dashboards`` link to ``notebooks/dashboards`` of the source
tree, so that ``/user/<name>/voila/render/dashboards/...`` serves them.
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner
from traitlets import Unicode

from vidjil_kernel.exceptions import UsageError

#: prefix of the system users of isolated mode, so that no hub user maps onto
#: an existing system account such as root
SYSTEM_USER_PREFIX = "vl_"
_SYSTEM_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,28}$")


def system_user_name(hub_name: str) -> str:
    """The system user of ``hub_name`` in isolated mode."""
    if not _SYSTEM_NAME.match(hub_name):
        raise UsageError(
            f"user name {hub_name!r} cannot be a system user name: use lower-case letters, "
            "digits, '-' or '_', starting with a letter, at most 29 characters"
        )
    return SYSTEM_USER_PREFIX + hub_name


def link_dashboards(home: Path, dashboards: Path) -> None:
    """Make ``home/dashboards`` point to the lab's dashboards (repairing a removed link)."""
    link = home / "dashboards"
    if link.is_symlink() and Path(os.readlink(link)) == dashboards:
        return
    if link.is_symlink():
        link.unlink()
    if not link.exists():
        link.symlink_to(dashboards, target_is_directory=True)


def ensure_system_user(name: str, comment: str) -> pwd.struct_passwd:
    """The system user ``name``, created with a private home on first use."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--create-home", "--user-group", "--shell", "/bin/bash",
             "--comment", comment, name],
            check=True, capture_output=True, text=True,
        )
        entry = pwd.getpwnam(name)
        os.chmod(entry.pw_dir, 0o700)
        return entry


class EmbeddedSpawner(SimpleLocalProcessSpawner):
    """Servers as local processes of the lab's user, homes under the data directory."""

    dashboards_dir = Unicode(help="notebooks/dashboards of the source tree").tag(config=True)

    async def start(self):  # type: ignore[override]
        home = Path(self.home_dir)
        home.mkdir(parents=True, exist_ok=True)
        link_dashboards(home, Path(self.dashboards_dir))
        self.notebook_dir = str(home)
        return await super().start()


class IsolatedSpawner(LocalProcessSpawner):
    """Servers as one system user per hub user (the hub must run as root)."""

    dashboards_dir = Unicode(help="notebooks/dashboards of the source tree").tag(config=True)

    @property
    def system_user(self) -> str:
        return system_user_name(self.user.name)

    async def start(self):  # type: ignore[override]
        entry = ensure_system_user(self.system_user, f"Vidjil Lab user {self.user.name}")
        link_dashboards(Path(entry.pw_dir), Path(self.dashboards_dir))
        self.notebook_dir = entry.pw_dir
        return await super().start()

    def make_preexec_fn(self, name: str):
        return super().make_preexec_fn(self.system_user)

    def user_env(self, env: dict) -> dict:
        entry = pwd.getpwnam(self.system_user)
        env.update(USER=entry.pw_name, HOME=entry.pw_dir, SHELL=entry.pw_shell)
        return env
