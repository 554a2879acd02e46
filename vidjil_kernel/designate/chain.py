"""The best chain of segments for one recombination (5' segment, 0-2 D, 3' segment).

Model.  A designation explains the sequence, left to right, as a 5' segment
(V, or D for incomplete recombinations) whose 3' end may be deleted, zero to
two D segments trimmed at both ends, and a 3' segment (J, or D) whose 5' start
may be deleted, with N regions between them.  Its score is the sum of the
segments' alignment scores, minus ``Scoring.n_cost`` per N base and a cost per
D.  The best one is found exactly by chaining the rows of
:func:`~vidjil_kernel.designate.align.align_rows`:

1. V rows: best V alignment ending at each position ``e``; J rows (on the
   reversed sequence): best J alignment starting at each position ``s``;
2. VJ: ``max over e <= s`` of V(e) + J(s) - n_cost (s - e);
3. VDJ: a D alignment starts with the best V score before it as a bonus and its
   end joins the best J after it; VDDJ chains a second D, downstream of the
   first on the locus (D genes join in genomic order, never twice the same).
   A D pays the score a chance match reaches in that N region against the D
   file: it is reported only when it explains the sequence better than chance
   *and* better than the V/J bases it displaces.

End segments.  A 5' segment starts with the sequence or with its own first base
(a 3' one ends with either); a match inside both pays ``Scoring.clip``, since the
rest of a V that is present must look like the V.  Each end segment must be
significant (e-value at most ``Scoring.vj_evalue``) over the part of the sequence
on its side of the other one.  Recombinations (and systems) compete on their
*net* score: each end segment also pays its chance score against its file, so
that a long chance match in a large V file does not beat a short true D in a
tiny one.

Ties.  Bases that two neighbours match equally go to the 5' one (the V keeps
what it matches, then the D); among equal-best alleles, complete ones (with
their Cys104/Phe-Trp118 anchor) are named first, then the one with the fewest
deletions, then file order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from vidjil_kernel.designate.align import (
    NEG,
    align_alleles,
    prefix_best,
    score_alleles,
    suffix_best,
)
from vidjil_kernel.designate.bank import SegmentBank
from vidjil_kernel.designate.candidates import candidate_alleles
from vidjil_kernel.designate.scoring import Scoring
from vidjil_kernel.germline import Allele


@dataclass
class Rows:
    """Alignment rows of some alleles of a bank: score and germline end for every
    (allele, sequence position); where the alignments start, on demand.

    ``sequence`` is what was aligned (the reversed sequence for 3' segments).
    """

    bank: SegmentBank
    chosen: np.ndarray
    score: np.ndarray
    gend: np.ndarray
    sequence: np.ndarray
    reverse: bool
    scoring: Scoring
    rstart: np.ndarray | None = None
    gstart: np.ndarray | None = None
    _starts: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def best(self) -> np.ndarray:
        return self.score.max(axis=0)

    def starts(self, row: int, column: int) -> tuple[int, int]:
        """(sequence start, germline start) of the alignment of ``row`` at ``column``."""
        if self.rstart is not None and self.gstart is not None:
            return int(self.rstart[row, column]), int(self.gstart[row, column])
        known = self._starts.get(row)
        if known is None or known[0].shape[0] <= column:
            # the row of a sequence position depends on no later base: aligning the
            # sequence up to ``column`` gives the same starts (a J on the reversed
            # sequence: its first few dozen bases)
            scoring = self.scoring
            _, _, rstart, gstart = align_alleles(
                self.sequence[:column], self.bank.reverse if self.reverse else self.bank.forward,
                self.bank.offsets, self.chosen[row:row + 1], np.zeros((1, column + 1)),
                np.zeros(1, np.int64), scoring.match, scoring.mismatch, scoring.gap,
                scoring.clip, False)
            known = self._starts[row] = (rstart[0], gstart[0])
        rstart, gstart = known
        return int(rstart[column]), int(gstart[column])


@dataclass
class Hit:
    """One placed segment: equal-best alleles (bank indices, best first), its interval
    in the sequence and in the germline (of the first allele), its own score, and the
    length of sequence it was searched in (for its e-value).  End segments keep their
    rows, so that :meth:`placement` can tell where another equal-best allele lies."""

    bank: SegmentBank
    alleles: list[int]
    start: int
    end: int
    germ_start: int
    germ_end: int
    score: float
    searched: int
    rows: Rows | None = None
    rows_order: list[int] = field(default_factory=list)

    def placement(self, rank: int) -> tuple[int, int, int, int]:
        """(start, end, germline start, germline end) of the ``rank``-th allele."""
        if rank == 0 or self.rows is None:
            return self.start, self.end, self.germ_start, self.germ_end
        rows, row = self.rows, self.rows_order[rank]
        if not rows.reverse:
            rstart, gstart = rows.starts(row, self.end)
            return rstart, self.end, gstart, int(rows.gend[row, self.end])
        n = rows.sequence.shape[0]
        column = n - self.start
        rstart, gstart = rows.starts(row, column)
        length = self.bank.length(self.alleles[rank])
        return self.start, n - rstart, length - int(rows.gend[row, column]), length - gstart


@dataclass
class Candidate:
    """The best chain of one recombination: net score and placed segments."""

    score: float
    five: Hit
    three: Hit
    ds: list[Hit] = field(default_factory=list)

    def hits(self) -> list[Hit]:
        return [self.five, *self.ds, self.three]


class RowCache:
    """V/J rows of one sequence, shared by the recombinations that use the same file."""

    def __init__(self, read: np.ndarray, scoring: Scoring, prefilter: bool) -> None:
        self.read = read
        self.scoring = scoring
        self.prefilter = prefilter
        self._rows: dict[tuple[int, bool], Rows] = {}

    def rows(self, bank: SegmentBank, reverse: bool) -> Rows:
        key = (id(bank), reverse)
        if key not in self._rows:
            read = self.read
            chosen = (candidate_alleles(bank, read) if self.prefilter
                      else np.arange(len(bank), dtype=np.int64))
            sequence = read[::-1].copy() if reverse else read
            scoring = self.scoring
            score, gend = score_alleles(
                sequence, bank.reverse if reverse else bank.forward, bank.offsets, chosen,
                scoring.match, scoring.mismatch, scoring.gap, scoring.clip)
            self._rows[key] = Rows(bank, chosen, score.astype(np.float64), gend, sequence,
                                   reverse, scoring)
        return self._rows[key]


def align(read: np.ndarray, bank: SegmentBank, chosen: np.ndarray, bonus: np.ndarray,
          bonus_row: np.ndarray, scoring: Scoring) -> Rows:
    """Full rows (starts included) of ``chosen`` alleles chained after ``bonus`` rows
    (``bonus`` has one column more than ``read``)."""
    score, gend, rstart, gstart = align_alleles(
        read, bank.forward, bank.offsets, chosen, bonus, bonus_row,
        scoring.match, scoring.mismatch, scoring.gap, 0, scoring.five_prime_greedy)
    return Rows(bank, chosen, score, gend, read, False, scoring, rstart, gstart)


def _by_deletions(rows: Rows, tied: np.ndarray, column: int, both_ends: bool) -> list[int]:
    """Tied rows: complete V/J alleles (with their junction anchor) first, then fewest
    germline deletions (the allele that explains the most bases), then file order."""
    def key(row: int) -> tuple[bool, int, int]:
        allele = int(rows.chosen[row])
        deleted = rows.bank.length(allele) - int(rows.gend[row, column])
        if both_ends:
            deleted += rows.starts(row, column)[1]
        known = rows.bank.alleles[allele]
        partial = known.anchor is None and known.segment in ("V", "J")
        return partial, deleted, allele
    return sorted((int(r) for r in tied), key=key)


def _five_hit(rows: Rows, end: int, n: int) -> Hit:
    tied = np.flatnonzero(rows.score[:, end] == rows.score[:, end].max())
    order = _by_deletions(rows, tied, end, False)
    first = order[0]
    rstart, gstart = rows.starts(first, end)
    return Hit(rows.bank, [int(rows.chosen[r]) for r in order], rstart, end, gstart,
               int(rows.gend[first, end]), float(rows.score[first, end]), n, rows, order)


def _three_hit(rows: Rows, start: int, n: int) -> Hit:
    column = n - start
    tied = np.flatnonzero(rows.score[:, column] == rows.score[:, column].max())
    # reversed coordinates: a 5' deletion of the J is a deletion at the end there
    order = _by_deletions(rows, tied, column, False)
    first = order[0]
    length = rows.bank.length(int(rows.chosen[first]))
    rstart, gstart = rows.starts(first, column)
    return Hit(rows.bank, [int(rows.chosen[r]) for r in order], start, n - rstart,
               length - int(rows.gend[first, column]), length - gstart,
               float(rows.score[first, column]), n, rows, order)


@dataclass
class _DLayer:
    """D rows chained after what precedes them (one bonus row per allele)."""

    rows: Rows
    own: np.ndarray
    chained: np.ndarray

    def best(self, allowed: np.ndarray | None = None) -> np.ndarray:
        chained = self.chained if allowed is None else self.chained[allowed]
        if not chained.shape[0]:
            return np.full(self.chained.shape[1], NEG)
        return chained.max(axis=0)

    def hit(self, end: int, allowed: np.ndarray, searched: int) -> Hit:
        rows = self.rows
        column = np.where(allowed, self.chained[:, end], NEG)
        tied = np.flatnonzero(column == column.max())
        order = _by_deletions(rows, tied, end, True)
        first = order[0]
        rstart, gstart = rows.starts(first, end)
        return Hit(rows.bank, [int(rows.chosen[r]) for r in order], rstart, end, gstart,
                   int(rows.gend[first, end]), float(self.own[first, end]), searched)


def _d_layer(read: np.ndarray, bank: SegmentBank, bonus: np.ndarray, bonus_row: np.ndarray,
             cost: float, scoring: Scoring, j_suffix: np.ndarray, must_beat: float,
             layers_left: int) -> _DLayer:
    """D alignments chained after ``bonus``, where they can still make a chain that
    beats ``must_beat``: a D adds at most its length in matches (and the N bases it
    saves), so positions whose bound falls short are not aligned at all."""
    n = read.shape[0]
    every = np.arange(len(bank), dtype=np.int64)
    longest = int(np.diff(bank.offsets).max())
    gain = layers_left * (longest * (scoring.match + scoring.n_cost) - cost)
    reach = bonus.max(axis=0) + j_suffix + gain
    window = np.flatnonzero(reach > must_beat - 1e-9)
    score = np.full((len(bank), n + 1), NEG)
    gend = np.zeros((len(bank), n + 1), np.int32)
    rstart = np.zeros((len(bank), n + 1), np.int32)
    gstart = np.zeros((len(bank), n + 1), np.int32)
    if window.size:
        low, high = int(window[0]), min(n, int(window[-1]) + 2 * longest)
        part = align(read[low:high], bank, every, np.ascontiguousarray(bonus[:, low:high + 1]),
                     bonus_row, scoring)
        score[:, low:high + 1] = part.score
        gend[:, low:high + 1] = part.gend
        rstart[:, low:high + 1] = part.rstart + low
        gstart[:, low:high + 1] = part.gstart
    rows = Rows(bank, every, score, gend, read, False, scoring, rstart, gstart)
    at_start = bonus[bonus_row[:, None], rstart]
    own = score - at_start
    valid = (own > 0) & (at_start > NEG / 2) & (score > NEG / 2)
    return _DLayer(rows, own, np.where(valid, score - cost, NEG))


def _best_split(left: np.ndarray, right: np.ndarray, prefer_last: bool) -> tuple[int, float]:
    """(position, total) maximising left[i] + right[i] (last or first on ties)."""
    total = left + right
    best = float(total.max())
    where = np.flatnonzero(total == best)
    return int(where[-1] if prefer_last else where[0]), best


def d_order(name: str) -> int:
    """Rank of a D gene along its locus, from its IMGT name: IGHD3-9 -> 9, TRDD2 -> 2."""
    digits = re.findall(r"\d+", name.split("*", 1)[0][4:])
    return int(digits[-1]) if digits else 0


@lru_cache(maxsize=64)
def _d_orders(alleles: tuple[Allele, ...]) -> np.ndarray:
    return np.array([d_order(a.name) for a in alleles])


def _with_ds(read: np.ndarray, four: SegmentBank, v_prefix: np.ndarray, v_end: np.ndarray,
             j_suffix: np.ndarray, j_start: np.ndarray, five_end: int, three_start: int,
             best_score: float, max_d: int, scoring: Scoring
             ) -> tuple[float, list[Hit], int, int]:
    """Add up to ``max_d`` D segments when they pay: (score, D hits, 5' end, 3' start)."""
    n = read.shape[0]
    decay = scoring.n_cost
    greedy = scoring.five_prime_greedy
    searched = max(three_start - five_end, 1)
    cost = scoring.chance_score(searched, four.forward.shape[0], scoring.d_evalue)
    first_layer = _d_layer(read, four, v_prefix[None, :], np.zeros(len(four), np.int64),
                           cost, scoring, j_suffix, best_score, max_d)
    best1 = first_layer.best()
    split1, total1 = _best_split(best1, j_suffix, greedy)
    layer = 0
    if best1[split1] > NEG / 2 and total1 > best_score:
        layer, best_score = 1, total1
    if max_d > 1:
        orders = _d_orders(four.alleles)
        levels = np.unique(orders)
        bonus = np.empty((levels.shape[0], n + 1), np.float64)
        wheres = []
        for t, level in enumerate(levels):
            bonus[t], where = prefix_best(first_layer.best(orders < level), decay, greedy)
            wheres.append(where)
        bonus_row = np.searchsorted(levels, orders).astype(np.int64)
        second_layer = _d_layer(read, four, bonus, bonus_row, cost, scoring, j_suffix,
                                best_score, 1)
        best2 = second_layer.best()
        split2, total2 = _best_split(best2, j_suffix, greedy)
        if best2[split2] > NEG / 2 and total2 > best_score:
            layer, best_score = 2, total2
    everything = np.ones(len(four), bool)
    ds: list[Hit] = []
    if layer == 2:
        second = second_layer.hit(split2, everything, searched)
        t = int(bonus_row[second.alleles[0]])
        first = first_layer.hit(int(wheres[t][second.start]), orders < levels[t], searched)
        ds = [first, second]
        three_start = int(j_start[split2])
    elif layer == 1:
        ds = [first_layer.hit(split1, everything, searched)]
        three_start = int(j_start[split1])
    if ds:
        five_end = int(v_end[ds[0].start])
    return best_score, ds, five_end, three_start


def designate_recombination(cache: RowCache, five: SegmentBank, four: SegmentBank | None,
                            three: SegmentBank, max_d: int = 2,
                            evalue: float | None = None) -> Candidate | None:
    """The best chain of the sequence of ``cache`` with these 5', D and 3' banks, or None
    when its 5' or 3' segment is not significant (e-value above ``evalue``, by default
    ``Scoring.vj_evalue``).  ``Candidate.score`` is the net score (chance scores of the
    5'/3' segments taken off)."""
    read = cache.read
    scoring = cache.scoring
    n = read.shape[0]
    greedy = scoring.five_prime_greedy
    v_rows = cache.rows(five, False)
    j_rows = cache.rows(three, True)
    v_best = v_rows.best()
    j_best = j_rows.best()[::-1].copy()
    v_prefix, v_end = prefix_best(v_best, scoring.n_cost, greedy)
    j_suffix, j_start = suffix_best(j_best, scoring.n_cost, not greedy)
    split, best_score = _best_split(v_prefix, j_suffix, greedy)
    five_end, three_start = int(v_end[split]), int(j_start[split])
    ds: list[Hit] = []
    if four is not None and len(four) and max_d > 0:
        best_score, ds, five_end, three_start = _with_ds(
            read, four, v_prefix, v_end, j_suffix, j_start, five_end, three_start,
            best_score, max_d, scoring)
    if v_best[five_end] <= 0 or j_best[three_start] <= 0:
        return None
    five_hit = _five_hit(v_rows, five_end, n)
    three_hit = _three_hit(j_rows, three_start, n)
    net = best_score
    threshold = scoring.vj_evalue if evalue is None else evalue
    # each end segment is searched on its side of the other one
    five_hit.searched = max(three_hit.start, five_hit.end)
    three_hit.searched = n - min(five_hit.end, three_hit.start)
    for hit in (five_hit, three_hit):
        chance = scoring.chance_score(hit.searched, hit.bank.forward.shape[0])
        if scoring.evalue(hit.score, hit.searched, hit.bank.forward.shape[0]) > threshold:
            return None
        net -= chance
    return Candidate(net, five_hit, three_hit, ds)
