"""The job runner on a real LocalCluster of 2 workers: the quality bars of issue 4.

A set of three time points launched, analysed and fused; a worker killed during an
analysis; the runner stopped and restarted (and a crashed one taken over); a
failing pre-process; timeouts, soft and hard; a cancel; chunked detection on two
workers equal to one piece; imports.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import time
from pathlib import Path

import cloudpickle
import pytest
from sqlalchemy import select

from vidjil_kernel import jobs
from vidjil_kernel.db import SYSTEM
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.base import utcnow
from vidjil_kernel.db.models import FusedResult, Job, Result, RunnerLease, Sample
from vidjil_kernel.detect.pipeline import Detector
from vidjil_kernel.detect.run import analyse_file
from vidjil_kernel.formats.airr import write_airr
from vidjil_kernel.formats.vidjil import read_vidjil, read_vidjil_samples, run_independent
from vidjil_kernel.germline import load_preset
from vidjil_kernel.jobs import runner as runner_module
from vidjil_kernel.jobs.configs import parse_engine_parameters
from vidjil_kernel.jobs.kinds import Kind, register
from vidjil_kernel.jobs.lease import EXPIRY
from vidjil_kernel.jobs.states import JobState, move

pytestmark = [pytest.mark.dask, pytest.mark.slow, pytest.mark.germline]


def _launch(lab, samples: list[int] | None = None) -> list:  # noqa: ANN001
    with lab.session() as session:
        return jobs.launch(session, lab.user(session), lab.patient, lab.config, samples,
                           settings=lab.settings, origin="test")


def _results(lab) -> list[Result]:  # noqa: ANN001
    with lab.session() as session:
        return list(session.scalars(select(Result).order_by(Result.id)))


def _free_workers(runner) -> int:  # noqa: ANN001
    """Workers connected and running no job (a cancelled job's worker is restarted)."""
    return sum(not worker["jobs"] for worker in runner.status()["workers"])


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.is_file())


def test_three_time_points_are_analysed_and_fused(job_lab, runner) -> None:  # noqa: ANN001
    _launch(job_lab)
    runner.wake()
    done = job_lab.wait_final()
    analyses = [job for job in done if job.kind == "analysis"]
    assert [(j.state, j.attempts, j.progress) for j in analyses] == [("completed", 1, 1.0)] * 3
    assert all(j.worker and j.worker.startswith("tcp://127.0.0.1:") for j in analyses)
    assert all("2,000 reads" in j.progress_message and "2,000 reads" in j.log for j in analyses)
    fuses = [job for job in done if job.kind == "fuse"]
    assert fuses and all(j.state == "completed" for j in fuses)
    paths = jobs.LabPaths(job_lab.settings)
    per_sample = {}
    for result in _results(job_lab):
        assert result.state == "done" and result.finished_at is not None
        sample_result = read_vidjil(paths.stored(result.result_path))
        assert sample_result.total_reads == 2000
        per_sample[result.sample_id] = {clone.id: clone.reads for clone in sample_result.clones}
        assert _files(paths.result_dir(result.sample_id, result.id)) == [
            f"patient-t{result.sample_id}.airr.tsv", f"patient-t{result.sample_id}.vidjil"]
    with job_lab.session() as session:
        fused = session.scalars(select(FusedResult)).one()
        assert fused.state == "done"
        fused_path = paths.stored(fused.fused_path)
    data = json.loads(fused_path.read_text())
    assert data["samples"]["original_names"] == [f"patient-t{i}.fastq.gz" for i in (1, 2, 3)]
    assert data["samples"]["sampling_date"] == ["2024-01-15", "2024-02-15", "2024-03-15"]
    assert data["reads"]["total"] == [2000, 2000, 2000]
    for clone in data["clones"]:
        assert clone["reads"] == [per_sample[s].get(clone["id"], 0) for s in job_lab.samples]
    back = read_vidjil_samples(fused_path)
    assert [sample.total_reads for sample in back] == [2000, 2000, 2000]
    dominant = data["clones"][0]
    assert dominant["reads"][0] > 10 * dominant["reads"][2]  # the follow-up of a diagnosis
    assert set(data["distributions"]["repertoires"]) == set(data["samples"]["original_names"])
    status = runner.status()
    assert len(status["workers"]) == 2 and status["queue_length"] == 0
    assert status["jobs"]["running"] == 0 and not status["disk"]["low"]


def test_a_killed_worker_costs_an_attempt_not_a_result(job_lab, runner, cluster,  # noqa: ANN001
                                                       big_sample: Path) -> None:
    sample = job_lab.add_sample(big_sample)
    (view,) = _launch(job_lab, [sample])
    runner.wake()
    job_lab.wait(lambda: (job := job_lab.job(view.job_id)).state == "running" and
                 job.worker is not None, 120, "the analysis to start")
    worker = job_lab.job(view.job_id).worker
    pids = runner.client.run(os.getpid)
    os.kill(pids[worker], signal.SIGKILL)
    done = job_lab.wait_final(300)
    job = next(j for j in done if j.id == view.job_id)
    assert (job.state, job.attempts) == ("completed", 2)
    assert "attempt 1 lost: its worker died while running it; queued again" in job.log
    results = [r for r in _results(job_lab) if r.sample_id == sample]
    assert len(results) == 1 and results[0].state == "done"
    assert _files(jobs.LabPaths(job_lab.settings).result_dir(sample, results[0].id)) == [
        "big.airr.tsv", "big.vidjil"]
    assert read_vidjil(jobs.LabPaths(job_lab.settings).stored(results[0].result_path)) \
        .total_reads == 150_000
    cluster.wait_for_workers(2, timeout=120)


def test_stopping_and_restarting_the_runner_repeats_nothing(job_lab, cluster) -> None:  # noqa: ANN001
    from vidjil_kernel.jobs import JobRunner

    settings = dataclasses.replace(job_lab.settings, dask_scheduler=cluster.scheduler_address)
    _launch(job_lab)
    first = JobRunner(settings, job_lab.factory, poll_seconds=0.2)
    first.start()
    job_lab.wait(lambda: any(j.state == "running" for j in job_lab.jobs()), 60, "a start")
    first.stop()
    states = [(j.state, j.attempts) for j in job_lab.jobs()]
    assert all(state in ("queued", "completed") for state, _ in states), states
    assert all(attempts == (1 if state == "completed" else 0) for state, attempts in states)
    second = JobRunner(settings, job_lab.factory, poll_seconds=0.2)
    second.start()
    try:
        done = job_lab.wait_final()
    finally:
        second.stop()
    analyses = [j for j in done if j.kind == "analysis"]
    assert [(j.state, j.attempts) for j in analyses] == [("completed", 1)] * 3
    assert len(_results(job_lab)) == 3 and all(r.state == "done" for r in _results(job_lab))
    paths = jobs.LabPaths(job_lab.settings)
    assert sum(len(_files(paths.result_dir(r.sample_id, r.id))) for r in _results(job_lab)) == 6


def test_a_crashed_runner_is_taken_over_and_its_jobs_run_again(job_lab, cluster) -> None:  # noqa: ANN001
    from vidjil_kernel.jobs import JobRunner

    (view,) = _launch(job_lab, job_lab.samples[:1])
    with job_lab.session() as session:  # as a runner that died mid-job leaves the database
        job = session.get(Job, view.job_id)
        move(session, job, JobState.QUEUED)
        move(session, job, JobState.RUNNING)
        session.add(RunnerLease(name="jobs", holder="dead", host="elsewhere", pid=1,
                                scheduler="tcp://127.0.0.1:1",
                                renewed_at=utcnow() - 2 * EXPIRY))
    settings = dataclasses.replace(job_lab.settings, dask_scheduler=cluster.scheduler_address)
    taken = JobRunner(settings, job_lab.factory, poll_seconds=0.2)
    taken.start()
    try:
        done = job_lab.wait_final()
    finally:
        taken.stop()
    job = next(j for j in done if j.id == view.job_id)
    assert (job.state, job.attempts) == ("completed", 2)
    assert "the job runner stopped while it ran; queued again" in job.log
    assert len(_results(job_lab)) == 1


def test_a_failing_preprocess_fails_its_analysis_and_writes_nothing(job_lab, runner,  # noqa: ANN001
                                                                    follow_up) -> None:
    with job_lab.session() as session:
        failing = svc.create_preprocess(session, SYSTEM, "hemato", origin="test", name="merge",
                                        command='echo "merge: R2 is truncated" >&2; exit 3').id
        working = svc.create_preprocess(session, SYSTEM, "hemato", origin="test",
                                        name="gunzip", command="gzip -dc {file1} > {result}").id
    bad = job_lab.add_sample(follow_up[0], preprocess_id=failing)
    good = job_lab.add_sample(follow_up[1], preprocess_id=working)
    views = _launch(job_lab, [bad, good])
    runner.wake()
    done = job_lab.wait_final()
    by_sample = {j.sample_id: j for j in done if j.kind == "analysis"}
    preprocesses = {j.sample_id: j for j in done if j.kind == "pre_process"}
    assert preprocesses[bad].state == "failed"
    assert preprocesses[bad].error == ("pre-process 'merge' failed (exit code 3): "
                                       "merge: R2 is truncated")
    assert "merge: R2 is truncated" in preprocesses[bad].log
    assert by_sample[bad].state == "failed"
    assert by_sample[bad].error == (f"pre-process of sample {bad} failed (job "
                                    f"{preprocesses[bad].id}): {preprocesses[bad].error}")
    paths = jobs.LabPaths(job_lab.settings)
    bad_result = next(r for r in _results(job_lab) if r.sample_id == bad)
    assert (bad_result.state, bad_result.result_path) == ("failed", None)
    assert not paths.result_dir(bad, bad_result.id).exists()
    assert not paths.preprocessed_dir(bad).exists() or _files(paths.preprocessed_dir(bad)) == []
    assert (preprocesses[good].state, by_sample[good].state) == ("completed", "completed")
    with job_lab.session() as session:
        sample = session.get(Sample, good)
        assert sample.preprocess_state == "done"
        assert sample.preprocessed_path == f"results/preprocessed/{good}/" \
                                           "patient-t2.preprocessed.fastq"
    assert read_vidjil(paths.stored(next(r for r in _results(job_lab)
                                         if r.sample_id == good).result_path)) \
        .original_name == "patient-t2.preprocessed.fastq"
    assert not any(paths.work_dir(v.job_id).exists() for v in views)


def _stuck_prepare(session, job, paths) -> dict:  # noqa: ANN001
    return {}


def _stuck_run(spec: dict, context) -> dict:  # noqa: ANN001
    time.sleep(120)  # no check: only a worker restart stops this
    return {}


def _stuck_finish(session, job, outcome, paths) -> None:  # noqa: ANN001
    move(session, job, JobState.COMPLETED)


def test_timeouts_stop_commands_and_stuck_jobs(job_lab, own_cluster,  # noqa: ANN001
                                               monkeypatch) -> None:
    from vidjil_kernel.jobs import JobRunner

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    register(Kind("stuck-test", "job_timeout_import", _stuck_prepare, _stuck_run,
                  _stuck_finish))
    monkeypatch.setattr(runner_module, "TIMEOUT_GRACE_SECONDS", 1.0)
    settings = dataclasses.replace(job_lab.settings,
                                   dask_scheduler=own_cluster.scheduler_address,
                                   job_timeout_pre_process=2, job_timeout_import=2)
    with job_lab.session() as session:
        slow = svc.create_preprocess(session, SYSTEM, "hemato", origin="test", name="slow",
                                     command="sleep 60; cp {file1} {result}").id
        session.get(Sample, job_lab.samples[0]).preprocess_id = slow
        stuck = Job(kind="stuck-test", set_id=job_lab.patient)
        session.add(stuck)
    _launch(job_lab, job_lab.samples[:1])
    started = time.monotonic()
    timed = JobRunner(settings, job_lab.factory, poll_seconds=0.2)
    timed.start()
    try:
        done = job_lab.wait_final(120)
        assert time.monotonic() - started < 60
        by_kind = {j.kind: j for j in done}
        assert by_kind["pre_process"].error == "timed out after 2 s"
        assert by_kind["analysis"].state == "failed"
        assert by_kind["analysis"].error.endswith("timed out after 2 s")
        assert by_kind["stuck-test"].error == ("timed out after 2 s (its worker was restarted "
                                               "to stop it)")
        (view,) = _launch(job_lab, job_lab.samples[1:2])  # the lab takes jobs again
        timed.wake()
        job_lab.wait_final(120)
        assert job_lab.job(view.job_id).state == "completed"
    finally:
        timed.stop()


def test_a_worker_of_the_local_cluster_that_does_not_come_back_is_replaced(
        job_lab, monkeypatch) -> None:  # noqa: ANN001
    """As `vidjil up` runs the lab: the runner's own cluster.  A nanny closed from outside
    takes its worker for good, as a nanny that fails to restart its worker does."""
    from vidjil_kernel.jobs import JobRunner

    monkeypatch.setattr(runner_module, "WORKER_CHECK_SECONDS", 0.5)
    monkeypatch.setattr(runner_module, "WORKER_LOST_SECONDS", 3.0)
    local = JobRunner(dataclasses.replace(job_lab.settings, dask_scheduler=""), job_lab.factory,
                      workers=2, poll_seconds=0.2)
    local.start()
    try:
        assert local.cluster is not None
        local.cluster.wait_for_workers(2, timeout=120)
        nanny = next(iter(local.cluster.workers.values()))
        lost = nanny.worker_address
        local.cluster.sync(nanny.close)
        assert len(local.status()["workers"]) == 1
        job_lab.wait(lambda: _free_workers(local) == 2, 120, "a worker in place of the lost one")
        assert lost not in {worker["address"] for worker in local.status()["workers"]}
        (view,) = _launch(job_lab, job_lab.samples[:1])
        local.wake()
        job_lab.wait_final(120)
        assert job_lab.job(view.job_id).state == "completed"
    finally:
        local.stop()


def test_cancelling_a_running_analysis_stops_it_and_keeps_nothing(job_lab, runner,  # noqa: ANN001
                                                                  big_sample: Path) -> None:
    sample = job_lab.add_sample(big_sample)
    (view,) = _launch(job_lab, [sample])
    runner.wake()
    job_lab.wait(lambda: job_lab.job(view.job_id).progress_done is not None, 120,
                 "the analysis to report progress")
    with job_lab.session() as session:
        jobs.cancel(session, job_lab.user(session), view.job_id, origin="test")
    runner.wake()
    job_lab.wait(lambda: _free_workers(runner) == 2, 60, "both workers to be back and free")
    job = job_lab.job(view.job_id)
    assert (job.state, job.error) == ("cancelled", "cancelled by alice")
    result = next(r for r in _results(job_lab) if r.sample_id == sample)
    assert (result.state, result.result_path) == ("cancelled", None)
    result_dir = jobs.LabPaths(job_lab.settings).result_dir(sample, result.id)
    assert not result_dir.exists() or _files(result_dir) == []
    (small,) = _launch(job_lab, job_lab.samples[:1])
    runner.wake()
    job_lab.wait_final()
    assert job_lab.job(small.job_id).state == "completed"


def test_chunks_on_two_workers_give_the_one_piece_result(job_lab, cluster, big_sample: Path,  # noqa: ANN001
                                                         tmp_path: Path) -> None:
    from vidjil_kernel.jobs import JobRunner

    cluster.wait_for_workers(2, timeout=120)  # chunks are made only with more than one worker
    settings = dataclasses.replace(job_lab.settings, dask_scheduler=cluster.scheduler_address,
                                   job_chunk_reads=50_000)
    sample = job_lab.add_sample(big_sample)
    (view,) = _launch(job_lab, [sample])
    chunked = JobRunner(settings, job_lab.factory, poll_seconds=0.2)
    chunked.start()
    try:
        job_lab.wait(lambda: job_lab.job(view.job_id).state == "completed", 300, "analysis")
    finally:
        chunked.stop()
    job = job_lab.job(view.job_id)
    assert "detected in 3 chunks of up to 50,000 reads" in job.log
    params = parse_engine_parameters("igh-trg", "-g homo-sapiens:IGH,TRG")
    detector = Detector(load_preset(params.preset, settings.germline_dir), params.options)
    analyse_file(detector, str(big_sample), tmp_path, "big",
                 commandline="vidjil detect -g homo-sapiens:IGH,TRG big.fastq.gz")
    paths = jobs.LabPaths(settings)
    with job_lab.session() as session:
        result = session.get(Result, view.id)
    out = paths.result_dir(sample, result.id)

    assert run_independent(out / "big.vidjil") == run_independent(tmp_path / "big.vidjil")
    assert (out / "big.airr.tsv").read_text() == (tmp_path / "big.airr.tsv").read_text()
    assert not paths.work_dir(view.job_id).exists()


def test_imports_store_valid_files_and_refuse_broken_ones(job_lab, runner,  # noqa: ANN001
                                                          tmp_path: Path) -> None:
    _launch(job_lab, job_lab.samples[:1])
    runner.wake()
    job_lab.wait_final()
    paths = jobs.LabPaths(job_lab.settings)
    analysed = paths.stored(_results(job_lab)[0].result_path)
    airr = analysed.with_name(analysed.name.replace(".vidjil", ".airr.tsv"))
    broken = tmp_path / "broken.vidjil"
    broken.write_text('{"vidjil_json_version": "2016b", "samples": {"number": 1}}')
    with job_lab.session() as session:
        alice = job_lab.user(session)
        other = svc.create_config(session, alice, "hemato", origin="test", name="imported",
                                  parameters="-g homo-sapiens:IGH").id
        imports = [jobs.import_result(session, alice, job_lab.patient, sample, other, path,
                                      settings=job_lab.settings, origin="test")
                   for sample, path in zip(job_lab.samples, (analysed, airr, broken),
                                           strict=True)]
    runner.wake()
    done = job_lab.wait_final()
    states = {j.result_id: (j.state, j.error) for j in done if j.kind == "import"}
    assert states[imports[0].id] == ("completed", None)
    assert states[imports[1].id] == ("completed", None)
    assert states[imports[2].id][0] == "failed"
    assert "broken.vidjil, field 'samples.original_names': missing" in states[imports[2].id][1]
    with job_lab.session() as session:
        fused = session.scalar(select(FusedResult).where(FusedResult.config_id == other))
        data = json.loads(paths.stored(fused.fused_path).read_text())
    assert data["samples"]["number"] == 2
    assert not paths.result_dir(job_lab.samples[2], imports[2].id).exists()


def test_external_programs_write_results_that_are_validated(job_lab, runner,  # noqa: ANN001
                                                            tmp_path: Path) -> None:
    clones = tmp_path / "clones.tsv"
    write_airr(_result_with_clones(), clones)
    with job_lab.session() as session:
        alice = job_lab.user(session)
        airr = svc.create_config(session, alice, "hemato", origin="test", name="ext-airr",
                                 program="external-airr",
                                 parameters=f"test -s {{file1}} && cp {clones} {{result}}").id
        broken = svc.create_config(session, alice, "hemato", origin="test", name="ext-vidjil",
                                   program="external-vidjil",
                                   parameters="echo '{{\"clones\": 3}}' > {result}").id
        silent = svc.create_config(session, alice, "hemato", origin="test", name="ext-none",
                                   program="external-airr", parameters="true {result}").id
        views = [jobs.launch(session, alice, job_lab.patient, config, job_lab.samples[:1],
                             settings=job_lab.settings, origin="test")[0]
                 for config in (airr, broken, silent)]
    runner.wake()
    job_lab.wait_final()
    good, bad, none = (job_lab.job(view.job_id) for view in views)
    assert good.state == "completed" and "cp " in good.log
    stored = read_vidjil(jobs.LabPaths(job_lab.settings).stored(_results(job_lab)[0].result_path))
    assert [(c.id, c.reads) for c in stored.clones] == [("ACGTACGT", 7), ("TTTTGGGG", 3)]
    assert stored.original_name == "patient-t1.fastq.gz"
    assert bad.state == "failed" and "field 'vidjil_json_version': missing" in bad.error
    assert none.state == "failed"
    assert none.error == ("the program of config 'ext-none' exited without writing its airr "
                          "result ({result})")


def _result_with_clones():  # noqa: ANN202
    from vidjil_kernel.results import Clone, SampleResult

    clones = [Clone(id=window, locus="IGH", reads=reads, sequence="AA" + window + "CC",
                    window_start=2, average_read_length=100.0, evalue=1e-5, top=rank)
              for rank, (window, reads) in enumerate([("ACGTACGT", 7), ("TTTTGGGG", 3)], 1)]
    return SampleResult(original_name="x", producer="tool", timestamp="", commandline="",
                        total_reads=10, analysed_reads=10, reads_by_locus={"IGH": 10},
                        reasons={}, clones=clones)
