"""Accuracy of `vidjil detect` on repertoires made by the project's simulator.

Simulates (seeded) a diagnosis sample of every human locus, an MRD sample with a
tracer clone at 1e-4 and a polyclonal one (the simulator's default: power-law clone
sizes, no dominant clone), runs the detector on each, and compares with the
simulator's truth, read by read and clone by clone.  Prints each figure next to its
target:

- recombined reads analysed with the right locus (>= 99%), noise reads called (<= 0.1%);
- true clones of >= 5 reads found (all): each is the majority of a reported clone
  (`-r 1`); predicted clones per true clone (<= 1.05), both counting clones of >= 5 reads;
  how many of them that clone holds at least half of (a clone whose reads are all in
  windows of their own is found through any of them, but is not whole);
  the clones missed, by what happened to the window holding most of their reads: it
  holds more reads of another clone (no merging can make it a clone of its own), one
  with the same junction (the two differ outside the window only: one clone by the
  window's definition) or one or two substitutions away (its sequencing errors there
  outnumber the clone's reads), or else; or it was merged into a bigger clone.  When the
  two clones' sequences are the same outside their junctions, whether the qualities of
  the window's reads tell them apart at all (else no clone made of windows can find it),
  and the share found of the clones their reads tell apart;
- V gene (>= 97%), J gene (>= 99.5%), junction exact (>= 97%) over the reported clones
  of >= 5 reads (all designated, as with `-z all`);
- read counts of the top 10 clones within 2% of the truth;
- the MRD tracer found, its count within 20%.

With ``--errors iontorrent``, the reads carry Ion Torrent's errors (indels, above all
in homopolymers) instead of Illumina's (substitutions following the base qualities).

    python bench/accuracy.py [--reads 1000000] [--workdir DIR] [--errors illumina]
                             [--modes diagnosis,mrd,polyclonal]
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import dnaio

from vidjil_kernel.detect.affect import log_poisson_tail
from vidjil_kernel.detect.merge import ALPHA
from vidjil_kernel.detect.pipeline import DetectOptions, Detector
from vidjil_kernel.germline import load_preset
from vidjil_kernel.settings import load_settings
from vidjil_kernel.simulate import SimulationSpec, simulate
from vidjil_kernel.simulate.errors import ERROR_MODELS


def read_truth(sample_dir: Path, name: str) -> tuple[dict[str, tuple[str, str]], dict[str, dict]]:
    """Per read: (clone id or "", system); per clone: its truth row."""
    reads = {}
    with open(sample_dir / f"{name}.reads.tsv", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            reads[row["sequence_id"]] = (row["clone_id"], row["system"])
    with open(sample_dir / f"{name}.clones.tsv", newline="") as handle:
        clones = {row["clone_id"]: row for row in csv.DictReader(handle, delimiter="\t")}
    return reads, clones


def genes(call: str) -> set[str]:
    return {allele.split("*")[0] for allele in call.split(",") if allele}


def evaluate(detector: Detector, reads_file: Path, truth_reads: dict, truth_clones: dict,
             ) -> dict[str, float]:
    """Run the detector on ``reads_file`` and measure it against the truth."""
    batches = []

    def collect(assignment) -> None:
        names = assignment.names.tobytes()
        offsets = assignment.name_offsets
        batches.append(([names[offsets[i]:offsets[i + 1]].decode()
                         for i in range(len(offsets) - 1)], assignment.rows, assignment.folds))

    started = time.process_time()
    run = detector.run(str(reads_file), per_read=collect)
    assigned = [pair for names, rows, folds in batches
                for pair in zip(names, run.final_rows(rows, folds).tolist(), strict=True)]
    if run.rescued is not None:  # reads counted in a window after the pass
        for index, row in zip(run.rescued.read_index.tolist(), run.rescued.rows.tolist(),
                              strict=True):
            assigned[index] = (assigned[index][0], row)
    # designate every clone of >= 5 reads (clones come by decreasing reads)
    detector.options.max_designations = sum(c.reads >= 5 for c in run.result.clones)
    detector.designate(run)
    seconds = time.process_time() - started
    result, table = run.result, run.table
    root_locus = {}
    clone_of_root = {row: clone for clone, row in zip(result.clones, run.clone_rows, strict=True)}
    true_count = Counter(truth_reads[name][0] for name in truth_reads if truth_reads[name][0])

    recombined = right_locus = noise = noise_called = 0
    members: dict[int, Counter] = {}  # true clones' reads in each reported clone
    window_members: dict[int, Counter] = {}  # and in each window
    for name, row in assigned:
        clone_id, system = truth_reads[name]
        root = int(run.roots[row]) if row >= 0 else -1
        if clone_id:
            recombined += 1
            if root >= 0:
                if root not in root_locus:
                    root_locus[root] = detector.locus_of_row(table, root)
                right_locus += root_locus[root] == system
                members.setdefault(root, Counter())[clone_id] += 1
                window_members.setdefault(row, Counter())[clone_id] += 1
        else:
            noise += 1
            noise_called += root >= 0

    majority = {root: counter.most_common(1)[0][0] for root, counter in members.items()}
    predicted_big = [root for root, counter in members.items() if sum(counter.values()) >= 5]
    true_big = {c for c, n in true_count.items() if n >= 5}
    found = true_big & set(majority.values())
    whole = {clone_id for root, clone_id in majority.items()
             if 2 * members[root][clone_id] >= true_count[clone_id]} & true_big
    missed = _missed_by_cause(true_big - found, window_members, truth_clones, true_count,
                              lambda cases: _told_apart_by_quality(reads_file, table,
                                                                   assigned, cases))
    hidden = sum(n for cause, n in missed.items() if cause.endswith(NO_BETTER))

    v_ok = j_ok = junction_ok = designated = 0
    for root, clone_id in majority.items():
        clone = clone_of_root.get(root)
        if clone is None or clone.designation is None:
            continue
        truth = truth_clones[clone_id]
        designation = clone.designation
        designated += 1
        v_ok += bool(designation.v and genes(truth["v_call"]) & genes(designation.v.call))
        j_ok += bool(designation.j and genes(truth["j_call"]) & genes(designation.j.call))
        junction_ok += bool(designation.junction and designation.junction.nt == truth["junction"])

    top_errors = []
    for clone, row in list(zip(result.clones, run.clone_rows, strict=True))[:10]:
        truth_id = majority.get(row)
        if truth_id:
            error = (clone.reads - true_count[truth_id]) / true_count[truth_id]
            top_errors.append((abs(error), f"{truth_id} {clone.reads}/{true_count[truth_id]}"))

    tracer = next((c for c, row in truth_clones.items() if row.get("role") == "tracer"), None)
    tracer_error = None
    if tracer is not None:
        hits = [sum(members[root].values()) for root, c in majority.items() if c == tracer]
        tracer_error = abs(max(hits) - true_count[tracer]) / true_count[tracer] if hits else 1.0
    return {
        "reads": result.total_reads,
        "cpu_seconds": seconds,
        "folds": run.folds,
        "right_locus": right_locus / max(recombined, 1),
        "noise_called": noise_called / max(noise, 1),
        "true_clones_5": len(true_big),
        "found": len(found) / max(len(true_big), 1),
        "found_whole": len(whole) / max(len(true_big), 1),
        "found_apart": len(found) / max(len(true_big) - hidden, 1),
        "missed": missed,
        "predicted_per_true": len(predicted_big) / max(len(true_big), 1),
        "designated": designated,
        "v_gene": v_ok / max(designated, 1),
        "j_gene": j_ok / max(designated, 1),
        "junction": junction_ok / max(designated, 1),
        "top10_max_count_error": max(top_errors)[0] if top_errors else 1.0,
        "top10_worst": max(top_errors)[1] if top_errors else "",
        "tracer_count_error": tracer_error,
    }


#: the end of the cause of a clone missed that no clone made of windows can find
NO_BETTER = ", its reads no better there than the other's errors"


def _missed_by_cause(missed: set[str], window_members: dict[int, Counter],
                     truth_clones: dict, true_count: Counter,
                     told_apart: Callable[[dict], dict[str, bool]]) -> Counter:
    """Why each missed true clone is missed: what the window holding most of its reads
    holds more of, if anything, how that clone's junction compares, and, when their
    sequences are the same outside the junction, whether the qualities of the clone's
    reads tell them apart (``told_apart``, given ``_told_apart_by_quality``'s cases)."""
    main: dict[str, tuple[int, int]] = {}  # true clone -> (its reads there, window)
    for row, counter in window_members.items():
        for clone_id, n in counter.items():
            if n > main.get(clone_id, (0, -1))[0]:
                main[clone_id] = (n, row)
    causes: dict[str, str] = {}
    same_outside: dict[str, tuple[int, int, int]] = {}
    for clone_id in missed:
        if clone_id not in main:
            causes[clone_id] = "not analysed"
            continue
        other = window_members[main[clone_id][1]].most_common(1)[0][0]
        if other == clone_id:
            causes[clone_id] = "the majority of its window, merged into a bigger clone"
            continue
        mine, theirs = truth_clones[clone_id]["junction"], truth_clones[other]["junction"]
        apart = len(mine) == len(theirs) and sum(a != b for a, b in zip(mine, theirs,
                                                                         strict=True))
        if mine == theirs:
            causes[clone_id] = "outnumbered in its window by a clone with the same junction"
        elif apart and apart <= 2:
            causes[clone_id] = "outnumbered in its window by a clone 1-2 substitutions away"
        else:
            causes[clone_id] = "outnumbered in its window by another clone"
        if _same_flanks(truth_clones[clone_id], truth_clones[other]):
            causes[clone_id] += ", the same outside its junction"
            same_outside[clone_id] = (main[clone_id][1], main[other][1], true_count[other])
    for clone_id, apart in told_apart(same_outside).items():
        causes[clone_id] += (", told apart by its reads' qualities" if apart
                             else NO_BETTER)
    return Counter(causes.values())


#: nt compared before and after the junctions: at least as far as the simulated reads reach
#: into V and J (~195 and ~25 nt from a 250-nt read)
FLANK_V, FLANK_J = 200, 60


def _same_flanks(clone: dict, other: dict) -> bool:
    """Whether two true clones' recombined sequences are the same next to their junctions
    (the last FLANK_V nt before, the first FLANK_J after): nothing outside the junction
    then tells their reads apart, only the bases where their junctions differ."""
    if not (clone["cdr3_start"] and other["cdr3_start"]):
        return False

    def flanks(row: dict) -> tuple[str, str]:
        sequence = row["sequence"]
        start, end = int(row["cdr3_start"]) - 4, int(row["cdr3_end"]) + 3
        return sequence[max(0, start - FLANK_V):start], sequence[end:end + FLANK_J]
    (left, right), (other_left, other_right) = flanks(clone), flanks(other)
    size = min(len(left), len(other_left))
    return (left[len(left) - size:] == other_left[len(other_left) - size:]
            and right[:len(other_right)] == other_right[:len(right)])


#: errors sit mostly at bases read below this quality; above it, the sample's reads
#: (or a clone of its own) are trusted
HIGH_QUALITY = 20
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def _told_apart_by_quality(reads_file: Path, table, assigned: list[tuple[str, int]],
                           cases: dict[str, tuple[int, int, int]]) -> dict[str, bool]:
    """Whether the clones of ``cases`` (clone -> its window's row, the other clone's
    window's row, the other clone's reads) are told apart from the other clone by their
    reads where their windows differ by 1-2 substitutions (at the best shift; windows
    further apart are left out: an indel's chance is not a base's quality): more of their
    window's reads read all those bases at HIGH_QUALITY or better than the other clone's
    errors would give there (the mean of its window's reads' error probabilities at those
    bases, when read that well, /3 each, times its reads), at a chance below the merge's
    ALPHA.  The best a clone made of windows could do, knowing which reads are which
    clone's: the others cannot be found.  Reads counted in a window without holding it
    (folded into it, or rescued) are left out."""
    if not cases:
        return {}
    windows = {row: table.window(row).decode()
               for case in cases.values() for row in case[:2]}
    row_of = {name: row for name, row in assigned if row in windows}
    window_scores: dict[int, list[list[int]]] = {row: [] for row in windows}
    with dnaio.open(str(reads_file)) as records:
        for record in records:
            row = row_of.get(record.name.split()[0])
            if row is None or not record.qualities:
                continue
            window, sequence, qualities = windows[row], record.sequence, record.qualities
            at = sequence.find(window)
            if at < 0:
                sequence, qualities = sequence.translate(_COMPLEMENT)[::-1], qualities[::-1]
                at = sequence.find(window)
            if at >= 0:
                window_scores[row].append([ord(q) - 33 for q in qualities[at:at + len(window)]])
    told = {}
    for clone_id, (row, other_row, other_reads) in cases.items():
        mine, theirs = windows[row], windows[other_row]
        shift = min(range(-3, 4), key=lambda s: sum(
            a != b for a, b in zip(mine[max(0, s):], theirs[max(0, -s):], strict=False)))
        bases = [i for i in range(max(0, shift), min(len(mine), len(theirs) + shift))
                 if mine[i] != theirs[i - shift]]
        if not 1 <= len(bases) <= 2:
            continue
        high = sum(min(scores[i] for i in bases) >= HIGH_QUALITY
                   for scores in window_scores[row])
        error_sum = sum(math.prod(10 ** (-scores[i - shift] / 10) / 3 for i in bases)
                        for scores in window_scores[other_row]
                        if min(scores[i - shift] for i in bases) >= HIGH_QUALITY)
        expected = error_sum / max(len(window_scores[other_row]), 1) * other_reads
        told[clone_id] = log_poisson_tail(high, expected) < math.log(ALPHA)
    return told


MODES = ("diagnosis", "mrd", "polyclonal")

TARGETS = [
    ("right_locus", ">=", 0.99), ("noise_called", "<=", 0.001), ("found", ">=", 1.0),
    ("predicted_per_true", "<=", 1.05), ("v_gene", ">=", 0.97), ("j_gene", ">=", 0.995),
    ("junction", ">=", 0.97), ("top10_max_count_error", "<=", 0.02),
    ("tracer_count_error", "<=", 0.20),
]


def report(title: str, figures: dict[str, float]) -> bool:
    print(f"\n== {title}: {figures['reads']:,} reads, {figures['cpu_seconds']:.1f} CPU s, "
          f"{figures['folds']} folds of the window table, "
          f"{figures['true_clones_5']} true clones of >= 5 reads, "
          f"{figures['designated']} designated clones; "
          f"worst of the top 10 (reads found/true): {figures['top10_worst']}")
    passed = True
    for key, sense, target in TARGETS:
        value = figures.get(key)
        if value is None:
            continue
        ok = value >= target if sense == ">=" else value <= target
        passed &= ok
        print(f"  {key:24s} {value:9.4f}   target {sense} {target:<6}  {'ok' if ok else 'MISSED'}")
        if key == "found":
            print(f"    in a clone holding at least half of their reads: "
                  f"{figures['found_whole']:.4f}")
            print(f"    of the clones their reads tell apart: {figures['found_apart']:.4f}")
            for cause, n in figures["missed"].most_common():
                print(f"    missed, {cause}: {n}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--errors", choices=sorted(ERROR_MODELS), default="illumina")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="samples to simulate, comma-separated (default: all)")
    args = parser.parse_args()
    modes = args.modes.split(",")
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        parser.error(f"--modes: {', '.join(unknown)}: none of {', '.join(MODES)}")
    settings = load_settings()
    preset = load_preset("homo-sapiens", settings.germline_dir)
    detector = Detector(preset, DetectOptions(min_reads=1))
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        passed = True
        for mode in modes:
            name = mode if args.errors == "illumina" else f"{mode}-{args.errors}"
            spec = SimulationSpec(reads=args.reads, mode=mode, seed=args.seed, name=name,
                                  errors=args.errors)
            sample = simulate(spec, workdir)
            truth_reads, truth_clones = read_truth(workdir, name)
            figures = evaluate(detector, Path(sample.reads), truth_reads, truth_clones)
            passed &= report(f"{mode} sample, all human loci, {args.errors} errors", figures)
    print("\nall targets met" if passed else "\nsome targets missed")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
