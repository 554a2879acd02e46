"""Folding error windows into their clones' as the reads come (``WindowTable.fold``): the
table of a big input grows with its clones, and the result is the one without folds."""

from __future__ import annotations

import collections
import csv
import random
from pathlib import Path

import numpy as np
import pytest
from test_detect_windows import W, add_reads, crowded_clones, random_dna

from vidjil_kernel.detect import pipeline
from vidjil_kernel.detect.error_rates import error_rates
from vidjil_kernel.detect.merge import CHILD_MARGIN, find_parents, fold_parents
from vidjil_kernel.detect.pipeline import DetectOptions, Detector
from vidjil_kernel.detect.run import PerReadSpool, analyse_file
from vidjil_kernel.detect.windows import WindowTable
from vidjil_kernel.germline import load_preset
from vidjil_kernel.simulate import SimulationSpec, simulate


def _snapshot(table: WindowTable, row: int) -> tuple:
    """What a window holds that a fold must keep: its window, counts and kept reads."""
    profile = table.row_profile[row]
    return (table.window(row), int(table.row_count[row]), int(table.row_rec[row]),
            [(s.tobytes(), q.tobytes(), start) for s, q, start in table.kept_reads(row)],
            None if profile < 0 else table.profiles[profile].tobytes())


def test_folded_windows_count_in_their_target_and_the_others_are_kept_as_they_were() -> None:
    rng = random.Random(3)
    windows = [random_dna(rng, W) for _ in range(40)]
    table = WindowTable(True, W, rows=4, arena=256)  # tiny: grown and compacted
    for _ in range(4):
        batch = []
        for _ in range(60):
            window = windows[min(int(rng.expovariate(0.15)), len(windows) - 1)]
            left, right = random_dna(rng, rng.randint(0, 30)), random_dna(rng, rng.randint(0, 30))
            batch.append((left + window + right, 1, len(left), W))
        add_reads(table, batch)
    n = table.n_rows
    before = [_snapshot(table, row) for row in range(n)]
    reads, lengths = table.reads().copy(), table.row_length_sum[:n].copy()
    dropped = np.array(sorted(rng.sample(range(5, n), 12)), np.int64)
    into = np.array([rng.randrange(5) for _ in dropped], np.int64)
    expected_reads = collections.Counter({int(r): int(reads[r]) for r in range(5)})
    for row, target in zip(dropped.tolist(), into.tolist(), strict=True):
        expected_reads[target] += int(reads[row])

    new_of_old = table.fold(dropped, into)

    kept = [row for row in range(n) if row not in set(dropped.tolist())]
    assert table.n_rows == len(kept)
    assert new_of_old[kept].tolist() == list(range(len(kept)))
    assert new_of_old[dropped].tolist() == into.tolist()  # targets are rows 0-4, unmoved
    for old in kept:
        assert _snapshot(table, int(new_of_old[old])) == before[old]
    assert {row: int(table.reads()[row]) for row in range(5)} == dict(expected_reads)
    assert int(table.reads().sum()) == int(reads.sum())
    assert int(table.row_length_sum[:table.n_rows].sum()) == int(lengths.sum())
    # later reads find the windows kept; a dropped window is new again
    again = add_reads(table, [(before[kept[-1]][0].decode(), 1, 0, W),
                              (before[int(dropped[0])][0].decode(), 1, 0, W)])
    assert again.tolist() == [len(kept) - 1, len(kept)]
    assert table.row_folded[len(kept)] == 0 and table.reads()[len(kept)] == 1


@pytest.mark.parametrize("share_read, folded", [(1.0, True), (0.02, False)])
def test_a_window_is_folded_when_the_reads_it_would_reach_are_errors(
        share_read: float, folded: bool) -> None:
    """Two reads with a substitution next to a 1,000-read clone are its errors; the same
    two reads when 2% of the input is read would make a hundred by its end: not errors,
    not folded (the final merge decides on what they reach)."""
    rng = random.Random(5)
    parent = random_dna(rng, W)
    child = parent[:20] + ("A" if parent[20] != "A" else "C") + parent[21:]
    flanks = random_dna(rng, 30), random_dna(rng, 30)
    table = WindowTable(True, W)
    add_reads(table, [(flanks[0] + parent + flanks[1], 1, 30, W)] * 1000
              + [(flanks[0] + child + flanks[1], 1, 30, W)] * 2, quality=30)
    rows, into = fold_parents(table, error_rates(table), share_read, 1002)
    assert (rows.tolist(), into.tolist()) == (([1], [0]) if folded else ([], []))


@pytest.mark.parametrize("folded_reads, merged", [(0, True), (5, False)])
def test_a_window_tested_as_errors_counts_the_reads_folded_into_it(folded_reads: int,
                                                                   merged: bool) -> None:
    """A read one substitution from a 40-read clone is plausible as its error; with the
    five reads of its shifted copy folded into its window, six reads are another clone."""
    rng = random.Random(9)
    molecule = random_dna(rng, 140)
    variant = molecule[:60] + ("A" if molecule[60] != "A" else "C") + molecule[61:]
    table = WindowTable(True, W)
    rows = add_reads(table, [(molecule, 1, 40, W)] * 40 + [(variant, 1, 40, W)]
                     + [(variant, 1, 42, W)] * folded_reads, quality=30)
    if folded_reads:
        table.fold(rows[-1:], rows[40:41])
    assert int(table.reads()[rows[40]]) == 1 + folded_reads
    assert (find_parents(table)[rows[40]] == rows[0]) == merged


def test_a_read_that_looked_in_vain_for_its_window_looks_again_when_the_reads_double(
        ) -> None:
    """The crowded read (``crowded_clones``), found only by the windows a substitution
    or two from its own, read at Q20 there, is an error of its clone at the end of the
    input, but not when 2% of the input is read: it would make 50 reads by the end, too
    many for the 1,500 of its clone.  Having looked in vain then, it does not look again
    until the reads read have doubled."""
    reads, qualities = crowded_clones(20)
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=qualities)
    rates = error_rates(table)
    assert fold_parents(table, rates, 0.02, 10_000)[0].tolist() == []
    assert table.row_looked[rows[-1]] == 10_000
    assert fold_parents(table, rates, 1.0, 19_999)[0].tolist() == []
    folded, into = fold_parents(table, rates, 1.0, 20_000)
    assert (folded.tolist(), into.tolist()) == ([rows[-1]], [rows[0]])


def _shifted_errors() -> tuple[WindowTable, np.ndarray]:
    """A clone of 1,000 250-nt reads (window at 100) and 41 reads of it with a substitution
    at a Q10 base, windowed 20 nt before to 20 nt after its window; their rows."""
    rng = random.Random(23)
    molecule = random_dna(rng, 250)
    reads = [(molecule, 1, 100, W)] * 1000
    qualities = [np.full(250, 35) for _ in reads]
    for shift in range(-20, 21):
        read = list(molecule)
        at = 100 + rng.randrange(W)
        read[at] = "A" if read[at] != "A" else "C"
        reads.append(("".join(read), 1, 100 + shift, W))
        qualities.append(np.full(250, 35))
        qualities[-1][at] = 10
    table = WindowTable(True, W)
    rows = add_reads(table, reads, quality=qualities)
    return table, rows[1000:]


@pytest.mark.parametrize("margin, same", [(CHILD_MARGIN, True), (CHILD_MARGIN - 4, False)])
def test_a_read_narrowed_to_what_a_merge_reads_finds_the_parent_its_whole_read_does(
        margin: int, same: bool) -> None:
    """The reads of one-read windows that looked in vain are narrowed to their window and
    CHILD_MARGIN nt each side (``WindowTable.narrow_reads``): their merge stays the same
    for every window shift the merge looks at; a narrower margin loses the farthest."""
    table, errors = _shifted_errors()
    whole = find_parents(table)
    assert (whole[errors] == 0).all()
    lengths = table.kept_length[errors, 0].copy()
    table.narrow_reads(errors, margin)
    narrowed = table.kept_length[errors, 0]
    assert (narrowed == W + 2 * margin).all() and (narrowed < lengths).all()
    read, _, start = table.kept_reads(int(errors[0]))[0]
    assert (start, table.window(int(errors[0]))) == (margin, read[start:start + W].tobytes())
    assert (find_parents(table) == whole).all() == same
    used = table.read_used
    table.fold(np.zeros(0, np.int64), np.zeros(0, np.int64))  # compacts the arenas
    assert table.read_used == used - int((lengths - narrowed).sum())
    assert (find_parents(table) == whole).all() == same


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, germline_dir: Path):
    return simulate(SimulationSpec(reads=30_000, mode="diagnosis", seed=11, name="fold"),
                    tmp_path_factory.mktemp("fold"))


def test_a_window_folded_into_none_is_forgotten_with_its_reads() -> None:
    rng = random.Random(4)
    table = WindowTable(True, W)
    windows = [random_dna(rng, W) for _ in range(4)]
    add_reads(table, [(window, 1, 0, W) for window in windows for _ in range(3)])
    new_of_old = table.fold(np.array([1, 2]), np.array([-1, 0]))
    assert new_of_old.tolist() == [0, -1, 0, 1]
    assert table.reads().tolist() == [6, 3]
    assert [table.window(row).decode() for row in range(2)] == [windows[0], windows[3]]


@pytest.mark.germline
def test_a_table_over_its_budget_after_a_fold_settles_its_oldest_lonely_windows(
        sample, germline_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Left over SETTLE_AT by a fold, the table counts its oldest windows of one read
    that looked in vain as clones of one read and forgets them: it stays within its
    budget, the clones are found with their reads, and the diversity indices count the
    forgotten ones.  The per-read output gives a read of a settled window its window as
    clone and its locus, the same whether the spool carries its rows through every fold
    or keeps the maps; per-read calls that do not follow the folds keep every window."""
    preset = load_preset("homo-sapiens", germline_dir)
    options = DetectOptions(batch_reads=2000)
    whole = Detector(preset, options).run(str(sample.reads))
    monkeypatch.setattr(pipeline, "TABLE_BUDGET", 1)  # a fold as soon as it has grown
    budget = Detector(preset, options).run(str(sample.reads)).table.footprint() * 3 // 4
    monkeypatch.setattr(pipeline, "SETTLE_AT", budget)
    monkeypatch.setattr(pipeline, "SETTLE_TO", budget * 3 // 4)
    settled = Detector(preset, options).run(str(sample.reads))
    assert settled.table.footprint() <= budget
    assert any("counted as clones of one read" in line for line in settled.result.log)
    top = {c.id: c.reads for c in whole.result.clones[:20]}
    assert {c.id: c.reads for c in settled.result.clones[:20]} == pytest.approx(top, rel=0.03)
    assert settled.result.analysed_reads == pytest.approx(whole.result.analysed_reads, rel=1e-3)
    assert settled.result.diversity["all"].shannon == pytest.approx(
        whole.result.diversity["all"].shannon, rel=0.02)
    kept = Detector(preset, options).run(str(sample.reads), per_read=lambda calls: None)
    assert not any("counted as clones of one read" in line for line in kept.result.log)
    assert kept.table.footprint() > budget
    outputs = []
    for maps_budget in (PerReadSpool.MAPS_BUDGET, 1):
        monkeypatch.setattr(PerReadSpool, "MAPS_BUDGET", maps_budget)
        out = tmp_path / str(maps_budget)
        result = analyse_file(Detector(preset, options), str(sample.reads), out, "settled",
                              per_read=True)
        outputs.append((out / "settled.reads.airr.tsv").read_bytes())
    assert outputs[0] == outputs[1]
    assert any("counted as clones of one read" in line for line in result.log)
    with open(out / "settled.reads.airr.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == result.analysed_reads
    in_clones = collections.Counter(row["clone_id"] for row in rows)
    assert all(in_clones[clone.id] == clone.reads for clone in result.clones)
    settled_line = next(line for line in result.log if "counted as clones of one" in line)
    reported = {clone.id for clone in result.clones}
    others = [row for row in rows if row["clone_id"] not in reported]
    assert len(others) >= int(settled_line.split()[0].replace(",", ""))
    assert all(set(row["clone_id"]) <= set("ACGTN") and row["locus"] for row in others)


def _clones_of_reads(run: pipeline.DetectionRun, assignments: list) -> dict[str, str]:
    """Each analysed read's clone (its window), from the per-read calls of a run."""
    clone_of = {}
    for assignment in assignments:
        rows = run.final_rows(assignment.rows, assignment.folds)
        names = assignment.names.tobytes()
        for i, row in enumerate(rows.tolist()):
            if row >= 0:
                name = names[assignment.name_offsets[i]:assignment.name_offsets[i + 1]]
                clone_of[name.decode()] = run.table.window(int(run.roots[row]))
    return clone_of


@pytest.mark.germline
def test_a_run_folded_as_it_goes_finds_the_clones_of_a_run_that_is_not(
        sample, germline_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    preset = load_preset("homo-sapiens", germline_dir)
    options = DetectOptions(batch_reads=2000)
    runs, assignments = [], []
    for budget in (pipeline.TABLE_BUDGET, 1):  # 1 byte: a fold as soon as it has grown
        monkeypatch.setattr(pipeline, "TABLE_BUDGET", budget)
        calls: list = []
        runs.append(Detector(preset, options).run(str(sample.reads), per_read=calls.append))
        assignments.append(calls)
    whole, folded = runs
    assert whole.folds == 0 and folded.folds >= 4 and len(folded.row_maps) == folded.folds
    # the maps of rows are for per-read calls: a run without them keeps none (a map per
    # fold, as long as the table then: 90 MB for 38 folds of 20M polyclonal reads)
    assert Detector(preset, options).run(str(sample.reads)).row_maps == []
    assert folded.table.n_rows < 0.6 * whole.table.n_rows
    top = {c.id: c.reads for c in whole.result.clones[:20]}
    assert {c.id: c.reads for c in folded.result.clones[:20]} == pytest.approx(top, rel=0.03)
    assert folded.result.analysed_reads == pytest.approx(whole.result.analysed_reads, rel=1e-3)
    assert sum(c.reads for c in folded.result.clones) >= 0.99 * sum(
        c.reads for c in whole.result.clones)
    reads_whole, reads_folded = (_clones_of_reads(run, calls)
                                 for run, calls in zip(runs, assignments, strict=True))
    same = sum(reads_folded.get(name) == clone for name, clone in reads_whole.items())
    assert same >= 0.99 * len(reads_whole)
    # the per-read output of a folded run: every analysed read, in a clone of the run
    result = analyse_file(Detector(preset, options), str(sample.reads), tmp_path, "fold",
                          per_read=True)
    with open(tmp_path / "fold.reads.airr.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == result.analysed_reads
    in_clones = collections.Counter(row["clone_id"] for row in rows)
    assert all(in_clones[clone.id] == clone.reads for clone in result.clones)
