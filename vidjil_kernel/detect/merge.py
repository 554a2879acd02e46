"""Merging windows that differ from a bigger clone's window only by likely errors.

A sequencing error inside the window, or near the V end / J start (which moves the
window), gives a read a window of its own: without merging, a clone would lose
about a fifth of its reads.  A window (the *child*) is merged into a bigger one
(the *parent*) when the parent's window is found in the consensus of the child's
kept reads (or, when those stop short of it, the two windows on their overlap),
at most ``MAX_EDITS`` edits away and ``MAX_SHIFT`` nt from the child's window, and
when the child's read count is plausible as errors of the parent: with lambda =
parent reads x the product of the edits' probabilities, the chance of at least the
child's count is at least ALPHA.  A substitution's probability is the error
probability of the base, scaled by ERROR_SLACK and by the sample's measured scale
(:mod:`~vidjil_kernel.detect.error_rates`), /3 for the base: the mean of the
parent's reads at that position (from their base qualities), or the child's reads'
(a mean that one read's low-quality dip does not make: ``_child_cost``) when they
read the substituted base with a better quality: errors sit mostly at low-quality
bases, so a variant read at high quality is only explained by the high-quality error
rate (a window of one read still alone after the other passes is priced by its read
alone: ``find_parents``).  An indel's probability is the sample's rate at a base in a
run of its length, measured too.  A real variant (e.g. a somatic hypermutation
subclone) is too abundant to pass; an exact shifted copy passes.  Neither merges when
the child's reads (or its only read, where read well), outside the windows, agree on
bases the parent's reads do not read (another V or J allele, other hypermutations:
another clone), unless the child has fewer reads than the parent's errors would give
it: then most of them are these errors.

Candidate parents come from exact SEGMENT-long pieces of their windows, at every
offset, found near the child's window: long enough to be specific among the
thousands of windows sharing a V end or a J start, present even in a child whose
reads stop short of the parent's window, and intact on one side of an error; a window
of one read that they leave alone looks for the windows a substitution or two away
from it (:mod:`~vidjil_kernel.detect.variants`).  The
same pieces find the window that a read not analysed holds (``best_held_window``,
for :mod:`~vidjil_kernel.detect.rescue`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vidjil_kernel.detect.affect import log_poisson_tail
from vidjil_kernel.detect.encode import LETTERS, NUCLEOTIDE_CODE
from vidjil_kernel.detect.error_rates import error_rates
from vidjil_kernel.detect.variants import (
    LOW,
    MAX_SUBSTITUTIONS,
    VariantIndex,
    stretch_hashes,
    stretch_key,
    variant_index,
    variant_windows,
    worst_bases,
)
from vidjil_kernel.detect.windows import ERROR_OF_PHRED, WindowTable
from vidjil_kernel.jit import inner, kernel

SEGMENT = 24
#: a window of one read left alone looks again among the windows of FINE_PARENT_READS reads
#: or more with pieces this long: one is intact in a window with two errors anywhere
FINE_SEGMENT = 16
FINE_PARENT_READS = 10
MAX_EDITS = 3
#: windows that are shifted copies (reads too short for the clone's window) are compared
#: on their overlap, which must be at least this long
MIN_OVERLAP = 36
#: margin byte around a consensus: matches no base
PAD = 0
MAX_SHIFT = 20
#: bases of a child's read beyond its window that its merge reads: the parent's window
#: shifted by up to MAX_SHIFT, and the band of an alignment to it
CHILD_MARGIN = MAX_SHIFT + MAX_EDITS
ALPHA = 1e-4
#: the reads of a variant of a window, in all its windows, vary from one variant to
#: another more than by chance (``_variants_of_their_own``): on the 1M-read simulated
#: diagnosis sample, 326 of its 97,520 variants fail the test at the lambda their parent's
#: qualities give (9,318 reads of errors taken from their clones), 28 at 8 times it (6
#: of them another clone, 61 reads of errors)
VARIANT_SLACK = 8.0
#: error probability of a base without quality (FASTA)
DEFAULT_ERROR = 0.005
#: another clone differs from the parent outside the windows at this many bases or more
#: (one shared error, the one that moved the child's reads' window, gives one)
MIN_SITES = 2
#: bases on each side of a difference outside the windows realigned to tell it from an indel
_AROUND = 8
#: base qualities are often optimistic: error probabilities from them are scaled up by this
ERROR_SLACK = 2.0
_COST_DEFAULT_ERROR = -math.log(DEFAULT_ERROR / 3.0)
#: parents taken per segment (the biggest ones)
_PARENTS_PER_SEGMENT = 16
#: the polynomial of the hash that names a child's errors (``_substitutions_key``)
_KEY_BASE = np.uint64(0x100000001B3)
#: distinct (parent, position) candidates per child, and the hash slots counting them
_MAX_CANDIDATES = 512
_CANDIDATE_SLOTS = 2048
#: alignments tried per child: best-supported candidates, then biggest ones
_TRIES = 4
_TRIES_BIGGEST = 2
#: then the biggest candidates left are looked at for _TRIES_BIGGEST more that are a few
#: substitutions from the child, among this many
_SCAN_BIGGEST = 16
#: windows of one read indexed at a time when they look for a parent among themselves
#: (their index takes ~1 KB a window: 146,000 of them are left by 20M polyclonal reads)
AMONG_SINGLES_PART = 1 << 16
#: windows a substitution or two away looked at per window of one read left alone
_VARIANTS = 64
#: a window is folded mid-input as if it held this many times its reads when the share
#: of the input read is not known (standard input)
FOLD_UNKNOWN_PACE = 5.0


@inner
def _segment_code(data, start, segment):
    """2-bit code of ``data[start:start + segment]``; -1 when it holds an N."""
    code = 0
    for i in range(start, start + segment):
        v = NUCLEOTIDE_CODE[data[i]]
        if v > 3:
            return -1
        code = (code << 2) | v
    return code


@kernel
def _segments(parents, win_offset, win_width, win_arena, segment, codes, owner, where):
    """(code, parent, offset) of the parents' window segments at every offset (unsorted).

    Into ``codes``, ``owner`` and ``where``, long enough for every segment; returns
    how many (segments with an N are left out).
    """
    n = 0
    for p in parents:
        for offset in range(0, win_width[p] - segment + 1):
            code = _segment_code(win_arena, win_offset[p] + offset, segment)
            if code >= 0:
                codes[n] = code
                owner[n] = p
                where[n] = offset
                n += 1
    return n


@inner
def _home_slot(code, bits):
    """Slot of ``code`` in a table of 2**bits slots: the top bits of a Fibonacci hash.

    Every base of the segment moves them (the low bits of a product would only see
    the last bases, and windows sharing a J start pile up into long probe runs).
    """
    mixed = np.uint64(code) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(mixed >> np.uint64(64 - bits))


@kernel
def _segment_table(codes, table):
    """Open-addressing table over the sorted ``codes``: the index of each code's first
    entry, found by the code's home slot (``_find_code``); ``table`` comes with 2**bits
    slots of -1 (empty).

    Four bytes a slot, with the codes kept once per entry beside it: the final merge's
    index of the pieces of ~146,000 windows of one read (20M reads) took 128 MB with
    each slot holding its code and run (16 bytes), 32 MB so.
    """
    n = codes.shape[0]
    size = table.shape[0]
    bits = _bits(size)
    i = 0
    while i < n:
        slot = _home_slot(codes[i], bits)
        while table[slot] != -1:
            slot = (slot + 1) & (size - 1)
        table[slot] = i
        i += 1
        while i < n and codes[i] == codes[i - 1]:
            i += 1


@inner
def _bits(size):
    """log2 of ``size``, a power of two."""
    bits = 0
    while (1 << bits) < size:
        bits += 1
    return bits


@inner
def _find_code(code, codes, table, bits):
    """(first, stop) of the entries of ``code`` looked at (at most _PARENTS_PER_SEGMENT,
    the biggest windows); (-1, -1) when no window has it."""
    mask = table.shape[0] - 1
    slot = _home_slot(code, bits)
    while table[slot] != -1:
        first = table[slot]
        if codes[first] == code:
            stop = first + 1
            end = min(codes.shape[0], first + _PARENTS_PER_SEGMENT)
            while stop < end and codes[stop] == code:
                stop += 1
            return first, stop
        slot = (slot + 1) & mask
    return -1, -1


@inner
def _indel_cost(sequence, i, indel_costs):
    """-ln of the rate of an indel of ``sequence[i]``: ``indel_costs`` by the length of
    its run (:func:`~vidjil_kernel.detect.error_rates.error_rates`)."""
    longest = indel_costs.shape[0]
    base = sequence[i]
    run = 1
    j = i - 1
    while j >= 0 and sequence[j] == base and run < longest:
        run += 1
        j -= 1
    j = i + 1
    while j < sequence.shape[0] and sequence[j] == base and run < longest:
        run += 1
        j += 1
    return indel_costs[run - 1]


@kernel
def _align_log_lambda(query, query_cost, read, read_cost, indel_costs, start, band, cost,
                      edits):
    """Most likely way ``query`` sits in ``read`` near ``start``, as sequencing errors.

    Semi-global alignment (the whole query, the read's ends free) in a band of
    ``band`` nt around ``start``, minimising the summed -ln probability of the edits:
    a substitution of query position i by read position j costs the larger of
    ``query_cost[i]`` and ``read_cost[j]`` (-ln(e/3), e an error probability; 0 where
    a side does not know), an indel -ln of its rate (``_indel_cost``).  ``cost`` (4
    rows) and ``edits`` (2 rows) are scratch of at least len(query) + 2 * band + 1
    columns: two rolling rows of the band, and the read's indel and substitution costs.
    Returns (edits, ln of the product of the edits' probabilities); edits is
    MAX_EDITS + 1 when the query does not fit or needs more edits (the alignment
    stops as soon as every diagonal has too many).
    """
    m = query.shape[0]
    lo = start - band
    if lo < 0 or start + m + band > read.shape[0]:
        return MAX_EDITS + 1, 0.0
    diagonals = 2 * band + 1
    read_indel = cost[2]
    read_substitution = cost[3]
    for t in range(m + 2 * band):
        read_indel[t] = _indel_cost(read, lo + t, indel_costs)
        read_substitution[t] = read_cost[lo + t]
    above_cost = cost[0]  # row i - 1 of the band, by diagonal: read column j = row i + k
    row_cost = cost[1]
    above_edits = edits[0]
    row_edits = edits[1]
    for k in range(diagonals):
        above_cost[k] = 0.0  # the query may start anywhere in the read's stretch
        above_edits[k] = 0
    for i in range(1, m + 1):
        deletion = _indel_cost(query, i - 1, indel_costs)
        substitution = query_cost[i - 1]
        letter = query[i - 1]
        fewest = MAX_EDITS + 1
        left_cost = 0.0
        left_edits = 0
        for k in range(diagonals):
            j = i + k
            same = letter == read[lo + j - 1]
            best = above_cost[k] + (0.0 if same else max(substitution,
                                                         read_substitution[j - 1]))
            best_edits = above_edits[k] + (0 if same else 1)
            if k + 1 < diagonals and above_cost[k + 1] + deletion < best:
                best = above_cost[k + 1] + deletion
                best_edits = above_edits[k + 1] + 1
            if k > 0:
                inserted = left_cost + read_indel[j - 1]
                if inserted < best:
                    best = inserted
                    best_edits = left_edits + 1
            row_cost[k] = best
            row_edits[k] = best_edits
            left_cost = best
            left_edits = best_edits
            fewest = min(fewest, best_edits)
        if fewest > MAX_EDITS:
            return MAX_EDITS + 1, 0.0
        above_cost, row_cost = row_cost, above_cost
        above_edits, row_edits = row_edits, above_edits
    end = 0
    for k in range(diagonals):
        if above_cost[k] < above_cost[end]:
            end = k
    return above_edits[end], -above_cost[end]


@inner
def _substitutions_key(parent, parent_at, child, child_at, length, first):
    """Hash of the bases where ``child[child_at:]`` differs from ``parent[parent_at:]``
    over ``length`` bases, with their positions counted from ``first``, and how many."""
    key = np.uint64(0)
    differ = 0
    for i in range(length):
        base = child[child_at + i]
        if base != parent[parent_at + i]:
            differ += 1
            key = key * _KEY_BASE + np.uint64(8 * (first + i) + NUCLEOTIDE_CODE[base])
    return key, differ


@inner
def _base_mask(query, byte):
    """Bit i set when ``query[i] == byte``."""
    mask = np.uint64(0)
    for i in range(query.shape[0]):
        if query[i] == byte:
            mask |= np.uint64(1) << np.uint64(i)
    return mask


@kernel
def _fewest_edits(query, read, start, band, masks):
    """A lower bound of the edits _align_log_lambda would find (MAX_EDITS + 1: too many).

    Most candidates fail: this rejects them at a fraction of the alignment's cost.  It
    is the edit distance of ``query`` to its best place in the same stretch of ``read``
    but outside the band (bit-parallel, Myers 1999), which cannot exceed the edits of
    any banded alignment; 0 is an exact copy inside the band, which the alignment
    would find (any edit costs).  Queries longer than 64 nt get no bound (-1).
    ``masks`` is scratch of 4 words.
    """
    m = query.shape[0]
    lo = start - band
    stop = start + m + band
    if lo < 0 or stop > read.shape[0]:
        return MAX_EDITS + 1
    if m > 64:
        return -1
    if m == 0:
        return 0
    one = np.uint64(1)
    for code in range(4):
        masks[code] = 0
    for i in range(m):
        code = NUCLEOTIDE_CODE[query[i]]
        if code < 4 and LETTERS[code] == query[i]:
            masks[code] |= one << np.uint64(i)
    high = one << np.uint64(m - 1)
    plus = ~np.uint64(0)
    minus = np.uint64(0)
    score = m
    best = m
    for j in range(lo, stop):
        byte = read[j]
        code = NUCLEOTIDE_CODE[byte]
        if code < 4 and LETTERS[code] == byte:
            equal = masks[code]
        elif byte == PAD:
            equal = np.uint64(0)
        else:
            equal = _base_mask(query, byte)
        vertical = equal | minus
        horizontal = (((equal & plus) + plus) ^ plus) | equal
        h_plus = minus | ~(horizontal | plus)
        h_minus = plus & horizontal
        if h_plus & high:
            score += 1
        elif h_minus & high:
            score -= 1
        best = min(best, score)
        h_plus <<= one
        h_minus <<= one
        plus = h_minus | ~(vertical | h_plus)
        minus = h_plus & vertical
    return best


@inner
def _substitution_cost(summed_error, reads, scale):
    """-ln(e/3) of a base whose ``reads`` have error probabilities summing to
    ``summed_error``: e their mean scaled by ERROR_SLACK and ``scale``, at most 0.75."""
    return -math.log(min(0.75, ERROR_SLACK * scale * summed_error / reads) / 3.0)


@inner
def _parent_cost(parent, row_count, row_profile, profiles, scale, first, length, out):
    """Substitution costs at window positions first..first+length of ``parent`` into ``out``.

    -ln(e/3), e from the parent's error profile (its reads' qualities, scaled by
    ERROR_SLACK and ``scale``); DEFAULT_ERROR outside the window or without qualities.
    """
    profile = row_profile[parent]
    width = profiles.shape[1]
    for i in range(length):
        position = first + i
        if profile >= 0 and 0 <= position < width:
            out[i] = _substitution_cost(profiles[profile, position], row_count[parent], scale)
        else:
            out[i] = _COST_DEFAULT_ERROR


@inner
def _child_cost(row, row_count, row_profile, profiles, scale, win_width, kept_offset,
                kept_length, kept_window, kept_count, read_arena, qual_arena, consensus,
                window_at, widest, agree, worst, out):
    """Substitution costs of the row's consensus (from ``_kept_consensus``) into ``out``.

    At each base, -ln(e/3) with e an error probability of the row's reads there,
    scaled by ERROR_SLACK and ``scale``: the mean over the kept reads reading the
    consensus base, leaving the worst one out when there are three or more, or, inside
    the window, the mean over all its reads (its error profile) when lower; 0 (not
    known) where no read does, or without qualities.  A read with a low-quality dip
    there would otherwise make a few reads of another clone look like errors of a
    bigger one (a Q3 base among Q23-Q35 ones: a mean of 0.057, their e ~0.002).  Only
    bases an alignment may reach (a window at most ``widest`` long, MAX_SHIFT +
    MAX_EDITS from the row's) get a cost.  ``agree`` and ``worst`` are scratch.
    """
    lo = max(0, window_at - MAX_SHIFT - MAX_EDITS)
    hi = min(consensus.shape[0], window_at + widest + MAX_SHIFT + MAX_EDITS)
    for j in range(lo, hi):
        out[j] = 0.0
        agree[j] = 0
        worst[j] = 0.0
    if qual_arena.shape[0] == 0:
        return
    for k in range(kept_count[row]):
        offset = kept_offset[row, k]
        first = window_at - kept_window[row, k]
        for j in range(max(lo, first), min(hi, first + kept_length[row, k])):
            if read_arena[offset + j - first] == consensus[j]:
                error = ERROR_OF_PHRED[qual_arena[offset + j - first]]
                out[j] += error
                agree[j] += 1
                worst[j] = max(worst[j], error)
    for j in range(lo, hi):
        if agree[j] > 2:
            out[j] -= worst[j]
            agree[j] -= 1
    profile = row_profile[row]
    if profile >= 0:
        for i in range(win_width[row]):
            j = window_at + i
            if agree[j] == 0 or profiles[profile, i] * agree[j] < out[j] * row_count[row]:
                out[j] = profiles[profile, i]
                agree[j] = row_count[row]
    for j in range(lo, hi):
        if agree[j] > 0:
            out[j] = _substitution_cost(out[j], agree[j], scale)


@inner
def _kept_consensus(row, kept_offset, kept_length, kept_window, kept_count, read_arena,
                    votes, out):
    """Majority of the row's kept reads, aligned on its window, into ``out``.

    The kept reads of a window share it exactly; elsewhere one read's sequencing
    error is outvoted by the others (ties go to the earlier kept read).  The
    consensus starts at ``out[MAX_EDITS]``, between margins of PAD that match
    nothing, so that an alignment band may run past its ends.  Returns (length with
    the margins, window start in ``out``).
    """
    if kept_count[row] == 1:
        offset = kept_offset[row, 0]
        length = np.int64(kept_length[row, 0])
        for i in range(length):
            out[MAX_EDITS + i] = read_arena[offset + i]
        return _pad(out, length), MAX_EDITS + kept_window[row, 0]
    left = 0
    right = 0
    for k in range(kept_count[row]):
        left = max(left, kept_window[row, k])
        right = max(right, kept_length[row, k] - kept_window[row, k])
    length = left + right
    for i in range(length):
        for code in range(5):
            votes[i, code] = 0
    for k in range(kept_count[row]):
        shift = left - kept_window[row, k]
        offset = kept_offset[row, k]
        for i in range(kept_length[row, k]):
            votes[shift + i, NUCLEOTIDE_CODE[read_arena[offset + i]]] += 1
    for i in range(length):
        best = 4
        for code in range(5):
            if votes[i, code] > votes[i, best] or (best == 4 and votes[i, code] > 0):
                best = code
        out[MAX_EDITS + i] = LETTERS[best]
    return _pad(out, length), MAX_EDITS + left


@inner
def _pad(out, length):
    """Margins of PAD around ``out[MAX_EDITS:MAX_EDITS + length]``; returns the padded length."""
    for i in range(MAX_EDITS):
        out[i] = PAD
        out[MAX_EDITS + length + i] = PAD
    return length + 2 * MAX_EDITS


@inner
def _mismatches(sequence, parent_consensus, offset, lo, hi):
    """(mismatches, bases compared) of positions lo..hi of ``sequence`` (the child's
    consensus or a read) against the parent's consensus, position p facing parent
    position p + offset."""
    mismatches = 0
    compared = 0
    for p in range(max(lo, 0, -offset),
                   min(hi, sequence.shape[0], parent_consensus.shape[0] - offset)):
        a = NUCLEOTIDE_CODE[sequence[p]]
        b = NUCLEOTIDE_CODE[parent_consensus[p + offset]]
        if a < 4 and b < 4:
            compared += 1
            mismatches += a != b
    return mismatches, compared


@inner
def _best_shift(child_consensus, parent_consensus, offset, lo, hi):
    """(shift, mismatches, bases compared) of the parent's consensus, within MAX_EDITS
    of ``offset`` (smallest first), with the fewest mismatches on child positions
    lo..hi: an indel moves what follows it."""
    best_shift = 0
    best_mismatches = -1
    best_compared = 0
    for step in range(2 * MAX_EDITS + 1):
        shift = (step + 1) // 2 * (1 if step % 2 == 1 else -1)
        mismatches, compared = _mismatches(child_consensus, parent_consensus, offset + shift,
                                           lo, hi)
        if best_mismatches < 0 or mismatches < best_mismatches:
            best_shift, best_mismatches, best_compared = shift, mismatches, compared
    return best_shift, best_mismatches, best_compared


@inner
def _in_step(read, i, parent_consensus, q):
    """Whether ``read`` around its base i matches the parent's consensus around q (at
    most two differences on the _AROUND bases on each side): a read with an indel
    between there and its window is out of step with the others."""
    before, _ = _mismatches(read, parent_consensus, q - i, i - _AROUND, i)
    after, _ = _mismatches(read, parent_consensus, q - i, i + 1, i + _AROUND + 1)
    return before + after <= 2


@inner
def _reads_with_base(row, at, base, kept_offset, kept_length, kept_window, kept_count,
                     read_arena, qual_arena, scale, parent_consensus, q):
    """(reads covering, reads reading ``base``, summed cost of these) among ``row``'s
    kept reads, ``at`` nt from its window start, counting only the reads in step with
    the parent's consensus at q (``_in_step``; all reads when q < 0): the cost of a
    base is -ln of its chance of being this substitution error (``_substitution_cost``;
    DEFAULT_ERROR without qualities)."""
    covering = 0
    reading = 0
    cost = 0.0
    for k in range(kept_count[row]):
        i = at + kept_window[row, k]
        if not 0 <= i < kept_length[row, k]:
            continue
        read = read_arena[kept_offset[row, k]:kept_offset[row, k] + kept_length[row, k]]
        if q >= 0 and not _in_step(read, i, parent_consensus, q):
            continue
        covering += 1
        if read[i] == base:
            reading += 1
            if qual_arena.shape[0] > 0:
                error = ERROR_OF_PHRED[qual_arena[kept_offset[row, k] + i]]
                cost += _substitution_cost(error, 1, scale)
            else:
                cost += _COST_DEFAULT_ERROR
    return covering, reading, cost


@inner
def _differs_outside(child, parent, start, window_at, child_consensus, parent_consensus,
                     parent_window_at, win_width, kept_offset, kept_length, kept_window,
                     kept_count, read_arena, qual_arena, scale, min_reading):
    """Whether the child's reads are another clone's than the parent's, outside the windows.

    Reads of a window made by an error of the parent's reads match the parent's reads
    elsewhere but for their own, independent errors; another clone (another V or J
    allele, its own hypermutations) differs from it at the same bases in all its reads.
    A *site* is a base outside both windows where most of the child's kept reads in
    step with the parent's consensus there, at least ``min_reading``, read the same base
    (the others may be the parent's errors), and at least two of the parent's, none of
    them that base, read another; it is one of at most two differences of the
    consensuses on the _AROUND bases on each side, realigned (an indel is no site, nor
    a stretch where the kept reads of either are out of step).  A site costs the
    summed -ln chances of the child's bases being that error, less ln of the bases
    compared (it could have been any of them); the child differs at MIN_SITES sites or
    more costing more than -ln ALPHA together.  Child position p faces parent position
    p - start + parent_window_at (``start``: the parent's window in the child's
    consensus), give or take the shift of each flank.
    """
    offset = parent_window_at - start
    left_end = min(window_at, start) - MAX_EDITS
    right_begin = max(window_at + win_width[child], start + win_width[parent]) + MAX_EDITS
    left_shift, _, left_compared = _best_shift(child_consensus, parent_consensus, offset,
                                               0, left_end)
    right_shift, _, right_compared = _best_shift(child_consensus, parent_consensus, offset,
                                                 right_begin, child_consensus.shape[0])
    compared = left_compared + right_compared
    if compared == 0:
        return False
    per_site = math.log(compared)
    total = 0.0
    sites = 0
    for p in range(child_consensus.shape[0]):
        if left_end <= p < right_begin:
            continue
        q = p + offset + (left_shift if p < left_end else right_shift)
        if q < 0 or q >= parent_consensus.shape[0] or child_consensus[p] == parent_consensus[q]:
            continue
        # one of at most two differences of the bases around it, realigned: an indel
        # error shared by the child's reads (the one that moved their window) is no
        # site, nor a stretch where the kept reads are out of step (indels) and their
        # votes mixed
        shift, mismatches, around = _best_shift(child_consensus, parent_consensus, q - p,
                                                p - _AROUND, p + _AROUND + 1)
        q += shift
        if mismatches > 2 or around <= _AROUND or q < 0 or q >= parent_consensus.shape[0]:
            continue
        mine = child_consensus[p]
        theirs = parent_consensus[q]
        if mine == theirs or NUCLEOTIDE_CODE[mine] > 3 or NUCLEOTIDE_CODE[theirs] > 3:
            continue
        covering, reading, cost = _reads_with_base(
            child, p - window_at, mine, kept_offset, kept_length, kept_window, kept_count,
            read_arena, qual_arena, scale, parent_consensus, q)
        if reading < min_reading or 2 * reading <= covering:
            continue
        at = q - parent_window_at
        _, support, _ = _reads_with_base(parent, at, theirs, kept_offset, kept_length,
                                         kept_window, kept_count, read_arena, qual_arena, scale,
                                         parent_consensus, -1)
        _, against, _ = _reads_with_base(parent, at, mine, kept_offset, kept_length,
                                         kept_window, kept_count, read_arena, qual_arena, scale,
                                         parent_consensus, -1)
        if support >= 2 and against == 0 and cost > per_site:
            total += cost - per_site
            sites += 1
    return sites >= MIN_SITES and total > -math.log(ALPHA)


@inner
def _same_clone(child, parent, start, window_at, child_consensus, win_width, kept_offset,
                kept_length, kept_window, kept_count, read_arena, qual_arena, scale, votes,
                parent_buffer):
    """Whether a child explained as errors of the parent also matches it outside the
    windows (``_differs_outside``): its kept reads, two of them reading each site, or its
    only read.  A window of one read that differs from a bigger one outside at sites
    costing more than chance gives is another clone's read.  Folds of the table test
    windows early, many of one read: merging these, a fold took the reads of an 11-read
    hypermutated clone of the 1M polyclonal sample into a 721-read clone one substitution
    away, and of a 6-read clone of the MRD sample."""
    if kept_count[child] == 1 and not _may_differ_outside(
            child, parent, start, window_at, child_consensus, win_width, kept_offset,
            kept_length, kept_window, kept_count, read_arena, qual_arena, scale):
        return True
    length, parent_window_at = _kept_consensus(parent, kept_offset, kept_length, kept_window,
                                               kept_count, read_arena, votes, parent_buffer)
    return not _differs_outside(child, parent, start, window_at, child_consensus,
                                parent_buffer[:length], parent_window_at, win_width,
                                kept_offset, kept_length, kept_window, kept_count,
                                read_arena, qual_arena, scale, min(2, kept_count[child]))


@inner
def _may_differ_outside(child, parent, start, window_at, child_read, win_width, kept_offset,
                        kept_length, kept_window, kept_count, read_arena, qual_arena, scale):
    """Whether the only read of a child may differ from its parent outside the windows
    (``_differs_outside``), by a look at the parent's kept reads, each aligned on its
    window, without their consensus: MIN_SITES bases or more of the child's read
    outside the windows, read well enough to be a site, that two of the parent's kept
    reads or more read, none of them the same.  Most windows of one read are the
    parent's errors, which this tells at a fraction of the cost."""
    left_end = min(window_at, start) - MAX_EDITS
    right_begin = max(window_at + win_width[child], start + win_width[parent]) + MAX_EDITS
    to_quality = kept_offset[child, 0] + kept_window[child, 0] - window_at
    covered_from = child_read.shape[0]  # the parent's kept reads cover an interval
    covered_to = 0
    for k in range(kept_count[parent]):
        covered_from = min(covered_from, start - kept_window[parent, k])
        covered_to = max(covered_to, start - kept_window[parent, k] + kept_length[parent, k])
    compared = 0
    for p in range(max(covered_from, 0), min(covered_to, child_read.shape[0])):
        if not (left_end <= p < right_begin or child_read[p] == PAD):
            compared += 1
    per_site = math.log(max(compared, 1))
    sites = 0
    for p in range(child_read.shape[0]):
        if left_end <= p < right_begin or child_read[p] == PAD:
            continue
        support = 0
        for k in range(kept_count[parent]):
            r = p - start + kept_window[parent, k]
            if 0 <= r < kept_length[parent, k]:
                if read_arena[kept_offset[parent, k] + r] == child_read[p]:
                    support = -1
                    break
                support += 1
        if support < 2:
            continue
        cost = _COST_DEFAULT_ERROR
        if qual_arena.shape[0] > 0:
            cost = _substitution_cost(ERROR_OF_PHRED[qual_arena[to_quality + p]], 1, scale)
        if cost > per_site:
            sites += 1
            if sites >= MIN_SITES:
                return True
    return False


#: columns of the candidate table
_PARENT, _START, _SUPPORT, _COUNT, _SLOT = 0, 1, 2, 3, 4


@inner
def _may_parent(parent, count, child, child_count):
    """Whether a window of ``count`` reads may be the child's parent: a bigger one, or
    one as big and seen earlier (the order that entries of a segment follow)."""
    return count > child_count or (count == child_count and parent < child)


@inner
def _add_candidates(read, first, last, window_at, max_shift, child, child_count, entries,
                    codes, table, segment, scan_codes, slot_of, candidates):
    """Add the (parent, window start in ``read``) pairs whose segments occur in ``read``.

    Scans read positions first..last (those nearest ``window_at`` first), looks each
    ``segment``-long piece up (``codes``, ``table``), and counts the pieces supporting each
    pair whose start is at most ``max_shift`` from ``window_at``; at most
    _PARENTS_PER_SEGMENT parents per piece (the biggest), and only parents that
    ``_may_parent`` a window ``child`` of ``child_count`` reads.  ``entries`` rows are
    (parent, offset, parent count), biggest parents first for each segment.  Candidates
    are rows of ``candidates`` (parent, start, support, parent count, slot in
    ``slot_of``, the hash of the pairs).
    Returns the number of candidates.
    """
    n_used = 0
    bits = _bits(table.shape[0])
    mask = (1 << (2 * segment)) - 1
    rolling = 0
    valid_from = first
    for pos in range(first, last + segment):  # rolling codes of the scanned positions
        v = NUCLEOTIDE_CODE[read[pos]]
        if v > 3:
            valid_from = pos + 1
            v = 0
        rolling = ((rolling << 2) | v) & mask
        begin = pos - segment + 1
        if begin >= first:
            scan_codes[begin - first] = rolling if begin >= valid_from else -1
    # each segment's run of entries, as first * 32 + its length (-1: none usable)
    for t in range(last - first + 1):
        code = scan_codes[t]
        if code < 0:
            continue
        i, stop = _find_code(code, codes, table, bits)
        # a run whose biggest parent is too small is skipped whole; and these reads of
        # entries, independent of each other, are not waited for one by one below
        run = -1
        if i >= 0 and _may_parent(entries[i, 0], entries[i, 2], child, child_count):
            run = i * 32 + stop - i
        scan_codes[t] = run
    inside = max(first, min(last, window_at))
    for step in range(last - first + 1):
        pos = inside + step if inside + step <= last else inside - (step - (last - inside))
        run = scan_codes[pos - first]
        if run < 0:
            continue
        i = run >> 5
        stop = i + (run & 31)
        while i < stop:
            parent = entries[i, 0]
            count = entries[i, 2]
            if not _may_parent(parent, count, child, child_count):
                break  # the rest are smaller, or as big and later
            start = pos - entries[i, 1]
            i += 1
            if abs(start - window_at) > max_shift or n_used == _MAX_CANDIDATES:
                continue
            h = (parent * 0x9E3779B1 + start * 40503) & (_CANDIDATE_SLOTS - 1)
            while slot_of[h] != -1 and not (candidates[slot_of[h], _PARENT] == parent
                                             and candidates[slot_of[h], _START] == start):
                h = (h + 1) & (_CANDIDATE_SLOTS - 1)
            if slot_of[h] == -1:
                slot_of[h] = n_used
                candidates[n_used, _PARENT] = parent
                candidates[n_used, _START] = start
                candidates[n_used, _SUPPORT] = 0
                candidates[n_used, _COUNT] = count
                candidates[n_used, _SLOT] = h
                n_used += 1
            candidates[slot_of[h], _SUPPORT] += 1
    return n_used


@inner
def _better(candidates, by_support, k, other):
    """Order of candidates: by supporting segments then size, or by size alone."""
    if by_support and candidates[k, _SUPPORT] != candidates[other, _SUPPORT]:
        return candidates[k, _SUPPORT] > candidates[other, _SUPPORT]
    return candidates[k, _COUNT] > candidates[other, _COUNT]


@inner
def _select(candidates, n_used, by_support, wanted, tried, order):
    """The ``wanted`` best candidates not ``tried``, best first, into ``order``.

    One pass with an insertion into a short list; among equals the earlier
    candidate comes first.  Returns how many were found.
    """
    n = 0
    for k in range(n_used):
        if tried[k]:
            continue
        if n == wanted:
            if not _better(candidates, by_support, k, order[n - 1]):
                continue
            j = n - 1
        else:
            j = n
            n += 1
        while j > 0 and _better(candidates, by_support, k, order[j - 1]):
            order[j] = order[j - 1]
            j -= 1
        order[j] = k
    return n


@inner
def best_held_window(read, min_end, max_start, entries, codes, table, segment, win_offset,
                     win_width, win_arena, scan_codes, slot_of, candidates, tried, order,
                     masks):
    """(row, edits) of the window of the index (``entries`` to ``segment``) that
    ``read`` holds with the fewest edits, at most MAX_EDITS, starting at ``max_start`` at
    most and ending at ``min_end`` at least; among equals, the one with the most reads.
    Row -1: none.  The scratch arrays come from ``held_window_scratch``.

    The _TRIES best-supported candidates are compared; windows too long for
    ``_fewest_edits``'s bound, or too near an end of the read for its band, are compared
    base for base.
    """
    length = read.shape[0]
    n_used = _add_candidates(read, 0, length - segment, length // 2, length, -1, np.int64(1),
                             entries, codes, table, segment, scan_codes, slot_of, candidates)
    for k in range(n_used):
        tried[k] = False
    n_order = _select(candidates, n_used, np.bool_(True), np.int64(_TRIES), tried, order)
    best = -1
    best_edits = MAX_EDITS + 1
    best_count = 0
    for attempt in range(n_order):
        k = order[attempt]
        row = candidates[k, _PARENT]
        start = candidates[k, _START]
        end = start + win_width[row]
        if start < 0 or end > length or start > max_start or end < min_end:
            continue
        window = win_arena[win_offset[row]:win_offset[row] + win_width[row]]
        edits = -1
        if MAX_EDITS <= start <= length - win_width[row] - MAX_EDITS:
            edits = _fewest_edits(window, read, start, MAX_EDITS, masks)
        if edits < 0:  # base for base, an N counting as a difference
            mismatches, compared = _mismatches(read, window, -start, start,
                                               start + win_width[row])
            edits = mismatches + win_width[row] - compared
        count = candidates[k, _COUNT]
        if edits < best_edits or (edits == best_edits <= MAX_EDITS and count > best_count):
            best, best_edits, best_count = row, edits, count
    for k in range(n_used):
        slot_of[candidates[k, _SLOT]] = -1
    return best, best_edits


def held_window_scratch(longest: int) -> tuple[np.ndarray, ...]:
    """The scratch arrays of ``best_held_window`` for reads of up to ``longest`` nt."""
    return (np.empty(max(longest, 1), np.int64),  # scan_codes
            np.full(_CANDIDATE_SLOTS, -1, np.int64),  # slot_of
            np.zeros((_MAX_CANDIDATES, 5), np.int64),  # candidates
            np.zeros(_MAX_CANDIDATES, np.bool_),  # tried
            np.empty(_TRIES, np.int64), np.empty(4, np.uint64))  # order, masks


@inner
def _try_candidates(child, child_reads, pace, read, read_cost, costed, indel_costs, scale,
                    window_at, max_edits, own_qualities, n_used,
                    candidates, row_count, win_offset, win_width, win_arena, kept_offset,
                    kept_length, kept_window, kept_count, row_profile, profiles, read_arena,
                    qual_arena, scratch, agree, worst, cost, edits_table, tried,
                    parent_buffer, no_cost, query_cost, masks, order, variant_key,
                    variant_lambda):
    """The first candidate explaining the child as errors (-1: none): the child's window
    is at most ``max_edits`` likely errors from the candidate's and, when the child has more
    reads than these errors would give, its reads are like the candidate's outside the
    windows (``_same_clone``).

    _TRIES candidates are tried best-supported first (the parent of a child with an
    error or two shares most of its segments; among equals, the biggest), then the
    _TRIES_BIGGEST biggest ones left (a clone's shifted copies may share more segments
    with the child than the clone itself, but are too small to explain it), then the
    _TRIES_BIGGEST biggest ones left, among the _SCAN_BIGGEST biggest, whose window is
    at most ``max_edits`` substitutions from the child's read.  Where junctions are
    short, a substitution in one leaves its parent fewer intact segments than other
    clones of the same V end and J start hold, bigger ones too: a mouse IGL clone of
    631 reads lost 3.5% of them so.  Substitutions only: with indels too, the long
    homopolymers of Ion Torrent explained 13 more clones of >= 5 reads of a 1M-read
    sample as errors of a bigger one (4 with substitutions only).
    ``read_cost`` receives the child's substitution costs when an alignment first
    needs them (holds them already when ``costed``); with ``own_qualities``, they alone
    price a substitution.  The child is
    taken to hold ``child_reads`` reads, and the parent ``pace`` times its count (1, or
    what both would reach by the end of the input: ``fold_parents``).
    When the candidate explains the child with errors, ``variant_lambda[child]`` (else 0)
    is the child's reads the candidate's errors would give and ``variant_key[child]``
    names the errors: a hash of the substitutions at the candidate's window positions
    or, with indels, of the read's bases around the candidate's window (the same for
    every window of a variant, whatever its shift: ``_variants_of_their_own``).
    """
    for k in range(n_used):
        tried[k] = False
    child_width = win_width[child]
    child_window = win_arena[win_offset[child]:win_offset[child] + child_width]
    log_alpha = math.log(ALPHA)
    n_order = _select(candidates, n_used, np.bool_(True), np.int64(_TRIES), tried, order)
    scan = _TRIES + _TRIES_BIGGEST
    reached = 0
    for attempt in range(scan + _SCAN_BIGGEST):
        if attempt == _TRIES:
            n_order = _TRIES + _select(candidates, n_used, np.bool_(False),
                                       np.int64(_TRIES_BIGGEST), tried, order[_TRIES:])
        elif attempt == scan:
            n_order = scan + _select(candidates, n_used, np.bool_(False),
                                     np.int64(_SCAN_BIGGEST), tried, order[scan:])
        if attempt >= n_order or reached == _TRIES_BIGGEST:
            break
        k = order[attempt]
        tried[k] = True
        parent = candidates[k, _PARENT]
        start = candidates[k, _START]
        width = win_width[parent]
        inside = start >= MAX_EDITS and start + width <= read.shape[0] - MAX_EDITS
        if inside:
            window = win_arena[win_offset[parent]:win_offset[parent] + width]
        if attempt >= scan:
            if not inside or _mismatches(window, read, start, 0, width)[0] > max_edits:
                continue
            reached += 1
        if inside:
            fewest = _fewest_edits(window, read, start, MAX_EDITS, masks)
        else:  # the child's reads stop short of the parent's window: compare the windows
            shift = window_at - start  # child window start, parent window coordinates
            first = max(0, shift)
            last = min(width, shift + child_width)
            if last - first < MIN_OVERLAP:
                continue
            parent_length, parent_window_at = _kept_consensus(
                parent, kept_offset, kept_length, kept_window, kept_count, read_arena,
                scratch, parent_buffer)
            query = child_window[first - shift:last - shift]
            text = parent_buffer[:parent_length]
            fewest = _fewest_edits(query, text, parent_window_at + first, MAX_EDITS, masks)
        if fewest > max_edits:
            continue
        expected = 0.0  # the child's reads that the parent's errors give
        if fewest > 0:  # else an exact copy: what the alignment would find, at no cost
            if not costed:
                _child_cost(child, row_count, row_profile, profiles, scale, win_width,
                            kept_offset, kept_length, kept_window, kept_count, read_arena,
                            qual_arena, read, window_at, query_cost.shape[0], agree, worst,
                            read_cost)
                costed = True
            if inside:
                if not own_qualities:
                    _parent_cost(parent, row_count, row_profile, profiles, scale,
                                 np.int64(0), np.int64(width), query_cost)
                edits, log_lambda = _align_log_lambda(
                    window, no_cost if own_qualities else query_cost, read, read_cost,
                    indel_costs, start, MAX_EDITS, cost, edits_table)
            else:  # the query is the child's: both sides' costs go with it
                if not own_qualities:
                    _parent_cost(parent, row_count, row_profile, profiles, scale, first,
                                 last - first, query_cost)
                for i in range(last - first):
                    child_cost = read_cost[window_at + first - shift + i]
                    query_cost[i] = child_cost if own_qualities else max(query_cost[i],
                                                                         child_cost)
                edits, log_lambda = _align_log_lambda(query, query_cost, text, no_cost,
                                                      indel_costs, parent_window_at + first,
                                                      MAX_EDITS, cost, edits_table)
            if edits > MAX_EDITS:
                continue
            if edits > 0:
                expected = math.exp(log_lambda) * row_count[parent] * pace
                if log_poisson_tail(child_reads, expected) < log_alpha:
                    continue
        # a child with fewer reads than the errors would give is merged even when some
        # of its reads are another clone's: most are the parent's
        if child_reads > expected and not _same_clone(
                child, parent, start, window_at, read, win_width, kept_offset, kept_length,
                kept_window, kept_count, read_arena, qual_arena, scale, scratch,
                parent_buffer):
            continue
        if expected > 0.0:
            if inside:
                key, substitutions = _substitutions_key(window, 0, read, start, width, 0)
            else:
                key, substitutions = _substitutions_key(text, parent_window_at + first,
                                                        child_window, first - shift,
                                                        last - first, first)
            usable = substitutions == edits
            if not usable and inside:  # indels: the read's bases around the parent's window
                key, usable = stretch_key(read, start - MAX_EDITS, start + width + MAX_EDITS)
            if usable:
                variant_key[child] = key
                variant_lambda[child] = expected
        return parent
    return -1


@inner
def _variant_candidates(child, shift, read, window_at, first, last, prefix, low, n_low,
                        row_count, win_offset, win_width, win_arena, slots, keys, present,
                        powers, rows, starts, subs, candidates):
    """The candidates (as ``_add_candidates`` makes them) among the windows that ``read``
    holds a substitution or two away, ``shift`` nt from the child's window either way
    (``variant_windows``); returns how many."""
    found = 0
    for side in range(2 if shift else 1):
        start = window_at - shift if side == 0 else window_at + shift
        if first <= start <= last:
            found = variant_windows(read, start, win_width[child], prefix, low, n_low, slots,
                                    keys, present, powers, win_offset, win_width, win_arena,
                                    rows, starts, subs, found)
    n_used = 0
    for k in range(found):
        parent = rows[k]
        if _may_parent(parent, row_count[parent], child, row_count[child]):
            candidates[n_used, _PARENT] = parent
            candidates[n_used, _START] = starts[k]
            candidates[n_used, _SUPPORT] = MAX_SUBSTITUTIONS - subs[k]
            candidates[n_used, _COUNT] = row_count[parent]
            n_used += 1
    return n_used


@kernel
def _find_parents(children, child_reads, pace, max_edits, own_qualities, by_variants,
                  row_count, win_offset, win_width, win_arena, kept_offset, kept_length,
                  kept_window, kept_count, row_profile, profiles, read_arena, qual_arena,
                  indel_costs, scale, entries, codes, table, segment, slots, keys, present,
                  powers, parent_of, variant_key, variant_lambda, votes, scan_codes,
                  child_buffer, parent_buffer, read_cost, no_cost, agree, worst, query_cost,
                  cost, edits_table, tried, slot_of, candidates, masks, order, prefix, low,
                  rows, starts, subs):
    """Parent row (-1: none) of each window of ``children`` (each taken to hold
    ``child_reads[child]`` reads, a parent ``pace`` times its count), at most
    ``max_edits`` away (substitutions priced by the child's read alone with
    ``own_qualities``: see ``find_parents``), into ``parent_of``, given the sample's
    error rates (``indel_costs``, ``scale``:
    :func:`~vidjil_kernel.detect.error_rates.error_rates`).  The candidates come from
    the index of the parents' ``segment``-long pieces (``entries`` to ``segment``) or, with
    ``by_variants``, from the windows the child's read holds a substitution or two away
    (:mod:`~vidjil_kernel.detect.variants`: ``slots`` to ``powers``), looked for from
    the child's window start outwards, a shift at a time, and tried before looking
    further (a window of one read mostly finds its parent at a shift of 0-3 nt, and the
    looking is most of the cost).  ``variant_key`` and ``variant_lambda`` receive what
    ``_try_candidates`` tells of each child; the arrays after them are scratch
    (``_merge_scratch``); one call site of ``_try_candidates`` for both sources keeps
    the kernel's compilation to one copy of it.
    """
    for child in children:
        length, window_at = _kept_consensus(child, kept_offset, kept_length, kept_window,
                                            kept_count, read_arena, votes, child_buffer)
        read = child_buffer[:length]
        parent_of[child] = -1
        variant_lambda[child] = 0.0
        rounds = 1
        n_low = 0
        first = max(0, window_at - MAX_SHIFT)
        last = min(length - segment, window_at + win_width[child] + MAX_SHIFT - segment)
        if by_variants:
            first = max(MAX_EDITS, window_at - MAX_SHIFT)
            last = min(length - MAX_EDITS - win_width[child], window_at + MAX_SHIFT)
            rounds = MAX_SHIFT + 1 if first <= last else 0
            if rounds:  # _try_candidates takes these costs as they are
                _child_cost(child, row_count, row_profile, profiles, scale, win_width,
                            kept_offset, kept_length, kept_window, kept_count, read_arena,
                            qual_arena, read, window_at, query_cost.shape[0], agree, worst,
                            read_cost)
                stretch_hashes(read, first, last + win_width[child], prefix)
                n_low = worst_bases(read_cost, first, last + win_width[child], low)
        for shift in range(rounds):
            if by_variants:
                n_used = _variant_candidates(child, shift, read, window_at, first, last,
                                             prefix, low, n_low, row_count, win_offset,
                                             win_width, win_arena, slots, keys, present,
                                             powers, rows, starts, subs, candidates)
                if n_used == 0:
                    continue
            else:
                n_used = _add_candidates(read, first, last, window_at, MAX_SHIFT, child,
                                         row_count[child], entries, codes, table, segment,
                                         scan_codes, slot_of, candidates)
            parent_of[child] = _try_candidates(
                child, child_reads[child], pace, read, read_cost[:length], by_variants,
                indel_costs, scale, window_at, max_edits, own_qualities, n_used, candidates,
                row_count, win_offset, win_width, win_arena, kept_offset, kept_length,
                kept_window, kept_count, row_profile, profiles, read_arena, qual_arena, votes,
                agree, worst, cost, edits_table, tried, parent_buffer, no_cost, query_cost,
                masks, order, variant_key, variant_lambda)
            if not by_variants:
                for k in range(n_used):  # clean for the next child, and the next call
                    slot_of[candidates[k, _SLOT]] = -1
            break


def _merge_scratch(n_rows: int, win_width: np.ndarray, kept_length: np.ndarray,
                   kept_count: np.ndarray) -> tuple[np.ndarray, ...]:
    """``parent_of``, ``variant_key``, ``variant_lambda`` and the scratch arrays of
    ``_find_parents``, in its argument order.

    Allocated here rather than in the kernels: numba compiles ``np.empty`` and
    ``np.zeros`` once for every dtype and shape a kernel asks for (about a second of
    the merge's compilation).
    """
    widest = int(win_width[:n_rows].max(initial=1))
    kept = np.arange(kept_length.shape[1]) < kept_count[:n_rows, None]
    longest = int(kept_length[:n_rows].max(initial=1, where=kept))
    consensus = 2 * longest + 2 * MAX_EDITS  # a consensus and its margins
    band = widest + 2 * MAX_EDITS + 1
    return (np.empty(n_rows, np.int64),  # parent_of
            np.empty(n_rows, np.uint64), np.zeros(n_rows, np.float64),  # variant key, lambda
            np.zeros((2 * longest, 5), np.int32),  # votes
            np.empty(2 * longest, np.int64),  # scan_codes
            np.empty(consensus, np.uint8), np.empty(consensus, np.uint8),  # child, parent
            np.empty(consensus, np.float64),  # read_cost: the child consensus's
            np.zeros(consensus, np.float64),  # no_cost: a parent consensus's (not known)
            np.empty(consensus, np.int32),  # agree
            np.empty(consensus, np.float64),  # worst
            np.empty(widest, np.float64),  # query_cost
            np.empty((4, band), np.float64), np.empty((2, band), np.int64),  # cost, edits
            np.zeros(_MAX_CANDIDATES, np.bool_),  # tried
            np.full(_CANDIDATE_SLOTS, -1, np.int64),  # slot_of
            np.zeros((_MAX_CANDIDATES, 5), np.int64),  # candidates
            np.empty(4, np.uint64),  # masks
            np.empty(_TRIES + _TRIES_BIGGEST + _SCAN_BIGGEST, np.int64),  # order
            np.empty(consensus + 1, np.uint64),  # prefix
            np.empty(LOW, np.int64),  # low
            np.empty(_VARIANTS, np.int64), np.empty(_VARIANTS, np.int64),  # rows, starts
            np.empty(_VARIANTS, np.int64))  # subs


@dataclass(frozen=True)
class ParentIndex:
    """The ``segment``-long pieces of the windows that may be parents, for
    ``_add_candidates``: ``entries`` rows are (window, offset, its reads), biggest windows
    first for each piece, ``codes`` their pieces' 2-bit codes (sorted); ``table`` finds
    a piece's first entry (``_find_code``)."""

    entries: np.ndarray
    codes: np.ndarray
    table: np.ndarray
    segment: int

    @staticmethod
    def none(segment: int = SEGMENT) -> ParentIndex:
        """An index of no window."""
        return ParentIndex(np.zeros((0, 3), np.int32), np.zeros(0, np.int64),
                           np.full(2, -1, np.int32), segment)

    def arrays(self) -> tuple:
        """What the kernels take of it, in their argument order."""
        return self.entries, self.codes, self.table, self.segment


def parent_index(table: WindowTable, parents: np.ndarray | None = None,
                 segment: int = SEGMENT) -> ParentIndex:
    """The index of the ``segment``-long pieces of ``parents``, rows of ``table`` (default:
    the windows seen at least twice).

    (Sorting and allocating happen here, in numpy, to keep the kernels quick to compile.)
    """
    row_count, win_width = table.row_count[:table.n_rows], table.win_width
    if parents is None:
        parents = np.flatnonzero(row_count >= 2)
    parents = parents[np.argsort(-row_count[parents], kind="stable")]  # biggest first...
    total = int(np.maximum(win_width[parents].astype(np.int64) - segment + 1, 0).sum())
    codes = np.empty(total, np.int64)
    owner = np.empty(total, np.int32)
    where = np.empty(total, np.int32)
    n = _segments(parents, table.win_offset, win_width, table.win_arena, segment, codes, owner,
                  where)
    order = np.argsort(codes[:n], kind="stable")  # ...within each code
    entries = np.empty((order.shape[0], 3), np.int32)  # half the bytes of int64: the peak
    entries[:, 0] = owner[order]
    entries[:, 1] = where[order]
    entries[:, 2] = np.minimum(row_count[entries[:, 0]], np.iinfo(np.int32).max)
    del owner, where  # each array is freed when done with: the index is the merge's peak
    codes = codes[order]
    del order
    distinct = int(np.count_nonzero(codes[1:] != codes[:-1])) + 1 if n else 0
    size = 2
    while size < 2 * distinct + 2:
        size *= 2
    segment_table = np.full(size, -1, np.int32)
    _segment_table(codes, segment_table)
    return ParentIndex(entries, codes, segment_table, segment)


def find_parents(table: WindowTable, index: ParentIndex | None = None,
                 rates: tuple[np.ndarray, float] | None = None,
                 pace: float = 1.0, among_singles: bool = True,
                 reads_read: int | None = None) -> np.ndarray:
    """Parent row of each window (-1: none), for windows explained as errors of a bigger one.

    Parents are the windows seen at least twice (``index``, made here when not given).
    Then the windows of one read left without a parent look for one among themselves:
    the reads of a small clone may each have their window somewhere else (errors near
    the V end or the J start move it, errors inside it change it), and none of these
    windows is seen twice; merged into the first one (as big) that is a (shifted) copy
    of them, exact or one likely error away, they make one clone instead of one per read
    (on a simulated diagnosis sample, 675 fewer clones, 37 reads more in a clone of
    another: clones held at least half 99.78% -> 99.89%); they are indexed
    AMONG_SINGLES_PART at a time, a window taking its parent in the first part that
    explains it.  Last, the windows of one read still alone (no parent, no child) look
    among the windows of FINE_PARENT_READS reads or more by shorter pieces: two errors
    in a window, one in each half less than SEGMENT apart, leave none of its
    SEGMENT-long pieces intact (a clone of 678 reads without qualities lost 2% of them
    so).  Their substitutions are priced by their own read's qualities, not the parent's
    reads': a read alone, with errors at the bases it reads badly, is its clone's (with
    400-nt reads, whose ends are read at Q2-Q20, the biggest clones lost 4-6% of their
    reads as one-read clones of 3-5 errors each).  Not before: the reads of a small clone
    next to a big one, read badly at the base where they differ from it, would join the
    big one rather than one another.  Last of all, the windows of one read still without
    a parent look for the windows of two reads or more that their read holds a
    substitution or two away, found whole by their hash
    (:mod:`~vidjil_kernel.detect.variants`): an error in the unique bases of a junction
    leaves intact only pieces that the clones of the same V end and J start share, and
    the index keeps the biggest windows of a piece (on 1M simulated polyclonal reads,
    16,899 windows of one read were left alone, 7,034 with this last look).

    ``rates`` are the sample's error rates (measured on ``table`` when not given:
    :func:`~vidjil_kernel.detect.error_rates.error_rates`); a child is taken to hold
    ``pace`` times its reads, those folded into it included (what it would reach by the
    end of the input: ``fold_parents``), a parent ``pace`` times its own; without
    ``among_singles``, the windows of one read do not look for a parent among themselves;
    with ``reads_read`` (the reads of the input read so far: a fold), the windows that
    looked in vain (``WindowTable.row_looked``) do not look again until it has doubled.
    """
    index = index or parent_index(table)  # its peak memory passes before the scratch's
    n_rows, row_count = table.n_rows, table.row_count[:table.n_rows]
    scratch = _merge_scratch(n_rows, table.win_width, table.kept_length, table.kept_count)
    windows = (row_count, table.win_offset, table.win_width, table.win_arena,
               table.kept_offset, table.kept_length, table.kept_window, table.kept_count,
               table.row_profile, table.profiles, table.read_arena, table.qual_arena,
               *(rates or error_rates(table)))
    parent_of, variant_key, variant_lambda = scratch[:3]
    reads = np.ceil(table.reads() * pace).astype(np.int64)
    looking = np.arange(n_rows)
    if reads_read is not None:
        parent_of.fill(-1)
        looking = looking[2 * table.row_looked[:n_rows] <= reads_read]
    no_variants = VariantIndex.none()
    _find_parents(looking, reads, pace, MAX_EDITS, False, False, *windows, *index.arrays(),
                  *no_variants.arrays(), *scratch)
    del index  # freed here unless the caller keeps it
    singles = looking[(parent_of[looking] < 0) & (row_count[looking] == 1)]
    if among_singles:  # a part of them at a time: their index is the merge's peak memory
        for first in range(0, len(singles), AMONG_SINGLES_PART):
            among = parent_index(table, singles[first:first + AMONG_SINGLES_PART])
            waiting = singles[first + 1:]  # a window as big as its parent comes after it
            waiting = waiting[parent_of[waiting] < 0]
            _find_parents(waiting, reads, pace, 1, False, False, *windows, *among.arrays(),
                          *no_variants.arrays(), *scratch)
            del among
    has_child = np.zeros(n_rows, np.bool_)
    has_child[parent_of[parent_of >= 0]] = True
    alone = singles[(parent_of[singles] < 0) & ~has_child[singles]]
    fine = parent_index(table, np.flatnonzero(row_count >= FINE_PARENT_READS), FINE_SEGMENT)
    _find_parents(alone, reads, pace, MAX_EDITS, table.has_qual, False, *windows,
                  *fine.arrays(), *no_variants.arrays(), *scratch)
    del fine
    lonely = alone[parent_of[alone] < 0]
    variants = variant_index(table, np.flatnonzero(row_count >= 2))
    _find_parents(lonely, reads, pace, MAX_EDITS, table.has_qual, True, *windows,
                  *ParentIndex.none().arrays(), *variants.arrays(), *scratch)
    _variants_of_their_own(parent_of, reads, variant_key, variant_lambda)
    if reads_read is not None:
        table.row_looked[looking[parent_of[looking] < 0]] = reads_read
    return parent_of


def _family_reads(parent_of: np.ndarray, reads: np.ndarray) -> np.ndarray:
    """The reads of each window and of the windows merged into it, down to the last."""
    depth = np.zeros(len(parent_of), np.int64)
    above = parent_of.copy()
    while (has := above >= 0).any():
        depth[has] += 1
        above[has] = parent_of[above[has]]
    family = reads.copy()
    for level in range(int(depth.max(initial=0)), 0, -1):
        rows = np.flatnonzero(depth == level)
        np.add.at(family, parent_of[rows], family[rows])
    return family


def _variants_of_their_own(parent_of: np.ndarray, reads: np.ndarray, variant_key: np.ndarray,
                           variant_lambda: np.ndarray) -> None:
    """Take back from their parent the windows of a variant of its window that, together,
    hold more reads than its errors would give: they make a clone of their own.

    Each window explained as errors was tested alone; but the reads of a small clone a
    substitution from a bigger one are spread over several windows when errors near the V
    end or the J start shift them, each with too few reads to fail (a 7-read IGK clone one
    substitution from a 24-read one: seven windows of one read, all merged into it).
    The windows whose errors have the same name (``variant_key``) hold the same variant:
    their reads are tested together, at VARIANT_SLACK times the lambda of their median
    read (one read with a low-quality dip there does not make them errors).  A window
    counts with the windows merged or folded into it (exact shifted copies, errors of it);
    a variant is tested only when its parent's other reads outnumber it.  The biggest
    window of a variant that fails becomes the clone, the others its children.
    """
    merged = np.flatnonzero(variant_lambda > 0)
    merged = merged[parent_of[merged] >= 0]
    if not len(merged):
        return
    merged = merged[np.lexsort((variant_lambda[merged], variant_key[merged],
                                parent_of[merged]))]
    family = _family_reads(parent_of, reads)
    parent, key, counts = parent_of[merged], variant_key[merged], family[merged]
    first = np.flatnonzero(np.r_[True, (parent[1:] != parent[:-1]) | (key[1:] != key[:-1])])
    sizes = np.diff(np.r_[first, len(merged)])
    totals = np.add.reduceat(counts, first)
    group = np.repeat(np.arange(len(first)), sizes)
    running = np.cumsum(counts)
    reached = running - (running[first] - counts[first])[group]  # within the group
    median = (2 * reached >= totals[group]) & (2 * (reached - counts) < totals[group])
    lambdas = variant_lambda[merged[median]]
    log_alpha = math.log(ALPHA)
    tested_alone = (sizes == 1) & (totals == reads[merged[first]])
    smaller = 2 * totals < family[parent[first]]  # than the rest of the parent's family
    for g in np.flatnonzero(~tested_alone & smaller):
        if log_poisson_tail(int(totals[g]), VARIANT_SLACK * float(lambdas[g])) >= log_alpha:
            continue
        members = merged[first[g]:first[g] + sizes[g]]
        clone = members[np.argmax(counts[first[g]:first[g] + sizes[g]])]
        parent_of[members] = clone
        parent_of[clone] = -1


def fold_parents(table: WindowTable, rates: tuple[np.ndarray, float],
                 share_read: float | None, reads_read: int) -> tuple[np.ndarray, np.ndarray]:
    """The windows of ``table`` to fold now into their parent (rows, parents), when
    ``share_read`` of the input is read (None: not known), ``reads_read`` reads.

    A window is folded when it is explained as errors of a bigger one (``find_parents``
    at ``rates``) with the reads that it and the bigger one would hold at the end of the
    input at their pace so far (FOLD_UNKNOWN_PACE times their counts when the share read
    is not known): the final merge's test, as far as it can be told now.  A small
    clone's read alone in its window now, next to a big clone, is taken for the reads
    its clone will have, too many for the big clone's errors, and is not folded for
    want of them; taken as one read, it would be.  Windows with a child stay.  The
    windows of one read do not look for a parent among themselves (the final merge
    does): their index would be the fold's biggest memory (they are many while their
    pace is high), and what they find is not folded.  A window that looked in vain is
    not looked at again until the reads read have doubled (most windows left by a fold
    are left by the next one too, and looking is most of a fold's time).
    """
    pace = FOLD_UNKNOWN_PACE if share_read is None else 1.0 / max(share_read, 1e-6)
    parent_of = find_parents(table, rates=rates, pace=pace, among_singles=False,
                             reads_read=reads_read)
    has_child = np.zeros(table.n_rows, np.bool_)
    has_child[parent_of[parent_of >= 0]] = True
    folded = np.flatnonzero((parent_of >= 0) & ~has_child)
    return folded, parent_of[folded]


@kernel
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
