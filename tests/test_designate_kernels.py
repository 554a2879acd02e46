"""Designation kernels against plain-Python references on small random cases."""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest

from vidjil_kernel.designate.align import (
    align_alleles,
    align_rows,
    map_position,
    prefix_best,
    score_alleles,
    suffix_best,
)
from vidjil_kernel.designate.bank import bank_from_alleles, encode, kmer_codes
from vidjil_kernel.designate.candidates import shared_kmers
from vidjil_kernel.designate.chain import RowCache, designate_recombination
from vidjil_kernel.designate.scoring import Scoring
from vidjil_kernel.germline import Allele

MATCH, MISMATCH, GAP = 1.0, -2.0, -4.0


def pair(a: int, b: int) -> float:
    if a > 3 or b > 3:
        return 0.0
    return MATCH if a == b else MISMATCH


def global_score(read: tuple[int, ...], germ: tuple[int, ...]) -> float:
    """Needleman-Wunsch with linear gaps, written the textbook way."""
    @cache
    def best(i: int, j: int) -> float:
        if i == 0 and j == 0:
            return 0.0
        options = []
        if i and j:
            options.append(best(i - 1, j - 1) + pair(read[i - 1], germ[j - 1]))
        if i:
            options.append(best(i - 1, j) + GAP)
        if j:
            options.append(best(i, j - 1) + GAP)
        return max(options)
    return best(len(read), len(germ))


def reference_row_scores(read, germ, bonus, clip):
    """For each read end i: max over starts (rs, gs) and germline end ge of the
    start bonus (minus ``clip`` when the start is inside both) plus the global score."""
    n, m = len(read), len(germ)
    out = []
    for i in range(n + 1):
        best = bonus[i]  # empty alignment
        for rs in range(i + 1):
            for gs in range(m + 1):
                start = bonus[rs] - (clip if rs > 0 and gs > 0 else 0.0)
                for ge in range(gs, m + 1):
                    score = start + global_score(tuple(read[rs:i]), tuple(germ[gs:ge]))
                    best = max(best, score)
        out.append(best)
    return out


def random_codes(rng: np.random.Generator, length: int, alphabet: int = 4) -> np.ndarray:
    return rng.integers(0, alphabet, length).astype(np.uint8)


@pytest.mark.parametrize("seed", range(12))
def test_align_rows_scores_match_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    germ = random_codes(rng, int(rng.integers(1, 7)))
    # reads share a piece of the germline, with a substitution or an indel
    read = list(random_codes(rng, int(rng.integers(0, 4))))
    piece = list(germ[int(rng.integers(0, len(germ))):])
    if piece and rng.random() < 0.5:
        piece[int(rng.integers(0, len(piece)))] = int(rng.integers(0, 5))
    read = np.array(read + piece + list(random_codes(rng, int(rng.integers(0, 3)))), np.uint8)
    n = read.shape[0]
    bonus = np.round(rng.normal(0, 2, n + 1), 1) if seed % 2 else np.zeros(n + 1)
    clip = float(seed % 3)
    score = np.empty(n + 1)
    gend, rstart, gstart = (np.empty(n + 1, np.int32) for _ in range(3))
    align_rows(read, germ, bonus, MATCH, MISMATCH, GAP, clip, False, score, gend, rstart,
               gstart)
    expected = reference_row_scores(list(read), list(germ), list(bonus), clip)
    assert score == pytest.approx(expected)
    for i in range(n + 1):
        # the reported interval really reaches the reported score
        rs, gs, ge = int(rstart[i]), int(gstart[i]), int(gend[i])
        start = bonus[rs] - (clip if rs > 0 and gs > 0 else 0.0)
        if ge == 0 and gs == 0 and rs == i:
            assert score[i] == pytest.approx(bonus[i])
            continue
        rebuilt = start + global_score(tuple(read[rs:i]), tuple(germ[gs:ge]))
        assert rebuilt == pytest.approx(score[i])


@pytest.mark.parametrize("seed", range(20))
def test_score_alleles_are_align_rows(seed: int) -> None:
    """The alleles side by side (lanes padded to the longest one, more alleles than
    LANES) score as each one alone."""
    rng = np.random.default_rng(50 + seed)
    count = int(rng.integers(1, 40))
    alleles = [random_codes(rng, int(rng.integers(1, 60)), 5) for _ in range(count)]
    read = random_codes(rng, int(rng.integers(0, 60)), 5)
    if seed % 2:  # share a long piece, so that scores go well above zero
        read = np.concatenate([read, alleles[0][len(alleles[0]) // 3:]])
    n = read.shape[0]
    bank = np.concatenate(alleles)
    offsets = np.concatenate([[0], np.cumsum([len(a) for a in alleles])]).astype(np.int64)
    chosen = rng.permutation(count)[:int(rng.integers(0, count + 1))].astype(np.int64)
    scores, ends = score_alleles(read, bank, offsets, chosen, 1, -2, -4, 4)
    assert scores.shape == ends.shape == (len(chosen), n + 1)
    for row, allele in enumerate(chosen):
        score = np.empty(n + 1)
        gend, rstart, gstart = (np.empty(n + 1, np.int32) for _ in range(3))
        align_rows(read, alleles[allele], np.zeros(n + 1), MATCH, MISMATCH, GAP, 4.0, False,
                   score, gend, rstart, gstart)
        assert np.array_equal(scores[row], score) and np.array_equal(ends[row], gend)


def test_align_rows_prefers_fewest_deletions_on_ties() -> None:
    germ = encode("ACGTAA")
    read = encode("ACGTA")
    score = np.empty(6)
    gend, rstart, gstart = (np.empty(6, np.int32) for _ in range(3))
    align_rows(read, germ, np.zeros(6), MATCH, MISMATCH, GAP, 4.0, False, score, gend, rstart,
               gstart)
    assert score[5] == 5 and gend[5] == 5 and rstart[5] == 0 and gstart[5] == 0


def test_align_alleles_is_align_rows_per_allele() -> None:
    rng = np.random.default_rng(7)
    alleles = [Allele(f"IGHV1-{k}*01", "".join(rng.choice(list("ACGT"), 12))) for k in range(4)]
    bank = bank_from_alleles(alleles)
    read = encode(alleles[2].sequence[3:] + "GATTACA")
    chosen = np.array([0, 2, 3], np.int64)
    n = read.shape[0]
    bonus = np.zeros((1, n + 1))
    score, gend, rstart, gstart = align_alleles(read, bank.forward, bank.offsets, chosen, bonus,
                                                np.zeros(3, np.int64), MATCH, MISMATCH, GAP,
                                                4.0, False)
    for row, allele in enumerate(chosen):
        one = np.empty(n + 1)
        ints = [np.empty(n + 1, np.int32) for _ in range(3)]
        align_rows(read, encode(alleles[allele].sequence), bonus[0], MATCH, MISMATCH, GAP,
                   4.0, False, one, *ints)
        assert np.array_equal(one, score[row])
        assert np.array_equal(ints[0], gend[row])
    assert score[1].max() == 9  # allele 2 matches its last 9 bases


@pytest.mark.parametrize("seed", range(6))
def test_prefix_and_suffix_best(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(-5, 6, 15).astype(np.float64)
    decay = [0.0, 0.5, 1.0][seed % 3]
    best, where = prefix_best(values, decay, seed % 2 == 0)
    for i in range(15):
        candidates = [values[e] - decay * (i - e) for e in range(i + 1)]
        assert best[i] == pytest.approx(max(candidates))
        assert values[where[i]] - decay * (i - where[i]) == pytest.approx(best[i])
    best, where = suffix_best(values, decay, seed % 2 == 0)
    for i in range(15):
        candidates = [values[s] - decay * (s - i) for s in range(i, 15)]
        assert best[i] == pytest.approx(max(candidates))
        assert where[i] >= i


def test_kmer_codes_and_shared_kmers() -> None:
    codes = encode("ACGTACGTACGN")
    kmers = kmer_codes(codes, 4)
    assert kmers[0] == 0 * 64 + 1 * 16 + 2 * 4 + 3
    assert kmers[-1] == -1
    rng = np.random.default_rng(3)
    for k in (1, 4, 9):
        codes = random_codes(rng, 60, 5)
        expected = [-1 if max(codes[i:i + k]) > 3 else
                    sum(int(c) << 2 * (k - 1 - j) for j, c in enumerate(codes[i:i + k]))
                    for i in range(len(codes) - k + 1)]
        assert kmer_codes(codes, k).tolist() == expected
    alleles = [Allele("IGHV1-1*01", "ACGTACGTAC" * 2), Allele("IGHV1-2*01", "TTTTTTTTTTTT")]
    bank = bank_from_alleles(alleles)
    counts = shared_kmers(bank, encode("GGACGTACGTACGTGG"))
    assert counts[0] > 0 and counts[1] == 0


def _segment_scores(read, allele, reverse):
    """Best score of a V (or reversed J) alignment ending at each position: kernel rows."""
    sequence = read[::-1] if reverse else read
    germ = encode(allele.sequence)[::-1] if reverse else encode(allele.sequence)
    n = len(sequence)
    score = np.empty(n + 1)
    ints = [np.empty(n + 1, np.int32) for _ in range(3)]
    align_rows(np.ascontiguousarray(sequence), np.ascontiguousarray(germ), np.zeros(n + 1),
               MATCH, MISMATCH, GAP, 4.0, False, score, *ints)
    return score if not reverse else score[::-1]


def _local_score(read, allele) -> float:
    """Best local alignment score of a D anywhere in ``read`` (brute force)."""
    germ = tuple(encode(allele.sequence))
    best = 0.0
    for a, b in itertools.combinations(range(len(read) + 1), 2):
        for gs in range(len(germ)):
            for ge in range(gs + 1, len(germ) + 1):
                best = max(best, global_score(tuple(read[a:b]), germ[gs:ge]))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_chain_total_is_the_brute_force_optimum(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    v = Allele("IGHV9-1*01", "".join(rng.choice(list("ACGT"), 30)))
    d = Allele("IGHD9-2*01", "".join(rng.choice(list("ACGT"), 10)))
    j = Allele("IGHJ9*01", "".join(rng.choice(list("ACGT"), 25)))
    n1 = "".join(rng.choice(list("ACGT"), int(rng.integers(0, 4))))
    n2 = "".join(rng.choice(list("ACGT"), int(rng.integers(0, 4))))
    sequence = v.sequence[:-2] + n1 + d.sequence[1:-1] + n2 + j.sequence[3:]
    read = encode(sequence)
    scoring = Scoring(match=MATCH, mismatch=MISMATCH, gap=GAP, n_cost=0.1)
    banks = [bank_from_alleles([a]) for a in (v, d, j)]
    candidate = designate_recombination(RowCache(read, scoring, False), *banks)
    assert candidate is not None and len(candidate.ds) == 1  # 8 nt of D: above chance
    n = len(read)
    vs = _segment_scores(read, v, False)
    js = _segment_scores(read, j, True)
    vj = max(vs[e] + js[s] - 0.1 * (s - e) for e in range(n + 1) for s in range(e, n + 1))
    # each end segment is searched on its side of the other one
    chance = (scoring.chance_score(candidate.three.start, len(v.sequence))
              + scoring.chance_score(n - candidate.five.end, len(j.sequence)))
    hit = candidate.ds[0]
    e, s = candidate.five.end, candidate.three.start
    assert hit.score == pytest.approx(_local_score(read[hit.start:hit.end], d))
    total = vs[e] + hit.score + js[s] - 0.1 * ((hit.start - e) + (s - hit.end))
    cost = scoring.chance_score(max(1, hit.searched), len(d.sequence))
    assert candidate.score == pytest.approx(total - cost - chance)
    # with the D the total beats every V-J split, which is the optimum without it
    assert total - cost > vj
    assert candidate.five.germ_end - candidate.five.germ_start > 20


def test_map_position_follows_indels() -> None:
    germ = encode("AAACCCGGGTTTACGTACGT")
    assert map_position(germ, germ, 1.0, -2.0, -4.0, 9) == 9
    deleted = encode("AAACCCGGGACGTACGT")  # TTT missing
    assert map_position(deleted, germ, 1.0, -2.0, -4.0, 12) == 9
    inserted = encode("AAACCCGGGGATTTACGTACGT")  # GA inserted after GGG
    assert map_position(inserted, germ, 1.0, -2.0, -4.0, 9) == 11
    assert map_position(germ, germ, 1.0, -2.0, -4.0, 25) == 25
