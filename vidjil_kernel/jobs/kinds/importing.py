"""``import``: an uploaded ``.vidjil`` or AIRR file, validated and stored as a sample's result.

The file is read with the format's reader (a malformed file fails the job with
the file, line and field at fault) and written again as the result's ``.vidjil``
and AIRR files, so that an imported result looks like any other to fuse,
dashboards and exports.  The uploaded file is left where it was.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Job
from vidjil_kernel.formats.airr import read_airr_result
from vidjil_kernel.formats.vidjil import read_vidjil
from vidjil_kernel.jobs.context import JobContext
from vidjil_kernel.jobs.kinds import Kind, register
from vidjil_kernel.jobs.kinds.common import (
    JobInputError,
    finish_result,
    result_of,
    result_spec,
    write_result,
)
from vidjil_kernel.jobs.paths import LabPaths
from vidjil_kernel.jobs.states import JobKind


def prepare(session: Session, job: Job, paths: LabPaths) -> dict:
    result, sample, _ = result_of(session, job)
    parameters = json.loads(job.parameters or "{}")
    if "path" not in parameters:
        raise JobInputError(f"job {job.id}: no file to import")
    return {**result_spec(paths, job, result, sample),
            "path": str(paths.stored(parameters["path"])),
            "format": parameters.get("format", "vidjil")}


def run(spec: dict, context: JobContext) -> dict:
    context.check()
    path = spec["path"]
    result = read_airr_result(path) if spec["format"] == "airr" else read_vidjil(path)
    result.original_name = spec["original_name"]
    context.check()
    files = write_result(result, Path(spec["out_dir"]), spec["stem"])
    summary = (f"imported {spec['format']} file {Path(path).name}: "
               f"{len(result.clones):,} clones, {result.total_reads:,} reads")
    context.log(summary)
    return {"files": files, "summary": summary}


register(Kind(JobKind.IMPORT.value, "job_timeout_import", prepare, run, finish_result,
              owns_files=True))
