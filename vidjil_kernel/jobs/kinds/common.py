"""What the kinds that produce a sample's result share: its input, its files, the fuses after it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Config, FusedResult, Job, Result, Sample, SetSample
from vidjil_kernel.exceptions import VidjilError
from vidjil_kernel.formats.airr import write_airr
from vidjil_kernel.formats.vidjil import write_vidjil
from vidjil_kernel.jobs.paths import LabPaths, file_stem
from vidjil_kernel.jobs.states import ACTIVE, JobKind, JobState, move
from vidjil_kernel.results import SampleResult


class JobInputError(VidjilError):
    """What a job needs is missing (a file, a result, a record); the job fails with this."""


def result_of(session: Session, job: Job) -> tuple[Result, Sample, Config]:
    result = session.get(Result, job.result_id) if job.result_id is not None else None
    if result is None:
        raise JobInputError(f"job {job.id}: its result record was deleted")
    sample = session.get(Sample, result.sample_id)
    config = session.get(Config, result.config_id)
    if sample is None or config is None:
        raise JobInputError(f"job {job.id}: its sample or config was deleted")
    return result, sample, config


def sample_input(paths: LabPaths, sample: Sample) -> tuple[Path, Path | None]:
    """The file(s) an analysis reads: the pre-processed file when there is one."""
    if sample.preprocess_id is not None and sample.preprocessed_path:
        first, second = paths.stored(sample.preprocessed_path), None
    elif sample.stored_path:
        first = paths.stored(sample.stored_path)
        second = paths.stored(sample.stored_path_r2) if sample.stored_path_r2 else None
    else:
        raise JobInputError(f"sample {sample.id} ({sample.original_name}) has no stored file")
    for path in (first, second):
        if path is not None and not path.is_file():
            raise JobInputError(f"sample {sample.id} ({sample.original_name}): {path} is "
                                "missing from the data directory")
    return first, second


def result_spec(paths: LabPaths, job: Job, result: Result, sample: Sample) -> dict:
    """Where a sample's result goes (and the job's scratch space), and its names."""
    return {"out_dir": str(paths.result_dir(sample.id, result.id)),
            "work_dir": str(paths.work_dir(job.id)),
            "stem": file_stem(sample.original_name), "original_name": sample.original_name}


def write_result(result: SampleResult, out_dir: Path, stem: str) -> list[str]:
    """Write a result's ``.vidjil`` and AIRR files (each atomically); returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vidjil = write_vidjil(result, out_dir / f"{stem}.vidjil")
    airr = write_airr(result, out_dir / f"{stem}.airr.tsv")
    return [str(vidjil), str(airr)]


def finish_result(session: Session, job: Job, outcome: dict, paths: LabPaths) -> None:
    """Record a completed result once its files are on disk, then queue the fuses it changes."""
    missing = [path for path in outcome["files"] if not Path(path).is_file()]
    if missing:
        raise JobInputError(f"job {job.id}: {', '.join(missing)} missing after the job ran")
    result = session.get(Result, job.result_id)
    result.result_path = paths.relative(outcome["files"][0])
    summary = outcome.get("summary")
    if summary:
        result.log = summary
    move(session, job, JobState.COMPLETED, progress_message=summary or "")
    queue_fuses(session, result, job.user_id)


def queue_fuses(session: Session, result: Result, user_id: int | None) -> list[Job]:
    """A fuse of every set holding the result's sample, unless one is already waiting to start."""
    jobs = []
    set_ids = session.scalars(select(SetSample.set_id).where(
        SetSample.sample_id == result.sample_id).order_by(SetSample.set_id))
    for set_id in set_ids:
        fused = session.scalar(select(FusedResult).where(
            FusedResult.set_id == set_id, FusedResult.config_id == result.config_id))
        if fused is None:
            fused = FusedResult(set_id=set_id, config_id=result.config_id)
            session.add(fused)
            session.flush()
        waiting = session.scalar(select(Job.id).where(
            Job.kind == JobKind.FUSE.value, Job.fused_result_id == fused.id,
            Job.state.in_([s.value for s in ACTIVE - {JobState.RUNNING}])))
        if waiting is not None:  # it will read this result when it starts
            continue
        job = Job(kind=JobKind.FUSE.value, user_id=user_id, set_id=set_id,
                  fused_result_id=fused.id)
        session.add(job)
        session.flush()
        jobs.append(job)
    return jobs
