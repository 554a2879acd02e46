"""The should-vdj header syntax and the scoring of designations against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidjil_kernel.designate.conformance import (
    MISSING,
    RIGHT,
    WRONG,
    Report,
    known_names,
    score_expectation,
)
from vidjil_kernel.designate.expectations import (
    HeaderError,
    Link,
    parse_header,
    read_expectations,
)
from vidjil_kernel.results import Designation, Junction, SegmentCall


def test_alternatives_locus_and_junctions() -> None:
    alternatives, locus, junctions, tags, _ = parse_header(
        "IGHV3-48*01 0/AA/6 IGHD5-12*01 (2//7, 3//6, 4//5) IGHJ4*02  [IGH]  "
        "({CARENSGYD!DYW}, {CARENSGY!FDYW})")
    assert locus == "IGH" and not tags
    assert junctions == ["CARENSGYD!DYW", "CARENSGY!FDYW"]
    assert len(alternatives) == 3
    assert all(a.segments == ("IGHV3-48*01", "IGHD5-12*01", "IGHJ4*02") for a in alternatives)
    assert [a.links[1] for a in alternatives] == [Link(2, "", 7), Link(3, "", 6), Link(4, "", 5)]
    assert alternatives[0].links[0] == Link(0, "AA", 6)


def test_alternatives_spanning_several_terms_and_insert_lengths() -> None:
    alternatives, locus, junctions, _, _ = parse_header(
        "IGKV1-5*03 (9/4/1 IGKJ1*01, 9/7/4 IGKJ4*02)  [IGK]  {CQQYNRLWTF}")
    assert [a.segments for a in alternatives] == [("IGKV1-5*03", "IGKJ1*01"),
                                                  ("IGKV1-5*03", "IGKJ4*02")]
    assert alternatives[1].links[0] == Link(9, 7, 4)
    assert alternatives[1].links[0].insert_length == 7
    assert locus == "IGK" and junctions == ["CQQYNRLWTF"]


def test_old_headers_with_underscores_and_two_spaces_before_the_locus() -> None:
    alternatives, locus, _, _, _ = parse_header("TRDV1*01_5//3_TRDD2*01_1//7_TRAJ29*01__TRA+D")
    assert locus == "TRA+D"
    assert alternatives[0].segments == ("TRDV1*01", "TRDD2*01", "TRAJ29*01")
    assert alternatives[0].links == (Link(5, "", 3), Link(1, "", 7))


def test_tags_comments_optional_parts_and_missing_five_prime() -> None:
    alternatives, locus, junctions, tags, comment = parse_header(
        "TRAV29/DV5*01 3/CACCGAGA/3 TRDD2 TRDJ1  [TRD+] BUG BUG-LOCUS # 2nd clone")
    assert tags == ["BUG", "BUG-LOCUS"] and comment == "2nd clone"
    assert alternatives[0].segments == ("TRAV29/DV5*01", "TRDD2", "TRDJ1")
    assert alternatives[0].links == (Link(3, "CACCGAGA", 3), None)
    assert locus == "TRD+" and not junctions
    alternatives, _, _, _, _ = parse_header("1/TGAGG/5 IGHD2-15*01 1/AACG/5 IGHJ5*02  [IGH]")
    assert alternatives[0].segments == ("", "IGHD2-15*01", "IGHJ5*02")
    assert alternatives[0].links[0] == Link(1, "TGAGG", 5)


def test_braces_holding_n_regions_are_alternatives() -> None:
    alternatives, locus, junctions, _, _ = parse_header(
        "IGKV2D-30*01 {6//4, 5//5, 4//6} IGKV3-20*01 [unexpected]")
    assert len(alternatives) == 3 and not junctions and locus == "unexpected"


def test_bad_header() -> None:
    with pytest.raises(HeaderError):
        parse_header("IGHV1-2*01 (1//2 IGHJ4*02")
    with pytest.raises(HeaderError):
        parse_header("IGHV1-2*01 1//2 3//4 IGHJ4*02")


def test_read_expectations(tmp_path: Path) -> None:
    path = tmp_path / "x.should-vdj.fa"
    path.write_text("../data/elsewhere.fa\n# a comment\n>TRGV5*01 4/AG/5 TRGJP2*01  [TRG]\n"
                    "ggaagg\nCCCAC\n\n# between\n>TRGV11 TRGJ1  [TRG] TODO\nACGT\n")
    first, second = read_expectations(path)
    assert first.sequence == "GGAAGGCCCAC" and first.line == 3 and first.index == 1
    assert second.tagged and second.alternatives[0].segments == ("TRGV11", "TRGJ1")
    with pytest.raises(HeaderError, match="bad.should-vdj.fa, line 1"):
        (tmp_path / "bad.should-vdj.fa").write_text(">A (B\nACGT\n")
        read_expectations(tmp_path / "bad.should-vdj.fa")


def call(alleles: list[str], del_left: int | None = None,
         del_right: int | None = None) -> SegmentCall:
    return SegmentCall(alleles, 0, 1, del_left=del_left, del_right=del_right, score=10.0)


V = call(["IGHV3-9*01", "IGHV3-9*02"], del_right=7)
D = call(["IGHD1-1*01"], del_left=2, del_right=5)
J = call(["IGHJ6*02"], del_left=4)
VDJ = Designation("IGH", V, J, [D], ["CCCGGA", "TT"],
                  junction=Junction(0, 3, "TGT", "CARW", True))
NAMES = known_names(["IGHV3-9*01", "IGHV3-9*02", "IGHV3-9*03", "IGHV3-11*01", "IGHD1-1*01",
                     "IGHJ6*02", "TRBD1*01", "IGKV3-7*04"])
LENGTHS = {"IGHV3-9*01": 296, "IGHD1-1*01": 17, "IGHJ6*02": 62, "TRBD1*01": 12}


def outcome(header: str, designation: Designation | None = VDJ):
    from vidjil_kernel.designate.expectations import Expectation

    alternatives, locus, junctions, tags, _ = parse_header(header)
    expectation = Expectation("f", 1, 1, header, "ACGT", alternatives, locus, junctions, tags)
    return score_expectation(expectation, designation, NAMES, LENGTHS)


@pytest.mark.parametrize("header, status, reason", [
    ("IGHV3-9*01 7/CCCGGA/2 IGHD1-1*01 5/TT/4 IGHJ6*02 [IGH] {CARW}", RIGHT, ""),
    ("IGHV3-9*02 7/6/2 IGHD1-1 5/2/4 IGHJ6", RIGHT, ""),
    ("IGHV3-9 IGHJ6*02 [IGH]", RIGHT, ""),  # no N region given: the D may be there
    ("IGHV 7/CCCGGA/2 IGHD1-1*01 IGHJ6*02", RIGHT, ""),
    ("IGHV3-9*03 IGHD1-1*01 IGHJ6*02", WRONG, "alleles"),
    ("IGHV3-11 IGHD1-1*01 IGHJ6*02", WRONG, "genes"),
    ("IGHV3-9*01 7/8/1 IGHJ6*02", WRONG, "genes"),  # N given: no D in between
    ("IGHV3-9*01 7/CCCGGA/3 IGHD1-1*01 IGHJ6*02", WRONG, "deletions/inserts"),
    ("IGHV3-9*01 IGHD1-1*01 IGHJ6*02 {CARF}", WRONG, "junction"),
    ("(IGHV3-9*01 1/A/1 IGHJ6*02, IGHV3-9*01 7/CCCGGA/2 IGHD1-1*01 IGHJ6*02)", RIGHT, ""),
    ("IGKV3-7*04 1/GTGGA/11 KDE [IGK+]", MISSING, "no KDE in the germline"),
    ("TRBD1*01 10/4/2 IGHJ6*02", MISSING, "TRBD1*01: 2 of 12 nt left (needs its flank)"),
])
def test_scoring(header: str, status: str, reason: str) -> None:
    result = outcome(header)
    assert (result.status, result.reason) == (status, reason)


def test_locus_and_nothing_found() -> None:
    assert outcome("IGHV3-9 IGHJ6 [IGH]").locus_right is True
    assert outcome("IGHV3-9 IGHJ6 [IGH+]").locus_right is False
    nothing = outcome("IGHV3-9 IGHJ6 [IGH]", Designation("", None, None))
    assert nothing.status == WRONG and nothing.reason == "no designation"


def test_report_counts_and_table() -> None:
    report = Report({"a.fa": [outcome("IGHV3-9 IGHJ6 [IGH]"), outcome("IGHV3-11 IGHJ6 TODO"),
                              outcome("KDE IGHJ6")]})
    counts = report.counts()
    assert counts["overall"]["right"] == 1 and counts["overall"]["wrong"] == 1
    assert counts["overall"]["missing"] == 1 and counts["overall"]["tagless"] == 2
    assert counts["files"]["a.fa"]["locus_right"] == 1
    assert "a.fa" in report.table() and len(report.failures()) == 1
