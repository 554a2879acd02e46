"""Consensus sequence of a clone from the few reads kept for its window.

The reads share the window exactly, so they are aligned on it: at each offset
from the window start, the base with the highest summed quality wins (one vote
per read without qualities).  The consensus spans what the best read covers,
extended by what the other reads add on either side.  Sequencing errors of a
single read are voted out wherever another read covers the position.
"""

from __future__ import annotations

import numpy as np

_BASES = np.frombuffer(b"ACGTN", dtype=np.uint8)
_INDEX = np.full(256, 4, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _INDEX[_b] = _i


def consensus(reads: list[tuple[np.ndarray, np.ndarray | None, int]],
              ) -> tuple[str, int, str | None]:
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
