"""One detection run over one reads file: stream, affect, count windows, merge, report.

``Detector`` holds what does not depend on the input (the preset's k-mer index,
the options), so several files are analysed with one index.  Memory: one batch of
reads plus the window table, which grows with the number of distinct windows, a few
more every hundred reads as sequencing errors make them.  When the table would hold
more than TABLE_BUDGET by the end of the input, these windows are folded into their
clones' (``WindowTable.fold``) as the reads come: the table grows with the clones, not
with the reads; and when a fold leaves it over SETTLE_AT, its oldest windows of one read
that no merge explains are counted as clones of one read (``_Pass._settle``).
"""

from __future__ import annotations

import math
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from vidjil_kernel import __version__
from vidjil_kernel.detect import affect
from vidjil_kernel.detect.allocator import return_freed_memory
from vidjil_kernel.detect.consensus import clone_reads, consensus, other_windows
from vidjil_kernel.detect.diversity import diversity
from vidjil_kernel.detect.error_rates import error_rates
from vidjil_kernel.detect.index import KmerIndex, build_index
from vidjil_kernel.detect.merge import (
    CHILD_MARGIN,
    find_parents,
    fold_parents,
    parent_index,
    resolve_roots,
)
from vidjil_kernel.detect.rescue import Rescued, UnanalysedReads
from vidjil_kernel.detect.windows import WindowTable
from vidjil_kernel.germline import Preset
from vidjil_kernel.reads import BatchReader, ReadBatch
from vidjil_kernel.results import Clone, Designation, SampleResult

UNEXPECTED = "xxx"
#: read count assumed for the e-value when the input size is unknown (standard input)
UNKNOWN_READS = 1_000_000
#: bytes of the window table (``WindowTable.footprint``) by the end of the input, beyond
#: which its error windows are folded into their clones' as the reads come: first when
#: it holds three quarters of them, then each time it has grown by FOLD_GROWTH since the
#: last fold (a fold that leaves most windows leaves clones: the table then grows with
#: them).  The share of the input read tells the table's size by its end (unknown: it
#: is folded).
TABLE_BUDGET = 256 << 20
FOLD_GROWTH = 1.3
#: a table still holding more than SETTLE_AT after a fold gives up its oldest windows of
#: one read that looked for a parent in vain, counted as clones of one read, until it holds
#: SETTLE_TO (``_Pass._settle``)
SETTLE_AT = TABLE_BUDGET * 11 // 16
SETTLE_TO = TABLE_BUDGET * 5 // 8


@dataclass
class DetectOptions:
    """Options of a detection run (the CLI documents each one)."""

    window: int = 50  # 0: the whole read is the window
    evalue: float = 1.0
    min_reads: int = 5
    max_designations: int | None = 100  # None: all clones
    unexpected: bool = False
    batch_reads: int = 16384  # reads per batch: memory vs per-batch overhead
    threads: int = 1  # designating clones (its alignments release the GIL)


@dataclass
class Progress:
    """What a progress display needs, updated after each batch."""

    reads: int = 0
    analysed: int = 0
    bytes_done: int = 0
    total_bytes: int | None = None
    done: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def reads_per_second(self) -> float:
        return self.reads / max(time.monotonic() - self.started, 1e-9)


@dataclass
class DetectionRun:
    """A finished run: the result, and what per-read outputs need to find each read's clone.

    ``roots[row]`` is the final window (clone) of each window of ``table``;
    ``clone_rows[i]`` is the window of ``result.clones[i]``; ``rescued``, the reads
    not analysed in the pass but counted in the window they hold (``detect.rescue``);
    ``folds``, how many times the table was folded, and ``row_maps[e]``, when the run
    kept them (for per-read calls without ``on_fold``), the row of ``table`` of each row
    of the table after ``e`` folds.
    """

    result: SampleResult
    table: WindowTable
    roots: np.ndarray
    clone_rows: list[int]
    rescued: Rescued | None = None
    folds: int = 0
    row_maps: list[np.ndarray] = field(default_factory=list)

    def final_rows(self, rows: np.ndarray, folds: int) -> np.ndarray:
        """Rows of ``table`` of the ``rows`` a ``ReadAssignment`` gave after ``folds``
        folds (-1 stays: not analysed)."""
        if folds == self.folds:
            return rows
        return carried(rows, self.row_maps[folds])


#: what a fold did to the window table, for per-read calls kept outside the pass
#: (``Detector.run``'s ``on_fold``): each row's new row (-1: forgotten), the rows of the
#: windows settled (counted as clones of one read and forgotten), their (window, locus)
FoldListener = Callable[[np.ndarray, np.ndarray, list[tuple[str, str]]], None]


def carried(rows: np.ndarray, new_of_old: np.ndarray) -> np.ndarray:
    """``rows`` of a window table carried through a fold (``new_of_old``, from
    ``WindowTable.fold``); negative ones stay (a read not analysed)."""
    return np.where(rows >= 0, new_of_old[np.maximum(rows, 0)], rows)


@dataclass
class ReadAssignment:
    """Per-read calls of one batch, for ``--per-read`` output (row -1: not analysed):
    rows of the window table after ``folds`` folds (``DetectionRun.final_rows``)."""

    names: np.ndarray
    name_offsets: np.ndarray
    rows: np.ndarray
    reverse: np.ndarray
    folds: int = 0


def _recombinations(preset: Preset, unexpected: bool) -> list[tuple[str, list[str], list[str]]]:
    recombinations = [(system.name, r.five, r.three)
                      for system in preset.systems.values() for r in system.recombinations]
    if unexpected:
        known = {(tuple(f), tuple(t)) for _, f, t in recombinations}
        fives = list(dict.fromkeys(tuple(f) for _, f, _ in recombinations))
        threes = list(dict.fromkeys(tuple(t) for _, _, t in recombinations))
        recombinations += [(UNEXPECTED, list(f), list(t)) for f in fives for t in threes
                           if (f, t) not in known]
    return recombinations


def _as_text(sequence: np.ndarray, quality: np.ndarray | None,
             window_start: int) -> tuple[str, int, str | None]:
    text = sequence.tobytes().decode("ascii")
    return text, window_start, None if quality is None else (quality + 33).tobytes().decode()


def _is_d(preset: Preset, files: list[str]) -> bool:
    """Whether a side of a recombination is a D: an incomplete (D-J, V-D, D-D) recombination."""
    return all(a.segment == "D" for f in files for a in preset.alleles(f))


#: how much better (e-value ratio) the reverse strand must be to be preferred
STRAND_EVIDENCE = 1e-3


def _prefer_reverse(forward: Designation, reverse: Designation) -> bool:
    """Whether a sequence's designation on its reverse strand beats the one as given.

    Something found beats nothing, a recombination of one system beats an unexpected
    one between loci (as `-2` is tried only when no system explains a sequence); then
    the reverse strand needs a clearly lower e-value, since an inversion (V to an
    inverted V) reads about as well both ways and is reported as given.
    """
    def kind(designation: Designation) -> tuple[bool, bool]:
        return not designation.segments(), designation.locus == UNEXPECTED

    if kind(forward) != kind(reverse):
        return kind(reverse) < kind(forward)
    forward_e = forward.evalue if forward.evalue is not None else math.inf
    reverse_e = reverse.evalue if reverse.evalue is not None else math.inf
    return reverse_e < STRAND_EVIDENCE * forward_e


def _reverse_complement(sequence: str) -> str:
    return sequence.translate(str.maketrans("ACGTN", "TGCAN"))[::-1]


class _Pass:
    """What one pass over the reads accumulates: the window table, counts, progress."""

    def __init__(self, detector: Detector, total_bytes: int | None,
                 progress: Callable[[Progress], None] | None,
                 per_read: Callable[[ReadAssignment], None] | None,
                 on_fold: FoldListener | None) -> None:
        self.detector = detector
        self.state = Progress(total_bytes=total_bytes)
        self.progress = progress
        self.per_read = per_read
        self.on_fold = on_fold
        self.table: WindowTable | None = None
        self.reasons = np.zeros(len(affect.REASONS) + 1, np.int64)
        self.by_system = np.zeros(len(detector.systems), np.int64)
        self.unanalysed = UnanalysedReads() if detector.options.window > 0 else None
        self.fold_at = TABLE_BUDGET * 3 // 4
        self.rates: tuple[np.ndarray, float] | None = None  # measured at the first fold
        self.folds = 0
        # windows of one read counted as clones of one read and forgotten, by system (not
        # when such clones are reported, nor when per-read calls do not follow the folds)
        self.settled = np.zeros(len(detector.systems), np.int64)
        self.settles = ((per_read is None or on_fold is not None)
                        and detector.options.min_reads > 1)
        # for per-read calls that do not follow the folds: as many maps as folds, each as
        # long as the table then
        self.row_maps: list[np.ndarray] = []

    def add(self, batch: ReadBatch, calls: dict[str, np.ndarray], bytes_done: int) -> None:
        detector = self.detector
        if self.table is None:
            self.table = WindowTable(batch.qual is not None, detector.options.window)
        footprint = self.table.footprint(int(batch.offsets[-1] - batch.offsets[0]))
        share = self._share_read()
        big = self.folds or share is None or footprint > share * TABLE_BUDGET
        if footprint > self.fold_at and big:  # before the batch grows the table
            self._fold(share)
        rows = self.table.add(batch.seq, batch.qual, batch.offsets, calls)
        if self.unanalysed is not None:
            self.unanalysed.add(batch.seq, batch.offsets, calls, self.state.reads)
        analysed = calls["status"] == affect.ANALYSED
        self.reasons += np.bincount(calls["status"], minlength=len(self.reasons))
        self.by_system += np.bincount(detector.system_of_rec[calls["rec"][analysed]],
                                      minlength=len(detector.systems))
        self.state.reads += batch.n
        self.state.analysed += int(analysed.sum())
        self.state.bytes_done = bytes_done
        if self.per_read is not None:
            self.per_read(ReadAssignment(batch.names, batch.name_offsets, rows,
                                         calls["strand"] < 0, self.folds))
        if self.progress is not None:
            self.progress(self.state)

    def _share_read(self) -> float | None:
        total = self.state.total_bytes
        return min(1.0, self.state.bytes_done / total) if total else None

    def _fold(self, share: float | None) -> None:
        """Fold the windows that errors made so far into their clones' windows.

        The sample's error rates are measured once, on the first table folded: the
        windows folded are the errors these rates are measured on.  The windows of one
        read that looked for a parent in vain keep only what a merge reads of their read
        (``WindowTable.narrow_reads``): a fold of 20M polyclonal reads leaves one per
        140 reads read, and their whole reads were more than a quarter of the table.
        """
        table = self.table
        if self.rates is None:
            self.rates = error_rates(table)
        folded = fold_parents(table, self.rates, share, self.state.reads)
        looked_in_vain = table.row_looked[:table.n_rows] == self.state.reads
        table.narrow_reads(np.flatnonzero(looked_in_vain & (table.reads() == 1)), CHILD_MARGIN)
        new_of_old = table.fold(*folded)
        self.folds += 1
        settled: list[tuple[str, str]] = []
        if self.settles and table.footprint() > SETTLE_AT:
            settle_map, settled = self._settle(table)
            new_of_old = carried(new_of_old, settle_map)
        new_of_old = new_of_old.astype(np.int32)
        if self.on_fold is not None:  # no fold maps to -1 but settling
            self.on_fold(new_of_old, np.flatnonzero(new_of_old == -1), settled)
        elif self.per_read is not None:
            self.row_maps = [carried(old, new_of_old) for old in self.row_maps] + [new_of_old]
        self.fold_at = max(TABLE_BUDGET // 2, FOLD_GROWTH * table.footprint())

    def _settle(self, table: WindowTable) -> tuple[np.ndarray, list[tuple[str, str]]]:
        """Count the oldest windows of one read that looked for a parent in vain as clones
        of one read, and forget them, until the table holds SETTLE_TO.

        What keeps the memory bounded whatever the input's size: these windows are about
        one per 200 reads of a polyclonal sample, reads whose errors no merge explains,
        and they would otherwise stay to the end (500 bytes each).  The price: such a
        window is not compared at the end (a third of them join their clone then), and
        a later read of it makes a new window (a small clone's first read is lost to it).
        Returns the fold's map of rows and, for ``on_fold``, the (window, locus) of the
        windows settled.
        """
        n = table.n_rows
        lonely = np.flatnonzero((table.reads() == 1) & (table.row_looked[:n] > 0))
        excess = table.footprint() - SETTLE_TO
        settled = lonely[:int(np.searchsorted(np.cumsum(table.row_bytes(lonely)), excess)) + 1]
        systems = self.detector.system_of_rec[table.row_rec[settled]]
        self.settled += np.bincount(systems, minlength=len(self.settled))
        windows = [] if self.on_fold is None else [
            (table.window(row).decode("ascii"), self.detector.locus_of_row(table, row))
            for row in settled.tolist()]
        return table.fold(settled, np.full(len(settled), -1, np.int64)), windows

    def finish(self, source: str | os.PathLike, commandline: str | None) -> DetectionRun:
        detector = self.detector
        table = self.table
        if table is None:
            table = WindowTable(False, detector.options.window, rows=1, arena=1)
        self.state.done = True
        if self.progress is not None:
            self.progress(self.state)
        if self.folds:  # a big input: the merge looks at what folds leave
            self._fold(1.0)
        roots, rescued = self._merge(table)
        result, clone_rows = detector._result(source, table, roots, self.reasons,
                                              self.by_system, self.settled, self.state,
                                              commandline)
        if self.settled.any():
            result.log.append(
                f"{int(self.settled.sum()):,} windows of one read that no merge explained "
                "counted as clones of one read before the end, the window table outgrowing "
                "its memory budget")
        if rescued is not None and len(rescued.rows):
            result.log.append(f"{len(rescued.rows):,} reads with a significant V or J side "
                              "only, holding the window of a clone: counted in it")
        return DetectionRun(result, table, roots, clone_rows, rescued, self.folds,
                            self.row_maps)

    def _merge(self, table: WindowTable) -> tuple[np.ndarray, Rescued | None]:
        """The final window (clone) of each window, after counting the reads kept aside in
        the windows they hold.  The merge's indexes are made one at a time (the rescue's,
        which is its first one, is made again)."""
        roots = resolve_roots(find_parents(table, rates=self.rates))
        if self.unanalysed is None:
            return roots, None
        rescued = self.unanalysed.rescue(table, parent_index(table))
        self._count(rescued, table)
        return roots, rescued

    def _count(self, rescued: Rescued, table: WindowTable) -> None:
        """Count the rescued reads as analysed, in their windows and their systems."""
        rescued.count_in(table)
        self.reasons -= np.bincount(rescued.statuses, minlength=len(self.reasons))
        self.by_system += np.bincount(self.detector.system_of_rec[table.row_rec[rescued.rows]],
                                      minlength=len(self.by_system))
        self.state.analysed += len(rescued.rows)


class Detector:
    """Detects V(D)J recombinations and clones in reads, for one preset and options."""

    def __init__(self, preset: Preset, options: DetectOptions | None = None) -> None:
        return_freed_memory()
        self.preset = preset
        self.options = options or DetectOptions()
        recombinations = _recombinations(preset, self.options.unexpected)
        self.recombinations = recombinations
        files = {f for _, five, three in recombinations for f in (*five, *three)}
        groups = {f: [a.sequence for a in preset.alleles(f)] for f in files}
        self.index: KmerIndex = build_index(groups, recombinations)
        self.five, self.three, self.system_of_rec = self.index.recombination_arrays()
        self.rank_of_rec = np.array(
            [2 if system == UNEXPECTED else int(_is_d(preset, five) or _is_d(preset, three))
             for system, five, three in recombinations], np.int32)
        # V-J recombinations of the main index: tried before looking reads up in the short one
        self.first_pass = np.array(
            [rank == 0 and not (int(five) | int(three)) & self.index.short_mask
             for rank, five, three in zip(self.rank_of_rec, self.five, self.three, strict=True)],
            np.bool_)
        self.systems = self.index.systems
        short = self.index.short
        empty_table = np.zeros(1, np.uint8)
        self._tables = (
            self.index.main.table, self.index.main.seed.runs(), self.index.main.seed.span,
            self.index.main.plus, self.index.main.minus,
            short.table if short else empty_table,
            short.seed.runs() if short else np.zeros((0, 3), np.int64),
            short.seed.span if short else 0,
            short.plus if short else np.zeros(1, np.uint32),
            short.minus if short else np.zeros(1, np.uint32),
        )
        self._load = self.index.main.load + (short.load if short else 0.0)

    def _log_factor(self, reads: float) -> float:
        """ln of (tests per read x reads): the e-value's multiplicity."""
        return math.log(2 * len(self.five)) + math.log(max(reads, 1.0))

    def affect(self, seq: np.ndarray, offsets: np.ndarray, reads: float) -> dict[str, np.ndarray]:
        """Per-read calls (see ``affect.affect_batch``) of reads in a file of ``reads`` reads."""
        n = offsets.shape[0] - 1
        calls = {
            "status": np.empty(n, np.int8), "rec": np.empty(n, np.int32),
            "strand": np.empty(n, np.int8), "win_start": np.empty(n, np.int32),
            "win_width": np.empty(n, np.int32), "log10_evalue": np.empty(n, np.float64),
            "end5": np.empty(n, np.int32), "start3": np.empty(n, np.int32),
        }
        affect.affect_batch(
            seq, offsets, *self._tables, self.five, self.three, self.rank_of_rec,
            self.first_pass, self._load,
            self._log_factor(reads), math.log(self.options.evalue), self.options.window,
            calls["status"], calls["rec"], calls["strand"], calls["win_start"],
            calls["win_width"], calls["log10_evalue"], calls["end5"], calls["start3"])
        return calls

    def affect_sequences(self, sequences: list[str]) -> list[tuple[int, str]]:
        """(recombination index or -1, sequence on its forward strand or the reason) each.

        For single sequences (a curated collection, a user's pasted sequence): the
        e-value counts the sequences given as the whole input, and a sequence too short
        for a window is still affected.
        """
        encoded = [s.upper().encode("ascii") for s in sequences]
        seq = np.frombuffer(b"".join(encoded), np.uint8) if encoded else np.zeros(0, np.uint8)
        offsets = np.concatenate([[0], np.cumsum([len(s) for s in encoded])]).astype(np.int64)
        calls = self.affect(seq, offsets, float(len(sequences)))
        out: list[tuple[int, str]] = []
        for i, sequence in enumerate(sequences):
            status = calls["status"][i]
            if status not in (affect.ANALYSED, affect.TOO_SHORT_WINDOW):
                out.append((-1, affect.REASONS[int(status)]))
                continue
            forward = sequence.upper() if calls["strand"][i] > 0 else _reverse_complement(
                sequence.upper())
            out.append((int(calls["rec"][i]), forward))
        return out

    def designate_sequences(self, sequences: list[str]) -> list[tuple[bool, Designation]]:
        """(reverse-complemented, designation) of single sequences (`vidjil designate`).

        The k-mer detection chooses the strand and the system of a V-J recombination,
        as for reads.  When it finds only an incomplete or unexpected one (evidence on
        a short D), or nothing, every system is compared by dynamic programming
        instead, on both strands.
        """
        from vidjil_kernel.designate import designate, designate_best

        unexpected = self.options.unexpected
        out = []
        for sequence, (rec, placed) in zip(sequences, self.affect_sequences(sequences),
                                           strict=True):
            upper = sequence.upper()
            if rec >= 0 and self.rank_of_rec[rec] == 0:
                system = self.systems[self.system_of_rec[rec]]
                out.append((placed != upper, designate(placed, self.preset, system)))
                continue
            both = [designate_best(s, self.preset, unexpected=unexpected)
                    for s in (upper, _reverse_complement(upper))]
            reverse = _prefer_reverse(*both)
            out.append((reverse, both[reverse]))
        return out

    def run(self, source: str | os.PathLike, *,
            progress: Callable[[Progress], None] | None = None,
            per_read: Callable[[ReadAssignment], None] | None = None,
            on_fold: FoldListener | None = None,
            commandline: str | None = None) -> DetectionRun:
        """Analyse one reads file (or ``-``); clones are not designated yet (``designate``).

        ``per_read`` gets each batch's calls.  With ``on_fold``, which follows the window
        table's folds for them, the run keeps no map of rows (``DetectionRun.row_maps``)
        and may settle windows (counted as clones of one read and forgotten); without it,
        the run keeps every window and a map of rows per fold.
        """
        reader = BatchReader(source, batch_reads=self.options.batch_reads)
        counting = _Pass(self, reader.total_bytes, progress, per_read, on_fold)
        expected_reads: float | None = None
        with reader:
            for batch in reader:
                if expected_reads is None:
                    expected_reads = self._expected_reads(reader)
                calls = self.affect(batch.seq, batch.offsets, expected_reads)
                counting.add(batch, calls, reader.bytes_read)
        return counting.finish(source, commandline)

    def run_calls(self, source: str | os.PathLike,
                  batches: Iterable[tuple[ReadBatch, dict[str, np.ndarray], int]], *,
                  total_bytes: int | None = None,
                  progress: Callable[[Progress], None] | None = None,
                  per_read: Callable[[ReadAssignment], None] | None = None,
                  on_fold: FoldListener | None = None,
                  commandline: str | None = None) -> DetectionRun:
        """``run`` on calls already made: (batch, its ``affect`` calls, input bytes done so far).

        Fed every batch of ``source`` in input order, with calls made with the whole
        input's read count, it gives the result ``run`` gives (``detect.chunks``
        makes the calls of pieces of a file on several workers).
        """
        counting = _Pass(self, total_bytes, progress, per_read, on_fold)
        for batch, calls, bytes_done in batches:
            counting.add(batch, calls, bytes_done)
        return counting.finish(source, commandline)

    def locus_of_row(self, table: WindowTable, row: int) -> str:
        return self.systems[self.system_of_rec[table.row_rec[row]]]

    def designate(self, run: DetectionRun) -> None:
        """Full V(D)J designation of the top ``max_designations`` clones, in place, each
        shown first by the consensus of its reads (``detect.consensus``).

        On ``options.threads`` threads: the alignments release the GIL, the rest of a
        designation does not (1.35x faster on two threads for ``-z all``).
        """
        pairs = zip(run.result.clones, run.clone_rows, strict=True)
        chosen = list(pairs)[:self.options.max_designations]
        if not chosen:
            return
        from vidjil_kernel.designate import designate, designate_files

        table = run.table
        others = other_windows(table, run.roots, [row for _, row in chosen])
        for clone, row in chosen:  # a designated clone is shown by its consensus
            clone.sequence, clone.window_start, clone.quality = consensus(
                clone_reads(table, row, others[row]))

        def designation(clone_and_row: tuple[Clone, int]) -> Designation:
            clone, row = clone_and_row
            if clone.locus == UNEXPECTED:
                _, five, three = self.recombinations[run.table.row_rec[row]]
                return designate_files(clone.sequence, self.preset, five, [], three, UNEXPECTED)
            return designate(clone.sequence, self.preset, clone.locus)

        threads = min(self.options.threads, len(chosen))
        if threads > 1:
            from concurrent.futures import ThreadPoolExecutor  # not imported by a 1-thread run

            with ThreadPoolExecutor(threads, thread_name_prefix="vidjil-designate") as pool:
                designations = list(pool.map(designation, chosen))
        else:
            designations = [designation(pair) for pair in chosen]
        for (clone, _), found in zip(chosen, designations, strict=True):
            clone.designation = found

    def _expected_reads(self, reader: BatchReader) -> float:
        """Reads in the whole input, estimated from the part read (size unknown: a default)."""
        expected = reader.expected_records()
        return float(UNKNOWN_READS) if expected is None else max(expected, reader.records_read)

    def _result(self, source: str | os.PathLike, table: WindowTable, roots: np.ndarray,
                reasons: np.ndarray, by_system: np.ndarray, settled: np.ndarray,
                state: Progress, commandline: str | None) -> tuple[SampleResult, list[int]]:
        """The sample's result, and the window (row) of each of its clones; ``settled``:
        the clones of one read not in ``table`` (``_Pass._settle``), by system."""
        n = table.n_rows
        counts = np.bincount(roots, weights=table.reads(), minlength=n).astype(np.int64)
        lengths = np.bincount(roots, weights=table.row_length_sum[:n], minlength=n)
        clone_rows = np.flatnonzero(counts)
        clone_rows = clone_rows[np.lexsort((clone_rows, -counts[clone_rows]))]
        system_of_row = self.system_of_rec[table.row_rec[:n]] if n else np.zeros(0, np.int64)
        diversities = {"all": diversity(np.concatenate([counts[clone_rows],
                                                        np.ones(settled.sum(), np.int64)]))}
        for s, name in enumerate(self.systems):
            in_system = clone_rows[system_of_row[clone_rows] == s]
            if len(in_system) or settled[s]:
                diversities[name] = diversity(np.concatenate([counts[in_system],
                                                              np.ones(settled[s], np.int64)]))
        best_e = np.full(n, np.inf)
        np.minimum.at(best_e, roots, table.row_best_e[:n])
        reported = clone_rows[counts[clone_rows] >= self.options.min_reads]  # a prefix
        best_reads = table.best_kept_reads(reported)
        clones = []
        for rank, (row, reads, average, log10_evalue, system) in enumerate(zip(
                reported.tolist(), counts[reported].tolist(),
                (lengths[reported] / counts[reported]).tolist(), best_e[reported].tolist(),
                system_of_row[reported].tolist(), strict=True), start=1):
            # the read covering the most stands for a clone until it is designated
            sequence, window_start, quality = _as_text(*next(best_reads))
            clones.append(Clone(id=table.window(row).decode("ascii"), locus=self.systems[system],
                                reads=reads, sequence=sequence, window_start=window_start,
                                average_read_length=average, evalue=10.0 ** log10_evalue,
                                top=rank, quality=quality))
        name = "-" if str(source) == "-" else Path(source).name
        result = SampleResult(
            original_name=name,
            producer=f"vidjil-kernel {__version__}",
            timestamp=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            commandline=commandline or shlex.join(sys.argv),
            total_reads=state.reads,
            analysed_reads=state.analysed,
            reads_by_locus={s: int(c) for s, c in zip(self.systems, by_system, strict=True) if c},
            reasons={label: int(reasons[code]) for code, label in affect.REASONS.items()},
            clones=clones,
            diversity=diversities,
            preset=self.preset.species,
        )
        return result, reported.tolist()
