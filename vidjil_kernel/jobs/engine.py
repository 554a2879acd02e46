"""The engine on a worker: one detector per config kept warm, an input in one piece or in chunks.

Building a detector (the preset's k-mer index) takes about a second, and the
first one of a lab compiles the numba kernels into the shared cache
(``detect.warmup``; the other workers wait for it); a worker keeps the last few
detectors it built, so that a queue of samples with one config pays for it once
per worker.  A big input is detected in chunks on the cluster's other workers
(``chunked``) when the lab allows it (``job_chunk_reads``) and there is more than
one worker thread; the result is the same as in one piece.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from vidjil_kernel.cli.detect import detect_preset
from vidjil_kernel.detect.pipeline import Detector, Progress
from vidjil_kernel.detect.run import analyse_file
from vidjil_kernel.detect.warmup import ensure_compiled
from vidjil_kernel.jobs.configs import parse_engine_parameters
from vidjil_kernel.jobs.context import JobContext
from vidjil_kernel.reads import BatchReader
from vidjil_kernel.results import SampleResult

DETECTORS_KEPT = 3
#: split only inputs estimated above this many times the chunk size
SPLIT_FACTOR = 1.5


@functools.lru_cache(maxsize=DETECTORS_KEPT)
def cached_detector(germline_dir: str, config_name: str, parameters: str) -> Detector:
    """The detector of a config's parameters (kept per worker process)."""
    params = parse_engine_parameters(config_name, parameters)
    preset = detect_preset(params.preset, params.v_files, params.d_files, params.j_files,
                           Path(germline_dir))
    ensure_compiled(preset)  # a fresh numba cache: one worker compiles, the others wait
    return Detector(preset, params.options)


def progress_reporter(context: JobContext, what: str = "reads") -> Any:
    """A ``Detector.run`` progress callback reporting reads done of the estimated total."""

    def report(state: Progress) -> None:
        total = None
        if state.total_bytes and state.bytes_done:
            total = max(int(state.reads * state.total_bytes / state.bytes_done), state.reads)
        if state.done:
            total = state.reads
        shown = f" of ~{total:,}" if total else ""
        context.progress(state.reads, total, f"{state.reads:,}{shown} {what}")

    return report


def estimated_reads(detector: Detector, source: str) -> float:
    """The input's read count as a detection run estimates it (from its first batch)."""
    with BatchReader(source, batch_reads=detector.options.batch_reads) as reader:
        for _ in reader:
            return detector._expected_reads(reader)
    return 0.0


def _cluster_threads() -> int:
    try:
        from distributed import get_client

        return sum(get_client().nthreads().values())
    except (ImportError, ValueError):
        return 1


def should_split(detector: Detector, source: str, chunk_reads: int) -> bool:
    """Whether to detect ``source`` in chunks: allowed, big enough, workers to share it."""
    if chunk_reads <= 0 or os.path.getsize(source) < chunk_reads * SPLIT_FACTOR * 8:
        return False
    if estimated_reads(detector, source) < chunk_reads * SPLIT_FACTOR:
        return False
    return _cluster_threads() > 1


def run_engine(spec: dict, context: JobContext) -> SampleResult:
    """Analyse the job's input with its config's engine parameters into its result directory."""
    detector = cached_detector(spec["germline_dir"], spec["config"], spec["parameters"])
    params = parse_engine_parameters(spec["config"], spec["parameters"])
    source, out_dir, stem = spec["input"], Path(spec["out_dir"]), spec["stem"]
    commandline = f"vidjil detect {spec['parameters']} {spec['original_name']}".strip()
    context.check()
    if should_split(detector, source, spec["chunk_reads"]):
        from vidjil_kernel.jobs.chunked import analyse_in_chunks

        return analyse_in_chunks(spec, context, detector, per_read=params.per_read,
                                 commandline=commandline)
    return analyse_file(detector, source, out_dir, stem, per_read=params.per_read,
                        commandline=commandline, progress=progress_reporter(context))
