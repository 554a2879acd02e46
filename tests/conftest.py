"""Shared fixtures.

- ``germline_dir``: the germline folder built by ``vidjil germline build`` (the
  README's test command builds it first; a missing build is a failure, not a skip).
- ``human_preset``: path of ``homo-sapiens.g`` in it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vidjil_kernel.settings import load_settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def germline_dir() -> Path:
    path = load_settings().germline_dir
    built = path / "homo-sapiens" / "IGHV.fa"
    assert built.is_file(), f"{built} missing: run `vidjil germline build --accept-imgt-licence`"
    return path


@pytest.fixture(scope="session")
def human_preset(germline_dir: Path) -> Path:
    return germline_dir / "homo-sapiens.g"
