"""Per-read k-mer affectation: which recombination, which strand, where the junction is.

For each read, one pass over the k-mer index lists the seed hits; then, for each
recombination with hits on both sides, the split of the read maximising
(5' hits on the left) + (3' hits on the right) is found on each strand.  Each side
gets an e-value: the chance of so many hits in a random sequence of that length
(Poisson tail with the side's index load), times the number of tests and of reads.
A read is analysed when the sum of both sides' e-values is at most the threshold;
otherwise the reason is recorded.  The junction window is then centred between the
last 5' hit and the first 3' hit, on the recombination's forward strand.
"""

from __future__ import annotations

import math

import numpy as np

from vidjil_kernel.detect.encode import NUCLEOTIDE_CODE, seed_codes
from vidjil_kernel.jit import inner, kernel

ANALYSED = 0
TOO_SHORT = 1
TOO_FEW = 2
ONLY_5 = 3
ONLY_3 = 4
STRAND = 5
AMBIGUOUS = 6
TOO_SHORT_WINDOW = 7

#: reason code -> label in reports (Vidjil's wording, without the "UNSEG" prefix)
REASONS = {
    TOO_SHORT: "too short",
    TOO_FEW: "too few V/J",
    ONLY_5: "only V/5'",
    ONLY_3: "only J/3'",
    STRAND: "strand",
    AMBIGUOUS: "ambiguous",
    TOO_SHORT_WINDOW: "too short w",
}

#: how far (nt) a window may be shifted, and shrunk down to, when the read is too short
MAX_WINDOW_SHIFT = 10
MIN_WINDOW = 30
WINDOW_SHRINK_STEP = 5

LN10 = math.log(10.0)


@kernel
def log_poisson_tail(n, lam):
    """ln P(X >= n) for X ~ Poisson(lam)."""
    if n <= 0:
        return 0.0
    if lam <= 0.0:
        return -1e300
    if lam >= n:
        below = 0.0
        term = math.exp(-lam)
        for k in range(n):
            below += term
            term *= lam / (k + 1)
        tail = 1.0 - below
        return math.log(tail) if tail > 1e-300 else -690.0
    # lam < n: sum the fast-converging series from the first term
    total = 1.0
    term = 1.0
    k = n + 1
    while True:
        term *= lam / k
        total += term
        if term < 1e-12 * total:
            break
        k += 1
    return -lam + n * math.log(lam) - math.lgamma(n + 1.0) + math.log(total)


@inner
def _log_add(a, b):
    if a < b:
        a, b = b, a
    return a + math.log1p(math.exp(b - a))


@inner
def _side_load(mask, load):
    total = 0.0
    for g in range(load.shape[0]):
        if mask & (1 << g):
            total += load[g]
    return total


@inner
def _labels(seq, start, stop, table, runs, span, out, scratch):
    """Label of each k-mer of seq[start:stop] into out (0: absent or with an N).

    The lookups come after the seed codes, in a loop of their own and without
    branches: they miss the cache, and independent misses overlap only when no
    mispredicted branch sits between them.  ``scratch`` is as long as ``out``.
    """
    count = seed_codes(seq, start, stop, runs, span, NUCLEOTIDE_CODE, out, scratch)
    for k in range(count):
        code = out[k]
        label = table[max(code, 0)]
        out[k] = label if code >= 0 else 0
    return count


@inner
def _extend_runs(k, span, plus, minus, run_first, run_last, run_count, run_span, run_plus,
                 run_minus, n):
    """Add a hit at ``k`` to the last run if it has the same span and masks; new count of runs."""
    last = n - 1
    if n > 0 and run_span[last] == span and run_plus[last] == plus and run_minus[last] == minus:
        run_last[last] = k
        run_count[last] += 1
        return n
    run_first[n] = k
    run_last[n] = k
    run_count[n] = 1
    run_span[n] = span
    run_plus[n] = plus
    run_minus[n] = minus
    return n + 1


@inner
def _hit_runs(main_labels, n_main, main_span, main_plus, main_minus, short_labels, n_short,
              short_span, short_plus, short_minus, run_first, run_last, run_count, run_span,
              run_plus, run_minus):
    """Seed hits, by start, as runs of consecutive hits of one span and the same masks.

    A read's hits come in long stretches of one label (its V, then its J), and a
    split scored hit by hit can only improve at the end of such a run: scanning
    runs gives the same best split for a fraction of the work.
    """
    n = np.int64(0)  # typed: a literal 0 would compile _extend_runs twice
    for k in range(max(n_main, n_short)):
        if k < n_short:
            label = short_labels[k]
            if label:
                n = _extend_runs(k, short_span, short_plus[label], short_minus[label], run_first,
                                 run_last, run_count, run_span, run_plus, run_minus, n)
        if k < n_main:
            label = main_labels[k]
            if label:
                n = _extend_runs(k, main_span, main_plus[label], main_minus[label], run_first,
                                 run_last, run_count, run_span, run_plus, run_minus, n)
    return n


@inner
def _best_split(n, length, strand, five, three, run_first, run_last, run_count, run_span, masks,
                out):
    """Best split for one recombination on one strand (oriented coordinates).

    Scores each split between hits as (5' hits before) + (3' hits after), keeping the
    first best in the strand's order; hits of a run share their masks, so the score
    rises, falls or stays flat along a run, and only run ends need scoring.
    Fills out = [n5, n3, left positions, right positions, 5' end, 3' start]; returns n5 + n3.
    """
    total3 = 0
    for h in range(n):
        if masks[h] & three:
            total3 += run_count[h]
    best = total3
    best_n5 = 0
    best_after = -1  # the run (in oriented order) whose last hit is the last left of the split
    seen5 = 0
    seen3 = 0
    for step in range(n):
        h = step if strand > 0 else n - 1 - step
        if masks[h] & five:
            seen5 += run_count[h]
        if masks[h] & three:
            seen3 += run_count[h]
        score = seen5 + total3 - seen3
        if score > best:
            best = score
            best_n5 = seen5
            best_after = step
    end5 = -1
    start3 = length
    left = 0
    if best_after >= 0:
        h = best_after if strand > 0 else n - 1 - best_after
        begin = run_last[h] if strand > 0 else length - run_first[h] - run_span[h]
        end5 = begin + run_span[h]
        left = begin + 1
    for step in range(best_after + 1, n):
        h = step if strand > 0 else n - 1 - step
        if masks[h] & three:
            start3 = run_first[h] if strand > 0 else length - run_last[h] - run_span[h]
            break
    out[0] = best_n5
    out[1] = best - best_n5
    out[2] = left
    out[3] = max(length - left, 0)
    out[4] = end5
    out[5] = start3
    return best


@inner
def _place_window(center, length, w):
    """(start, width) of the window, shifted/shrunk to fit the read; width 0 if impossible."""
    width = w
    while True:
        begin = center - width // 2
        if begin < 0 and -begin <= MAX_WINDOW_SHIFT:
            begin = 0
        if begin + width > length and begin + width - length <= MAX_WINDOW_SHIFT:
            begin = length - width
        if begin >= 0 and begin + width <= length:
            return begin, width
        width -= WINDOW_SHRINK_STEP
        if width < MIN_WINDOW:
            return 0, 0


@inner
def _stronger(n5, n3, log_e, other_n5, other_n3, other_log_e):
    """Whether a significant recombination explains a read better than another one.

    When their 5' sides hold as many hits (the same V, or one V in two files), the
    e-value decides: the 3' sides make it, where a J file's load weighs a chance hit.
    Otherwise, the one holding more hits in all: an e-value made by the weaker side
    would let a J end of a few bases that IGKJ and IGLJ share choose between an IGLV
    read's 170 IGLV hits and its 13 IGKV ones.
    """
    if n5 == other_n5 or n5 + n3 == other_n5 + other_n3:
        return log_e < other_log_e
    return n5 + n3 > other_n5 + other_n3


@inner
def _best_recombination(n, length, run_first, run_last, run_count, run_span, run_plus,
                        run_minus, rec_five, rec_three, rec_rank, rec_first_pass, first_pass,
                        load, log_factor, log_threshold, split):
    """(recombination, strand, ln e-value, 5' end, 3' start) best explaining the hit runs.

    Only recombinations with ``rec_first_pass`` set when ``first_pass`` (see
    ``affect_batch``); recombination -1 when none has hits on both sides.
    """
    any_plus = np.uint32(0)
    any_minus = np.uint32(0)
    for h in range(n):
        any_plus |= run_plus[h]
        any_minus |= run_minus[h]
    best_log_e = np.inf
    best_n5 = best_n3 = 0
    best_rec = -1
    best_strand = 0
    best_end5 = -1
    best_start3 = -1
    for rec in range(rec_five.shape[0]):
        if first_pass and not rec_first_pass[rec]:
            continue
        for strand in (1, -1):
            present = any_plus if strand > 0 else any_minus
            if not (present & rec_five[rec]) or not (present & rec_three[rec]):
                continue
            _best_split(n, length, strand, rec_five[rec], rec_three[rec], run_first, run_last,
                        run_count, run_span, run_plus if strand > 0 else run_minus, split)
            if split[0] == 0 or split[1] == 0:
                continue
            log5 = log_poisson_tail(split[0], split[2] * _side_load(rec_five[rec], load))
            log3 = log_poisson_tail(split[1], split[3] * _side_load(rec_three[rec], load))
            log_e = _log_add(log5, log3) + log_factor
            if log_e <= log_threshold and best_log_e <= log_threshold:
                better = rec_rank[rec] < rec_rank[best_rec] or (
                    rec_rank[rec] == rec_rank[best_rec] and _stronger(
                        split[0], split[1], log_e, best_n5, best_n3, best_log_e))
            else:
                better = log_e < best_log_e
            if better:
                best_log_e = log_e
                best_n5, best_n3 = split[0], split[1]
                best_rec = rec
                best_strand = strand
                best_end5 = split[4]
                best_start3 = split[5]
    return best_rec, best_strand, best_log_e, best_end5, best_start3


@inner
def _edge(n, length, strand, wanted, run_first, run_last, run_span, masks, last):
    """Where the hits of the ``wanted`` groups end (``last``: the end of the last one) or
    begin (the start of the first one), in oriented coordinates on ``strand``; -1: none."""
    edge = -1
    for h in range(n):
        if not masks[h] & wanted:
            continue
        if strand > 0:
            start, end = run_first[h], run_last[h] + run_span[h]
        else:
            start, end = length - run_last[h] - run_span[h], length - run_first[h]
        if last:
            edge = max(edge, end)
        elif edge < 0 or start < edge:
            edge = start
    return edge


@inner
def _reason(n, length, run_first, run_last, run_count, run_span, run_plus, run_minus, all_five,
            all_three, load, log_factor, log_threshold, main_span):
    """Why a read is not analysed: which side alone is significant, on which strand.

    Returns (reason, strand, 5' end, 3' start): for a read with one significant side
    (ONLY_5, ONLY_3), its strand and where that side's hits end (begin); else 0, -1, -1.
    """
    positions = length - main_span + 1
    side5 = 0
    side3 = 0
    for strand in (1, -1):
        masks = run_plus if strand > 0 else run_minus
        for side in range(2):
            wanted = all_five if side == 0 else all_three
            best_side = np.inf
            for g in range(load.shape[0]):
                if not (wanted & (1 << g)):
                    continue
                count = np.int64(0)  # typed: a literal 0 would compile log_poisson_tail twice
                for h in range(n):
                    if masks[h] & (1 << g):
                        count += run_count[h]
                if count:
                    best_side = min(best_side,
                                    log_poisson_tail(count, positions * load[g]) + log_factor)
            if best_side <= log_threshold:
                if side == 0:
                    side5 |= 1 if strand > 0 else 2
                else:
                    side3 |= 1 if strand > 0 else 2
    if side5 and side3:
        return AMBIGUOUS if (side5 & side3) else STRAND, 0, -1, -1
    if side5:
        strand = 1 if side5 & 1 else -1
        return ONLY_5, strand, _edge(n, length, strand, all_five, run_first, run_last,
                                     run_span, run_plus if strand > 0 else run_minus, True), -1
    if side3:
        strand = 1 if side3 & 1 else -1
        return ONLY_3, strand, -1, _edge(n, length, strand, all_three, run_first, run_last,
                                         run_span, run_plus if strand > 0 else run_minus, False)
    return TOO_FEW, 0, -1, -1


@kernel
def affect_batch(seq, offsets, main_table, main_runs, main_span, main_plus, main_minus,
                 short_table, short_runs, short_span, short_plus, short_minus,
                 rec_five, rec_three, rec_rank, rec_first_pass, load, log_factor,
                 log_threshold, window, status, rec_out, strand_out, win_start, win_width,
                 log10_evalue, end5_out, start3_out):
    """Affect every read of a batch (see the module docstring).

    Among recombinations significant for a read, the lowest ``rec_rank`` wins, then
    the stronger evidence (``_stronger``): a V(D)J read also holds the evidence of a
    D-J or V-D one, so a V-J recombination (rank 0) is preferred to an incomplete one
    with a D on a side (rank 1), and both to an unexpected one (rank 2).  So a first
    pass looks the read up in the main index only and tries the V-J recombinations
    (``rec_first_pass``); the short index and the other recombinations are needed only
    when none of them is significant.

    ``window`` <= 0 takes the whole read as the window.  Outputs, per read: status
    (ANALYSED or a reason), recombination index, strand (+1/-1), window start and
    width in oriented coordinates, log10 e-value, 5' end and 3' start (oriented).  A read
    with one significant side (ONLY_5, ONLY_3) gets its strand and that side's end (start).
    """
    n_reads = offsets.shape[0] - 1
    max_len = 0
    for r in range(n_reads):
        max_len = max(max_len, offsets[r + 1] - offsets[r])
    cap = 2 * max_len + 2
    run_first = np.empty(cap, np.int32)
    run_last = np.empty(cap, np.int32)
    run_count = np.empty(cap, np.int32)
    run_span = np.empty(cap, np.int32)
    run_plus = np.empty(cap, np.uint32)
    run_minus = np.empty(cap, np.uint32)
    split = np.empty(6, np.int64)
    main_labels = np.empty(max_len + 1, np.int64)
    short_labels = np.empty(max_len + 1, np.int64)
    scratch = np.empty(max_len + 1, np.int64)
    all_five = np.uint64(0)  # the type of uint32 | uint32: _reason compiles once
    all_three = np.uint64(0)
    for rec in range(rec_five.shape[0]):
        all_five |= rec_five[rec]
        all_three |= rec_three[rec]
    min_span = main_span if short_span == 0 else min(main_span, short_span)
    for r in range(n_reads):
        begin = offsets[r]
        length = offsets[r + 1] - begin
        rec_out[r] = -1
        strand_out[r] = 0
        win_start[r] = 0
        win_width[r] = 0
        end5_out[r] = -1
        start3_out[r] = -1
        log10_evalue[r] = np.inf
        if length < min_span:
            status[r] = TOO_SHORT
            continue
        best_rec = -1
        best_log_e = np.inf
        n_main = _labels(seq, begin, begin + length, main_table, main_runs, main_span,
                         main_labels, scratch)
        n_short = 0
        for first_pass in (True, False):
            if not first_pass and short_span == 0 and best_rec >= 0:
                break  # no short index: the first pass saw every hit
            if not first_pass and short_span > 0:
                n_short = _labels(seq, begin, begin + length, short_table, short_runs,
                                  short_span, short_labels, scratch)
            n = _hit_runs(main_labels, n_main, main_span, main_plus, main_minus, short_labels,
                          n_short, short_span, short_plus, short_minus, run_first, run_last,
                          run_count, run_span, run_plus, run_minus)
            best_rec, best_strand, best_log_e, best_end5, best_start3 = _best_recombination(
                n, length, run_first, run_last, run_count, run_span, run_plus, run_minus,
                rec_five, rec_three, rec_rank, rec_first_pass, first_pass, load, log_factor,
                log_threshold, split)
            if best_rec >= 0 and best_log_e <= log_threshold:
                break
        if best_rec >= 0 and best_log_e <= log_threshold:
            if window <= 0:
                start, width = 0, length
            else:
                start, width = _place_window((best_end5 + best_start3) // 2, length, window)
            rec_out[r] = best_rec
            strand_out[r] = best_strand
            log10_evalue[r] = best_log_e / LN10
            end5_out[r] = best_end5
            start3_out[r] = best_start3
            if width == 0:
                status[r] = TOO_SHORT_WINDOW
            else:
                status[r] = ANALYSED
                win_start[r] = start
                win_width[r] = width
            continue
        status[r], strand_out[r], end5_out[r], start3_out[r] = _reason(
            n, length, run_first, run_last, run_count, run_span, run_plus, run_minus, all_five,
            all_three, load, log_factor, log_threshold, main_span)
        log10_evalue[r] = best_log_e / LN10
