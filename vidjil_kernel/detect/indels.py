"""The sample's indel error rates, measured on the windows of its biggest clones.

Sequencers differ most in their indels: Illumina makes few (about 1e-5 per base),
Ion Torrent many, above all in homopolymers, and base qualities do not tell which
(they speak of substitutions on one, of indels on the other).  The error merging
needs the rate to tell an indel error from a clone one indel away, so it is
measured: every run of one base inside the window of a big clone is lengthened and
shortened by one base, and the windows so made (at the same start or one base off,
as the junction window of a read with an indel may move) are looked up in the
window table.  Their reads over the clone's reads, for each length of run (Ion
Torrent's indels grow with it), blended with a prior rate that samples without big
clones keep, give the rate of an indel at a run of that length; a longer run is
given at least the rate of a shorter one.
"""

from __future__ import annotations

import numpy as np

from vidjil_kernel.detect.windows import EMPTY, WindowTable, find_row
from vidjil_kernel.jit import kernel

#: prior rates of an indel at a base in a run of 1, 2, ... 8 or more bases
PRIORS = np.array([2e-5] + [2e-3] * 7)
#: runs as long as this or longer share a rate
LONGEST_RUN = PRIORS.shape[0]
#: the prior weighs as much as this many measured chances of an indel
PRIOR_WEIGHT = 10_000.0
#: the reads found undercount the errors: a read with another error too has another window
UNDERCOUNT_SLACK = 2.0
#: clones measured: the biggest ones, with at least MIN_READS reads
BIGGEST = 20
MIN_READS = 200
#: runs are measured this far inside the window: lengthened or shortened at its edge,
#: a run makes a shifted copy of the window
EDGE = 3
#: bases of the clone's read used on each side of its window
FLANK = 2


@kernel
def _indel_counts(rows, row_count, kept_offset, kept_length, kept_score, kept_window,
                  kept_count, read_arena, slots, keys, win_offset, win_width, win_arena,
                  counted, variant, counts):
    """Reads found one indel away from the windows of ``rows``, and the chances of it.

    Into ``counts`` (2 rows: reads found, chances; a column per run length up to
    LONGEST_RUN): a chance is one read of the clone for one run lengthened or shortened.
    ``counted`` (a 0 per row) and ``variant`` are scratch.
    """
    for p in range(rows.shape[0]):
        row = rows[p]
        best = 0  # the kept read with the most sequence around the window
        for k in range(1, kept_count[row]):
            if kept_score[row, k] > kept_score[row, best]:
                best = k
        start = kept_window[row, best]
        width = win_width[row]
        if start < FLANK or start + width + FLANK > kept_length[row, best]:
            continue
        offset = kept_offset[row, best]
        read = read_arena[offset + start - FLANK:offset + start + width + FLANK]
        stop = FLANK + width - EDGE
        r = FLANK + EDGE
        while r < stop and read[r - 1] == read[r]:  # the first run starting inside
            r += 1
        while r < stop:
            run = 1
            while r + run < read.shape[0] and read[r + run] == read[r]:
                run += 1
            if r + run > stop:
                break
            kind = min(run, LONGEST_RUN) - 1
            for change in (-1, 1):
                n = 0
                for i in range(r):
                    variant[n] = read[i]
                    n += 1
                for _ in range(run + change):
                    variant[n] = read[r]
                    n += 1
                for i in range(r + run, read.shape[0]):
                    variant[n] = read[i]
                    n += 1
                for shift in (-1, 0, 1):
                    found, _, _ = find_row(variant[FLANK + shift:], width, slots, keys,
                                           win_offset, win_width, win_arena)
                    if found != EMPTY and found != row and counted[found] != p + 1:
                        counted[found] = p + 1
                        counts[0, kind] += row_count[found]
                counts[1, kind] += row_count[row]
            r += run


def measured_indels(table: WindowTable) -> np.ndarray:
    """Reads found one indel away from the biggest windows (row 0), and the chances of
    it (row 1), for each run length 1, 2, ... LONGEST_RUN or more (a column each)."""
    counts = table.row_count[:table.n_rows]
    rows = np.flatnonzero(counts >= MIN_READS)
    rows = rows[np.argsort(-counts[rows], kind="stable")][:BIGGEST]
    found = np.zeros((2, LONGEST_RUN))
    _indel_counts(rows, table.row_count, table.kept_offset, table.kept_length,
                  table.kept_score, table.kept_window, table.kept_count, table.read_arena,
                  table.slots, table.keys, table.win_offset, table.win_width, table.win_arena,
                  np.zeros(table.n_rows, np.int64),
                  np.empty(int(table.win_width[rows].max(initial=0)) + 2 * FLANK + 1, np.uint8),
                  found)
    return found


def indel_costs(table: WindowTable) -> np.ndarray:
    """-ln of the rate of an indel at a base in a run of 1, 2, ... LONGEST_RUN or more."""
    found = measured_indels(table)
    rates = (UNDERCOUNT_SLACK * found[0] + PRIOR_WEIGHT * PRIORS) / (found[1] + PRIOR_WEIGHT)
    rates = np.maximum.accumulate(rates)
    return -np.log(np.minimum(rates, 0.5))
