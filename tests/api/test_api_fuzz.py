"""OpenAPI-driven fuzzing of the API with schemathesis: no input makes it fail (no 5xx).

The app runs on a loopback port with a real database and a few records (so that
generated ids reach records); schemathesis generates valid and invalid requests
for every operation of the OpenAPI document, as a lab admin (who reaches the
deepest code) and as a plain user.  507 (disk guard) is an expected answer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from api_harness import ApiLab, LoopbackServer, start_api, upload_file, write_fastq

pytestmark = pytest.mark.slow

CONFIG = '[checks.not_a_server_error]\nexpected-statuses = ["2xx", "3xx", "4xx", "507"]\n'


def _seed(lab: ApiLab, tmp_path: Path) -> None:
    boss = lab.user("boss", admin=True)
    patient = boss.ok("POST", "/sets", 201, json={"kind": "patient", "last_name": "Fuzz"})
    upload = upload_file(boss, patient["id"], write_fastq(tmp_path / "s.fq"))
    boss.ok("POST", "/samples", 201, json={"sets": [patient["id"]],
                                           "file": {"upload": upload["id"]}})
    boss.ok("POST", "/configs", 201, json={"name": "fuzzed", "parameters": "-g homo-sapiens"})


@pytest.mark.parametrize("admin", [True, False], ids=["admin", "user"])
def test_schemathesis_finds_no_server_error(tmp_path, admin):
    import httpx

    (tmp_path / "source").mkdir()
    write_fastq(tmp_path / "source" / "a.fastq.gz")
    app, tokens, config = start_api(tmp_path / "data", file_source=str(tmp_path / "source"),
                                    disk_min_free_gb=0.001)
    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    with LoopbackServer(app) as server, httpx.Client(base_url=server.url) as client:
        lab = ApiLab(app, tokens, client, config)
        _seed(lab, tmp_path)
        token = lab.user("fuzzer", admin=admin).token
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "--no-color",
             "--config-file", str(tmp_path / "schemathesis.toml"), "run",
             f"{server.url}/services/vidjil-api/openapi.json",
             "-H", f"Authorization: token {token}", "--checks", "not_a_server_error",
             "--max-examples", "15", "--seed", "1", "--workers", "2", "--max-time", "90",
             "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
