"""Jobs through the API with its own runner on a local Dask cluster: upload three time
points, launch, follow states and progress, read clone tables and files, annotate.

One app for the module (the runner and its cluster take seconds to start).
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from api_harness import ApiLab, start_api, upload_file
from fastapi.testclient import TestClient

from vidjil_kernel.simulate import SimulationSpec, simulate_follow_up

pytestmark = pytest.mark.dask
FINAL = ("completed", "failed", "cancelled")


@pytest.fixture(scope="module")
def time_points(germline_dir: Path, tmp_path_factory) -> list[Path]:
    spec = SimulationSpec(loci=(("IGH", 1.0), ("TRG", 1.0)), reads=2000, mode="diagnosis",
                          seed=8, name="patient", germline_dir=germline_dir)
    out = tmp_path_factory.mktemp("time-points")
    return [sample.reads for sample in simulate_follow_up(spec, out, 3)]


@pytest.fixture(scope="module")
def jobs_api(tmp_path_factory, germline_dir):
    app, tokens, config = start_api(tmp_path_factory.mktemp("jobs-api") / "data",
                                    run_jobs=True, job_workers=1, disk_min_free_gb=0.001)
    with TestClient(app) as client:
        lab = ApiLab(app, tokens, client, config)
        app.state.lab.jobs.wait_started(120)
        assert app.state.lab.jobs.runner is not None, app.state.lab.jobs.problem
        yield lab


def wait_jobs(user, set_id: int, timeout: float = 240) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = user.ok("GET", "/jobs", params={"set_id": set_id})
        if jobs and all(job["state"] in FINAL for job in jobs):
            return jobs
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)


def test_launch_follow_and_read_results(jobs_api, time_points):
    alice = jobs_api.user("alice")
    status = alice.ok("GET", "/status")
    assert status["runner"] and status["local_cluster"] and len(status["workers"]) == 1
    default_configs = {config["name"] for config in alice.ok("GET", "/configs")}
    assert "multi-locus" in default_configs  # shared with everyone on the first start
    patient = alice.ok("POST", "/sets", 201, json={"kind": "patient", "last_name": "Martin"})
    samples = []
    for month, path in enumerate(time_points, start=1):
        upload = upload_file(alice, patient["id"], path, chunk=1 << 20)
        samples.append(alice.ok("POST", "/samples", 201, json={
            "sets": [patient["id"]], "file": {"upload": upload["id"]},
            "sampling_date": f"2024-0{month}-15"}))
    config = alice.ok("POST", "/configs", 201, json={
        "name": "igh-trg", "parameters": "-g homo-sapiens:IGH,TRG",
        "fuse_parameters": "--top 50 --per-locus 5"})
    bad = alice.post("/configs", json={"name": "bad", "parameters": "--no-such-option"})
    assert bad.status_code == 422 and "no-such-option" in bad.json()["detail"]

    results = alice.ok("POST", f"/sets/{patient['id']}/launch", 201,
                       json={"config_id": config["id"]})
    assert sorted(r["sample_id"] for r in results) == sorted(s["id"] for s in samples)
    again = alice.post(f"/sets/{patient['id']}/launch", json={"config_id": config["id"],
                                                             "sample_ids": [samples[0]["id"]]})
    assert again.status_code in (201, 409)  # refused while the first one is under way
    jobs = wait_jobs(alice, patient["id"])
    assert {job["state"] for job in jobs} == {"completed"}, jobs
    assert {job["kind"] for job in jobs} >= {"analysis", "fuse"}

    analysis = next(job for job in jobs if job["kind"] == "analysis")
    assert analysis["progress"] == 1.0 and analysis["config"] == "igh-trg"
    assert alice.ok("GET", f"/jobs/{analysis['id']}/log")["log"]
    assert alice.post(f"/jobs/{analysis['id']}/cancel").status_code == 409
    assert alice.post(f"/jobs/{analysis['id']}/rerun").status_code == 409

    (first,) = [r for r in alice.ok("GET", f"/samples/{samples[0]['id']}/results")
                if r["state"] == "done"][:1]
    table = alice.ok("GET", f"/results/{first['id']}/clones", params={"limit": 5})
    assert table["total"] > 5 and len(table["items"]) == 5
    top = table["items"][0]
    assert top["v"].startswith(("IGHV", "TRGV")) and top["j"].startswith(("IGHJ", "TRGJ"))
    assert top["percent"][0] > 1 and table["samples"][0]["total_reads"] == 2000
    igh = alice.ok("GET", f"/results/{first['id']}/clones", params={"locus": "IGH"})
    assert {row["locus"] for row in igh["items"]} == {"IGH"}
    vidjil = alice.get(f"/results/{first['id']}/vidjil")
    assert vidjil.status_code == 200 and json.loads(vidjil.content)["samples"]["number"] == 1
    airr = alice.get(f"/results/{first['id']}/airr")
    rows = list(csv.DictReader(io.StringIO(airr.text), delimiter="\t"))
    assert rows and {"sequence_id", "v_call", "junction_aa"} <= set(rows[0])

    (fused,) = alice.ok("GET", f"/sets/{patient['id']}/fused")
    follow = alice.ok("GET", f"/fused/{fused['id']}/clones", params={"limit": 10})
    assert len(follow["samples"]) == 3 and all(len(row["reads"]) == 3
                                               for row in follow["items"])
    dominant = follow["items"][0]
    assert dominant["reads"][0] > dominant["reads"][2]  # the diagnosis clone falls
    assert alice.get(f"/fused/{fused['id']}/vidjil").status_code == 200

    saved = alice.ok("POST", f"/sets/{patient['id']}/analyses/{config['id']}", 201, json={
        "clones": [{"id": dominant["id"], "name": "dominant", "tag": 0}],
        "clusters": [], "samples": {"order": [s["id"] for s in reversed(samples)]}})
    assert saved["version"] == 1
    alice.ok("POST", f"/sets/{patient['id']}/analyses/{config['id']}", 201, json={
        "clones": [{"id": dominant["id"], "name": "dominant, renamed", "tag": 2}]})
    latest = alice.ok("GET", f"/sets/{patient['id']}/analyses/{config['id']}")
    assert latest["version"] == 2 and latest["data"]["clones"][0]["name"] == "dominant, renamed"
    first_version = alice.ok("GET", f"/sets/{patient['id']}/analyses/{config['id']}",
                             params={"version": 1})
    assert first_version["data"]["samples"]["order"][0] == samples[-1]["id"]


def test_cancel_then_rerun_and_launch_refusals(jobs_api, time_points, tmp_path):
    alice, bob = jobs_api.user("alice"), jobs_api.user("bob")
    patient = alice.ok("POST", "/sets", 201, json={"kind": "patient", "last_name": "Again"})
    config = next(c for c in alice.ok("GET", "/configs") if c["name"] == "igh-trg")
    upload = upload_file(alice, patient["id"], time_points[1])
    sample = alice.ok("POST", "/samples", 201, json={"sets": [patient["id"]],
                                                    "file": {"upload": upload["id"]}})
    (result,) = alice.ok("POST", f"/sets/{patient['id']}/launch", 201,
                         json={"config_id": config["id"], "sample_ids": [sample["id"]]})
    assert bob.post(f"/jobs/{result['job_id']}/cancel").status_code == 403
    cancelled = alice.ok("POST", f"/jobs/{result['job_id']}/cancel")
    assert cancelled["state"] == "cancelled" and "alice" in cancelled["error"]
    assert alice.ok("POST", f"/jobs/{result['job_id']}/rerun")["state"] == "pending"
    jobs = wait_jobs(alice, patient["id"])
    assert next(j for j in jobs if j["id"] == result["job_id"])["state"] == "completed"
    assert "re-run by alice" in alice.ok("GET", f"/jobs/{result['job_id']}/log")["log"]
    # refusals: a sample of another set, a file gone from the data directory
    other = alice.ok("POST", "/sets", 201, json={"kind": "patient", "last_name": "Empty"})
    reply = alice.post(f"/sets/{other['id']}/launch", json={"config_id": config["id"],
                                                           "sample_ids": [sample["id"]]})
    assert reply.status_code == 404 and f"not in set {other['id']}" in reply.json()["detail"]
    noise = tmp_path / "noise.fq"
    noise.write_text("".join(f"@r{i}\n{'ACGT' * 15}\n+\n{'I' * 60}\n" for i in range(200)))
    gone = alice.ok("POST", "/samples", 201, json={
        "sets": [other["id"]], "file": {"upload": upload_file(alice, other["id"], noise)["id"]}})
    (jobs_api.data_dir / gone["stored_path"]).unlink()
    reply = alice.post(f"/sets/{other['id']}/launch", json={"config_id": config["id"]})
    assert reply.status_code == 422 and "missing" in reply.json()["detail"]
