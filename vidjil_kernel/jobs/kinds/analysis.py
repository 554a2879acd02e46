"""``analysis``: a sample analysed with a config, by the engine or by an external program.

The engine writes ``<stem>.vidjil`` and ``<stem>.airr.tsv`` in the result's
directory (each to a temporary name, fsynced, renamed).  An external program
(``external-vidjil``/``external-airr`` configs) writes ``{result}``; its output is
read back, so that a malformed file fails the job with the file's own error, and
stored as the same two files.  The result is recorded as completed by the runner
only once both files exist; the fuses of the sample's sets are queued then.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Job
from vidjil_kernel.formats.airr import read_airr_result
from vidjil_kernel.formats.vidjil import read_vidjil
from vidjil_kernel.jobs.configs import ENGINE, EXTERNAL
from vidjil_kernel.jobs.context import CommandFailed, JobContext
from vidjil_kernel.jobs.engine import run_engine
from vidjil_kernel.jobs.kinds import Kind, register
from vidjil_kernel.jobs.kinds.common import (
    finish_result,
    result_of,
    result_spec,
    sample_input,
    write_result,
)
from vidjil_kernel.jobs.paths import LabPaths
from vidjil_kernel.jobs.states import JobKind


def prepare(session: Session, job: Job, paths: LabPaths) -> dict:
    result, sample, config = result_of(session, job)
    first, second = sample_input(paths, sample)
    settings = paths.settings
    return {**result_spec(paths, job, result, sample),
            "input": str(first), "input_r2": str(second) if second else None,
            "program": config.program, "config": config.name,
            "parameters": config.parameters, "germline_dir": str(settings.germline_dir),
            "chunk_reads": settings.job_chunk_reads}


def run(spec: dict, context: JobContext) -> dict:
    out_dir, stem = Path(spec["out_dir"]), spec["stem"]
    started, cpu = time.perf_counter(), time.thread_time()
    if spec["program"] == ENGINE:
        if spec.get("input_r2"):
            context.log("R2 file not analysed: give the sample a pre-process that merges "
                        "R1 and R2")
        result = run_engine(spec, context)
        files = [str(out_dir / f"{stem}.vidjil"), str(out_dir / f"{stem}.airr.tsv")]
        if (out_dir / f"{stem}.reads.airr.tsv").is_file():
            files.append(str(out_dir / f"{stem}.reads.airr.tsv"))
    else:
        result = _run_external(spec, context, out_dir, stem)
        files = write_result(result, out_dir, stem)
    share = 100.0 * result.analysed_reads / max(result.total_reads, 1)
    summary = (f"{result.total_reads:,} reads, {result.analysed_reads:,} analysed "
               f"({share:.1f}%), {len(result.clones):,} clones")
    seconds, cpu = time.perf_counter() - started, time.thread_time() - cpu
    context.log(f"{summary}; {seconds:.1f} s ({cpu:.1f} s of CPU in the job's thread)")
    return {"files": files, "summary": summary, "reads": result.total_reads,
            "analysed": result.analysed_reads, "clones": len(result.clones),
            "seconds": seconds, "cpu_seconds": cpu}


def _run_external(spec: dict, context: JobContext, out_dir: Path, stem: str):  # noqa: ANN202
    fmt = EXTERNAL[spec["program"]]
    work = Path(spec["work_dir"])
    work.mkdir(parents=True, exist_ok=True)
    raw = work / (f"{stem}.external.vidjil" if fmt == "vidjil" else f"{stem}.external.tsv")
    raw.unlink(missing_ok=True)
    command = spec["parameters"].format(
        file1=shlex.quote(spec["input"]), file2=shlex.quote(spec.get("input_r2") or ""),
        result=shlex.quote(str(raw)))
    context.run_command(command, work, f"the program of config {spec['config']!r}")
    if not raw.is_file():
        raise CommandFailed(f"the program of config {spec['config']!r} exited without "
                            f"writing its {fmt} result ({{result}})")
    result = read_vidjil(raw) if fmt == "vidjil" else read_airr_result(raw)
    result.original_name = spec["original_name"]
    result.commandline = command
    raw.unlink()
    return result


register(Kind(JobKind.ANALYSIS.value, "job_timeout_analysis", prepare, run, finish_result,
              owns_files=True))
