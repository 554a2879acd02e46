"""Merging windows that differ from a bigger clone's window only by likely errors.

A sequencing error inside the window, or near the V end / J start (which moves the
window), gives a read a window of its own: without merging, a clone would lose
about a fifth of its reads.  A window (the *child*) is merged into a bigger one
(the *parent*) when the parent's window is found in the child's best read, at most
``MAX_EDITS`` edits away and at most ``MAX_SHIFT`` nt from where the child's window
is, and when the child's read count is plausible as errors of the parent: with
lambda = parent reads x product of the edits' error probabilities (substitution:
from the child reads' base qualities, /3 for the base; indel: higher inside a
homopolymer), the chance of seeing at least the child's count is at least ALPHA.
A real variant (e.g. a somatic hypermutation subclone) is too abundant to pass;
an exact shifted copy always passes.  Candidates are found through exact
``SEGMENT``-mers of the parents' windows (pigeonhole: with at most 3 edits, one of
4 segments of a 50-nt window is intact).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from vidjil_kernel.detect.affect import log_poisson_tail

SEGMENT = 12
MAX_EDITS = 3
MAX_SHIFT = 20
ALPHA = 1e-3
#: error probability of a base without quality (FASTA)
DEFAULT_ERROR = 0.005
#: probability of an indel at a base inside / outside a homopolymer
INDEL_HOMOPOLYMER = 2e-3
INDEL_OTHER = 2e-5
_MAX_CANDIDATES = 16


@njit(cache=True, nogil=True)
def _segment_code(data, start):
    code = 0
    for i in range(start, start + SEGMENT):
        c = data[i]
        if c == 65:
            v = 0
        elif c == 67:
            v = 1
        elif c == 71:
            v = 2
        elif c == 84:
            v = 3
        else:
            return -1
        code = (code << 2) | v
    return code


@njit(cache=True, nogil=True)
def _build_segment_index(parents, win_offset, win_width, win_arena):
    """Sorted (code, parent, offset) of the parents' window segments, plus a hash of codes."""
    total = 0
    for p in parents:
        total += win_width[p] // SEGMENT
    codes = np.empty(total, np.int64)
    owner = np.empty(total, np.int64)
    where = np.empty(total, np.int64)
    n = 0
    for p in parents:
        for s in range(win_width[p] // SEGMENT):
            code = _segment_code(win_arena, win_offset[p] + s * SEGMENT)
            if code >= 0:
                codes[n] = code
                owner[n] = p
                where[n] = s * SEGMENT
                n += 1
    order = np.argsort(codes[:n], kind="mergesort")
    codes, owner, where = codes[:n][order], owner[:n][order], where[:n][order]
    size = 1
    while size < 2 * n + 2:
        size *= 2
    table_code = np.full(size, -1, np.int64)
    table_first = np.zeros(size, np.int64)
    for i in range(n):
        if i > 0 and codes[i] == codes[i - 1]:
            continue
        slot = (codes[i] * 0x9E3779B1) & (size - 1)
        while table_code[slot] != -1:
            slot = (slot + 1) & (size - 1)
        table_code[slot] = codes[i]
        table_first[slot] = i
    return codes, owner, where, table_code, table_first


@njit(cache=True, nogil=True)
def _error_probability(qual, position, default):
    if qual.shape[0] == 0:
        return default
    return 10.0 ** (-qual[position] / 10.0)


@njit(cache=True, nogil=True)
def _align_log_lambda(parent, read, qual, start, band):
    """Semi-global banded alignment of ``parent`` inside ``read`` around ``start``.

    Returns (edits, sum of ln error probabilities of the edits); edits > MAX_EDITS
    when no alignment within the band has few enough edits.
    """
    m = parent.shape[0]
    lo = start - band
    hi = start + m + band
    if lo < 0 or hi > read.shape[0]:
        return MAX_EDITS + 1, 0.0
    width = hi - lo
    big = 1 << 20
    cost = np.full((m + 1, width + 1), big, np.int64)
    for j in range(width + 1):
        cost[0, j] = 0  # the parent may start anywhere in the read's stretch
    for i in range(1, m + 1):
        for j in range(width + 1):
            if abs((j - band) - i) > band:
                continue
            best = big
            if j > 0:
                best = cost[i - 1, j - 1] + (0 if parent[i - 1] == read[lo + j - 1] else 1)
                best = min(best, cost[i, j - 1] + 1)
            best = min(best, cost[i - 1, j] + 1)
            cost[i, j] = best
    end = 0
    for j in range(width + 1):
        if cost[m, j] < cost[m, end]:
            end = j
    edits = cost[m, end]
    if edits > MAX_EDITS:
        return edits, 0.0
    log_lambda = 0.0
    i, j = m, end
    while i > 0:
        here = cost[i, j]
        if j > 0 and here == cost[i - 1, j - 1] + (0 if parent[i - 1] == read[lo + j - 1] else 1):
            if parent[i - 1] != read[lo + j - 1]:
                log_lambda += math.log(_error_probability(qual, lo + j - 1, DEFAULT_ERROR) / 3.0)
            i -= 1
            j -= 1
        elif j > 0 and here == cost[i, j - 1] + 1:
            base = read[lo + j - 1]
            run = (j > 1 and read[lo + j - 2] == base) or (i < m and parent[i] == base)
            log_lambda += math.log(INDEL_HOMOPOLYMER if run else INDEL_OTHER)
            j -= 1
        else:
            base = parent[i - 1]
            run = (i > 1 and parent[i - 2] == base) or (i < m and parent[i] == base)
            log_lambda += math.log(INDEL_HOMOPOLYMER if run else INDEL_OTHER)
            i -= 1
    return edits, log_lambda


@njit(cache=True, nogil=True)
def find_parents(n_rows, row_count, win_offset, win_width, win_arena, best_offset, best_length,
                 best_window, read_arena, qual_arena):
    """Parent row of each window (-1: none), for windows explained as errors of a bigger one."""
    parents_list = np.empty(n_rows, np.int64)
    n_parents = 0
    for row in range(n_rows):
        if row_count[row] >= 2:
            parents_list[n_parents] = row
            n_parents += 1
    codes, owner, where, table_code, table_first = _build_segment_index(
        parents_list[:n_parents], win_offset, win_width, win_arena)
    size = table_code.shape[0]
    parent_of = np.full(n_rows, -1, np.int64)
    has_qual = qual_arena.shape[0] > 0
    seen_parent = np.empty(_MAX_CANDIDATES, np.int64)
    seen_start = np.empty(_MAX_CANDIDATES, np.int64)
    log_alpha = math.log(ALPHA)
    for child in range(n_rows):
        read = read_arena[best_offset[child]:best_offset[child] + best_length[child]]
        qual = qual_arena[best_offset[child]:best_offset[child] + best_length[child]] \
            if has_qual else qual_arena[:0]
        window_at = best_window[child]
        first = max(0, window_at - MAX_SHIFT)
        last = min(read.shape[0] - SEGMENT, window_at + win_width[child] + MAX_SHIFT - SEGMENT)
        n_seen = 0
        best_score = -np.inf
        best_parent = -1
        for pos in range(first, last + 1):
            code = _segment_code(read, pos)
            if code < 0:
                continue
            slot = (code * 0x9E3779B1) & (size - 1)
            while table_code[slot] != -1 and table_code[slot] != code:
                slot = (slot + 1) & (size - 1)
            if table_code[slot] == -1:
                continue
            i = table_first[slot]
            while i < codes.shape[0] and codes[i] == code:
                parent = owner[i]
                start = pos - where[i]
                i += 1
                if parent == child or row_count[parent] < row_count[child]:
                    continue
                if row_count[parent] == row_count[child] and parent > child:
                    continue
                if abs(start - window_at) > MAX_SHIFT:
                    continue
                known = False
                for k in range(n_seen):
                    if seen_parent[k] == parent and abs(seen_start[k] - start) <= MAX_EDITS:
                        known = True
                if known or n_seen == _MAX_CANDIDATES:
                    continue
                seen_parent[n_seen] = parent
                seen_start[n_seen] = start
                n_seen += 1
                window = win_arena[win_offset[parent]:win_offset[parent] + win_width[parent]]
                edits, log_lambda = _align_log_lambda(window, read, qual, start, MAX_EDITS)
                if edits > MAX_EDITS:
                    continue
                score = log_poisson_tail(row_count[child],
                                         math.exp(log_lambda) * row_count[parent])
                if edits == 0:
                    score = 0.0
                if score >= log_alpha and (score > best_score or (
                        score == best_score and row_count[parent] > row_count[best_parent])):
                    best_score = score
                    best_parent = parent
        parent_of[child] = best_parent
    return parent_of


@njit(cache=True, nogil=True)
def resolve_roots(parent_of):
    """Final clone (root row) of every window, following parents to the top."""
    root = parent_of.copy()
    for row in range(root.shape[0]):
        top = row
        steps = 0
        while parent_of[top] >= 0 and steps < root.shape[0]:
            top = parent_of[top]
            steps += 1
        root[row] = top
    return root
