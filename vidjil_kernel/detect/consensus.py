"""Consensus sequence of a clone from the few reads kept for its windows.

The reads are aligned on the clone's window: at each offset from the window
start, the base with the highest summed quality wins (one vote per read without
qualities).  The consensus spans what the best read covers, extended by what the
other reads add on either side.  Sequencing errors of a single read are voted out
wherever another read covers the position.

The reads kept for the clone's own window come first.  When it holds fewer than
``READS_KEPT`` (a small clone whose reads mostly carry an error in their window,
each window seen once), the reads of its other windows are added, biggest window
first, when that window is the clone's shifted by a few bases with at most
``MAX_MISMATCHES`` substitutions: they are then placed by that shift.  A window
holding an indel fits no single shift and lends no read.
"""

from __future__ import annotations

import numpy as np

from vidjil_kernel.detect.windows import READS_KEPT, WindowTable

#: how far another window of a clone may be shifted from the clone's own
MAX_SHIFT = 15
#: substitutions another window may show against the clone's (its error, and its
#: parent's when it was merged through another window)
MAX_MISMATCHES = 2

KeptRead = tuple[np.ndarray, np.ndarray | None, int]

_BASES = np.frombuffer(b"ACGTN", dtype=np.uint8)
_INDEX = np.full(256, 4, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _INDEX[_b] = _i


def consensus(reads: list[KeptRead]) -> tuple[str, int, str | None]:
    """(sequence, window start in it, Phred+33 quality or None) of (seq, qual, window start)."""
    left = max(start for _, _, start in reads)
    right = max(len(seq) - start for seq, _, start in reads)
    length = left + right
    weights = np.zeros((length, 5), dtype=np.float64)
    for seq, qual, start in reads:
        shift = left - start
        positions = np.arange(len(seq)) + shift
        votes = np.ones(len(seq)) if qual is None else qual.astype(np.float64) + 1.0
        np.add.at(weights, (positions, _INDEX[seq]), votes)
    weights[:, 4] *= 1e-3  # an N only wins where nothing else was read
    best = weights.argmax(axis=1)
    sequence = _BASES[best].tobytes().decode("ascii")
    has_qual = all(qual is not None for _, qual, _ in reads)
    quality = None
    if has_qual:
        total = weights.sum(axis=1)
        agree = weights[np.arange(length), best] / np.where(total > 0, total, 1)
        phred = np.clip(np.round(40 * agree), 2, 41).astype(np.uint8)
        quality = (phred + 33).tobytes().decode("ascii")
    return sequence, left, quality


def other_windows(table: WindowTable, roots: np.ndarray, clone_rows: list[int],
                  ) -> dict[int, list[int]]:
    """The windows merged (``roots``) into each of ``clone_rows`` that keeps fewer than
    READS_KEPT reads of its own, biggest first (none for the others: not needed)."""
    counts = table.row_count[:len(roots)]
    short = [row for row in clone_rows if table.kept_count[row] < READS_KEPT]
    rows = np.flatnonzero(np.isin(roots, short) & (roots != np.arange(len(roots))))
    rows = rows[np.lexsort((rows, -counts[rows], roots[rows]))]
    grouped: dict[int, list[int]] = {row: [] for row in clone_rows}
    for row, root in zip(rows.tolist(), roots[rows].tolist(), strict=True):
        grouped[root].append(row)
    return grouped


def clone_reads(table: WindowTable, row: int, others: list[int]) -> list[KeptRead]:
    """The reads voting for the consensus of the clone of window ``row`` (see above),
    each with the start of the clone's window in it."""
    reads = table.kept_reads(row)
    own = np.frombuffer(table.window(row), np.uint8)
    for other in others:
        if len(reads) >= READS_KEPT:
            break
        shift = _shift(own, np.frombuffer(table.window(other), np.uint8))
        if shift is not None:
            reads += [(seq, qual, start - shift) for seq, qual, start in table.kept_reads(other)]
    return reads


def _shift(own: np.ndarray, other: np.ndarray) -> int | None:
    """The shift k (``other[i]`` is ``own[i + k]``) with the fewest mismatches, the smallest
    first among equals, when they are at most MAX_MISMATCHES over half the window or more."""
    best: tuple[int, int] | None = None
    for k in sorted(range(-MAX_SHIFT, MAX_SHIFT + 1), key=abs):
        lo, hi = max(0, -k), min(len(other), len(own) - k)
        if 2 * (hi - lo) < len(own):
            continue
        mismatches = int(np.count_nonzero(other[lo:hi] != own[lo + k:hi + k]))
        if mismatches <= MAX_MISMATCHES and (best is None or mismatches < best[0]):
            best = (mismatches, k)
            if not mismatches:
                break
    return None if best is None else best[1]
