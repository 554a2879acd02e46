"""The sample's sequencing error rates, measured on the windows of its biggest clones.

Sequencers differ most in their indels: Illumina makes few (about 1e-5 per base),
Ion Torrent many, above all in homopolymers, and base qualities do not tell which
(they speak of substitutions on one, of indels on the other).  The error merging
needs the rates to tell an error from a clone one edit away, so they are measured:
every run of one base inside the window of a big clone is lengthened and shortened
by one base, every base is substituted, and the windows so made (at the same start
or one base off, as the junction window of a read with an error may move) are looked
up in the window table.

- Indels: their reads over the clone's reads, for each length of run (Ion Torrent's
  indels grow with it), blended with a prior rate that samples without big clones
  keep, give the rate of an indel at a run of that length; a longer run is given at
  least the rate of a shorter one.  A variant holding far more reads than these rates
  give it is another clone one indel away, not errors: it is left out and the rates
  measured again (on simulated Illumina reads, without indel errors, three such clones
  of 72-107 reads next to 51,000-read ones gave a rate of 2.6e-5 instead of 4e-7, at
  which 6-read clones one indel away from those were merged as their errors).
- Substitutions: their reads over the errors the clone's base qualities predict give
  how far the qualities overstate substitutions (on Ion Torrent, they mostly state
  indel chances); the merge scales them down by as much, never up.
"""

from __future__ import annotations

import math

import numpy as np

from vidjil_kernel.detect.affect import log_poisson_tail
from vidjil_kernel.detect.encode import LETTERS
from vidjil_kernel.detect.windows import EMPTY, WindowTable, find_row
from vidjil_kernel.jit import inner, kernel

#: prior rates of an indel at a base in a run of 1, 2, ... 8 or more bases
PRIORS = np.array([2e-5] + [2e-3] * 7)
#: runs as long as this or longer share a rate
LONGEST_RUN = PRIORS.shape[0]
#: the prior weighs as much as this many measured chances of an indel: few enough that
#: a run length met only a few thousand times (the biggest clones of a polyclonal sample
#: hold a thousand reads) gets the rate measured on it
PRIOR_WEIGHT = 1_000.0
#: the qualities are trusted (scale 1) as much as this many predicted substitutions
PRIOR_SUBSTITUTIONS = 100.0
#: the reads found undercount the errors: a read with another error too has another window
UNDERCOUNT_SLACK = 2.0
#: clones measured: the biggest ones, with at least MIN_READS reads
BIGGEST = 20
MIN_READS = 200
#: errors are measured this far inside the window: a run lengthened or shortened at its
#: edge makes a shifted copy of the window
EDGE = 3
#: bases of the clone's read used on each side of its window
FLANK = 2
#: a variant holding OUTLIER_FACTOR times the reads the rates give it or more, with at
#: most this chance, is another clone (errors vary more than by chance from one variant
#: to another: the chance alone would leave out a sequencer's errors in some contexts);
#: the rates are measured again without such variants, at most OUTLIER_ROUNDS times
OUTLIER_LOG_CHANCE = math.log(1e-6)
OUTLIER_FACTOR = 10.0
OUTLIER_ROUNDS = 5


@inner
def _reads_found(variant, width, row, mark, counted, row_count, slots, keys, win_offset,
                 win_width, win_arena):
    """Reads of the windows of ``variant`` at FLANK and one base off, other than ``row``'s
    and not yet ``counted`` (rows are marked with ``mark``)."""
    reads = 0
    for shift in range(-1, 2):
        found, _, _ = find_row(variant[FLANK + shift:], width, slots, keys, win_offset,
                               win_width, win_arena)
        if found != EMPTY and found != row and counted[found] != mark:
            counted[found] = mark
            reads += row_count[found]
    return reads


@kernel
def _error_counts(rows, row_count, row_profile, profiles, kept_offset, kept_length, kept_score,
                  kept_window, kept_count, read_arena, slots, keys, win_offset, win_width,
                  win_arena, counted, variant, indels, substitutions):
    """Reads found one error away from the windows of ``rows``, and what was expected.

    Into ``indels``, a row per run lengthened or shortened by one base: (reads found,
    chances: the clone's reads, the run's length up to LONGEST_RUN, less one); returns
    how many rows.  Into ``substitutions``: (reads found, errors the qualities predict).
    ``counted`` (a 0 per row) and ``variant`` are scratch.
    """
    n_indels = 0
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
        profile = row_profile[row]
        if profile >= 0:
            for i in range(read.shape[0]):
                variant[i] = read[i]
            for q in range(FLANK + EDGE, stop):
                for code in range(4):
                    if LETTERS[code] != read[q]:
                        variant[q] = LETTERS[code]
                        substitutions[0] += _reads_found(
                            variant, width, row, p + 1, counted, row_count, slots, keys,
                            win_offset, win_width, win_arena)
                variant[q] = read[q]
                substitutions[1] += profiles[profile, q - FLANK]
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
            for change in range(-1, 2, 2):
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
                indels[n_indels, 0] = _reads_found(variant, width, row, p + 1, counted,
                                                   row_count, slots, keys, win_offset,
                                                   win_width, win_arena)
                indels[n_indels, 1] = row_count[row]
                indels[n_indels, 2] = kind
                n_indels += 1
            r += run
    return n_indels


def measured_errors(table: WindowTable,
                    min_reads: int = MIN_READS) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`_error_counts` finds around the biggest windows of ``table`` (at most
    BIGGEST, with at least ``min_reads`` reads): its indel rows, and its substitutions."""
    counts = table.row_count[:table.n_rows]
    rows = np.flatnonzero(counts >= min_reads)
    rows = rows[np.argsort(-counts[rows], kind="stable")][:BIGGEST]
    substitutions = np.zeros(2)
    if rows.shape[0] == 0:  # nothing to measure (and the kernel compiles with the windows')
        return np.zeros((0, 3)), substitutions
    longest = int(table.win_width[rows].max(initial=0)) + 2 * FLANK
    indels = np.empty((2 * longest * rows.shape[0], 3))
    n = _error_counts(rows, table.row_count, table.row_profile, table.profiles,
                      table.kept_offset, table.kept_length, table.kept_score, table.kept_window,
                      table.kept_count, table.read_arena, table.slots, table.keys,
                      table.win_offset, table.win_width, table.win_arena,
                      np.zeros(table.n_rows, np.int64), np.empty(longest + 1, np.uint8),
                      indels, substitutions)
    return indels[:n], substitutions


def indel_rates(indels: np.ndarray) -> np.ndarray:
    """Rate of an indel at a base in a run of 1, 2, ... LONGEST_RUN or more bases, from
    ``indels`` (rows of :func:`measured_errors`), leaving out the variants that hold too
    many reads for errors at the rates measured without them."""
    found, chances, kind = indels[:, 0], indels[:, 1], indels[:, 2].astype(np.int64)

    def rates_of(kept: np.ndarray) -> np.ndarray:
        return np.maximum.accumulate(
            (UNDERCOUNT_SLACK * np.bincount(kind[kept], found[kept], LONGEST_RUN)
             + PRIOR_WEIGHT * PRIORS)
            / (np.bincount(kind[kept], chances[kept], LONGEST_RUN) + PRIOR_WEIGHT))

    kept = np.ones(len(indels), np.bool_)
    rates = rates_of(kept)
    for _ in range(OUTLIER_ROUNDS):
        expected = chances * rates[kind] / UNDERCOUNT_SLACK
        clones = kept & (found >= OUTLIER_FACTOR * expected) & np.array(
            [log_poisson_tail(int(n), lam) < OUTLIER_LOG_CHANCE
             for n, lam in zip(found.tolist(), expected.tolist(), strict=True)], np.bool_)
        if not clones.any():
            break
        kept &= ~clones
        rates = rates_of(kept)
    return rates


def error_rates(table: WindowTable) -> tuple[np.ndarray, float]:
    """-ln of the rate of an indel at a base in a run of 1, 2, ... LONGEST_RUN or more,
    and the scale (at most 1) of the substitution errors the base qualities predict."""
    indels, substitutions = measured_errors(table)
    rates = indel_rates(indels)
    scale = ((UNDERCOUNT_SLACK * substitutions[0] + PRIOR_SUBSTITUTIONS)
             / (substitutions[1] + PRIOR_SUBSTITUTIONS))
    return -np.log(np.minimum(rates, 0.5)), float(min(1.0, scale))
