"""Detection kernels against the plain-Python references of tests/naive.py (seeded cases)."""

from __future__ import annotations

import math
import random

import naive
import numpy as np
import pytest

from vidjil_kernel.detect import affect, error_rates
from vidjil_kernel.detect.encode import NUCLEOTIDE_CODE, encode, seed_codes
from vidjil_kernel.detect.index import build_index
from vidjil_kernel.detect.seeds import Seed


def random_dna(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ACGT") for _ in range(n))


@pytest.mark.parametrize("alias", ["9c", "10s", "12s", "13s", "##-#--###"])
def test_seed_codes_match_reference(alias: str) -> None:
    rng = random.Random(7)
    seed = Seed.parse(alias)
    for _ in range(20):
        sequence = "".join(rng.choice("ACGTN" if rng.random() < 0.3 else "ACGT")
                           for _ in range(rng.randint(0, 60)))
        out = np.empty(max(len(sequence), 1), np.int64)
        n = seed_codes(encode(sequence), 0, len(sequence), seed.runs(), seed.span,
                       NUCLEOTIDE_CODE, out, np.empty_like(out))
        expected = [-1 if c is None else c for c in naive.seed_codes(sequence, seed.shape)]
        assert out[:n].tolist() == expected


@pytest.mark.parametrize("bad", ["", "-##", "##-", "#a#", "#" * 14, "#" + "-" * 31 + "#"])
def test_bad_seed_shapes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="seed"):
        Seed.parse(bad)


@pytest.mark.parametrize(("n", "lam"), [(0, 0.5), (1, 1e-6), (3, 0.2), (7, 7.5), (12, 3.0),
                                         (40, 0.01), (5, 20.0)])
def test_poisson_tail_matches_direct_sum(n: int, lam: float) -> None:
    assert affect.log_poisson_tail(n, lam) == pytest.approx(naive.log_poisson_tail(n, lam),
                                                            rel=1e-6, abs=1e-9)


def test_index_labels_groups_and_orientations() -> None:
    rng = random.Random(3)
    v, j = random_dna(rng, 80), random_dna(rng, 40)
    index = build_index({"V.fa": [v], "J.fa": [j]}, [("SYS", ["V.fa"], ["J.fa"])], seed="12s")
    seed = index.main.seed
    code_v = naive.seed_code(v[10:23], seed.shape)
    code_j_rc = naive.seed_code(naive.reverse_complement(j)[5:18], seed.shape)
    label_v, label_j = index.main.table[code_v], index.main.table[code_j_rc]
    assert index.main.plus[label_v] & 1 and not index.main.minus[label_v] & 2
    assert index.main.minus[label_j] & 2
    assert index.main.load[0] == pytest.approx(
        len(set(naive.seed_codes(v, seed.shape))) / seed.table_size)


def _naive_affect(read: str, groups: dict[str, str], shape: str, log_factor: float,
                  load: list[float]) -> tuple[int, int, int, int, float]:
    """(strand, n5, n3, 5' end, ln e-value) for the one recombination V -> J, or strand 0."""
    span = len(shape)
    plus = {name: set(naive.seed_codes(seq, shape)) for name, seq in groups.items()}
    minus = {name: set(naive.seed_codes(naive.reverse_complement(seq), shape))
             for name, seq in groups.items()}
    codes = naive.seed_codes(read, shape)
    best = (math.inf, 0, 0, 0, -1)
    for strand in (1, -1):
        table = plus if strand > 0 else minus
        hits = [(i, c in table["V"], c in table["J"]) for i, c in enumerate(codes)
                if c is not None and (c in table["V"] or c in table["J"])]
        if strand < 0:
            hits = [(len(read) - i - span, five, three) for i, five, three in reversed(hits)]
        if not any(h[1] for h in hits) or not any(h[2] for h in hits):
            continue
        n5, n3, last = naive.best_split(hits)
        if n5 == 0 or n3 == 0:
            continue
        left = hits[last][0] + 1
        right = max(len(read) - left, 0)
        log5 = naive.log_poisson_tail(n5, left * load[0])
        log3 = naive.log_poisson_tail(n3, right * load[1])
        top = max(log5, log3)
        log_e = top + math.log(math.exp(log5 - top) + math.exp(log3 - top)) + log_factor
        if log_e < best[0]:
            best = (log_e, strand, n5, n3, hits[last][0] + span)
    return best[1], best[2], best[3], best[4], best[0]


def test_affectation_matches_reference() -> None:
    rng = random.Random(11)
    v, j = random_dna(rng, 120), random_dna(rng, 45)
    groups = {"V": v, "J": j}
    index = build_index({"V": [v], "J": [j]}, [("SYS", ["V"], ["J"])], seed="10s")
    reads = []
    for _ in range(200):
        kind = rng.random()
        if kind < 0.6:
            read = v[rng.randint(0, 80):len(v) - rng.randint(0, 8)] + random_dna(
                rng, rng.randint(0, 12)) + j[rng.randint(0, 6):len(j) - rng.randint(0, 10)]
        elif kind < 0.8:
            read = v[rng.randint(0, 60):] + random_dna(rng, 40)
        else:
            read = random_dna(rng, rng.randint(5, 90))
        if rng.random() < 0.5:
            read = naive.reverse_complement(read)
        reads.append(read)
    log_factor = math.log(1000.0)
    main = index.main
    status, _, strand, _, _, log10_e, end5, _ = _affect(index, reads, log_factor)
    assert (status == affect.ANALYSED).sum() > 60
    for i, read in enumerate(reads):
        ref_strand, _, _, ref_end5, ref_log_e = _naive_affect(
            read, groups, main.seed.shape, log_factor, list(main.load))
        if ref_strand == 0 or ref_log_e > 0.0:
            assert status[i] != affect.ANALYSED, read
            continue
        assert strand[i] == ref_strand, read
        assert end5[i] == ref_end5, read
        assert log10_e[i] * math.log(10) == pytest.approx(ref_log_e, rel=1e-6, abs=1e-6)


def _affect(index, reads: list[str], log_factor: float) -> list[np.ndarray]:
    """``affect_batch``'s outputs for ``reads`` (main index, V-J recombinations of rank 0)."""
    seq = np.frombuffer("".join(reads).encode(), np.uint8)
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in reads])]).astype(np.int64)
    n = len(reads)
    out = [np.empty(n, t) for t in (np.int8, np.int32, np.int8, np.int32, np.int32,
                                    np.float64, np.int32, np.int32)]
    five, three, _ = index.recombination_arrays()
    main = index.main
    affect.affect_batch(seq, offsets, main.table, main.seed.runs(), main.seed.span, main.plus,
                        main.minus, np.zeros(1, np.uint8), np.zeros((0, 3), np.int64), 0,
                        np.zeros(1, np.uint32), np.zeros(1, np.uint32), five, three,
                        np.zeros(len(five), np.int32), np.ones(len(five), np.bool_), main.load,
                        log_factor, 0.0, 20, *out)
    return out


def test_the_system_with_both_sides_stronger_wins_over_a_longer_chance_j_end() -> None:
    """A read of system A (its whole V, then the first 18 nt of its J) whose J end is also
    in B's J, there after the read's last 6 N bases: B's J side has more hits than A's,
    and B's V shares 30 nt with A's.  Both are significant; A's V side is far stronger,
    so the read is A's (the e-value, made by the weaker J side, would choose B)."""
    rng = random.Random(5)
    v_a, j_a, n = random_dna(rng, 150), random_dna(rng, 45), random_dna(rng, 6)
    v_b = random_dna(rng, 60) + v_a[50:80] + random_dna(rng, 60)
    j_b = random_dna(rng, 10) + n + j_a[:30]
    index = build_index({"VA": [v_a], "JA": [j_a], "VB": [v_b], "JB": [j_b]},
                        [("A", ["VA"], ["JA"]), ("B", ["VB"], ["JB"])], seed="10s")
    status, rec = _affect(index, [v_a + n + j_a[:18]], math.log(1000.0))[:2]
    assert status[0] == affect.ANALYSED
    assert index.recombinations[rec[0]].system == "A"


def _mutated(rng: random.Random, parent: str, edits: int, substitutes: str) -> str:
    """``parent`` after up to ``edits`` random substitutions (by ``substitutes``) and indels."""
    child = list(parent)
    for _ in range(edits):
        p = rng.randrange(len(child))
        op = rng.random()
        if op < 0.5:
            child[p] = rng.choice(substitutes)
        elif op < 0.75:
            del child[p]
        else:
            child.insert(p, rng.choice("ACGT"))
    return "".join(child)


#: the merge's indel costs without a measure of the sample's rates
INDEL_COSTS = -np.log(error_rates.PRIORS)


def test_edit_distance_reference_agrees_with_merge_alignment() -> None:
    from vidjil_kernel.detect.merge import MAX_EDITS, _align_log_lambda

    rng = random.Random(5)
    for _ in range(100):
        parent = random_dna(rng, 30)
        child = _mutated(rng, parent, rng.randint(0, 4), "ACGT")
        flank_left, flank_right = random_dna(rng, 8), random_dna(rng, 8)
        read = flank_left + child + flank_right
        query_cost = np.full(len(parent), -np.log(0.01 / 3))
        cost = np.empty((4, len(parent) + 2 * MAX_EDITS + 1))
        scratch = np.empty((2, len(parent) + 2 * MAX_EDITS + 1), np.int64)
        edits, _ = _align_log_lambda(encode(parent), query_cost, encode(read),
                                     np.zeros(len(read)), INDEL_COSTS, 8, MAX_EDITS, cost,
                                     scratch)
        distance = naive.edit_distance_inside(parent, read)
        if distance <= MAX_EDITS:
            assert edits <= MAX_EDITS
            assert edits >= distance


def test_fewest_edits_is_the_edit_distance_in_the_stretch_and_bounds_the_alignment() -> None:
    from vidjil_kernel.detect.merge import MAX_EDITS, _align_log_lambda, _fewest_edits

    rng = random.Random(11)
    masks = np.empty(4, np.uint64)
    for _ in range(300):
        parent = random_dna(rng, rng.choice([30, 50, 64]))
        child = _mutated(rng, parent, rng.randint(0, 6), "ACGTN")
        read = random_dna(rng, 8) + child + random_dna(rng, 8)
        stretch = read[8 - MAX_EDITS:8 + len(parent) + MAX_EDITS]
        bound = _fewest_edits(encode(parent), encode(read), 8, MAX_EDITS, masks)
        assert bound == naive.edit_distance_inside(parent, stretch)
        query_cost = np.full(len(parent), -np.log(0.01 / 3))
        cost = np.empty((4, len(parent) + 2 * MAX_EDITS + 1))
        scratch = np.empty((2, len(parent) + 2 * MAX_EDITS + 1), np.int64)
        edits, _ = _align_log_lambda(encode(parent), query_cost, encode(read),
                                     np.zeros(len(read)), INDEL_COSTS, 8, MAX_EDITS, cost,
                                     scratch)
        assert min(bound, MAX_EDITS + 1) <= edits  # MAX_EDITS + 1: too many edits
        assert (bound == 0) == (edits == 0)  # an exact copy needs no alignment
    long_query = encode(random_dna(rng, 65))
    assert _fewest_edits(long_query, encode(random_dna(rng, 80)), 8, MAX_EDITS, masks) == -1
