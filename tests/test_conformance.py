"""Conformance: the curated designations of ``../shared/data/should-vdj`` (see its README).

Every sequence is designated as `vidjil designate` does (the k-mer detection
chooses the system, never the expected locus), scored against its header, and
tallied per file and overall.
The run prints a table, writes ``build/conformance.json`` (every outcome) and
fails when a count falls below ``tests/conformance_baseline.json``: the score
never goes back.  After an improvement, raise the baseline with
``VIDJIL_UPDATE_BASELINE=1 python -m pytest tests/test_conformance.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vidjil_kernel.designate.conformance import Report, known_names, run_collection
from vidjil_kernel.detect.pipeline import DetectOptions, Detector
from vidjil_kernel.germline import load_preset
from vidjil_kernel.results import Designation
from vidjil_kernel.settings import SOURCE_ROOT

BASELINE = Path(__file__).with_name("conformance_baseline.json")
ARTIFACT = SOURCE_ROOT / "build" / "conformance.json"
#: counts that must never decrease, per file and overall
KEPT = ("right", "tagless_right", "genes_right", "alleles_right", "links_right", "locus_right",
        "junction_right")


def designate_sequence(detector: Detector, sequence: str) -> Designation:
    """The designation `vidjil designate` gives a sequence: k-mer system, then DP."""
    return detector.designate_sequences([sequence])[0][1]


def regressions(counts: dict, baseline: dict) -> list[str]:
    """What fell below the baseline (files new to the collection are not compared)."""
    found = []
    scopes = [("overall", counts["overall"], baseline["overall"])]
    for name, kept in baseline["files"].items():
        if name not in counts["files"]:
            found.append(f"{name}: in the baseline but not in the collection")
            continue
        scopes.append((name, counts["files"][name], kept))
    for name, now, kept in scopes:
        for key in KEPT:
            if now[key] < kept[key]:
                found.append(f"{name}: {key} {now[key]} < baseline {kept[key]}")
    return found


def _write_baseline(counts: dict) -> None:
    kept = {"overall": {k: counts["overall"][k] for k in KEPT},
            "files": {name: {k: tally[k] for k in KEPT}
                      for name, tally in counts["files"].items()}}
    BASELINE.write_text(json.dumps(kept, indent=1, sort_keys=True) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def report(germline_dir: Path, shared_data: Path) -> Report:
    preset = load_preset("homo-sapiens", germline_dir)
    detector = Detector(preset, DetectOptions(unexpected=True))
    alleles = [a for file in preset.files for a in preset.alleles(file)]
    lengths = {a.name: len(a.sequence) for a in alleles}
    result = run_collection(shared_data / "should-vdj",
                            lambda sequence: designate_sequence(detector, sequence),
                            known_names([a.name for a in alleles]), lengths)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    result.write_json(ARTIFACT)
    return result


@pytest.mark.slow
@pytest.mark.germline
def test_conformance_never_goes_back(report: Report) -> None:
    print()
    print(report.table())
    for failure in report.failures():
        print(f"FAIL {failure.name} [{failure.reason}] expected {failure.header} "
              f"got {failure.designation} [{failure.locus_found}] {{{failure.junction_found}}}")
    counts = report.counts()
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    below = regressions(counts, baseline)
    assert not below, "conformance below the baseline:\n" + "\n".join(below)
    if os.environ.get("VIDJIL_UPDATE_BASELINE"):
        _write_baseline(counts)


def test_regressions_are_found() -> None:
    counts = {"overall": dict.fromkeys(KEPT, 5),
              "files": {"a.fa": dict.fromkeys(KEPT, 2), "b.fa": dict.fromkeys(KEPT, 3)}}
    baseline = {"overall": dict.fromkeys(KEPT, 5),
                "files": {"a.fa": {**dict.fromkeys(KEPT, 2), "right": 3},
                          "gone.fa": dict.fromkeys(KEPT, 0)}}
    assert regressions(counts, baseline) == [
        "gone.fa: in the baseline but not in the collection", "a.fa: right 2 < baseline 3"]
