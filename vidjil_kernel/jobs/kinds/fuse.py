"""``fuse``: the latest completed result of each sample of a set, for one config, in one file.

Queued after each analysis (or import) of one of the set's samples completes,
unless a fuse of that set and config is already waiting to start (it will read
the new result).  The fused file is rewritten in place (temporary name, fsync,
rename), so readers always see a whole file; the set's ``FusedResult`` row
points to it.  See ``vidjil_kernel.fuse`` for what the file holds.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from vidjil_kernel.db.base import utcnow
from vidjil_kernel.db.models import Config, FusedResult, Job, Result, RunState, Sample, SetSample
from vidjil_kernel.fuse import FuseSample, load_result, write_fused
from vidjil_kernel.jobs.configs import parse_fuse_parameters
from vidjil_kernel.jobs.context import JobContext
from vidjil_kernel.jobs.kinds import Kind, register
from vidjil_kernel.jobs.kinds.common import JobInputError
from vidjil_kernel.jobs.paths import LabPaths
from vidjil_kernel.jobs.states import JobKind, JobState, move


def prepare(session: Session, job: Job, paths: LabPaths) -> dict:
    fused = session.get(FusedResult, job.fused_result_id) if job.fused_result_id else None
    if fused is None:
        raise JobInputError(f"job {job.id}: its fused result record was deleted")
    config = session.get(Config, fused.config_id)
    params = parse_fuse_parameters(config.name, config.fuse_parameters)
    samples = session.execute(
        select(Sample).join(SetSample, SetSample.sample_id == Sample.id)
        .where(SetSample.set_id == fused.set_id).order_by(Sample.id)).scalars()
    inputs = []
    for sample in samples:
        result = session.scalar(
            select(Result).where(Result.sample_id == sample.id,
                                 Result.config_id == config.id,
                                 Result.state == RunState.DONE.value,
                                 Result.result_path.is_not(None))
            .order_by(Result.finished_at.desc(), Result.id.desc()).limit(1))
        if result is not None:
            inputs.append({"path": str(paths.stored(result.result_path)),
                           "name": sample.original_name, "sample_id": sample.id,
                           "result_id": result.id,
                           "sampling_date": sample.sampling_date.isoformat()
                           if sample.sampling_date else None})
    if not inputs:
        raise JobInputError(f"set {fused.set_id} has no completed result with config "
                            f"{config.name!r} to fuse")
    return {"inputs": inputs, "top": params.top, "per_locus": params.per_locus,
            "out": str(paths.fused_file(fused.set_id, config.id))}


def run(spec: dict, context: JobContext) -> dict:
    samples = []
    for number, item in enumerate(spec["inputs"], start=1):
        context.progress(number - 1, len(spec["inputs"]), f"reading result {number}")
        date = dt.date.fromisoformat(item["sampling_date"]) if item["sampling_date"] else None
        samples.append(FuseSample(load_result(item["path"]), item["name"], date,
                                  item["sample_id"], item["result_id"]))
    context.check()
    path = write_fused(samples, spec["out"], top=spec["top"], per_locus=spec["per_locus"])
    summary = f"fused {len(samples)} sample(s)"
    context.log(f"{summary} into {path.name}")
    return {"files": [str(path)], "summary": summary}


def finish(session: Session, job: Job, outcome: dict, paths: LabPaths) -> None:
    path = outcome["files"][0]
    fused = session.get(FusedResult, job.fused_result_id)
    fused.fused_path = paths.relative(path)
    fused.fused_at = utcnow()
    move(session, job, JobState.COMPLETED, progress_message=outcome.get("summary", ""))


register(Kind(JobKind.FUSE.value, "job_timeout_fuse", prepare, run, finish))
