"""Cys104 / Phe-Trp118 anchors: synthetic cases, known alleles, and the packages' tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vidjil_kernel.germline.alleles import Allele, read_germline_fasta
from vidjil_kernel.germline.anchors import (
    cys104_anchor,
    phe_trp118_anchor,
    translate,
    v_reading_frame,
)
from vidjil_kernel.germline.sources import MIRPY, TCR_EXPLORER
from vidjil_kernel.germline.validation import j_motif_agreement, region_annotation_agreement

# A made-up V-like body, codon by codon: no stop and no Cys in frame 0, stops in frames
# 1 and 2 (GTA AAT GAT reads TAA in frame 1 and TGA in frame 2), as in real V genes.
BODY = "".join([
    "CAG", "GTG", "CAA", "CTG", "GTG", "GAA", "TCT", "GGT", "GGA", "GGA", "TTG", "GTC",
    "GTA", "AAT", "GAT", "CTG", "AGA", "CTC", "TCC", "AGT", "GCA", "GCC",
] * 3)


def test_translate_reads_frames_and_marks_unknown_codons() -> None:
    assert translate("ATGTGTTAA") == "MC*"
    assert translate("AATGTGT", 1) == "MC"
    assert translate("ATGNNNTGT") == "MXC"


def test_cys104_is_the_cys_after_yy_not_a_later_one() -> None:
    # ... Y Y C A C D T : the conserved Cys is the first one (TRDV2-like 3' end)
    sequence = BODY + "GCTGTGTATTACTGTGCCTGTGACACC"
    anchor = cys104_anchor(sequence)
    assert anchor == len(BODY) + 12
    assert translate(sequence[anchor - 6 : anchor + 3]) == "YYC"


def test_cys104_prefers_y_c_motif_over_a_cys_after_it() -> None:
    # ... L Y C T C S A : a Cys after Y beats a later Cys after C-T
    sequence = BODY + "CTCTACTGCACCTGCAGTGCC"
    assert cys104_anchor(sequence) == len(BODY) + 6


def test_frame_of_a_v_partial_in_5() -> None:
    sequence = BODY + "GCCGTGTATTACTGTGCGAGAGA"
    for cut in (0, 1, 2):
        assert v_reading_frame(sequence[cut:]) == (3 - cut) % 3
        assert cys104_anchor(sequence[cut:]) == cys104_anchor(sequence) - cut


def test_v_truncated_before_cys104_has_no_anchor() -> None:
    assert cys104_anchor(BODY + "GCCGTGTATTAC") is None


def test_v_frameshifted_pseudogene_finds_the_strong_3_prime_motif() -> None:
    # IMGT's codon start (frame 0) is off at the 3' end after a one-base deletion
    sequence = BODY + "A" + "GCCGTGTATTACTGTGCGAGA"
    anchor = cys104_anchor(sequence, frame=0)
    assert anchor is not None and anchor % 3 == 1
    assert translate(sequence[anchor - 6 : anchor + 3]) == "YYC"


def test_j_conserved_motif_and_its_variants() -> None:
    j = "GCTTCTTCGACAAC" + "TGGGGCCAGGGAACC" + "CTGGTGACCGTGTCATCAG"
    assert phe_trp118_anchor(j) == 14
    assert translate(j[14:26]) == "WGQG"
    # F-A-R-G: only the second glycine is kept
    j_relaxed = "GGTATCCAGAAGGCAAGTAGCTGATC" + "TTTGCAAGGGGAACC" + "ATGCTAAAGGTGGAACTTA"
    assert phe_trp118_anchor(j_relaxed) == 26
    # V-G-P-G: the F/W itself is mutated, codon 118 is still placed by G-X-G
    j_mutated = "CTACTTCGAACAATAC" + "GTCGGGCCGGGCACC" + "AGACTCACAGTAACAG"
    assert phe_trp118_anchor(j_mutated) == 16


def test_j_motif_in_the_frame_imgt_gives() -> None:
    j = "GCTTCTTCGACAAC" + "TGGGGCCAGGGAACC" + "CTGGTGACCGTGTCATCAG"
    assert phe_trp118_anchor(j, frame=2) == 14
    assert phe_trp118_anchor(j, frame=0) != 14


def _allele(directory: Path, file_name: str, name: str) -> Allele:
    return next(a for a in read_germline_fasta(directory / file_name) if a.name == name)


@pytest.mark.parametrize(
    ("file_name", "name", "motif"),
    [
        ("IGHV.fa", "IGHV3-23*01", "YYCAK"),
        ("IGHV.fa", "IGHV1-2*02", "YYCAR"),
        ("IGKV.fa", "IGKV1-39*01", "YYCQQ"),
        ("TRBV.fa", "TRBV20-1*01", "YICSA"),
        ("TRGV.fa", "TRGV9*01", "YYCAL"),
        ("TRDV.fa", "TRDV2*01", "YYCAC"),
    ],
)
def test_cys104_of_known_v_alleles(germline_dir: Path, file_name: str, name: str,
                                   motif: str) -> None:
    allele = _allele(germline_dir / "homo-sapiens", file_name, name)
    assert allele.anchor is not None
    assert translate(allele.sequence[allele.anchor - 6 : allele.anchor + 9]) == motif


@pytest.mark.parametrize(
    ("file_name", "name", "motif"),
    [
        ("IGHJ.fa", "IGHJ4*02", "WGQG"),
        ("IGHJ.fa", "IGHJ6*01", "WGQG"),
        ("IGKJ.fa", "IGKJ1*01", "FGQG"),
        ("TRBJ.fa", "TRBJ2-7*01", "FGPG"),
        ("TRBJ.fa", "TRBJ2-7*02", "VGPG"),
        ("TRGJ.fa", "TRGJ1*01", "FGSG"),
        ("TRDJ.fa", "TRDJ3*01", "FGTG"),
        ("TRAJ.fa", "TRAJ16*01", "FARG"),
    ],
)
def test_phe_trp118_of_known_j_alleles(germline_dir: Path, file_name: str, name: str,
                                       motif: str) -> None:
    allele = _allele(germline_dir / "homo-sapiens", file_name, name)
    assert allele.anchor is not None
    assert translate(allele.sequence[allele.anchor : allele.anchor + 12]) == motif


def _built_files(directory: Path) -> dict[str, list[Allele]]:
    return {path.name: read_germline_fasta(path) for path in sorted(directory.glob("*.fa"))}


def _rate(tally: dict) -> float:
    return tally["agree"] / tally["checked"]


@pytest.mark.parametrize("species", ["homo-sapiens", "mus-musculus"])
def test_anchors_agree_with_the_packages_tables(germline_dir: Path, species: str) -> None:
    """Anchors read back from the built files against both packages' annotation tables.

    tcr-explorer's J motif table (IMGT frame and residue) must agree entirely; mirpy's
    region table comes from another tool (arda) whose J frames are wrong for a few
    alleles (e.g. TRDJ3*01, TRAJ31*01, whose IMGT F-G-X-G is unambiguous).
    """
    sources = germline_dir / "sources"
    files = _built_files(germline_dir / species)
    j_tcr = j_motif_agreement(files, sources / TCR_EXPLORER.wheel, species)
    regions = region_annotation_agreement(files, sources / MIRPY.wheel, species)
    print(f"\n{species}: tcr-explorer J motifs {j_tcr['agree']}/{j_tcr['checked']}, "
          f"mirpy V FR3 {regions['v']['agree']}/{regions['v']['checked']}, "
          f"mirpy J FR4 {regions['j']['agree']}/{regions['j']['checked']} "
          f"(disagree: {regions['j']['disagree']})")
    assert j_tcr["checked"] >= 70 and _rate(j_tcr) >= 0.99
    assert regions["v"]["checked"] >= 800 and _rate(regions["v"]) >= 0.99
    assert regions["j"]["checked"] >= 100 and _rate(regions["j"]) >= 0.93
    provenance = json.loads((germline_dir / species / "provenance.json").read_text())
    assert provenance["anchors"]["agreement"]["tcr_explorer_j_motifs"] == j_tcr


@pytest.mark.parametrize("species", ["homo-sapiens", "mus-musculus"])
def test_almost_every_v_and_j_has_its_anchor(germline_dir: Path, species: str) -> None:
    files = _built_files(germline_dir / species)
    v = [a for name, alleles in files.items() if name.endswith("V.fa") for a in alleles]
    j = [a for name, alleles in files.items() if name.endswith("J.fa") for a in alleles]
    v_missing = [a.name for a in v if a.anchor is None]
    j_missing = [a.name for a in j if a.anchor is None]
    functional_v = [a for a in v if a.functionality == "F"]
    assert sum(a.anchor is None for a in functional_v) / len(functional_v) < 0.12
    assert len(v_missing) / len(v) < 0.15
    assert len(j_missing) / len(j) < 0.15
    assert all(translate(a.sequence[a.anchor : a.anchor + 3]) == "C"
               for a in v if a.anchor is not None)
