"""`vidjil job`, `vidjil config`, `vidjil worker status`, `vidjil runner`, and the embedded
local cluster (issue 4)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from vidjil_kernel.cli import main
from vidjil_kernel.jobs.cluster import connect, local_workers, numba_cache_dir

pytestmark = pytest.mark.germline


@pytest.fixture(autouse=True)
def _lab_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDJIL_DISK_MIN_FREE_GB", "0.001")


def _vidjil(capsys: pytest.CaptureFixture, lab, *args: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = 0
    try:
        main([*args, "--data-dir", str(lab.data_dir)])
    except SystemExit as exit_:
        code = exit_.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_job_commands(job_lab, capsys: pytest.CaptureFixture) -> None:  # noqa: ANN001
    code, out, _ = _vidjil(capsys, job_lab, "job", "run", str(job_lab.patient), "--config",
                           "igh-trg", "--as", "alice")
    assert code == 0 and "3 job(s) queued" in out
    code, _, err = _vidjil(capsys, job_lab, "job", "run", str(job_lab.patient), "--config",
                           "igh-trg", "--sample", str(job_lab.samples[0]), "--as", "alice")
    assert code == 1 and "already under way with config 'igh-trg'" in err
    code, _, err = _vidjil(capsys, job_lab, "job", "run", str(job_lab.patient), "--config",
                           "nope")
    assert code == 1 and "no config 'nope'" in err and "multi-locus" in err
    code, out, _ = _vidjil(capsys, job_lab, "job", "list", "--json", "--as", "alice")
    listed = json.loads(out)
    assert [(j["kind"], j["state"], j["config"]) for j in listed] == [
        ("analysis", "pending", "igh-trg")] * 3
    job_id = str(listed[0]["id"])
    code, out, _ = _vidjil(capsys, job_lab, "job", "list", "--as", "bob")
    assert "(no job)" in out
    code, _, err = _vidjil(capsys, job_lab, "job", "cancel", job_id, "--as", "bob")
    assert code == 1 and "bob lacks the 'run' right" in err
    code, out, _ = _vidjil(capsys, job_lab, "job", "cancel", job_id, "--as", "alice")
    assert code == 0 and f"job {job_id} (analysis) cancelled" in out
    code, out, _ = _vidjil(capsys, job_lab, "job", "list", "--state", "cancelled")
    assert "cancelled by alice" in out and out.count("\n") == 3
    code, out, _ = _vidjil(capsys, job_lab, "job", "rerun", job_id)
    assert code == 0 and "queued again" in out
    code, out, _ = _vidjil(capsys, job_lab, "job", "log", job_id, "--as", "alice")
    assert f"job {job_id} (analysis) pending" in out and "--- re-run by system ---" in out
    code, out, _ = _vidjil(capsys, job_lab, "config", "list", "--json", "--as", "alice")
    assert [c["name"] for c in json.loads(out)] == ["igh-trg"]
    code, out, _ = _vidjil(capsys, job_lab, "config", "list", "--json")
    assert {"multi-locus", "multi-locus + unexpected", "IGH", "TRG"} <= {
        c["name"] for c in json.loads(out)}
    code, out, _ = _vidjil(capsys, job_lab, "config", "share", "TRG", "hemato")
    assert code == 0
    code, _, err = _vidjil(capsys, job_lab, "config", "add", "short", "--group", "hemato",
                           "--parameters", "-g homo-sapiens -w 3")
    assert code == 1 and "config 'short'" in err and "window 3 is too short" in err
    code, out, _ = _vidjil(capsys, job_lab, "worker", "status")
    assert "no job runner is running on this lab" in out and "3 pending" in out
    assert "GB free" in out


def test_embedded_cluster_is_on_loopback_with_one_numba_cache(job_lab) -> None:  # noqa: ANN001
    assert local_workers(job_lab.settings) == 2  # the setting; 0 means cores - 1, at least 1
    assert local_workers(type(job_lab.settings)(**{**job_lab.settings.__dict__,
                                                  "job_workers": 0})) == \
        max((os.cpu_count() or 1) - 1, 1)
    cache = numba_cache_dir(job_lab.settings)
    client, cluster = connect(job_lab.settings, workers=1)
    try:
        info = client.scheduler_info()
        assert info["address"].startswith("tcp://127.0.0.1:")
        assert all(address.startswith("tcp://127.0.0.1:") for address in info["workers"])
        me = psutil.Process()
        listening = {connection.laddr.ip for process in (me, *me.children(recursive=True))
                     for connection in process.net_connections(kind="inet")
                     if connection.status == psutil.CONN_LISTEN}
        assert listening == {"127.0.0.1"}
        assert [w["nthreads"] for w in info["workers"].values()] == [1]
        caches = client.run(lambda: os.environ.get("NUMBA_CACHE_DIR"))
        assert set(caches.values()) == {str(cache)}
        assert client.run(lambda: __import__("numba").core.config.CACHE_DIR) == caches
        import dask.config

        assert dask.config.get("distributed.scheduler.allowed-failures") == 0
    finally:
        client.close()
        cluster.close()


@pytest.mark.dask
@pytest.mark.slow
def test_vidjil_runner_runs_the_queue_and_is_alone(job_lab, tmp_path: Path) -> None:  # noqa: ANN001
    vidjil = [sys.executable, "-m", "vidjil_kernel"]
    env = {**os.environ, "VIDJIL_DATA_DIR": str(job_lab.data_dir),
           "VIDJIL_DISK_MIN_FREE_GB": "0.001"}
    subprocess.run([*vidjil, "job", "run", str(job_lab.patient), "--config", "igh-trg"],
                   env=env, check=True, capture_output=True)
    log = open(tmp_path / "runner.log", "w")  # noqa: SIM115
    first = subprocess.Popen([*vidjil, "runner", "--workers", "1"], env=env, stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        job_lab.wait(lambda: "job runner up" in (tmp_path / "runner.log").read_text(), 120,
                     "the runner to start")
        second = subprocess.run([*vidjil, "runner"], env=env, capture_output=True, text=True,
                                timeout=60)
        assert second.returncode == 1
        assert f"another job runner already runs this lab's jobs: pid {first.pid}" in \
            second.stderr
        status = subprocess.run([*vidjil, "worker", "status", "--json"], env=env,
                                capture_output=True, text=True, check=True)
        report = json.loads(status.stdout)
        assert report["runner"]["pid"] == first.pid and len(report["workers"]) == 1
        assert report["workers"][0]["address"].startswith("tcp://127.0.0.1:")
        done = job_lab.wait_final(240)
        assert [j.state for j in done if j.kind == "analysis"] == ["completed"] * 3
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(60)
        log.close()
    assert first.returncode == 0, (tmp_path / "runner.log").read_text()
    assert "job runner stopped" in (tmp_path / "runner.log").read_text()
    status = subprocess.run([*vidjil, "worker", "status"], env=env, capture_output=True,
                            text=True, check=True)
    assert "no job runner is running" in status.stdout
