"""Shared fixtures.

- ``germline_dir``: the germline folder built by ``vidjil germline build`` (the
  README's test command builds it first; a missing build is a failure, not a skip).
- ``human_preset``: path of ``homo-sapiens.g`` in it.
- ``shared_data``: ``../shared/data``, the curated test data.
- ``mariadb_server``: a private MariaDB for the whole session (``tests/mariadb_server.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vidjil_kernel.settings import load_settings

pytest_plugins = ["mariadb_server"]  # tests/mariadb_server.py (airr ships a `tests` package)

def _find_shared_data() -> Path:
    """``../shared/data`` next to the checkout (CI and worktrees may sit at other depths)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    raise RuntimeError("../shared/data not found next to this checkout")


SHARED_DATA = _find_shared_data()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the curated test data (see its README)."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def germline_dir() -> Path:
    path = load_settings().germline_dir
    built = path / "homo-sapiens" / "IGHV.fa"
    assert built.is_file(), f"{built} missing: run `vidjil germline build --accept-imgt-licence`"
    return path


@pytest.fixture(scope="session")
def human_preset(germline_dir: Path) -> Path:
    return germline_dir / "homo-sapiens.g"
