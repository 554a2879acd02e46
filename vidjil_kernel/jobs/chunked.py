"""One big input detected in chunks on the cluster, from the worker running its analysis.

The analysis task splits its input into chunk files in its work directory and
submits the affectation of each chunk as soon as it is written; while they run
(anywhere on the cluster) it leaves its thread to them (``secede``), then comes
back (``rejoin``) to merge the calls in input order and designate: the result
is the single-pass one (``detect.chunks``).  A chunk whose worker dies is
submitted again.  The chunk files are removed when the analysis ends.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from vidjil_kernel.detect.chunks import Chunk, SplitInput, affect_chunk, split_reads
from vidjil_kernel.detect.pipeline import Detector
from vidjil_kernel.detect.run import analyse_split
from vidjil_kernel.jobs.context import JobCancelled, JobContext
from vidjil_kernel.jobs.engine import cached_detector, progress_reporter
from vidjil_kernel.results import SampleResult

#: times a chunk is submitted again after its worker died
CHUNK_RETRIES = 2
WAIT_SECONDS = 1.0


def affect_chunk_task(germline_dir: str, config: str, parameters: str, chunk: Chunk,
                      split: SplitInput, cancel_flag: str) -> int:
    """On any worker: the calls of one chunk (stops if the job is cancelled)."""
    detector = cached_detector(germline_dir, config, parameters)

    def check() -> None:
        if Path(cancel_flag).exists():
            raise JobCancelled("cancelled")

    return affect_chunk(detector, chunk, split, check=check)


class _ChunkRuns:
    """The chunk tasks of one analysis, resubmitted when their worker dies."""

    def __init__(self, spec: dict, client: Any) -> None:
        self.spec = spec
        self.client = client
        self.futures: dict[int, Any] = {}
        self.tries: dict[int, int] = {}
        self.chunks: dict[int, tuple[Chunk, SplitInput]] = {}

    def submit(self, split: SplitInput, chunk: Chunk) -> None:
        self.chunks[chunk.index] = (chunk, split)
        tries = self.tries.get(chunk.index, 0)
        self.tries[chunk.index] = tries + 1
        spec = self.spec
        self.futures[chunk.index] = self.client.submit(
            affect_chunk_task, spec["germline_dir"], spec["config"], spec["parameters"],
            chunk, split, spec["cancel_flag"], key=f"{spec['key']}-chunk-{chunk.index}-{tries}",
            pure=False)

    def done(self) -> int:
        """Chunks done; resubmits lost ones, raises a chunk's own error."""
        finished = 0
        for index, future in list(self.futures.items()):
            if future.status == "finished":
                finished += 1
            elif future.status in ("error", "cancelled"):
                error = future.exception() if future.status == "error" else None
                lost = error is None or type(error).__name__ == "KilledWorker"
                if lost and self.tries[index] <= CHUNK_RETRIES:
                    self.submit(self.chunks[index][1], self.chunks[index][0])
                elif error is not None:
                    raise error
                else:
                    raise RuntimeError(f"chunk {index} was dropped by the cluster")
        return finished

    def cancel(self) -> None:
        for future in self.futures.values():
            future.cancel()


def analyse_in_chunks(spec: dict, context: JobContext, detector: Detector, *, per_read: bool,
                      commandline: str) -> SampleResult:
    """``analyse_file`` with the affectation spread over the cluster's workers."""
    from distributed import get_client, rejoin, secede

    work = Path(spec["work_dir"]) / "chunks"
    shutil.rmtree(work, ignore_errors=True)
    runs = _ChunkRuns(spec, get_client())

    def on_chunk(split: SplitInput, chunk: Chunk) -> None:
        runs.submit(split, chunk)
        context.progress(sum(c.reads for c in split.chunks), int(split.expected_reads),
                         f"split {len(split.chunks)} chunk(s)")

    try:
        split = split_reads(detector, spec["input"], work, spec["chunk_reads"],
                            on_chunk=on_chunk)
        context.log(f"detected in {len(split.chunks)} chunks of up to "
                    f"{spec['chunk_reads']:,} reads on the cluster's workers")
        secede()
        try:
            while (finished := runs.done()) < len(split.chunks):
                context.progress(finished, len(split.chunks),
                                 f"{finished} of {len(split.chunks)} chunks detected")
                time.sleep(WAIT_SECONDS)
        finally:
            rejoin()
        return analyse_split(detector, split, Path(spec["out_dir"]), spec["stem"],
                             per_read=per_read, commandline=commandline,
                             progress=progress_reporter(context))
    except BaseException:
        runs.cancel()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
