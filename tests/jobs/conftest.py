"""Fixtures of the jobs tests: a small lab on SQLite, simulated samples, a Dask cluster.

- ``follow_up``: three simulated time points of one patient (IGH + TRG, 2,000 reads
  each), made once per session.
- ``big_sample``: one sample of 150,000 reads (three engine batches), for the
  tests that must act while an analysis runs (kill its worker, cancel it) and for
  chunked detection.
- ``job_lab`` (SQLite) and ``any_lab`` (SQLite and MariaDB): a lab in a temporary
  data directory: ``alice`` in ``hemato`` (read,
  create, upload, run, create_config), a patient with the three time points, a
  config ``igh-trg`` (IGH and TRG only, quick to index) shared with hemato.
- ``cluster``: a loopback ``LocalCluster`` of 2 single-threaded workers shared by
  the module (``dask_scheduler`` of the lab points to it); ``runner`` starts a
  ``JobRunner`` on it and stops it after the test.
"""

from __future__ import annotations

import dataclasses
import itertools
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vidjil_kernel.db import SYSTEM, new_session_factory, session_scope
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.models import Job, User
from vidjil_kernel.settings import Settings, load_settings
from vidjil_kernel.simulate import SimulationSpec, simulate, simulate_follow_up

FINAL = ("completed", "failed", "cancelled")


@pytest.fixture(scope="session")
def follow_up(germline_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("follow-up")
    spec = SimulationSpec(loci=(("IGH", 1.0), ("TRG", 1.0)), reads=2000, mode="diagnosis",
                          seed=8, name="patient", germline_dir=germline_dir)
    return [sample.reads for sample in simulate_follow_up(spec, out, 3)]


@pytest.fixture(scope="session")
def big_sample(germline_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("big")
    spec = SimulationSpec(loci=(("IGH", 1.0), ("TRG", 1.0)), reads=150_000, mode="diagnosis",
                          seed=9, name="big", germline_dir=germline_dir)
    return simulate(spec, out).reads


@dataclass
class JobLab:
    settings: Settings
    factory: sessionmaker[Session]
    patient: int
    samples: list[int]
    config: int

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.factory) as session:
            yield session

    def user(self, session: Session, name: str = "alice") -> User:
        return session.scalar(select(User).where(User.name == name))

    def add_sample(self, path: Path, set_id: int | None = None, **fields: object) -> int:
        """Store ``path`` in the data directory as a new sample of the patient."""
        stored = self.data_dir / "uploads" / path.name
        stored.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, stored)
        with self.session() as session:
            return svc.add_sample(session, self.user(session), [set_id or self.patient],
                                  origin="test", original_name=path.name,
                                  stored_path=f"uploads/{path.name}", **fields).id

    def jobs(self) -> list[Job]:
        with self.session() as session:
            return list(session.scalars(select(Job).order_by(Job.id)))

    def job(self, job_id: int) -> Job:
        with self.session() as session:
            return session.get(Job, job_id)

    def wait(self, done: Callable[[], bool], timeout: float = 180.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                states = [(j.id, j.kind, j.state, j.attempts, j.error) for j in self.jobs()]
                raise AssertionError(f"timed out waiting for {what}: {states}")
            time.sleep(0.2)

    def wait_final(self, timeout: float = 180.0) -> list[Job]:
        self.wait(lambda: all(j.state in FINAL for j in self.jobs()), timeout, "all jobs")
        return self.jobs()


def make_lab(root: Path, germline_dir: Path, follow_up: list[Path], **settings: object) -> JobLab:
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    values = {"data_dir": data, "db_url": f"sqlite:///{data / 'vidjil.sqlite'}",
              "germline_dir": germline_dir, "job_workers": 2, "disk_min_free_gb": 0.001,
              **settings}
    lab_settings = load_settings(**values)
    factory = new_session_factory(lab_settings)
    with session_scope(factory) as session:
        alice = svc.ensure_account(session, "alice", "alice@lab.example")
        svc.ensure_account(session, "bob", "bob@lab.example")
        svc.ensure_account(session, "boss", "boss@lab.example", admin=True)
        svc.create_group(session, SYSTEM, "hemato", origin="test")
        for right in ("read", "create", "upload", "run", "create_config"):
            svc.grant_right(session, SYSTEM, "hemato", right, origin="test")
        svc.add_member(session, SYSTEM, "hemato", "alice", origin="test")
        patient = svc.create_set(session, alice, "patient", group="hemato", origin="test",
                                 first_name="Ada", last_name="Martin").id
        config = svc.create_config(session, alice, "hemato", origin="test", name="igh-trg",
                                   parameters="-g homo-sapiens:IGH,TRG",
                                   fuse_parameters="--top 50 --per-locus 5").id
    lab = JobLab(lab_settings, factory, patient, [], config)
    for month, path in enumerate(follow_up, start=1):
        lab.samples.append(lab.add_sample(path, sampling_date=f"2024-0{month}-15"))
    return lab


@pytest.fixture
def job_lab(tmp_path: Path, germline_dir: Path, follow_up: list[Path]) -> JobLab:
    return make_lab(tmp_path, germline_dir, follow_up)


_databases = itertools.count()


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("mariadb", id="mariadb", marks=pytest.mark.db)])
def any_lab(request: pytest.FixtureRequest, tmp_path: Path, germline_dir: Path,
            follow_up: list[Path]) -> JobLab:
    """``job_lab`` on SQLite, and on the suite's private MariaDB (marker ``db``)."""
    if request.param == "sqlite":
        return make_lab(tmp_path, germline_dir, follow_up)
    server = request.getfixturevalue("mariadb_server")
    url = server.create_database(f"vidjil_jobs_{next(_databases)}")
    return make_lab(tmp_path, germline_dir, follow_up, db_url=url)


def _two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Two loopback workers (allowed-failures 0, as config/dask.yaml says)."""
    import dask.config
    from distributed import LocalCluster

    from vidjil_kernel.jobs.cluster import load_dask_config

    load_dask_config(load_settings(data_dir=tmp_path_factory.mktemp("dask")))
    assert dask.config.get("distributed.scheduler.allowed-failures") == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as local:
        yield local


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The module's cluster."""
    yield from _two_workers(tmp_path_factory)


@pytest.fixture
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A cluster for one test that restarts a stuck worker: distributed's nanny sometimes
    fails to bring a worker killed that way back (2 of 9 runs of these tests), which must
    not take a worker from the tests after it."""
    yield from _two_workers(tmp_path_factory)


@pytest.fixture
def runner(job_lab: JobLab, cluster) -> Iterator[object]:  # noqa: ANN001
    """A started runner of ``job_lab`` on the module's cluster; stopped after the test.

    A test before may have had a worker restarted (a cancel, a timeout): wait
    until both are back, or the runner would see one worker only.  (Waits here and in
    the tests are bounded: a worker that never comes back fails the test in two
    minutes instead of hanging the suite.)
    """
    from vidjil_kernel.jobs import JobRunner

    cluster.wait_for_workers(2, timeout=120)

    job_lab.settings = dataclasses.replace(job_lab.settings,
                                           dask_scheduler=cluster.scheduler_address)
    started = JobRunner(job_lab.settings, job_lab.factory, poll_seconds=0.2)
    started.start()
    yield started
    started.stop()
