"""``pre_process``: a sample's pre-process command (e.g. merging R1/R2), before its analyses.

The pre-process's template gets ``{file1}``, ``{file2}`` (the sample's stored
files) and ``{result}`` (a temporary name), each shell-quoted, and runs with
``sh -c`` in the job's work directory; its output goes to the job log.  Only if
it exits 0 and wrote a non-empty ``{result}`` is the file fsynced and renamed to
the sample's pre-processed file; then the analyses waiting for it are queued.
If it fails, they fail with its error, and nothing is left half-written.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Job, PreProcess, Sample
from vidjil_kernel.fileio import move_durably
from vidjil_kernel.jobs.configs import check_command_template
from vidjil_kernel.jobs.context import CommandFailed, JobContext
from vidjil_kernel.jobs.kinds import Kind, register
from vidjil_kernel.jobs.kinds.common import JobInputError
from vidjil_kernel.jobs.paths import LabPaths, file_stem
from vidjil_kernel.jobs.states import JobKind, JobState, move


def prepare(session: Session, job: Job, paths: LabPaths) -> dict:
    sample = session.get(Sample, job.sample_id) if job.sample_id is not None else None
    if sample is None or sample.preprocess_id is None:
        raise JobInputError(f"job {job.id}: its sample has no pre-process any more")
    preprocess = session.get(PreProcess, sample.preprocess_id)
    what = f"pre-process {preprocess.name!r}"
    check_command_template(what, preprocess.command)
    if "{file2}" in preprocess.command and not sample.stored_path_r2:
        raise JobInputError(f"{what} needs {{file2}}, and sample {sample.id} "
                            f"({sample.original_name}) has no R2 file")
    files = [paths.stored(p) for p in (sample.stored_path, sample.stored_path_r2) if p]
    if not files:
        raise JobInputError(f"sample {sample.id} ({sample.original_name}) has no stored file")
    for path in files:
        if not path.is_file():
            raise JobInputError(f"sample {sample.id}: {path} is missing from the data directory")
    name = f"{file_stem(sample.original_name)}.preprocessed.fastq"
    out = paths.preprocessed_dir(sample.id) / name
    return {"command": preprocess.command, "name": preprocess.name,
            "file1": str(files[0]), "file2": str(files[1]) if len(files) > 1 else "",
            "result": str(out), "work_dir": str(paths.work_dir(job.id))}


def run(spec: dict, context: JobContext) -> dict:
    final = Path(spec["result"])
    work = Path(spec["work_dir"])
    work.mkdir(parents=True, exist_ok=True)
    temporary = work / f".{final.name}.tmp"
    temporary.unlink(missing_ok=True)
    command = spec["command"].format(file1=shlex.quote(spec["file1"]),
                                     file2=shlex.quote(spec["file2"]),
                                     result=shlex.quote(str(temporary)))
    what = f"pre-process {spec['name']!r}"
    try:
        context.run_command(command, work, what)
        if not temporary.is_file() or temporary.stat().st_size == 0:
            raise CommandFailed(f"{what} exited without writing its result ({{result}})")
        final.parent.mkdir(parents=True, exist_ok=True)
        move_durably(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    size = final.stat().st_size
    context.log(f"{what}: wrote {final.name} ({size:,} bytes)")
    return {"files": [str(final)], "summary": f"{final.name}, {size:,} bytes"}


def finish(session: Session, job: Job, outcome: dict, paths: LabPaths) -> None:
    path = Path(outcome["files"][0])
    if not path.is_file():
        raise JobInputError(f"job {job.id}: {path} missing after the pre-process ran")
    sample = session.get(Sample, job.sample_id)
    sample.preprocessed_path = paths.relative(path)
    move(session, job, JobState.COMPLETED, progress_message=outcome.get("summary", ""))


register(Kind(JobKind.PRE_PROCESS.value, "job_timeout_pre_process", prepare, run, finish))
