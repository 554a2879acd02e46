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
from array import array
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vidjil_kernel.detect.chunks import SplitInput, combined_batches
from vidjil_kernel.detect.pipeline import (
    DetectionRun,
    Detector,
    Progress,
    ReadAssignment,
    carried,
)
from vidjil_kernel.formats.airr import ReadAirrWriter, write_airr
from vidjil_kernel.formats.vidjil import write_vidjil
from vidjil_kernel.reads import ReadBatch
from vidjil_kernel.results import Clone, SampleResult


class PerReadSpool:
    """Per-read (name, row, strand) of every batch, in temporary files next to the outputs.

    The rows are those of the window table when the batch was read; the table's folds
    renumber its rows (``fold``): their maps are kept until they take MAPS_BUDGET bytes,
    then the rows spooled are carried through them (a map per fold, as long as the table
    then: 90 MB for the 38 folds of 20M polyclonal reads).  A read whose window was
    settled (counted as a clone of one read and forgotten) gets -2 - its index among the
    windows settled, whose (window, locus) are spooled too.
    """

    #: bytes of fold maps kept before the rows spooled are carried through them
    MAPS_BUDGET = 8 << 20

    def __init__(self, directory: Path) -> None:
        self._file = tempfile.TemporaryFile(dir=directory, prefix=".reads-spool-")
        self._rows = tempfile.TemporaryFile(dir=directory, prefix=".reads-spool-")
        self._settled = tempfile.TemporaryFile(dir=directory, prefix=".reads-spool-")
        self._settled_at = array("q", [0])  # where each settled window's record starts
        self._batch_reads: list[int] = []
        self._batch_folds: list[int] = []  # the folds each batch's rows have been through
        self._maps: list[np.ndarray] = []  # maps[e]: the row now of a row after first + e folds
        self._first = 0

    @property
    def _folds(self) -> int:
        return self._first + len(self._maps)

    def add(self, assignment: ReadAssignment) -> None:
        for values in (assignment.names, assignment.name_offsets, assignment.reverse):
            np.save(self._file, values, allow_pickle=False)
        self._rows.write(assignment.rows.astype(np.int32).tobytes())
        self._batch_reads.append(len(assignment.rows))
        self._batch_folds.append(self._folds)

    def fold(self, new_of_old: np.ndarray, settled_rows: np.ndarray,
             settled: list[tuple[str, str]]) -> None:
        """Follow a fold of the window table (``Detector.run``'s ``on_fold``)."""
        if len(settled_rows):
            first = len(self._settled_at) - 1
            new_of_old = new_of_old.copy()
            new_of_old[settled_rows] = -2 - np.arange(first, first + len(settled_rows))
            for window, locus in settled:
                self._settled.write(f"{window}\t{locus}".encode("ascii"))
                self._settled_at.append(self._settled.tell())
        self._maps = [carried(old, new_of_old) for old in self._maps] + [new_of_old]
        if sum(old.nbytes for old in self._maps) > self.MAPS_BUDGET:
            self._carry()

    def _carry(self) -> None:
        """Carry the rows spooled through the folds since, and forget the maps."""
        self._rows.flush()
        at = 0
        for reads, folds in zip(self._batch_reads, self._batch_folds, strict=True):
            if folds < self._folds:
                os.pwrite(self._rows.fileno(), self._rows_now(at, reads, folds).tobytes(), at)
            at += 4 * reads
        self._first = self._folds
        self._maps = []
        self._batch_folds = [self._first] * len(self._batch_folds)

    def _rows_now(self, at: int, reads: int, folds: int) -> np.ndarray:
        """The rows of ``reads`` reads spooled at byte ``at`` after ``folds`` folds, now."""
        rows = np.frombuffer(os.pread(self._rows.fileno(), 4 * reads, at), np.int32)
        return rows if folds == self._folds else carried(rows, self._maps[folds - self._first])

    def _settled_clones(self, indexes: np.ndarray) -> list[Clone]:
        """The clones of one read of the windows settled at ``indexes``."""
        clones = []
        for index in indexes.tolist():
            start, end = self._settled_at[index], self._settled_at[index + 1]
            window, locus = os.pread(self._settled.fileno(), end - start, start).decode(
                "ascii").split("\t")
            clones.append(_window_clone(window, locus, 1))
        return clones

    def write(self, path: Path, detector: Detector, run: DetectionRun) -> Path:
        """Write ``path``: each analysed (or rescued) read with the clone of its window's
        final row."""
        table, roots, clone_rows = run.table, run.roots, run.clone_rows
        clones = run.result.clones
        index_of_root = np.full(table.n_rows, -1, np.int64)
        index_of_root[clone_rows] = np.arange(len(clone_rows))
        counts = np.bincount(roots, weights=table.reads(), minlength=table.n_rows)
        rescued = run.rescued
        first = at = 0
        self._rows.flush()
        self._settled.flush()
        self._file.seek(0)
        with ReadAirrWriter(path, clones) as writer:
            for reads, folds in zip(self._batch_reads, self._batch_folds, strict=True):
                names, name_offsets, reverse = (np.load(self._file, allow_pickle=False)
                                                for _ in range(3))
                rows = self._rows_now(at, reads, folds).astype(np.int64)
                at += 4 * reads
                if rescued is not None:  # rows of the reads counted after the pass
                    lo, hi = np.searchsorted(rescued.read_index, [first, first + reads])
                    at_read = rescued.read_index[lo:hi] - first
                    rows[at_read] = rescued.rows[lo:hi]
                    reverse[at_read] = rescued.reverse[lo:hi]
                first += reads
                root = np.where(rows >= 0, roots[np.maximum(rows, 0)], -1)
                clone_index = np.where(rows >= 0, index_of_root[np.maximum(root, 0)], -1)
                # the clones that the sample's are not, made for the batch (too many to keep):
                # below --min-reads, and settled
                small = np.flatnonzero((rows >= 0) & (clone_index < 0))
                small_roots, inverse = np.unique(root[small], return_inverse=True)
                clone_index[small] = len(clones) + inverse
                settled = np.flatnonzero(rows <= -2)
                indexes, inverse = np.unique(-2 - rows[settled], return_inverse=True)
                clone_index[settled] = len(clones) + len(small_roots) + inverse
                extra = [_window_clone(table.window(row).decode("ascii"),
                                       detector.locus_of_row(table, row), int(counts[row]))
                         for row in small_roots.tolist()] + self._settled_clones(indexes)
                batch = ReadBatch(np.zeros(0, np.uint8), np.zeros(reads + 1, np.int64), None,
                                  names, name_offsets, 0)
                writer.write_batch(batch, clone_index, reverse, extra)
        for spooled in (self._file, self._rows, self._settled):
            spooled.close()
        return path


def _window_clone(window: str, locus: str, reads: int) -> Clone:
    """A clone not reported in the sample's clones (below ``--min-reads``, or settled):
    its id (its window) and locus only."""
    return Clone(id=window, locus=locus, reads=reads, sequence=window, window_start=0,
                 average_read_length=0.0, evalue=float("nan"))


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
                       per_read=spool.add if spool else None,
                       on_fold=spool.fold if spool else None, commandline=commandline)
    return write_outputs(detector, run, out_dir, stem, spool)


def analyse_split(detector: Detector, split: SplitInput, out_dir: Path, stem: str, *,
                  per_read: bool = False, commandline: str | None = None,
                  progress: Callable[[Progress], None] | None = None) -> SampleResult:
    """``analyse_file`` for an input split into chunks whose calls are made (``detect.chunks``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spool = PerReadSpool(out_dir) if per_read else None
    run = detector.run_calls(split.source, combined_batches(split),
                             total_bytes=split.total_bytes, progress=progress,
                             per_read=spool.add if spool else None,
                             on_fold=spool.fold if spool else None, commandline=commandline)
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
