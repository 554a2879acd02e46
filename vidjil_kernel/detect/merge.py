"""Merging windows that differ from a bigger clone's window only by likely errors.

A sequencing error inside the window, or near the V end / J start (which moves the
window), gives a read a window of its own: without merging, a clone would lose
about a fifth of its reads.  A window (the *child*) is merged into a bigger one
(the *parent*) when the parent's window is found in the child's best read, at most
``MAX_EDITS`` edits away and at most ``MAX_SHIFT`` nt from where the child's window
is, and when the child's read count is plausible as errors of the parent: with
lambda = parent reads x product of the edits' error probabilities (substitution:
the mean error probability of the parent's reads at that position, from their base
qualities, /3 for the base; indel: higher inside a homopolymer), the chance of seeing at least the child's count is at least ALPHA.
A real variant (e.g. a somatic hypermutation subclone) is too abundant to pass;
an exact shifted copy always passes.  Candidates are found through exact segments of the parents' windows, cut
into MAX_EDITS + 1 pieces (pigeonhole: with at most 3 edits, one of 4 pieces is
intact; pieces of 12 nt for 50-nt windows).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from vidjil_kernel.detect.affect import log_poisson_tail

MAX_SEGMENT = 12
MIN_SEGMENT = 6
MAX_EDITS = 3
MAX_SHIFT = 20
ALPHA = 1e-4
#: error probability of a base without quality (FASTA)
DEFAULT_ERROR = 0.005
#: base qualities are often optimistic: error probabilities from them are scaled up by this
ERROR_SLACK = 2.0
#: probability of an indel at a base inside / outside a homopolymer
INDEL_HOMOPOLYMER = 2e-3
INDEL_OTHER = 2e-5
_MAX_CANDIDATES = 16


@njit(cache=True, nogil=True)
def _segment_code(data, start, segment):
    code = 0
    for i in range(start, start + segment):
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
def _segments(parents, win_offset, win_width, win_arena, segment):
    """(code, parent, offset) of every segment of the parents' windows (unsorted)."""
    total = 0
    for p in parents:
        total += win_width[p] // segment
    codes = np.empty(total, np.int64)
    owner = np.empty(total, np.int64)
    where = np.empty(total, np.int64)
    n = 0
    for p in parents:
        for s in range(win_width[p] // segment):
            code = _segment_code(win_arena, win_offset[p] + s * segment, segment)
            if code >= 0:
                codes[n] = code
                owner[n] = p
                where[n] = s * segment
                n += 1
    return codes[:n], owner[:n], where[:n]


@njit(cache=True, nogil=True)
def _hash_first(codes):
    """Open-addressing table: code -> index of its first entry in the sorted ``codes``."""
    n = codes.shape[0]
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
    return table_code, table_first


@njit(cache=True, nogil=True)
def _align_log_lambda(parent, error, read, start, band):
    """Most likely way ``parent`` sits in ``read`` near ``start``, as sequencing errors.

    Semi-global banded alignment (the parent whole, the read's ends free) minimising
    the summed -ln probability of the edits: a substitution costs -ln(e/3) with e the
    error probability at that parent position (``error``), an indel -ln of its rate
    (higher in a homopolymer).
    Returns (edits, ln of the product of the edits' probabilities); edits is
    MAX_EDITS + 1 when the parent does not fit in the read.
    """
    m = parent.shape[0]
    lo = start - band
    hi = start + m + band
    if lo < 0 or hi > read.shape[0]:
        return MAX_EDITS + 1, 0.0
    width = hi - lo
    insertion = np.empty(width, np.float64)
    for j in range(width):
        base = read[lo + j]
        run = (lo + j > 0 and read[lo + j - 1] == base) or (
            lo + j + 1 < read.shape[0] and read[lo + j + 1] == base)
        insertion[j] = -math.log(INDEL_HOMOPOLYMER if run else INDEL_OTHER)
    deletion = np.empty(m, np.float64)
    for i in range(m):
        run = (i > 0 and parent[i - 1] == parent[i]) or (i + 1 < m and parent[i + 1] == parent[i])
        deletion[i] = -math.log(INDEL_HOMOPOLYMER if run else INDEL_OTHER)
    big = 1e300
    cost = np.full((m + 1, width + 1), big)
    edits = np.zeros((m + 1, width + 1), np.int64)
    for j in range(width + 1):
        cost[0, j] = 0.0  # the parent may start anywhere in the read's stretch
    for i in range(1, m + 1):
        for j in range(width + 1):
            if abs((j - band) - i) > band:
                continue
            best = cost[i - 1, j] + deletion[i - 1]
            best_edits = edits[i - 1, j] + 1
            if j > 0:
                same = parent[i - 1] == read[lo + j - 1]
                diagonal = cost[i - 1, j - 1] + (0.0 if same else -math.log(error[i - 1] / 3.0))
                if diagonal <= best:
                    best = diagonal
                    best_edits = edits[i - 1, j - 1] + (0 if same else 1)
                inserted = cost[i, j - 1] + insertion[j - 1]
                if inserted < best:
                    best = inserted
                    best_edits = edits[i, j - 1] + 1
            cost[i, j] = best
            edits[i, j] = best_edits
    end = 0
    for j in range(width + 1):
        if cost[m, j] < cost[m, end]:
            end = j
    return edits[m, end], -cost[m, end]


@njit(cache=True, nogil=True)
def _find_parents(n_rows, row_count, win_offset, win_width, win_arena, best_kept, kept_offset,
                  kept_length, kept_window, row_profile, profiles, read_arena, segment, codes,
                  owner, where, table_code, table_first):
    """Parent row of each window (-1: none), given the sorted segment index of the parents."""
    size = table_code.shape[0]
    parent_of = np.full(n_rows, -1, np.int64)
    error = np.empty(win_width.max() if n_rows else 1, np.float64)
    seen_parent = np.empty(_MAX_CANDIDATES, np.int64)
    seen_start = np.empty(_MAX_CANDIDATES, np.int64)
    log_alpha = math.log(ALPHA)
    for child in range(n_rows):
        best = best_kept[child]
        offset = kept_offset[child, best]
        read = read_arena[offset:offset + kept_length[child, best]]
        window_at = kept_window[child, best]
        first = max(0, window_at - MAX_SHIFT)
        last = min(read.shape[0] - segment, window_at + win_width[child] + MAX_SHIFT - segment)
        n_seen = 0
        best_score = -np.inf
        best_parent = -1
        for pos in range(first, last + 1):
            code = _segment_code(read, pos, segment)
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
                width = win_width[parent]
                window = win_arena[win_offset[parent]:win_offset[parent] + width]
                if row_profile[parent] >= 0:
                    for i in range(width):
                        error[i] = ERROR_SLACK * profiles[row_profile[parent], i] / row_count[parent]
                else:
                    error[:width] = DEFAULT_ERROR
                edits, log_lambda = _align_log_lambda(window, error, read, start, MAX_EDITS)
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


def find_parents(n_rows: int, row_count: np.ndarray, win_offset: np.ndarray,
                 win_width: np.ndarray, win_arena: np.ndarray, best_kept: np.ndarray,
                 kept_offset: np.ndarray, kept_length: np.ndarray, kept_window: np.ndarray,
                 row_profile: np.ndarray, profiles: np.ndarray,
                 read_arena: np.ndarray) -> np.ndarray:
    """Parent row of each window (-1: none), for windows explained as errors of a bigger one.

    Parents are the windows seen at least twice.  (Sorting happens here, in numpy,
    to keep the kernels quick to compile.)
    """
    parents = np.flatnonzero(row_count[:n_rows] >= 2)
    narrowest = int(win_width[parents].min()) if len(parents) else MAX_SEGMENT * (MAX_EDITS + 1)
    segment = max(MIN_SEGMENT, min(MAX_SEGMENT, narrowest // (MAX_EDITS + 1)))
    codes, owner, where = _segments(parents, win_offset, win_width, win_arena, segment)
    order = np.argsort(codes, kind="stable")
    codes, owner, where = codes[order], owner[order], where[order]
    table_code, table_first = _hash_first(codes)
    return _find_parents(n_rows, row_count, win_offset, win_width, win_arena, best_kept,
                         kept_offset, kept_length, kept_window, row_profile, profiles,
                         read_arena, segment, codes, owner, where, table_code, table_first)


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
