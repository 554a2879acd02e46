"""The jobs layer without a cluster: states, launch, duplicates, rights, disk guard, configs,
cancel and re-run, listings, the runner lease (issue 4)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from vidjil_kernel import jobs
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.base import utcnow
from vidjil_kernel.db.models import Config, Job, Notification, Result, RunnerLease
from vidjil_kernel.exceptions import (
    ConfigError,
    Conflict,
    DiskFull,
    LeaseHeld,
    NotFound,
    PermissionDenied,
    UsageError,
)
from vidjil_kernel.jobs.configs import (
    DEFAULT_CONFIGS,
    parse_engine_parameters,
    parse_fuse_parameters,
)
from vidjil_kernel.jobs.lease import EXPIRY, RunnerLeaseHandle, current_lease
from vidjil_kernel.jobs.log import LOG_CHARS, append_log
from vidjil_kernel.jobs.states import TRANSITIONS, InvalidTransition, JobState, move

pytestmark = pytest.mark.germline


def _launch(lab, user: str = "alice", samples: list[int] | None = None, settings=None):  # noqa: ANN001, ANN202
    with lab.session() as session:
        return jobs.launch(session, lab.user(session, user), lab.patient, lab.config, samples,
                           settings=settings or lab.settings, origin="test")


def test_transitions_are_the_documented_ones(any_lab) -> None:  # noqa: ANN001
    assert TRANSITIONS[JobState.COMPLETED] == frozenset()
    assert JobState.RUNNING in TRANSITIONS[JobState.QUEUED]
    assert JobState.RUNNING not in TRANSITIONS[JobState.PENDING]
    views = _launch(any_lab, samples=[any_lab.samples[0]])
    with any_lab.session() as session:
        job = session.get(Job, views[0].job_id)
        result = session.get(Result, views[0].id)
        assert (job.state, result.state) == ("pending", "queued")
        with pytest.raises(InvalidTransition, match="cannot go from pending to running"):
            move(session, job, JobState.RUNNING)
        move(session, job, JobState.QUEUED)
        move(session, job, JobState.RUNNING)
        assert (job.attempts, result.state) == (1, "running") and job.started_at is not None
        move(session, job, JobState.QUEUED)  # a lost attempt
        move(session, job, JobState.RUNNING)
        move(session, job, JobState.FAILED, error="boom")
        assert (job.attempts, result.state, job.error) == (2, "failed", "boom")
        assert job.finished_at is not None and result.finished_at is not None
        move(session, job, JobState.PENDING)  # re-run: a fresh start
        assert (job.attempts, job.error, job.finished_at, result.state) == (0, None, None,
                                                                             "queued")


def test_launch_queues_one_pending_job_per_sample_and_refuses_duplicates(any_lab) -> None:  # noqa: ANN001
    views = _launch(any_lab)
    assert sorted(view.sample_id for view in views) == sorted(any_lab.samples)
    assert {job.state for job in any_lab.jobs()} == {"pending"}
    with pytest.raises(Conflict, match=r"already under way with config 'igh-trg': sample \d+ "
                                        r"\(patient-t1.fastq.gz\): job \d+ is pending"):
        _launch(any_lab, samples=[any_lab.samples[0]])
    with any_lab.session() as session:  # once finished, the sample may be launched again
        job = session.get(Job, views[0].job_id)
        move(session, job, JobState.CANCELLED)
    assert len(_launch(any_lab, samples=[views[0].sample_id])) == 1
    with any_lab.session() as session:
        assert session.scalar(select(Result.id).where(Result.id > 0).order_by(
            Result.id.desc()).limit(1)) == 4


def test_launch_checks_rights_inputs_and_config(any_lab) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied, match="bob lacks the 'run' right on set"):
        _launch(any_lab, user="bob")
    with pytest.raises(NotFound, match="not in set"):
        _launch(any_lab, samples=[10**6])
    lost = any_lab.data_dir / "lost.fq"
    lost.write_text("@r\nACGT\n+\nIIII\n")
    empty = any_lab.add_sample(lost)
    (any_lab.data_dir / "uploads" / "lost.fq").unlink()
    with pytest.raises(UsageError, match=r"its file uploads/lost.fq is missing"):
        _launch(any_lab, samples=[empty])
    with any_lab.session() as session:
        session.get(Config, any_lab.config).parameters = "-g homo-sapiens:IGH -w 5"
    with pytest.raises(ConfigError, match=r"config 'igh-trg' .*: option -w: window 5 is too "
                                          r"short"):
        _launch(any_lab, samples=any_lab.samples[:1])
    assert any_lab.jobs() == []


def test_low_disk_refuses_launches_and_tells_the_admins_once(any_lab) -> None:  # noqa: ANN001
    full = dataclasses.replace(any_lab.settings, disk_min_free_gb=1e9)
    with pytest.raises(DiskFull, match=r"launch refused: only .* GB free .* at least 1e\+09 "
                                       r"GB free, setting disk_min_free_gb"):
        _launch(any_lab, settings=full)
    for _ in range(2):
        with pytest.raises(DiskFull, match="upload refused"):
            jobs.guard_disk(full, any_lab.factory, "upload")
    with any_lab.session() as session:
        notices = session.scalars(select(Notification)).all()
        assert [(n.title, n.priority) for n in notices] == [
            ("The lab's disk is almost full", "urgent")]
        boss = svc.list_notifications(session, any_lab.user(session, "boss"))
        alice = svc.list_notifications(session, any_lab.user(session, "alice"))
        assert len(boss) == 1 and alice == []
    jobs.guard_disk(any_lab.settings, any_lab.factory, "upload")  # enough space: no refusal
    assert any_lab.jobs() == []


def test_cancel_rerun_list_and_log_follow_rights(any_lab) -> None:  # noqa: ANN001
    views = _launch(any_lab)
    job_id = views[0].job_id
    with any_lab.session() as session:
        alice, bob, boss = (any_lab.user(session, n) for n in ("alice", "bob", "boss"))
        assert len(jobs.list_jobs(session, alice)) == 3
        assert jobs.list_jobs(session, bob) == []
        assert len(jobs.list_jobs(session, boss, state="pending")) == 3
        with pytest.raises(UsageError, match="unknown job state 'done'"):
            jobs.list_jobs(session, alice, state="done")
        with pytest.raises(PermissionDenied, match="bob lacks the 'read' right"):
            jobs.job_log(session, bob, job_id)
        with pytest.raises(PermissionDenied, match="bob lacks the 'run' right"):
            jobs.cancel(session, bob, job_id, origin="test")
        with pytest.raises(Conflict, match="only failed or cancelled jobs can be re-run"):
            jobs.rerun(session, alice, job_id, settings=any_lab.settings, origin="test")
        view = jobs.cancel(session, alice, job_id, origin="test")
        assert (view.state, view.error) == ("cancelled", "cancelled by alice")
        assert session.get(Result, views[0].id).state == "cancelled"
        with pytest.raises(Conflict, match="is cancelled: only pending, waiting, queued or "
                                           "running jobs can be cancelled"):
            jobs.cancel(session, alice, job_id, origin="test")
        view = jobs.rerun(session, alice, job_id, settings=any_lab.settings, origin="test")
        assert (view.state, view.attempts, view.error) == ("pending", 0, None)
        assert "--- re-run by alice ---" in jobs.job_log(session, alice, job_id)
        assert jobs.get_job(session, alice, job_id).config == "igh-trg"
        assert len(session.scalars(select(Result)).all()) == 3  # the same result, re-run


def test_default_configs_are_created_once_and_parse(any_lab) -> None:  # noqa: ANN001
    with any_lab.session() as session:
        created = jobs.ensure_default_configs(session)
        assert created == [config.name for config in DEFAULT_CONFIGS]
        assert jobs.ensure_default_configs(session) == []
        session.scalar(select(Config).where(Config.name == "TRG")).parameters = "-g x -z 3"
        assert jobs.ensure_default_configs(session) == []  # an edited config is left alone
        assert session.scalar(select(Config.parameters).where(Config.name == "TRG")) == \
            "-g x -z 3"
    unexpected = parse_engine_parameters("multi-locus + unexpected", "-g homo-sapiens -2")
    assert (unexpected.preset, unexpected.options.unexpected) == ("homo-sapiens", True)
    options = parse_engine_parameters("c", "-g homo-sapiens:IGH -w all -e 1e-3 -z all -r 2"
                                      " --per-read")
    assert (options.options.window, options.options.evalue, options.options.max_designations,
            options.options.min_reads, options.per_read) == (0, 1e-3, None, 2, True)


@pytest.mark.parametrize(("parameters", "message"), [
    ("-g homo-sapiens -z lots", r"config 'c' \(parameters '-g homo-sapiens -z lots'\): "
                                r"Invalid value for '-z' / '--max-designations': 'lots' is"),
    ("--frobnicate", r"config 'c' .*: No such option '--frobnicate'"),
    ("-o /tmp/elsewhere", r"option -o/--out-dir is set by the lab, not by a config"),
    ("-g homo-sapiens reads.fq", r"unexpected argument\(s\) reads.fq: a config gives options"),
    ("-g 'unbalanced", r"config 'c' .*: No closing quotation"),
])
def test_config_errors_name_the_config_and_the_option(parameters: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_engine_parameters("c", parameters)


def test_fuse_parameters_and_command_templates_are_checked() -> None:
    assert parse_fuse_parameters("c", "-t 20 --per-locus=3") == \
        parse_fuse_parameters("c", "--top=20 --per-locus 3")
    with pytest.raises(ConfigError, match=r"fuse parameters .*: option --top: 'x' is not a "
                                          "whole number"):
        parse_fuse_parameters("c", "--top x")
    bad = Config(name="ext", program="external-airr", parameters="tool {file1} {out}",
                 fuse_parameters="")
    with pytest.raises(ConfigError, match=r"unknown placeholder\(s\) \{out\}"):
        jobs.check_config(bad)
    bad.parameters = "tool {file1}"
    with pytest.raises(ConfigError, match=r"the command must write \{result\}"):
        jobs.check_config(bad)
    bad.program = "mixcr"
    with pytest.raises(ConfigError, match="unknown program 'mixcr'"):
        jobs.check_config(bad)


def test_one_runner_lease_per_database(any_lab) -> None:  # noqa: ANN001
    first, second = RunnerLeaseHandle(any_lab.factory), RunnerLeaseHandle(any_lab.factory)
    first.acquire("tcp://127.0.0.1:1")
    with pytest.raises(LeaseHeld, match=rf"another job runner already runs this lab's jobs: "
                                        rf"pid {first.pid} on .* \(one runner per database"):
        second.acquire()
    assert first.renew() and first.holds()
    with any_lab.session() as session:  # the first runner died: its lease goes stale
        session.get(RunnerLease, "jobs").renewed_at = utcnow() - EXPIRY - dt.timedelta(seconds=1)
    second.acquire("tcp://127.0.0.1:2")
    assert not first.renew() and second.holds()
    with any_lab.session() as session:
        assert current_lease(session).scheduler == "tcp://127.0.0.1:2"
    second.release()
    with any_lab.session() as session:
        assert current_lease(session) is None


def test_job_logs_keep_their_end() -> None:
    log = append_log("", "first")
    log = append_log(log, "x" * LOG_CHARS)
    assert len(log) == LOG_CHARS and log.startswith("[... earlier lines cut ...]")
    assert append_log("a", "") == "a"


def test_import_checks_its_file_and_rights(any_lab, tmp_path: Path) -> None:  # noqa: ANN001
    result_file = tmp_path / "result.vidjil"
    result_file.write_text("{}")
    with any_lab.session() as session:
        alice, bob = any_lab.user(session), any_lab.user(session, "bob")
        with pytest.raises(PermissionDenied, match="bob lacks the 'upload' right"):
            jobs.import_result(session, bob, any_lab.patient, any_lab.samples[0],
                               any_lab.config, result_file, settings=any_lab.settings,
                               origin="test")
        with pytest.raises(NotFound, match="no file"):
            jobs.import_result(session, alice, any_lab.patient, any_lab.samples[0],
                               any_lab.config, tmp_path / "nothing.vidjil",
                               settings=any_lab.settings, origin="test")
        view = jobs.import_result(session, alice, any_lab.patient, any_lab.samples[0],
                                  any_lab.config, result_file, settings=any_lab.settings,
                                  origin="test")
        job = session.get(Job, view.job_id)
        assert (job.kind, job.state, job.result_id) == ("import", "pending", view.id)
        with pytest.raises(Conflict, match="already under way"):
            jobs.launch(session, alice, any_lab.patient, any_lab.config, [any_lab.samples[0]],
                        settings=any_lab.settings, origin="test")
