"""Analyse one reads file into its output files, with a progress bar.

This is what `vidjil detect` and the jobs layer call (``analyse_split`` for an
input detected in chunks): detection, designation of the top clones, then
``<stem>.vidjil``, ``<stem>.airr.tsv`` and, on request, ``<stem>.reads.airr.tsv``.
Per-read calls are spooled to a temporary file during the pass (clones are only
known at its end), so memory stays independent of the number of reads.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vidjil_kernel.detect.chunks import SplitInput, combined_batches
from vidjil_kernel.detect.pipeline import DetectionRun, Detector, Progress, ReadAssignment
from vidjil_kernel.formats.airr import ReadAirrWriter, write_airr
from vidjil_kernel.formats.vidjil import write_vidjil
from vidjil_kernel.reads import ReadBatch
from vidjil_kernel.results import Clone, SampleResult


class PerReadSpool:
    """Per-read (name, row, strand) of every batch, and the table's folds before it, in a
    temporary file next to the outputs."""

    def __init__(self, directory: Path) -> None:
        self._file = tempfile.TemporaryFile(dir=directory, prefix=".reads-spool-")

    def add(self, assignment: ReadAssignment) -> None:
        for array in (assignment.names, assignment.name_offsets, assignment.rows,
                      assignment.reverse, np.array(assignment.folds)):
            np.save(self._file, array, allow_pickle=False)

    def batches(self):
        self._file.seek(0)
        while self._file.tell() < os.fstat(self._file.fileno()).st_size:
            yield tuple(np.load(self._file, allow_pickle=False) for _ in range(5))

    def write(self, path: Path, detector: Detector, run: DetectionRun) -> Path:
        """Write ``path``: each analysed (or rescued) read with the clone of its window's
        final row."""
        table, roots, clone_rows = run.table, run.roots, run.clone_rows
        clones = list(run.result.clones)
        index_of_root = np.full(table.n_rows, -1, np.int64)
        index_of_root[clone_rows] = np.arange(len(clone_rows))
        counts = np.bincount(roots, weights=table.reads(), minlength=table.n_rows)
        for root in np.unique(roots):
            if index_of_root[root] < 0:  # a clone below --min-reads: id and locus only
                index_of_root[root] = len(clones)
                window = table.window(root).decode("ascii")
                clones.append(Clone(id=window, locus=detector.locus_of_row(table, root),
                                    reads=int(counts[root]), sequence=window, window_start=0,
                                    average_read_length=0.0, evalue=float("nan")))
        rescued = run.rescued
        first = 0
        with ReadAirrWriter(path, clones) as writer:
            for names, name_offsets, rows, reverse, folds in self.batches():
                rows = run.final_rows(rows, int(folds))
                if rescued is not None:  # rows of the reads counted after the pass
                    lo, hi = np.searchsorted(rescued.read_index, [first, first + len(rows)])
                    at = rescued.read_index[lo:hi] - first
                    rows[at] = rescued.rows[lo:hi]
                    reverse[at] = rescued.reverse[lo:hi]
                first += len(rows)
                clone_index = np.where(rows >= 0, index_of_root[roots[np.maximum(rows, 0)]], -1)
                batch = ReadBatch(np.zeros(0, np.uint8), np.zeros(len(rows) + 1, np.int64), None,
                                  names, name_offsets, 0)
                writer.write_batch(batch, clone_index, reverse)
        self._file.close()
        return path


def progress_bar(total_bytes: int | None, quiet: bool) -> Callable[[Progress], None] | None:
    """A tqdm bar on stderr: input consumed, reads, reads/s and the share analysed."""
    if quiet:
        return None
    from tqdm import tqdm

    bar = tqdm(total=total_bytes, unit="B", unit_scale=True, file=sys.stderr,
               dynamic_ncols=True, leave=False, delay=0.5)  # no flash on a failed open

    def update(state: Progress) -> None:
        bar.update(state.bytes_done - bar.n)
        bar.set_postfix_str(f"{state.reads:,} reads, {state.reads_per_second:,.0f} reads/s, "
                            f"{100.0 * state.analysed / max(state.reads, 1):.1f}% analysed")
        if state.done:
            bar.close()

    return update


def analyse_file(detector: Detector, source: str, out_dir: Path, stem: str, *,
                 per_read: bool = False, quiet: bool = True,
                 commandline: str | None = None,
                 progress: Callable[[Progress], None] | None = None) -> SampleResult:
    """Detect, designate and write the outputs of one input; returns its result.

    ``progress`` replaces the progress bar (the jobs layer reports to the lab).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    spool = PerReadSpool(out_dir) if per_read else None
    total = None if source == "-" else os.path.getsize(source) if os.path.isfile(source) else None
    run = detector.run(source, progress=progress or progress_bar(total, quiet),
                       per_read=spool.add if spool else None, commandline=commandline)
    return write_outputs(detector, run, out_dir, stem, spool)


def analyse_split(detector: Detector, split: SplitInput, out_dir: Path, stem: str, *,
                  per_read: bool = False, commandline: str | None = None,
                  progress: Callable[[Progress], None] | None = None) -> SampleResult:
    """``analyse_file`` for an input split into chunks whose calls are made (``detect.chunks``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spool = PerReadSpool(out_dir) if per_read else None
    run = detector.run_calls(split.source, combined_batches(split),
                             total_bytes=split.total_bytes, progress=progress,
                             per_read=spool.add if spool else None, commandline=commandline)
    return write_outputs(detector, run, out_dir, stem, spool)


def write_outputs(detector: Detector, run: DetectionRun, out_dir: Path, stem: str,
                  spool: PerReadSpool | None) -> SampleResult:
    """Designate the top clones, then write ``<stem>.vidjil``, ``.airr.tsv`` (and per-read)."""
    detector.designate(run)
    write_vidjil(run.result, out_dir / f"{stem}.vidjil")
    write_airr(run.result, out_dir / f"{stem}.airr.tsv")
    if spool is not None:
        spool.write(out_dir / f"{stem}.reads.airr.tsv", detector, run)
    return run.result
