"""Fixtures of the API route tests (real app, real SQLite database, tokens from a table).

- ``api``: one app per test module (``api_harness.ApiLab``): ``api.user("alice")``
  gives a user with a token, ``api.anonymous()`` none; its file source is
  ``api.data_dir.parent / "source"``.
- ``reads_file``: a small valid FASTQ (gzipped) made by the simulator, once per session.
"""

from __future__ import annotations

import pytest
from api_harness import ApiLab, start_api
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("api")
    (root / "source").mkdir()
    app, tokens, config = start_api(root / "data", file_source=str(root / "source"),
                                    disk_min_free_gb=0.001)
    with TestClient(app) as client:
        yield ApiLab(app, tokens, client, config)
