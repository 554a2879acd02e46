"""Dynamic-programming kernels of the designation (numba, arrays in and out).

One kernel does all the work: a local alignment of germline alleles against a
sequence, where an alignment may *start* at read position ``i`` with the score
``bonus[i]`` of what precedes it (0 for a plain Smith-Waterman, the best V score
ending before ``i`` when chaining a D after a V).  For every read end position it
keeps the best cell of the row, so that callers can join segments end to start:

- 5' segment (V): bonus 0; row ``i`` = the best alignment ending just before read
  position ``i``, whatever the germline 3' deletion (``germ_end``);
- 3' segment (J): the same on the reversed read and reversed alleles;
- D: bonus = best score of the segments before, so the D sits between them.

Bases are coded 0-3 (ACGT) and 4 (N, scores 0 against anything).
"""

from __future__ import annotations

import numpy as np

from vidjil_kernel.jit import inner, kernel

#: score standing for "impossible" (stays finite when summed)
NEG = -1e15


@inner
def _pair_score(a, b, match, mismatch):
    if a > 3 or b > 3:
        return 0.0
    return match if a == b else mismatch


@kernel
def align_rows(read, germ, bonus, match, mismatch, gap, clip, prefer_start,
               out_score, out_gend, out_rstart, out_gstart):
    """Best alignment of ``germ`` ending at each read position.

    ``out_*[i]`` (``i`` in ``0..len(read)``) describe the best alignment that ends
    just before read position ``i``: its score (bonus included), the germline
    end (exclusive), the read start and the germline start.  Ties prefer the
    longest germline part (fewest deletions at its 3' end).  Alignments are local
    at their end.  They begin at the first germline base or at the first read
    base for free, anywhere else for ``clip`` (a V starts with the read or with
    the V: a V match that starts inside both is a chimera or chance).  When
    starting here scores the same as extending a path (a base matched by both the
    bonus segment and this one), ``prefer_start`` leaves the base to the bonus.
    """
    n = read.shape[0]
    m = germ.shape[0]
    prev = np.empty(m + 1, np.float64)
    prev_rs = np.empty(m + 1, np.int32)
    prev_gs = np.empty(m + 1, np.int32)
    cur = np.empty(m + 1, np.float64)
    cur_rs = np.empty(m + 1, np.int32)
    cur_gs = np.empty(m + 1, np.int32)
    for j in range(m + 1):
        prev[j] = bonus[0]
        prev_rs[j] = 0
        prev_gs[j] = j
    out_score[0] = bonus[0]
    out_gend[0] = 0
    out_rstart[0] = 0
    out_gstart[0] = 0
    for i in range(1, n + 1):
        b = bonus[i]
        inside = b - clip
        r = read[i - 1]
        cur[0] = b
        cur_rs[0] = i
        cur_gs[0] = 0
        best = b
        best_j = 0
        best_rs = i
        best_gs = 0
        for j in range(1, m + 1):
            h = prev[j - 1] + _pair_score(r, germ[j - 1], match, mismatch)
            rs = prev_rs[j - 1]
            gs = prev_gs[j - 1]
            up = prev[j] + gap
            if up > h:
                h = up
                rs = prev_rs[j]
                gs = prev_gs[j]
            left = cur[j - 1] + gap
            if left > h:
                h = left
                rs = cur_rs[j - 1]
                gs = cur_gs[j - 1]
            if inside > h or (prefer_start and inside == h):
                h = inside
                rs = i
                gs = j
            cur[j] = h
            cur_rs[j] = rs
            cur_gs[j] = gs
            if h >= best:
                best = h
                best_j = j
                best_rs = rs
                best_gs = gs
        out_score[i] = best
        out_gend[i] = best_j
        out_rstart[i] = best_rs
        out_gstart[i] = best_gs
        prev, cur = cur, prev
        prev_rs, cur_rs = cur_rs, prev_rs
        prev_gs, cur_gs = cur_gs, prev_gs


@kernel
def align_alleles(read, bank, offsets, chosen, bonus, bonus_row, match, mismatch, gap, clip,
                  prefer_start):
    """:func:`align_rows` for the alleles ``chosen`` of a concatenated ``bank``.

    Allele ``chosen[a]`` starts with the bonus row ``bonus[bonus_row[a]]``.
    Returns four ``(len(chosen), len(read) + 1)`` matrices: score (float64), germline
    end, read start, germline start (int32, germline positions relative to the allele).
    """
    n = read.shape[0]
    k = chosen.shape[0]
    score = np.empty((k, n + 1), np.float64)
    gend = np.empty((k, n + 1), np.int32)
    rstart = np.empty((k, n + 1), np.int32)
    gstart = np.empty((k, n + 1), np.int32)
    for a in range(k):
        allele = chosen[a]
        germ = bank[offsets[allele]:offsets[allele + 1]]
        align_rows(read, germ, bonus[bonus_row[a]], match, mismatch, gap, clip, prefer_start,
                   score[a], gend[a], rstart[a], gstart[a])
    return score, gend, rstart, gstart


#: :func:`score_alleles` pads its lanes (one per allele) to a multiple of this: the
#: compiler's vectorised loop over the alleles runs only from this many on
LANES = 32


@kernel
def score_alleles(read, bank, offsets, chosen, match, mismatch, gap, clip):
    """The scores and germline ends of :func:`align_rows` with a zero bonus and no
    ``prefer_start`` (how V and J are aligned), for the alleles ``chosen`` of a
    concatenated ``bank``: ``(len(chosen), len(read) + 1)`` matrices (int32).

    The hot loop of the designation.  Without tracking where alignments start, and
    in integers, every allele takes one lane of the same cell update: the alleles
    are aligned together, vectorised, each lane padded to the longest allele (a
    lane ignores its cells past its own allele's end).
    """
    n = read.shape[0]
    k = chosen.shape[0]
    score = np.empty((k, n + 1), np.int32)
    gend = np.empty((k, n + 1), np.int32)
    lanes = (k + LANES - 1) // LANES * LANES
    length = np.zeros(lanes, np.int32)
    longest = 0
    for a in range(k):  # loops, not slice assignments: those take seconds to compile
        length[a] = offsets[chosen[a] + 1] - offsets[chosen[a]]
        longest = max(longest, length[a])
    profile = np.zeros((5, longest, lanes), np.int32)  # N (4) scores 0 against anything
    for a in range(k):
        start = offsets[chosen[a]]
        for j in range(length[a]):
            g = bank[start + j]
            if g <= 3:
                for b in range(4):
                    profile[b, j, a] = match if b == g else mismatch
    column = np.zeros((longest + 1, lanes), np.int32)
    diagonal = np.empty(lanes, np.int32)
    left = np.empty(lanes, np.int32)
    best = np.empty(lanes, np.int32)
    best_j = np.empty(lanes, np.int32)
    gap = np.int32(gap)
    inside = np.int32(-clip)
    for a in range(k):
        score[a, 0] = 0
        gend[a, 0] = 0
    for i in range(1, n + 1):
        base = min(read[i - 1], 4)
        for a in range(lanes):
            diagonal[a] = 0
            left[a] = 0
            best[a] = 0
            best_j[a] = 0
        for j in range(1, longest + 1):
            scores = profile[base, j - 1]
            cells = column[j]
            here = np.int32(j)
            for a in range(lanes):
                up = cells[a]
                h = max(np.int32(diagonal[a] + scores[a]), np.int32(up + gap),
                        np.int32(left[a] + gap), inside)
                diagonal[a] = up
                cells[a] = h
                left[a] = h
                take = (h >= best[a]) & (here <= length[a])  # ties: the longest germline
                best[a] = h if take else best[a]
                best_j[a] = here if take else best_j[a]
        for a in range(k):
            score[a, i] = best[a]
            gend[a, i] = best_j[a]
    return score, gend


@kernel
def map_position(read, germ, match, mismatch, gap, target):
    """The read position aligned with germline position ``target`` in the best global
    alignment of ``read`` and ``germ`` (a base deleted from the read maps to where it
    would be); outside ``germ``, positions are extrapolated from its ends."""
    n = read.shape[0]
    m = germ.shape[0]
    if target < 0:
        return target
    if target >= m:
        return n + target - m
    h = np.empty((n + 1, m + 1), np.float64)
    for i in range(n + 1):
        h[i, 0] = i * gap
    for j in range(m + 1):
        h[0, j] = j * gap
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best = h[i - 1, j - 1] + _pair_score(read[i - 1], germ[j - 1], match, mismatch)
            best = max(best, h[i - 1, j] + gap, h[i, j - 1] + gap)
            h[i, j] = best
    i, j = n, m
    while j > 0:
        if i > 0 and h[i, j] == h[i - 1, j - 1] + _pair_score(read[i - 1], germ[j - 1],
                                                               match, mismatch):
            if j - 1 == target:
                return i - 1
            i -= 1
            j -= 1
        elif i > 0 and h[i, j] == h[i - 1, j] + gap:
            i -= 1
        else:
            if j - 1 == target:
                return i
            j -= 1
    return i


@kernel
def prefix_best(values, decay, prefer_last):
    """``best[i] = max over e <= i of values[e] - decay * (i - e)`` and its ``e``.

    ``decay`` is the cost of each base between a segment's end and ``i`` (an N
    region); equal scores keep the last ``e`` when ``prefer_last``, else the first.
    """
    n = values.shape[0]
    best = np.empty(n, np.float64)
    where = np.empty(n, np.int64)
    current = NEG
    position = 0
    for i in range(n):
        current -= decay
        v = values[i]
        if v > current or (prefer_last and v == current):
            current = v
            position = i
        best[i] = current
        where[i] = position
    return best, where


def suffix_best(values: np.ndarray, decay: float,
                prefer_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """``best[i] = max over s >= i of values[s] - decay * (s - i)`` and its ``s``.

    :func:`prefix_best` of the reversed values: the same operations in the same
    order, and one kernel less to compile and load.
    """
    best, where = prefix_best(np.ascontiguousarray(values[::-1]), decay, prefer_first)
    return best[::-1].copy(), (values.shape[0] - 1 - where)[::-1].copy()
