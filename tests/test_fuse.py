"""Fuse: the samples of a set joined clone by clone (issue 4), on hand-made results."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from vidjil_kernel.formats.airr import write_airr
from vidjil_kernel.formats.vidjil import read_vidjil_samples, write_vidjil
from vidjil_kernel.fuse import FuseSample, fuse, kept_clones, load_result, write_fused
from vidjil_kernel.fuse.overlap import jaccard, morisita_horn
from vidjil_kernel.results import Clone, Designation, Diversity, Junction, SampleResult, SegmentCall


def _clone(clone_id: str, reads: int, locus: str = "IGH", v: str | None = None,
           length: float = 250.0) -> Clone:
    designation = None
    if v is not None:
        junction = Junction(start=10, end=46, nt="T" * 36, aa="C" * 12, productive=True)
        designation = Designation(locus=locus, v=SegmentCall([f"{v}*01"], 0, 12, del_right=1),
                                  j=SegmentCall([f"{locus}J4*02"], 40, 60, del_left=2),
                                  inserts=["ACG"], junction=junction)
    return Clone(id=clone_id, locus=locus, reads=reads, sequence=clone_id * 2, window_start=0,
                 average_read_length=length, evalue=1e-9, designation=designation)


def _result(name: str, clones: list[Clone], total: int) -> SampleResult:
    by_locus: dict[str, int] = {}
    for clone in clones:
        by_locus[clone.locus] = by_locus.get(clone.locus, 0) + clone.reads
    analysed = sum(by_locus.values())
    return SampleResult(original_name=name, producer="test", timestamp="2024-01-01 10:00:00",
                        commandline="vidjil detect", total_reads=total,
                        analysed_reads=analysed, reads_by_locus=by_locus,
                        reasons={"too short": total - analysed},
                        clones=sorted(clones, key=lambda c: -c.reads),
                        diversity={"all": Diversity(1.0, 0.5, 0.25)})


def _samples() -> list[FuseSample]:
    diagnosis = _result("dx.fq", [_clone("AAAA", 900, v="IGHV3-9"), _clone("CCCC", 50),
                                  _clone("GGGG", 30, v="IGHV1-2"), _clone("TTTT", 20, "TRG"),
                                  _clone("ACAC", 5, "TRG")], 1200)
    follow = _result("fu.fq", [_clone("AAAA", 10, v="IGHV3-9", length=240.4),
                               _clone("CCCC", 300), _clone("GTGT", 200, v="IGHV1-2")], 600)
    relapse = _result("rel.fq", [_clone("AAAA", 700, v="IGHV3-9")], 800)
    return [FuseSample(follow, "fu.fq", dt.date(2024, 3, 1), 2, 20),
            FuseSample(relapse, "rel.fq", None, 3, 30),
            FuseSample(diagnosis, "dx.fq", dt.date(2024, 1, 1), 1, 10)]


def test_kept_clones_are_the_top_and_each_locus_top() -> None:
    result = _samples()[2].result
    assert kept_clones(result, top=2, per_locus=1) == ["AAAA", "CCCC", "TTTT"]
    assert kept_clones(result, top=1, per_locus=0) == ["AAAA"]
    assert kept_clones(result, top=10, per_locus=0) == ["AAAA", "CCCC", "GGGG", "TTTT", "ACAC"]


def test_fused_clones_have_reads_per_sample_with_zeros_in_date_order() -> None:
    data = fuse(_samples(), top=2, per_locus=1)
    samples = data["samples"]
    assert samples["number"] == 3
    assert samples["original_names"] == ["dx.fq", "fu.fq", "rel.fq"]  # by date, undated last
    assert samples["sampling_date"] == ["2024-01-01", "2024-03-01", None]
    assert samples["sample_id"] == [1, 2, 3] and samples["result_id"] == [10, 20, 30]
    assert data["reads"]["total"] == [1200, 600, 800]
    assert data["reads"]["segmented"] == [1005, 510, 700]
    assert data["reads"]["germline"] == {"IGH": [980, 510, 700], "TRG": [25, 0, 0]}
    assert data["reads"]["not_analysed"] == {"too short": [195, 90, 100]}
    reads = {clone["id"]: clone["reads"] for clone in data["clones"]}
    # union of the top 2 of each sample and of the top TRG clone of the diagnosis
    assert reads == {"AAAA": [900, 10, 700], "CCCC": [50, 300, 0], "GTGT": [0, 200, 0],
                     "TTTT": [20, 0, 0]}
    tops = {clone["id"]: clone["top"] for clone in data["clones"]}
    assert tops == {"AAAA": 1, "CCCC": 1, "GTGT": 2, "TTTT": 4}
    assert [clone["id"] for clone in data["clones"]] == ["AAAA", "CCCC", "GTGT", "TTTT"]
    assert data["clones"][0]["name"] == "IGHV3-9*01 1/ACG/2 IGHJ4*02"  # designated version
    assert data["clones"][0]["_average_read_length"] == [250.0, 240.4, 250.0]
    assert data["clones"][2]["_average_read_length"] == [None, 250.0, None]
    assert data["fuse"] == {"top": 2, "per_locus": 1, "clones": 4}


def test_overlaps_and_diversity_between_samples() -> None:
    data = fuse(_samples())
    mh, jac = data["overlaps"]["morisita_horn"], data["overlaps"]["jaccard"]
    assert data["overlaps"]["samples"] == ["dx.fq", "fu.fq", "rel.fq"]
    assert [mh[i][i] for i in range(3)] == [1.0, 1.0, 1.0] and mh[0][1] == mh[1][0]
    assert jac[0][1] == pytest.approx(2 / 6)  # AAAA, CCCC shared of 6 clones
    assert jac[0][2] == pytest.approx(1 / 5)
    x, y = {"A": 900, "C": 50}, {"A": 10, "C": 300}
    dx = (900 ** 2 + 50 ** 2) / 950 ** 2
    dy = (10 ** 2 + 300 ** 2) / 310 ** 2
    assert morisita_horn(x, y) == pytest.approx(2 * (9000 + 15000) / ((dx + dy) * 950 * 310))
    assert morisita_horn(x, {}) == 0.0 and jaccard({}, {}) == 0.0
    assert data["diversity"]["index_H_entropy"] == [1.0, 1.0, 1.0]


def test_distributions_count_every_clone_not_only_the_kept_ones() -> None:
    data = fuse(_samples(), top=1, per_locus=0)
    assert len(data["clones"]) == 2  # AAAA (top of dx and rel), CCCC (top of fu)
    assert data["distributions"]["keys"] == ["clones", "reads"]
    dx = {tuple(d["axes"]): d["values"] for d in data["distributions"]["repertoires"]["dx.fq"]}
    assert dx[("germline",)] == {"IGH": [3, 980], "TRG": [2, 25]}
    assert dx[("seg5",)] == {"IGHV3-9": [1, 900], "?": [3, 75], "IGHV1-2": [1, 30]}
    assert dx[("seg3", "seg5")] == {"IGHJ4": {"IGHV3-9": [1, 900], "IGHV1-2": [1, 30]},
                                    "?": {"?": [3, 75]}}
    assert dx[("lenCDR3",)] == {"30": [2, 930], "?": [3, 75]}
    fu = {tuple(d["axes"]): d["values"] for d in data["distributions"]["repertoires"]["fu.fq"]}
    assert fu[("lenSeqAverage",)] == {"240": [1, 10], "250": [2, 500]}


def test_a_fused_file_reads_back_as_its_samples(tmp_path: Path) -> None:
    path = write_fused(_samples(), tmp_path / "sets" / "set.vidjil", top=2, per_locus=1)
    back = read_vidjil_samples(path)
    assert [(r.original_name, r.total_reads, r.analysed_reads) for r in back] == [
        ("dx.fq", 1200, 1005), ("fu.fq", 600, 510), ("rel.fq", 800, 700)]
    assert [{c.id: c.reads for c in r.clones} for r in back] == [
        {"AAAA": 900, "CCCC": 50, "TTTT": 20}, {"AAAA": 10, "CCCC": 300, "GTGT": 200},
        {"AAAA": 700}]
    assert math.isclose(back[1].clones[0].average_read_length, 240.4)
    assert not list(tmp_path.glob("sets/.*.tmp"))  # written under a temporary name, renamed
    json.loads(path.read_text())  # strict JSON: no NaN


def test_vidjil_and_airr_results_fuse_together(tmp_path: Path) -> None:
    samples = _samples()
    write_vidjil(samples[2].result, tmp_path / "dx.vidjil")
    write_airr(samples[0].result, tmp_path / "fu.airr.tsv")
    loaded = [FuseSample(load_result(tmp_path / "dx.vidjil"), "dx.fq", dt.date(2024, 1, 1)),
              FuseSample(load_result(tmp_path / "fu.airr.tsv"), "fu.fq", dt.date(2024, 3, 1))]
    data = fuse(loaded)
    assert data["reads"]["total"] == [1200, 510]  # AIRR has no totals: its clones' reads
    reads = {clone["id"]: clone["reads"] for clone in data["clones"]}
    assert reads["AAAA"] == [900, 10] and reads["GTGT"] == [0, 200]
    assert len(data["diversity"]["index_H_entropy"]) == 2  # computed for the AIRR sample
    assert data["diversity"]["index_H_entropy"][1] > 0
