"""Reads whose J (or V) side the seeds miss, counted in the clone whose window they hold.

A read that ends a dozen nucleotides into its J, with a sequencing error there, has
no intact J seed: the affectation finds its V only and cannot tell where its
junction is.  Yet its junction is known once other reads of its clone are counted:
such a read holds that clone's window.  So the reads found with one significant
side only (``ONLY_5``, ``ONLY_3``) are kept aside during the pass, with their strand
and where that side's seed hits end (begin).  At its end, each one is counted in the
window (seen at least twice) that it holds on that strand at most ``MAX_EDITS`` edits
away, reaching at least BEYOND_SIDE nt past the side found (the fewest edits, then
the most reads, win).  Windows are found as the error merging finds parents.

Reaching past the side found, the window holds the N region and the other side, which
chance or a germline V (or J) fragment does not hold; without this rescue, a clone
whose reads stop early in the J lost 1.5% of them, most of the 2% its count may be
off.  Reads are kept aside in a temporary file: memory stays independent of the
input's size.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np

from vidjil_kernel.detect import affect
from vidjil_kernel.detect.encode import COMPLEMENT
from vidjil_kernel.detect.merge import (
    ParentIndex,
    best_held_window,
    held_window_scratch,
)
from vidjil_kernel.detect.windows import WindowTable
from vidjil_kernel.jit import kernel

#: the statuses of the reads looked for in the windows
RESCUED_STATUSES = (affect.ONLY_5, affect.ONLY_3)
#: the ``affect`` calls of a read kept with it
_KEPT_CALLS = ("status", "strand", "end5", "start3")
#: a window must reach this far beyond the read's significant side: a germline V (or J)
#: fragment then differs from it by chance there, at 12 of these bases on average
BEYOND_SIDE = 16


@kernel
def _rescue_batch(seq, offsets, strands, ends5, starts3, entries, codes, table, segment,
                  win_offset, win_width, win_arena, rows, oriented, scan_codes, slot_of,
                  candidates, tried, order, masks):
    """Row of the window each read holds (-1: none) into ``rows``: on the read's strand
    (``strands``), reaching BEYOND_SIDE nt past its 5' side's end (``ends5``) or before
    its 3' side's start (``starts3``), whichever it has (the other is -1).
    ``oriented`` is as long as the longest read; the arrays after it come from
    ``held_window_scratch``."""
    for r in range(offsets.shape[0] - 1):
        rows[r] = -1
        begin = offsets[r]
        length = offsets[r + 1] - begin
        if length < segment or entries.shape[0] == 0:
            continue
        for i in range(length):
            oriented[i] = seq[begin + i] if strands[r] > 0 else COMPLEMENT[
                seq[begin + length - 1 - i]]
        min_end = ends5[r] + BEYOND_SIDE if ends5[r] >= 0 else 0
        max_start = starts3[r] - BEYOND_SIDE if starts3[r] >= 0 else length
        rows[r] = best_held_window(oriented[:length], min_end, max_start, entries, codes,
                                   table, segment, win_offset, win_width, win_arena, scan_codes,
                                   slot_of, candidates, tried, order, masks)[0]


@dataclass(frozen=True)
class Rescued:
    """The reads counted in a window by ``UnanalysedReads.rescue``, by input order: index
    in the input, window row, on the reverse strand, length, and affectation status."""

    read_index: np.ndarray
    rows: np.ndarray
    reverse: np.ndarray
    lengths: np.ndarray
    statuses: np.ndarray

    def count_in(self, table: WindowTable) -> None:
        """Add the reads to their windows' counts (reads, summed length, reverse ones)."""
        np.add.at(table.row_count, self.rows, 1)
        np.add.at(table.row_length_sum, self.rows, self.lengths)
        np.add.at(table.row_reverse, self.rows, self.reverse.astype(table.row_reverse.dtype))


class UnanalysedReads:
    """The reads of a pass with one significant side only, in a temporary file."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="vidjil-unanalysed-")

    def add(self, seq: np.ndarray, offsets: np.ndarray, calls: dict[str, np.ndarray],
            first_index: int) -> None:
        """Keep the reads of a batch (``first_index``: its first read's index in the input)
        whose status (in their ``affect`` calls) is one of RESCUED_STATUSES."""
        chosen = np.flatnonzero(np.isin(calls["status"], RESCUED_STATUSES))
        if not len(chosen):
            return
        starts, stops = offsets[chosen], offsets[chosen + 1]
        lengths = stops - starts
        kept = np.concatenate([seq[a:b] for a, b in zip(starts.tolist(), stops.tolist(),
                                                         strict=True)])
        for array in (kept, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                      chosen + first_index, *(calls[field][chosen] for field in _KEPT_CALLS)):
            np.save(self._file, array, allow_pickle=False)

    def rescue(self, table: WindowTable, index: ParentIndex) -> Rescued:
        """The kept reads that hold a window of ``index``; closes the file."""
        found = []
        self._file.seek(0)
        size = os.fstat(self._file.fileno()).st_size
        while self._file.tell() < size:
            seq, offsets, read_index, statuses, strands, ends5, starts3 = (
                np.load(self._file, allow_pickle=False) for _ in range(3 + len(_KEPT_CALLS)))
            rows = np.empty(len(read_index), np.int64)
            longest = int(np.diff(offsets).max(initial=1))
            _rescue_batch(seq, offsets, strands, ends5, starts3, *index.arrays(),
                          table.win_offset, table.win_width, table.win_arena,
                          rows, np.empty(longest, np.uint8), *held_window_scratch(longest))
            held = rows >= 0
            found.append((read_index[held], rows[held], strands[held] < 0,
                          np.diff(offsets)[held], statuses[held]))
        self._file.close()
        if not found:
            empty = np.zeros(0, np.int64)
            return Rescued(empty, empty, np.zeros(0, np.bool_), empty, np.zeros(0, np.int8))
        return Rescued(*(np.concatenate(parts) for parts in zip(*found, strict=True)))
