"""`vidjil simulate` and :mod:`vidjil_kernel.simulate`: truth, determinism, proportions, errors."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from vidjil_kernel.cli import main
from vidjil_kernel.exceptions import GermlineError, UsageError
from vidjil_kernel.germline import load_preset, translate
from vidjil_kernel.simulate import SimulationSpec, parse_loci, simulate, simulate_follow_up
from vidjil_kernel.simulate.abundance import allocate
from vidjil_kernel.simulate.errors import PHRED_ERROR
from vidjil_kernel.simulate.model import Count
from vidjil_kernel.simulate.recombine import Repertoire, genes_in_order

pytestmark = pytest.mark.germline

_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def reverse_complement(sequence: str) -> str:
    return sequence.translate(_COMPLEMENT)[::-1]


def read_records(path: Path) -> list[tuple[str, str, str]]:
    """(id, sequence, qualities) of a FASTQ or FASTA file, plain or gzipped (plain parsing)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        lines = handle.read().splitlines()
    if lines[0].startswith(">"):
        return [(lines[i][1:], lines[i + 1], "") for i in range(0, len(lines), 2)]
    assert all(lines[i].startswith("@") and lines[i + 2] == "+" for i in range(0, len(lines), 4))
    return [(lines[i][1:], lines[i + 1], lines[i + 3]) for i in range(0, len(lines), 4)]


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def expected_template(read: dict[str, str], clones: dict[str, dict[str, str]]) -> str:
    """The error-free read: its slice of the clone's molecule, on the read's strand."""
    molecule = clones[read["clone_id"]]["sequence"]
    piece = molecule[int(read["molecule_start"]) : int(read["molecule_end"])]
    return reverse_complement(piece) if read["rev_comp"] == "T" else piece


def edit_distance(a: str, b: str, band: int = 12) -> int:
    """Levenshtein distance within a diagonal band (reads differ by a few indels)."""
    if abs(len(a) - len(b)) > band:
        return abs(len(a) - len(b))
    far = len(a) + len(b)
    previous = [j if j <= band else far for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [i if i <= band else far] + [far] * len(b)
        for j in range(max(1, i - band), min(len(b), i + band) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (a[i - 1] != b[j - 1]))
        previous = current
    return previous[-1]


def mismatches(a: str, b: str) -> int:
    assert len(a) == len(b)
    return sum(x != y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def diagnosis(tmp_path_factory: pytest.TempPathFactory, germline_dir: Path):
    """20,000 reads of every complete human locus, diagnosis mode."""
    out = tmp_path_factory.mktemp("diagnosis")
    spec = SimulationSpec(reads=20_000, mode="diagnosis", seed=7, germline_dir=germline_dir)
    sample = simulate(spec, out)
    return {
        "sample": sample,
        "records": read_records(sample.reads),
        "reads": read_tsv(sample.reads_truth),
        "clones": {row["clone_id"]: row for row in read_tsv(sample.clones_truth)},
        "preset": load_preset("homo-sapiens", germline_dir),
    }


def test_same_seed_gives_the_same_bytes(tmp_path: Path, germline_dir: Path) -> None:
    spec = SimulationSpec(loci=parse_loci("IGH:2,TRG:1"), reads=3000, mode="mrd", seed=11,
                          tracer_fraction=1e-3, germline_dir=germline_dir)
    first, second = simulate(spec, tmp_path / "a"), simulate(spec, tmp_path / "b")
    for name in ("reads", "reads_truth", "clones_truth", "summary"):
        assert getattr(first, name).read_bytes() == getattr(second, name).read_bytes(), name
    other = simulate(SimulationSpec(**{**spec.__dict__, "seed": 12}), tmp_path / "c")
    assert other.reads.read_bytes() != first.reads.read_bytes()


def test_reads_are_their_clone_molecule_plus_counted_errors(diagnosis) -> None:
    records, reads, clones = diagnosis["records"], diagnosis["reads"], diagnosis["clones"]
    assert len(records) == len(reads) == 20_000
    for (identifier, sequence, qualities), read in zip(records, reads, strict=True):
        assert identifier == read["sequence_id"]
        assert len(qualities) == len(sequence)
        assert set(sequence) <= set("ACGT")
        if not read["clone_id"]:
            assert read["noise"] in ("random", "v_germline", "j_germline")
            continue
        template = expected_template(read, clones)
        assert mismatches(template, sequence) == int(read["errors"])


def test_reads_hold_the_whole_junction(diagnosis) -> None:
    clones = diagnosis["clones"]
    for read in diagnosis["reads"]:
        clone = clones.get(read["clone_id"])
        if clone is None or not clone["junction"]:
            continue
        junction_start, junction_end = int(clone["cdr3_start"]) - 4, int(clone["cdr3_end"]) + 3
        assert int(read["molecule_start"]) <= junction_start - 20
        assert int(read["molecule_end"]) >= junction_end + 10


def test_clone_truth_matches_the_germline_and_the_molecule(diagnosis) -> None:
    preset = diagnosis["preset"]
    alleles = {a.name: a for f in preset.files for a in preset.alleles(f)}
    for clone in diagnosis["clones"].values():
        sequence = clone["sequence"]
        v, j = alleles[clone["v_call"]], alleles[clone["j_call"]]
        v_start, v_end = int(clone["v_sequence_start"]), int(clone["v_sequence_end"])
        v_part = sequence[v_start - 1 : v_end]
        v_germline = v.sequence[: len(v.sequence) - int(clone["v_3p_del"])]
        mutations = mismatches(v_part, v_germline)
        if clone["locus"].startswith("TR") or float(clone["shm_rate"]) == 0:
            assert mutations == 0
        else:
            assert mutations == round(float(clone["shm_rate"]) * len(v_part))
        j_part = sequence[int(clone["j_sequence_start"]) - 1 : int(clone["j_sequence_end"])]
        assert j_part == j.sequence[int(clone["j_5p_del"]) :]
        assert int(clone["j_sequence_end"]) == len(sequence)
        for key in ("d", "d2"):
            if clone[f"{key}_call"]:
                d = alleles[clone[f"{key}_call"]]
                start, end = int(clone[f"{key}_sequence_start"]), int(clone[f"{key}_sequence_end"])
                kept = d.sequence[int(clone[f"{key}_5p_del"]) :
                                  len(d.sequence) - int(clone[f"{key}_3p_del"])]
                assert sequence[start - 1 : end] == kept
        np1_start = v_end
        np1_end = int(clone["d_sequence_start"] or clone["j_sequence_start"]) - 1
        assert sequence[np1_start:np1_end] == clone["np1"]
        assert int(clone["np1_length"]) == len(clone["np1"])


def test_clones_of_a_system_can_be_told_apart(diagnosis) -> None:
    """No two clones of a system share a 50-nt window (the detector's default) centred
    within 5 nt of the middle of their joint (where the 5' segment ends and the 3' one
    starts): a window-based detector can tell them apart.  5,000 clones of IGL (whose
    junction's middle lies in the V, 10 nt from the joint) and of TRG (few genes)."""
    for system in ("IGL", "TRG"):
        repertoire = Repertoire(diagnosis["preset"], [system], np.random.default_rng(1))
        holder: dict[str, str] = {}
        for clone in repertoire.draw_clones(system, "background", 5000):
            middle = (clone.segments[0].end + clone.segments[-1].start) // 2
            for shift in range(-5, 6):
                first = max(0, middle + shift - 25)
                window = clone.sequence[first : first + 50]
                other = holder.setdefault(window, clone.clone_id)
                assert other == clone.clone_id, (system, other, window)


def test_junction_translation_and_productivity_agree(diagnosis) -> None:
    productive = Counter()
    for clone in diagnosis["clones"].values():
        junction, sequence = clone["junction"], clone["sequence"]
        start = int(clone["cdr3_start"]) - 4
        assert sequence[start : start + len(junction)] == junction
        assert int(clone["junction_length"]) == len(junction)
        assert translate(junction) == clone["junction_aa"]
        assert junction[:3] in ("TGT", "TGC")  # ORF J may lack Phe/Trp118: not productive
        conserved = junction[-3:] in ("TTT", "TTC", "TGG")
        in_frame = len(junction) % 3 == 0
        stop = "*" in translate(sequence, start % 3)
        assert clone["vj_in_frame"] == ("T" if in_frame else "F")
        assert clone["stop_codon"] == ("T" if stop else "F")
        assert clone["productive"] == ("T" if in_frame and not stop and conserved else "F")
        productive[clone["productive"]] += 1
    share = productive["T"] / sum(productive.values())
    assert 0.7 < share < 0.9  # background 80% productive, dominant/minor 60%


def test_loci_noise_and_strands_have_the_asked_proportions(diagnosis) -> None:
    reads, sample = diagnosis["reads"], diagnosis["sample"]
    noise = [r for r in reads if r["noise"]]
    assert len(noise) == sample.noise_reads == 1000
    kinds = Counter(r["noise"] for r in noise)
    assert abs(kinds["random"] / 1000 - 0.4) < 0.06
    by_system = Counter(r["system"] for r in reads if r["clone_id"])
    assert by_system == sample.reads_by_system
    assert max(by_system.values()) - min(by_system.values()) <= 1
    assert set(by_system) == {"IGH", "IGK", "IGL", "TRA", "TRB", "TRD", "TRG"}
    reverse = sum(r["rev_comp"] == "T" for r in reads) / len(reads)
    assert abs(reverse - 0.5) < 0.02
    counts = Counter(r["clone_id"] for r in reads if r["clone_id"])
    assert counts == {c: int(row["duplicate_count"]) for c, row in diagnosis["clones"].items()}


def test_diagnosis_has_a_dominant_clone_per_locus(diagnosis) -> None:
    clones = list(diagnosis["clones"].values())
    share = json.loads(diagnosis["sample"].summary.read_text())["dominant_share"]
    assert 0.3 <= share <= 0.8
    for system, total in diagnosis["sample"].reads_by_system.items():
        mine = [c for c in clones if c["system"] == system]
        dominant = [c for c in mine if c["role"] == "dominant"]
        assert len(dominant) == 1
        assert int(dominant[0]["duplicate_count"]) == round(share * total)
        assert 2 <= sum(c["role"] == "minor" for c in mine) <= 4
        background = max(int(c["duplicate_count"]) for c in mine if c["role"] == "background")
        assert background < int(dominant[0]["duplicate_count"])


def test_shm_only_in_ig_loci(diagnosis) -> None:
    rates = {"IG": [], "TR": []}
    for clone in diagnosis["clones"].values():
        rates[clone["locus"][:2]].append(float(clone["shm_rate"]))
    assert max(rates["TR"]) == 0.0
    mutated = [rate for rate in rates["IG"] if rate > 0]
    assert 0.4 < len(mutated) / len(rates["IG"]) < 0.8
    assert 0.01 < np.mean(mutated) < 0.08 and max(mutated) <= 0.1


def test_error_rate_follows_the_qualities(diagnosis) -> None:
    """Substitutions happen with probability 10^(-Q/10): observed vs expected errors."""
    clones = diagnosis["clones"]
    observed: Counter[int] = Counter()
    bases: Counter[int] = Counter()
    for (_, sequence, qualities), read in zip(diagnosis["records"], diagnosis["reads"],
                                              strict=True):
        if not read["clone_id"]:
            continue
        template = expected_template(read, clones)
        for truth, base, quality in zip(template, sequence, qualities, strict=True):
            q = ord(quality) - 33
            bases[q] += 1
            observed[q] += truth != base
    total_expected = sum(bases[q] * PHRED_ERROR[q] for q in bases)
    total_observed = sum(observed.values())
    assert abs(total_observed - total_expected) < 5 * np.sqrt(total_expected)
    for low, high in ((2, 10), (10, 20), (20, 30), (30, 42)):
        expected = sum(bases[q] * PHRED_ERROR[q] for q in range(low, high))
        seen = sum(observed[q] for q in range(low, high))
        assert abs(seen - expected) < 5 * np.sqrt(expected) + 3, (low, high, seen, expected)
    rate = total_observed / sum(bases.values())
    assert 0.002 < rate < 0.01  # MiSeq-like


def test_polyclonal_and_mrd_modes(tmp_path: Path, germline_dir: Path) -> None:
    spec = SimulationSpec(loci=(("TRB", 1.0),), reads=20_000, mode="polyclonal", seed=3,
                          germline_dir=germline_dir)
    polyclonal = read_tsv(simulate(spec, tmp_path / "p").clones_truth)
    counts = sorted((int(c["duplicate_count"]) for c in polyclonal), reverse=True)
    assert {c["role"] for c in polyclonal} == {"background"}
    assert counts[0] < 0.1 * sum(counts) and len(counts) > 1000
    assert sum(count <= 3 for count in counts) > 100  # a tail of small clones

    mrd = SimulationSpec(**{**spec.__dict__, "mode": "mrd", "tracer_fraction": 1e-3,
                            "loci": (("IGH", 1.0), ("TRG", 3.0))})
    clones = read_tsv(simulate(mrd, tmp_path / "m").clones_truth)
    tracer = [c for c in clones if c["role"] == "tracer"]
    assert len(tracer) == 1 and tracer[0]["system"] == "TRG"
    assert int(tracer[0]["duplicate_count"]) == 20


def test_incomplete_systems_start_in_the_d(tmp_path: Path, germline_dir: Path) -> None:
    spec = SimulationSpec(loci=parse_loci("IGH+,TRD+,TRA+D"), reads=3000, seed=5,
                          germline_dir=germline_dir)
    sample = simulate(spec, tmp_path)
    clones = {c["clone_id"]: c for c in read_tsv(sample.clones_truth)}
    for clone in clones.values():
        if clone["system"] == "IGH+":
            assert not clone["v_call"] and clone["d_call"].startswith("IGHD")
            assert clone["j_call"].startswith("IGHJ") and not clone["junction"]
            assert clone["d_sequence_start"] == "1"
        if clone["system"] == "TRD+" and not clone["j_call"]:
            assert clone["d_call"] == "TRDD3*01" or clone["d2_call"] == "TRDD3*01"
    for (_, sequence, _), read in zip(read_records(sample.reads), read_tsv(sample.reads_truth),
                                      strict=True):
        if read["clone_id"]:
            assert mismatches(sequence, expected_template(read, clones)) == int(read["errors"])


def test_long_reads_cover_the_whole_molecule(tmp_path: Path, germline_dir: Path) -> None:
    spec = SimulationSpec(loci=(("IGK", 1.0),), reads=500, read_length=1000, noise=0.0,
                          errors="none", fasta=True, gzip=False, seed=2,
                          germline_dir=germline_dir)
    sample = simulate(spec, tmp_path)
    assert sample.reads.name == "sample.fasta"
    clones = {c["clone_id"]: c for c in read_tsv(sample.clones_truth)}
    for (_, sequence, _), read in zip(read_records(sample.reads), read_tsv(sample.reads_truth),
                                      strict=True):
        molecule = clones[read["clone_id"]]["sequence"]
        assert read["errors"] == "0"
        assert sequence in (molecule, reverse_complement(molecule))


def test_short_reads_are_centred_on_the_junction(tmp_path: Path, germline_dir: Path) -> None:
    spec = SimulationSpec(loci=(("TRG", 1.0),), reads=1000, read_length=60, noise=0.0,
                          errors="none", seed=2, germline_dir=germline_dir)
    sample = simulate(spec, tmp_path)
    clones = {c["clone_id"]: c for c in read_tsv(sample.clones_truth)}
    for (_, sequence, _), read in zip(read_records(sample.reads), read_tsv(sample.reads_truth),
                                      strict=True):
        clone = clones[read["clone_id"]]
        assert 50 <= len(sequence) <= 70
        middle = (int(clone["cdr3_start"]) + int(clone["cdr3_end"])) // 2
        assert int(read["molecule_start"]) < middle < int(read["molecule_end"])


def test_iontorrent_errors_are_homopolymer_indels(tmp_path: Path, germline_dir: Path) -> None:
    spec = SimulationSpec(loci=(("TRB", 1.0),), reads=400, errors="iontorrent", noise=0.0,
                          seed=4, germline_dir=germline_dir)
    sample = simulate(spec, tmp_path)
    clones = {c["clone_id"]: c for c in read_tsv(sample.clones_truth)}
    length_changed = 0
    for (_, sequence, qualities), read in zip(read_records(sample.reads),
                                              read_tsv(sample.reads_truth), strict=True):
        template = expected_template(read, clones)
        assert edit_distance(sequence, template) <= int(read["errors"])
        assert len(qualities) == len(sequence)
        length_changed += len(sequence) != len(template)
    assert length_changed > 20


def test_follow_up_shares_clones_and_the_dominant_falls(tmp_path: Path,
                                                        germline_dir: Path) -> None:
    spec = SimulationSpec(loci=(("IGH", 1.0),), reads=30_000, mode="diagnosis", seed=9,
                          dominant_fraction=0.5, name="patient", germline_dir=germline_dir)
    samples = simulate_follow_up(spec, tmp_path, 3)
    assert [s.name for s in samples] == ["patient-t1", "patient-t2", "patient-t3"]
    tables = [{c["clone_id"]: c for c in read_tsv(s.clones_truth)} for s in samples]
    dominant = next(c for c, row in tables[0].items() if row["role"] == "dominant")
    recombined = samples[0].reads_by_system["IGH"]
    expected = [round(0.5 * recombined), round(1e-2 * recombined), round(1e-4 * recombined)]
    assert [int(t[dominant]["duplicate_count"]) for t in tables] == expected
    shared = set(tables[1]) & set(tables[2])
    assert len(shared) > 0.5 * len(tables[2])
    for clone_id in shared:
        assert tables[1][clone_id]["sequence"] == tables[2][clone_id]["sequence"]


def test_mouse_preset(tmp_path: Path, germline_dir: Path) -> None:
    spec = SimulationSpec(germline="mus-musculus", reads=2000, seed=1, germline_dir=germline_dir)
    sample = simulate(spec, tmp_path)
    calls = [c["v_call"] for c in read_tsv(sample.clones_truth)]
    assert len(sample.reads_by_system) == 7 and all(calls)


def test_cli_writes_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture,
                               germline_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDJIL_GERMLINE_DIR", str(germline_dir))
    main(["simulate", "--loci", "IGH:0.5,TRG:0.5", "--reads", "2000", "--mode", "diagnosis",
          "--seed", "1", "--name", "demo", "-q", "-o", str(tmp_path)])
    out = capsys.readouterr().out
    assert "2000 reads" in out and "IGH 950" in out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["demo.clones.tsv", "demo.fastq.gz", "demo.reads.tsv",
                     "demo.simulation.json"]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--loci", "FOO:1"], "no system 'FOO'"),
    (["--loci", "IGH:0,TRG:0"], "must sum to a positive number"),
    (["--loci", "IGH:-1,TRG:2"], "weight of IGH must be a number >= 0"),
    (["--loci", "IGH:x"], "is not LOCUS:WEIGHT"),
    (["--loci", "IGK+"], "IGK+ cannot be simulated"),
    (["--reads", "-5"], "--reads must be at least 1"),
    (["--noise", "1.5"], "--noise must be a fraction"),
    (["--name", "a/b"], "must be a file stem"),
    (["--timepoints", "3", "--mode", "mrd"], "a follow-up starts with a diagnosis"),
    (["-g", "no-such-species"], "no germline preset 'no-such-species'"),
])
def test_cli_rejects_bad_options(arguments: list[str], message: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture, germline_dir: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDJIL_GERMLINE_DIR", str(germline_dir))
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "-q", "-o", str(tmp_path), *arguments])
    assert exit_info.value.code != 0
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
    assert not list(tmp_path.iterdir())


def test_missing_germline_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "homo-sapiens.g").write_text(
        '{"systems": {"IGH": {"recombinations": [{"5": ["IGHV.fa"], "3": ["IGHJ.fa"]}]}}}')
    with pytest.raises(GermlineError, match="vidjil germline build"):
        simulate(SimulationSpec(reads=10, germline_dir=tmp_path), tmp_path / "out")
    with pytest.raises(UsageError, match="--mode"):
        simulate(SimulationSpec(reads=10, mode="clonal", germline_dir=tmp_path), tmp_path)


def test_model_helpers() -> None:
    assert allocate(10, [1, 1, 1]).tolist() == [4, 3, 3]
    assert allocate(7, [0.5, 0.5]).sum() == 7
    cdf = Count(4.0, 12).cdf()
    assert len(cdf) == 13 and cdf[-1] == 1.0 and bool(np.all(np.diff(cdf) >= 0))
    mean = sum(k * (cdf[k] - (cdf[k - 1] if k else 0)) for k in range(13))
    assert 3.5 < mean < 4.0  # the cap folds a little of the tail
    assert genes_in_order("TRBD1", "TRBJ1-2") and not genes_in_order("TRBD2", "TRBJ1-2")
    assert genes_in_order("TRDD2", "TRDD3") and not genes_in_order("TRDD3", "TRDD1")
