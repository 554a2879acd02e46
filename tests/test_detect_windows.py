"""Window counting, error merging, consensus and diversity on hand-made reads."""

from __future__ import annotations

import collections
import itertools
import random

import naive
import numpy as np
import pytest

from vidjil_kernel.detect import error_rates
from vidjil_kernel.detect import merge as merge_module
from vidjil_kernel.detect.consensus import clone_reads, consensus, other_windows
from vidjil_kernel.detect.diversity import diversity
from vidjil_kernel.detect.merge import find_parents, resolve_roots
from vidjil_kernel.detect.windows import READS_KEPT, WindowTable

W = 50  # the default window; error merging needs windows longer than its segments


def random_dna(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ACGT") for _ in range(n))


def add_reads(table: WindowTable, reads: list[tuple[str, int, int, int]],
              quality: int | list[np.ndarray] | None = 30) -> np.ndarray:
    """Add (read as given, strand, window start on the oriented read, width) to ``table``.

    ``quality``: one Phred score for every base, the scores of each read, or None (FASTA).
    """
    seq = np.frombuffer("".join(r[0] for r in reads).encode(), np.uint8)
    offsets = np.concatenate([[0], np.cumsum([len(r[0]) for r in reads])]).astype(np.int64)
    if isinstance(quality, list):
        qual = np.concatenate(quality).astype(np.uint8)
    else:
        qual = None if quality is None else np.full(len(seq), quality, np.uint8)
    n = len(reads)
    calls = {
        "status": np.zeros(n, np.int8), "rec": np.zeros(n, np.int32),
        "strand": np.array([r[1] for r in reads], np.int8),
        "win_start": np.array([r[2] for r in reads], np.int32),
        "win_width": np.array([r[3] for r in reads], np.int32),
        "log10_evalue": np.full(n, -10.0),
    }
    return table.add(seq, qual, offsets, calls)


def merge(table: WindowTable) -> np.ndarray:
    return resolve_roots(find_parents(table))


def test_counts_kept_reads_and_growth_match_a_counter() -> None:
    rng = random.Random(2)
    windows = [random_dna(rng, W) for _ in range(30)]
    table = WindowTable(True, W, rows=2, arena=64)  # tiny: forces growth and compaction
    expected: collections.Counter[str] = collections.Counter()
    longest: dict[str, int] = {}
    for _ in range(6):
        batch = []
        for _ in range(50):
            window = rng.choice(windows)
            left, right = random_dna(rng, rng.randint(0, 30)), random_dna(rng, rng.randint(0, 30))
            oriented = left + window + right
            strand = rng.choice((1, -1))
            read = oriented if strand > 0 else naive.reverse_complement(oriented)
            batch.append((read, strand, len(left), W))
            expected[window] += 1
            longest[window] = max(longest.get(window, 0), len(oriented))
        rows = add_reads(table, batch)
        assert all(table.window(row).decode() == naive.reverse_complement(r[0])[r[2]:r[2] + W]
                   if r[1] < 0 else table.window(row).decode() == r[0][r[2]:r[2] + W]
                   for row, r in zip(rows, batch, strict=True))
    got = {table.window(r).decode(): int(table.row_count[r]) for r in range(table.n_rows)}
    assert got == dict(expected)
    for row in range(table.n_rows):
        kept = table.kept_reads(row)
        window = table.window(row).decode()
        assert len(kept) == min(READS_KEPT, expected[window])
        assert len(kept[0][0]) == longest[window]  # the best read covers the most
        for sequence, _, start in kept:
            assert sequence[start:start + W].tobytes().decode() == window
    rows = np.array(rng.sample(range(table.n_rows), table.n_rows), np.int64)
    for row, (sequence, quality, start) in zip(rows, table.best_kept_reads(rows), strict=True):
        best_sequence, best_quality, best_start = table.kept_reads(int(row))[0]
        assert (sequence.tobytes(), quality.tobytes(), start) == (
            best_sequence.tobytes(), best_quality.tobytes(), best_start)


def _clone_reads(rng: random.Random, window: str, count: int, shift: int = 0,
                 ) -> list[tuple[str, int, int, int]]:
    """Reads of one clone: 30 nt before and after the window, window placed ``shift`` off."""
    left, right = random_dna(rng, 30), random_dna(rng, 30)
    molecule = left + window + right
    return [(molecule, 1, 30 + shift, W)] * count


def test_errors_merge_into_their_clone_but_real_variants_do_not() -> None:
    rng = random.Random(4)
    parent = random_dna(rng, W)
    substituted = parent[:8] + ("A" if parent[8] != "A" else "C") + parent[9:]
    table = WindowTable(True, W)
    flanks = random_dna(rng, 30), random_dna(rng, 30)
    molecule = flanks[0] + parent + flanks[1]
    error_molecule = flanks[0] + substituted + flanks[1]
    reads = [(molecule, 1, 30, W)] * 1000
    reads += [(error_molecule, 1, 30, W)]                   # one error read: merged
    reads += [(molecule, 1, 33, W)] * 7                     # same clone, window shifted: merged
    variant = parent[:12] + ("G" if parent[12] != "G" else "T") + parent[13:]
    reads += [(flanks[0] + variant + flanks[1], 1, 30, W)] * 150  # too many for errors
    rows = add_reads(table, reads, quality=30)
    roots = merge(table)
    assert roots[rows[1000]] == roots[rows[0]]
    assert roots[rows[1001]] == roots[rows[0]]
    assert roots[rows[-1]] != roots[rows[0]]


@pytest.mark.parametrize("parent_reads, merged", [(40, False), (1000, True)])
def test_a_small_clone_a_substitution_from_a_bigger_one_with_its_reads_in_shifted_windows(
        parent_reads: int, merged: bool) -> None:
    """Five reads one substitution from a clone, each in a window of its own (shifted by
    -2..+3 nt), all read at Q30: each alone is plausible as an error of a 40-read clone,
    five together are not (another clone); of a 1000-read clone, they are its errors."""
    rng = random.Random(12)
    molecule = random_dna(rng, 140)
    at = 60
    variant = molecule[:at] + ("A" if molecule[at] != "A" else "C") + molecule[at + 1:]
    reads = [(molecule, 1, 40, W)] * parent_reads + [(variant, 1, 40 + shift, W)
                                                     for shift in (-2, -1, 1, 2, 3)]
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=30)
    roots = merge(table)
    assert len({roots[row] for row in rows[parent_reads:]}) == 1
    assert (roots[rows[-1]] == roots[rows[0]]) == merged


def test_a_read_with_two_errors_that_leave_no_segment_of_its_window_intact_merges() -> None:
    """Errors at window positions 16 and 37 leave no 24-nt piece intact: the read's parent
    is found by shorter pieces among the windows of FINE_PARENT_READS reads or more."""
    rng = random.Random(8)
    molecule = random_dna(rng, 110)
    window_errors = molecule[:46] + ("A" if molecule[46] != "A" else "C") + molecule[47:67]
    window_errors += ("G" if molecule[67] != "G" else "T") + molecule[68:]
    table = WindowTable(False, W)
    rows = add_reads(table, [(molecule, 1, 30, W)] * 1000 + [(window_errors, 1, 30, W)],
                     quality=None)
    roots = merge(table)
    assert roots[rows[-1]] == roots[rows[0]]


@pytest.mark.parametrize("part", [merge_module.AMONG_SINGLES_PART, 2])
@pytest.mark.parametrize("variant_quality, joins", [(30, True), (40, False)])
def test_a_small_clone_whose_reads_all_have_windows_of_their_own_is_one_clone(
        variant_quality: int, joins: bool, part: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Five reads of a clone with their windows at five places, and three with one
    substitution each in their window (read at Q30, like the rest), none seen twice: one
    clone.  A read with a substitution read at Q40 is another clone (errors there are
    too rare for one read of the clone to make it), as is another clone's read.  The
    same when the windows of one read are indexed two at a time (``AMONG_SINGLES_PART``)."""
    monkeypatch.setattr(merge_module, "AMONG_SINGLES_PART", part)
    rng = random.Random(6)
    molecule = random_dna(rng, 140)

    def substituted(at: int) -> tuple[str, int, int, int]:
        return molecule[:at] + ("A" if molecule[at] != "A" else "C") + molecule[at + 1:], 1, 30, W

    reads = [(molecule, 1, 30 + shift, W) for shift in (4, -3, 0, 7, -6)]
    reads += [substituted(at) for at in (40, 55, 72, 62)] + [(random_dna(rng, 140), 1, 30, W)]
    qualities = [np.full(140, 30) for _ in reads]
    qualities[8][62] = variant_quality
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=qualities)
    roots = merge(table)
    assert len({roots[row] for row in rows[:8]}) == 1
    assert (roots[rows[8]] == roots[rows[0]]) == joins
    assert roots[rows[9]] != roots[rows[0]]


@pytest.mark.parametrize("child_quality, dipped, merged", [(5, 0, True), (35, 0, False),
                                                          (35, 1, False)])
def test_a_substitution_merges_when_its_reads_read_it_at_a_low_quality(
        child_quality: int, dipped: int, merged: bool) -> None:
    """The parent's reads dip to Q5 at one base in 5% of them: 8 reads with a
    substitution there are as many as its errors would give if they read it at a low
    quality, not at Q35 (errors at Q35 are a hundred times rarer), even when one of
    them (``dipped``) dips to Q3 there."""
    rng = random.Random(8)
    parent = random_dna(rng, W)
    at = 20
    child = parent[:at] + ("A" if parent[at] != "A" else "C") + parent[at + 1:]
    flanks = random_dna(rng, 30), random_dna(rng, 30)
    reads, qualities = [], []
    for i in range(2000):
        reads.append((flanks[0] + parent + flanks[1], 1, 30, W))
        scores = np.full(W + 60, 35)
        scores[30 + at] = 5 if i % 20 == 0 else 35
        qualities.append(scores)
    for i in range(8):
        reads.append((flanks[0] + child + flanks[1], 1, 30, W))
        scores = np.full(W + 60, 35)
        scores[30 + at] = 3 if i < dipped else child_quality
        qualities.append(scores)
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=qualities)
    roots = merge(table)
    assert (roots[rows[-1]] == roots[rows[0]]) == merged


@pytest.mark.parametrize("child_reads, child_flank, merged", [
    (30, "the parent's", True), (30, "another allele's", False), (12, "another allele's", True),
    (30, "another allele's in 3 reads of 5", False)])
def test_a_child_whose_reads_differ_outside_the_window_is_another_clone(
        child_reads: int, child_flank: str, merged: bool) -> None:
    """The parent's reads dip to Q5 at one base in 5% of them (about 22 reads with each
    substitution there, with the merge's slack).  A child of 30 reads with that
    substitution is merged when its reads match the parent's outside the window, not
    when they read another V allele there (two bases differ), even when 2 of its 5 kept
    reads are the parent's errors; a child of 12 reads has fewer reads than the errors
    would give, so is merged whatever its kept reads read."""
    rng = random.Random(9)
    parent = random_dna(rng, W)
    at = 20
    child = parent[:at] + ("A" if parent[at] != "A" else "C") + parent[at + 1:]
    left, right = random_dna(rng, 30), random_dna(rng, 30)
    child_left = left
    if child_flank != "the parent's":
        child_left = "".join(("G" if b != "G" else "T") if i in (6, 14) else b
                             for i, b in enumerate(left))
    reads, qualities = [], []
    for i in range(2000):
        reads.append((left + parent + right, 1, 30, W))
        scores = np.full(W + 60, 35)
        scores[30 + at] = 5 if i % 20 == 0 else 35
        qualities.append(scores)
    for i in range(child_reads):
        mixed = child_flank.endswith("in 3 reads of 5") and i % 5 >= 3
        reads.append(((left if mixed else child_left) + child + right, 1, 30, W))
        scores = np.full(W + 60, 35)
        scores[30 + at] = 5
        qualities.append(scores)
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=qualities)
    roots = merge(table)
    assert (roots[rows[-1]] == roots[rows[0]]) == merged


@pytest.mark.parametrize("differences, quality, merged", [
    (0, 35, True), (3, 35, False), (3, 10, True), (1, 35, True)])
def test_a_window_of_one_read_that_differs_outside_the_window_is_another_clone(
        differences: int, quality: int, merged: bool) -> None:
    """A child of one read one substitution (read at Q35) from a 2,000-read parent is
    not merged when its read differs from the parent's reads outside the window at
    three bases read at Q35 (another allele's, a hypermutated clone's first read: as a
    fold takes the child early, its clone would lose it), but is when these bases are
    read at Q10 (errors, likely there), or when only one differs."""
    rng = random.Random(10)
    parent = random_dna(rng, W)
    at = 20
    child = parent[:at] + ("A" if parent[at] != "A" else "C") + parent[at + 1:]
    left, right = random_dna(rng, 30), random_dna(rng, 30)
    differing = (4, 11, 19)[:differences]
    child_left = "".join(("G" if b != "G" else "T") if i in differing else b
                         for i, b in enumerate(left))
    reads = [(left + parent + right, 1, 30, W)] * 2000 + [(child_left + child + right, 1, 30, W)]
    qualities = [np.full(W + 60, 35) for _ in range(2000)]
    child_scores = np.full(W + 60, 35)
    child_scores[list(differing)] = quality
    qualities.append(child_scores)
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=qualities)
    roots = merge(table)
    assert (roots[rows[-1]] == roots[rows[0]]) == merged


def test_without_qualities_a_default_error_rate_is_used() -> None:
    rng = random.Random(6)
    parent = random_dna(rng, W)
    child = parent[:5] + ("T" if parent[5] != "T" else "G") + parent[6:]
    table = WindowTable(False, W)
    rows = add_reads(table, _clone_reads(rng, parent, 500) + _clone_reads(rng, child, 1),
                     quality=None)
    roots = merge(table)
    assert roots[rows[-1]] == roots[rows[0]]


def test_consensus_votes_out_a_single_read_error() -> None:
    reads = [
        (np.frombuffer(b"AACCGGTTAC", np.uint8), np.full(10, 30, np.uint8), 2),
        (np.frombuffer(b"ACCGGATACGT", np.uint8), np.full(11, 30, np.uint8), 1),
        (np.frombuffer(b"CCGGTTACG", np.uint8), np.full(9, 30, np.uint8), 0),
    ]
    sequence, start, quality = consensus(reads)
    assert sequence == "AACCGGTTACGT"
    assert start == 2
    assert quality is not None and len(quality) == len(sequence)


def test_a_small_clone_of_one_read_windows_shows_its_molecule() -> None:
    """Eight reads of a clone, each with its own substitution: five at five window places
    with theirs outside the window, three with theirs in it.  No window is seen twice;
    the merge makes them one clone, whose consensus is the molecule, whichever window
    holds it.  A read with an indel in its window fits no single shift: it lends no read."""
    rng = random.Random(9)
    molecule = random_dna(rng, 140)

    def substituted(at: int) -> str:
        return molecule[:at] + ("A" if molecule[at] != "A" else "C") + molecule[at + 1:]

    reads = [(substituted(at), 1, 30 + shift, W)
             for at, shift in ((2, 4), (8, -3), (133, 0), (137, 7), (125, -6),
                               (40, 0), (55, 0), (72, 0))]
    reads.append((molecule[:50] + molecule[51:], 1, 30, W))
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=[np.full(len(read[0]), 30) for read in reads])
    roots = merge(table)
    root = int(roots[rows[0]])
    assert {int(roots[row]) for row in rows[:8]} == {root}
    others = other_windows(table, roots, [root])[root]
    assert sorted(others) == sorted(set(rows[:8].tolist()) - {root})
    sequence, start, _ = consensus(clone_reads(table, root, others))
    assert sequence == molecule
    assert sequence[start:start + W] == table.window(root).decode()
    lent = clone_reads(table, root, [int(rows[8]), *others])
    assert len(lent) == READS_KEPT and all(len(read) == len(molecule) for read, _, _ in lent)


def test_diversity_extremes_and_a_known_value() -> None:
    one = diversity(np.array([100]))
    assert (one.shannon, one.equitability, one.simpson) == (0.0, 0.0, 0.0)
    flat = diversity(np.ones(50, np.int64))
    assert flat.equitability == pytest.approx(1.0)
    assert flat.simpson == pytest.approx(1.0)
    mixed = diversity(np.array([2, 1, 1]))
    assert mixed.shannon == pytest.approx(-(0.5 * np.log(0.5) + 2 * 0.25 * np.log(0.25)))
    assert mixed.simpson == pytest.approx(1 - 2 / 12)


def test_a_window_shifted_to_fit_short_reads_merges_into_its_clone() -> None:
    """Reads ending inside the clone's window get a window shifted to fit them."""
    rng = random.Random(8)
    molecule = random_dna(rng, 30) + random_dna(rng, W) + random_dna(rng, 30)
    table = WindowTable(True, W)
    short = molecule[:30 + W - 4]  # stops 4 nt before the end of the clone's window
    rows = add_reads(table, [(molecule, 1, 30, W)] * 20 + [(short, 1, len(short) - W, W)] * 3)
    roots = merge(table)
    assert table.window(rows[-1]) != table.window(rows[0])
    assert roots[rows[-1]] == roots[rows[0]]


def _runs(read: bytes) -> list[tuple[int, int]]:
    """(start, length) of each run of one base."""
    runs, start = [], 0
    for _, group in itertools.groupby(read):
        length = len(list(group))
        runs.append((start, length))
        start += length
    return runs


def reference_measured_errors(table: WindowTable) -> tuple[np.ndarray, np.ndarray]:
    """Plain Python: the reads one indel away from the biggest windows (a row per variant:
    reads found, chances, run length less one), and those one substitution away with
    the errors predicted."""
    windows = {table.window(row): row for row in range(table.n_rows)}
    counts = [int(c) for c in table.row_count[:table.n_rows]]
    biggest = sorted((row for row in range(table.n_rows)
                      if counts[row] >= error_rates.MIN_READS),
                     key=lambda row: -counts[row])[:error_rates.BIGGEST]
    indels = []
    substitutions = np.zeros(2)
    flank, edge = error_rates.FLANK, error_rates.EDGE
    for row in biggest:
        sequence, _, start = table.kept_reads(row)[0]
        width = int(table.win_width[row])
        if start < flank or start + width + flank > len(sequence):
            continue
        read = sequence[start - flank:start + width + flank].tobytes()
        counted: set[int] = set()

        def reads_found(variant: bytes, row: int = row, width: int = width,
                        counted: set[int] = counted) -> int:
            reads = 0
            for shift in (-1, 0, 1):
                other = windows.get(variant[flank + shift:flank + shift + width])
                if other is not None and other != row and other not in counted:
                    counted.add(other)
                    reads += counts[other]
            return reads

        profile = table.row_profile[row]
        for at in range(flank + edge, flank + width - edge):
            for base in b"ACGT":
                if base != read[at]:
                    substitutions[0] += reads_found(read[:at] + bytes([base]) + read[at + 1:])
            substitutions[1] += table.profiles[profile, at - flank]
        for at, run in _runs(read):
            if at < flank + edge or at + run > flank + width - edge:
                continue
            kind = min(run, error_rates.LONGEST_RUN) - 1
            for change in (-1, 1):
                indels.append((reads_found(read[:at] + read[at:at + 1] * (run + change)
                                           + read[at + run:]), counts[row], kind))
    return np.array(indels, float).reshape(-1, 3), substitutions


def _with_runs(rng: random.Random, n: int) -> str:
    """Random DNA with runs of 1 to 5 bases."""
    out = ""
    while len(out) < n:
        base = rng.choice([b for b in "ACGT" if not out.endswith(b)])
        out += base * rng.choice([1, 1, 1, 2, 2, 3, 4, 5])
    return out[:n]


def _indel_reads(molecule: str, at: int, run: int, change: int, shift: int,
                 count: int) -> list[tuple[str, int, int, int]]:
    """``count`` reads of ``molecule`` with the run at ``at`` changed, window at 30 + shift."""
    variant = molecule[:at] + molecule[at] * (run + change) + molecule[at + run:]
    return [(variant, 1, 30 + shift, W)] * count


def test_measured_errors_match_a_reference() -> None:
    rng = random.Random(12)
    reads: list[tuple[str, int, int, int]] = []
    for size in (900, 600, 400, 250, 150):  # the last is too small to be measured
        molecule = random_dna(rng, 30) + _with_runs(rng, W) + random_dna(rng, 30)
        reads += [(molecule, 1, 30, W)] * size
        for at, run in _runs(molecule.encode()):
            if 25 <= at < 30 + W + 5 and rng.random() < 0.7:  # some at the edges too
                reads += _indel_reads(molecule, at, run, rng.choice((-1, 1)),
                                      rng.choice((-1, 0, 1)), rng.randint(1, 12))
        for _ in range(8):
            at = rng.randrange(25, 30 + W + 5)
            base = rng.choice([b for b in "ACGT" if b != molecule[at]])
            variant = molecule[:at] + base + molecule[at + 1:]
            reads += [(variant, 1, 30 + rng.choice((-1, 0, 1)), W)] * rng.randint(1, 12)
    table = WindowTable(True, W)
    add_reads(table, reads)
    indels, substitutions = error_rates.measured_errors(table)
    assert indels[:, 0].sum() > 0 and (indels[:, 2] >= 2).any() and substitutions.min() > 0
    expected_indels, expected_substitutions = reference_measured_errors(table)
    np.testing.assert_array_equal(indels, expected_indels)
    np.testing.assert_allclose(substitutions, expected_substitutions, rtol=1e-5)


@pytest.mark.parametrize("sequencer", ["illumina", "iontorrent"])
def test_indels_merge_at_the_rate_the_biggest_clones_show(sequencer: str) -> None:
    """Five clones of 2,000 reads: on Ion Torrent, each of their runs of 3 bases
    shortened or lengthened in 1% of their reads, not on Illumina.  A window of 10
    reads with a run of 3 bases shortened next to a clone is errors of it on Ion
    Torrent; on Illumina, it is another clone (the prior rate would merge it)."""
    rng = random.Random(13)
    reads: list[tuple[str, int, int, int]] = []
    molecules = []
    for _ in range(5):
        window = _with_runs(rng, W)
        other = next(b for b in "ACGT" if b not in (window[19], window[23]))
        window = window[:20] + other * 3 + window[23:]  # a run of 3 at molecule position 50
        molecule = random_dna(rng, 30) + window + random_dna(rng, 30)
        molecules.append(molecule)
        reads += [(molecule, 1, 30, W)] * 2000
        if sequencer == "iontorrent":
            for at, run in _runs(molecule.encode()):
                if run == 3 and 35 <= at < 30 + W - 5:
                    reads += _indel_reads(molecule, at, run, -1, 0, 20)
                    reads += _indel_reads(molecule, at, run, 1, 0, 20)
    if sequencer == "illumina":
        reads += _indel_reads(molecules[0], 50, 3, -1, 0, 10)
    table = WindowTable(True, W)
    rows = add_reads(table, reads)
    roots = merge(table)
    variant = _indel_reads(molecules[0], 50, 3, -1, 0, 1)[0]
    child = next(row for row, read in zip(rows, reads, strict=True) if read == variant)
    assert (roots[child] == roots[rows[0]]) == (sequencer == "iontorrent")


def test_a_long_run_of_few_chances_gets_the_rate_its_clone_shows() -> None:
    """Five clones of 1,000 reads (a polyclonal sample's biggest), one with a run of 6
    bases shortened and lengthened in 4% of its reads each (Ion Torrent), the only run
    that long: 2,000 chances of an indel, and its rate is theirs, not the prior's
    (weighed as 10,000 chances, it made the 40 reads of each variant a clone: the
    biggest clones of a polyclonal Ion Torrent sample lost up to 7.5% of their reads)."""
    rng = random.Random(14)
    windows = [_with_runs(rng, W) for _ in range(5)]  # runs of 5 bases at most
    other = next(b for b in "ACGT" if b not in (windows[0][19], windows[0][26]))
    windows[0] = windows[0][:20] + other * 6 + windows[0][26:]  # at molecule position 50
    molecules = [random_dna(rng, 30) + window + random_dna(rng, 30) for window in windows]
    reads = [(molecule, 1, 30, W) for molecule in molecules for _ in range(1000)]
    reads += _indel_reads(molecules[0], 50, 6, -1, 0, 40) + _indel_reads(molecules[0], 50, 6, 1,
                                                                         0, 40)
    table = WindowTable(True, W)
    rows = add_reads(table, reads)
    roots = merge(table)
    assert roots[rows[-41]] == roots[rows[-1]] == roots[rows[0]]


@pytest.mark.parametrize("quality, reads, merged", [(10, 2, True), (40, 5, False)])
def test_a_parent_with_fewer_intact_pieces_than_bigger_clones_far_away_is_tried(
        quality: int, reads: int, merged: bool) -> None:
    """A 300-read clone, six bigger ones whose windows end in other bases at 46-49 (other
    J alleles, say), and a child of the first with a substitution at 45: the first and
    the others share the same pieces with it, so the bigger ones are tried first, and
    they are 5 substitutions away.  The first is still tried, among the biggest left a
    few substitutions away: the child is its errors when read at Q10, a clone of its own
    with 5 reads at Q40."""
    rng = random.Random(15)
    molecule = random_dna(rng, 140)  # window at 30..79

    def substituted(read: str, at: int, base: str) -> str:
        return read[:at] + base + read[at + 1:]

    clones = [(molecule, 1, 30, W)] * 300
    others = itertools.product(*[[b for b in "ACGT" if b != molecule[30 + p]]
                                 for p in (46, 47, 48, 49)])
    for size, bases in zip((1000, 1100, 1200, 1300, 1400, 1500), others, strict=False):
        other = molecule
        for p, base in zip((46, 47, 48, 49), bases, strict=True):
            other = substituted(other, 30 + p, base)
        clones += [(other, 1, 30, W)] * size
    child = substituted(molecule, 75, "A" if molecule[75] != "A" else "C")
    all_reads = clones + [(child, 1, 30, W)] * reads
    qualities = [np.full(140, 30) for _ in all_reads]
    for scores in qualities[-reads:]:
        scores[75] = quality
    table = WindowTable(True, W)
    rows = add_reads(table, all_reads, quality=qualities)
    roots = merge(table)
    assert len({roots[row] for row in rows[300:-reads]}) == 6
    assert (roots[rows[-1]] == roots[rows[0]]) == merged


@pytest.mark.parametrize("quality, merged", [(5, True), (30, False)])
def test_a_read_alone_with_errors_where_it_reads_badly_is_its_clone_s(quality: int,
                                                                      merged: bool) -> None:
    """A read of a 1,000-read clone with three substitutions in its window, read at Q5
    there (Q30 elsewhere, like the clone): its window, seen once and left alone, is
    priced by its own qualities and merged (by the clone's, three errors are too
    unlikely: with 400-nt reads, the biggest clones lost 4-6% of their reads as such
    one-read clones).  Read at Q30 there, the three are as unlikely as the clone's."""
    rng = random.Random(16)
    molecule = random_dna(rng, 110)
    read = list(molecule)
    for at in (35, 60, 75):
        read[at] = "A" if molecule[at] != "A" else "C"
    reads = [(molecule, 1, 30, W)] * 1000 + [("".join(read), 1, 30, W)]
    qualities = [np.full(110, 30) for _ in reads]
    qualities[-1][[35, 60, 75]] = quality
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=qualities)
    roots = merge(table)
    assert (roots[rows[-1]] == roots[rows[0]]) == merged


def crowded_clones(quality: int) -> tuple[list[tuple[str, int, int, int]], list[np.ndarray]]:
    """Forty clones of one V end and one J start, their windows differing in 8 nt at the
    middle, 30 to 420 reads each (the smallest first), read at Q40, and last a read of
    the smallest with two substitutions there, read at ``quality``, its window one base
    further (reads, qualities)."""
    rng = random.Random(17)
    left, right = random_dna(rng, 51), random_dna(rng, 51)  # 30 nt + 21 of the window
    middles = set()
    while len(middles) < 40:
        middles.add(random_dna(rng, 8))
    clones = [left + middle + right for middle in sorted(middles)]
    reads = []
    for size, molecule in zip(range(30, 430, 10), clones, strict=True):
        reads += [(molecule, 1, 30, W)] * size
    read = list(clones[0])
    for at in (53, 56):
        read[at] = "A" if read[at] != "A" else "C"
    reads.append(("".join(read), 1, 31, W))
    qualities = [np.full(110, 40) for _ in reads]
    qualities[-1][[53, 56]] = quality
    return reads, qualities


@pytest.mark.parametrize("quality, merged", [(5, True), (30, False)])
def test_a_read_alone_whose_clone_is_crowded_out_of_its_pieces_is_found_by_its_window(
        quality: int, merged: bool) -> None:
    """The read of ``crowded_clones``: each of its intact pieces, even the 16-nt ones, is
    shared by the forty clones, and the index keeps the 16 biggest windows of a piece.
    Its stretch one base back, with two substitutions at its worst-read bases, is its
    clone's window: read at Q5 there, it is an error of the clone; at Q30 (Q40
    elsewhere), two errors are too unlikely."""
    reads, qualities = crowded_clones(quality)
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=qualities)
    roots = merge(table)
    assert len({roots[row] for row in rows[:-1]}) == 40
    assert (roots[rows[-1]] == roots[rows[0]]) == merged


def _five_clones(rng: random.Random) -> tuple[list[tuple[str, int, int, int]], list[str]]:
    """2,000 reads of each of five random molecules (window at 30), and the molecules."""
    molecules = [random_dna(rng, 30) + random_dna(rng, W) + random_dna(rng, 30)
                 for _ in range(5)]
    return [(molecule, 1, 30, W) for molecule in molecules for _ in range(2000)], molecules


@pytest.mark.parametrize("neighbour", [False, True])
def test_a_clone_one_indel_away_is_not_measured_as_errors(neighbour: bool) -> None:
    """Five clones of 2,000 reads without indel errors (as on Illumina), and a window of
    10 reads one base shorter in a run of one base than the second one: another clone.
    With a clone of 600 reads one indel away from the first one too, counted as its
    errors, the rate of an indel there would be ~2e-3 and would merge the window;
    left out of the measure (it holds far more reads than errors would give it), the
    window stays a clone of its own."""
    reads, molecules = _five_clones(random.Random(15))

    def single(molecule: str) -> int:
        return next(at for at, run in _runs(molecule.encode()) if run == 1 and 50 <= at)

    if neighbour:
        reads += _indel_reads(molecules[0], single(molecules[0]), 1, 1, 0, 600)
    child = _indel_reads(molecules[1], single(molecules[1]), 1, -1, 0, 10)
    reads += child
    table = WindowTable(True, W)
    rows = add_reads(table, reads)
    roots = merge(table)
    assert roots[rows[reads.index(child[0])]] != roots[rows[2000]]


@pytest.mark.parametrize("qualities", ["honest", "overstated"])
def test_substitutions_merge_at_the_rate_the_biggest_clones_show(qualities: str) -> None:
    """Five clones of 2,000 reads read at Q20 (1% errors): with their substitutions in
    1% of their reads (honest qualities), a window of 10 reads one substitution from
    a clone is errors of it; without any (qualities that overstate the errors), it is
    another clone (the qualities alone would merge it)."""
    reads, molecules = _five_clones(random.Random(14))
    for molecule in molecules:
        for at in range(33, 30 + W - 3):
            for base in "ACGT":
                if qualities == "honest" and base != molecule[at]:
                    variant = molecule[:at] + base + molecule[at + 1:]
                    reads += [(variant, 1, 30, W)] * 7
    at = 50
    base = next(b for b in "ACGT" if b != molecules[0][at])
    variant = (molecules[0][:at] + base + molecules[0][at + 1:], 1, 30, W)
    reads += [variant] * 10
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=20)
    roots = merge(table)
    child = rows[len(reads) - 1]
    assert (roots[child] == roots[rows[0]]) == (qualities == "honest")
