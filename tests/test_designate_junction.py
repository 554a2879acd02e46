"""Junction, CDR3 and productivity on hand-made recombinations."""

from __future__ import annotations

import pytest

from vidjil_kernel.designate.bank import bank_from_alleles, encode
from vidjil_kernel.designate.chain import RowCache, designate_recombination
from vidjil_kernel.designate.junction import (
    NO_MOTIF,
    OUT_OF_FRAME,
    STOP_CODON,
    junction_of,
    out_of_frame_aa,
)
from vidjil_kernel.designate.scoring import Scoring
from vidjil_kernel.designate.vdj import to_designation
from vidjil_kernel.germline import Allele, translate

# An IGHV-like 3' end (... Y Y C A R) and an IGHJ4-like J (... W G Q G T L V T V S S)
V_SEQUENCE = "GAGGACACGGCCGTGTATTACTGTGCGAGAGA"
V_ANCHOR = V_SEQUENCE.index("TGTGCG")
J_SEQUENCE = "ACTACTTTGACTACTGGGGCCAGGGAACCCTGGTCACCGTCTCCTCAG"
J_ANCHOR = J_SEQUENCE.index("TGGGGCCAG")


def designation_of(sequence: str, v_anchor: int | None = V_ANCHOR,
                   j_sequence: str = J_SEQUENCE, j_name: str = "IGHJ4*02"):
    v = Allele("IGHV3-9*01", V_SEQUENCE, "F", v_anchor)
    j = Allele(j_name, j_sequence, "F", J_ANCHOR)
    candidate = designate_recombination(RowCache(encode(sequence), Scoring(), True),
                                        bank_from_alleles([v]), None, bank_from_alleles([j]))
    assert candidate is not None
    return to_designation(candidate, sequence, j.locus)


def test_in_frame_productive_junction() -> None:
    sequence = V_SEQUENCE + "GGTACC" + J_SEQUENCE[4:]
    designation = designation_of(sequence)
    junction = designation.junction
    assert junction is not None
    assert junction.start == V_ANCHOR
    assert junction.nt == sequence[V_ANCHOR:junction.end]
    assert len(junction.nt) % 3 == 0
    assert junction.aa == translate(junction.nt)
    assert junction.aa.startswith("CAR") and junction.aa.endswith("W")
    assert junction.productive and junction.unproductive is None
    assert junction.in_frame and junction.stop_codon is False
    assert junction.cdr3_aa == junction.aa[1:-1]
    assert junction.cdr3_nt == junction.nt[3:-3]


def test_junction_start_follows_an_indel_in_the_v() -> None:
    # one V base missing between the Cys codon and the V end: the V alignment has a
    # gap there, and the junction still starts at the Cys codon
    v_with_deletion = V_SEQUENCE[:V_ANCHOR + 4] + V_SEQUENCE[V_ANCHOR + 5:]
    sequence = "TTTTTTTTTT" + v_with_deletion + "GGTACC" + J_SEQUENCE[4:]
    designation = designation_of(sequence)
    assert designation.v.del_right == 0
    junction = designation.junction
    assert junction is not None and junction.start == 10 + V_ANCHOR
    assert junction.aa.startswith("C") and junction.aa.endswith("W")


def test_out_of_frame_junction() -> None:
    sequence = V_SEQUENCE + "GGTAC" + J_SEQUENCE[4:]
    junction = designation_of(sequence).junction
    assert junction is not None
    assert not junction.productive and junction.unproductive == OUT_OF_FRAME
    assert junction.in_frame is False and junction.stop_codon is None
    assert "!" in junction.aa
    assert junction.aa.startswith("C") and junction.aa.endswith("W")


def test_stop_codon_in_frame_between_v_and_j() -> None:
    # "TAG" read in the frame of the Cys codon
    sequence = V_SEQUENCE + "CTAGTA" + J_SEQUENCE[4:]
    designation = designation_of(sequence)
    junction = designation.junction
    assert junction is not None and junction.in_frame
    assert "*" in junction.aa
    assert junction.unproductive == STOP_CODON and junction.stop_codon is True


def test_stop_codons_outside_v_to_j_are_not_read() -> None:
    upstream = "TAGTAGTAGCCCCCGGGGGAAAAATTTTT"  # in frame with the V, but before it
    sequence = upstream + V_SEQUENCE + "GGTACC" + J_SEQUENCE[4:] + "TAA"
    junction = designation_of(sequence).junction
    assert junction is not None and junction.productive


def test_igh_needs_w_g_x_g() -> None:
    # Phe instead of Trp118: fine for most loci, not for IGH (ERIC guidelines)
    j_phe = J_SEQUENCE[:J_ANCHOR] + "TTC" + J_SEQUENCE[J_ANCHOR + 3:]
    sequence = V_SEQUENCE + "GGTACC" + j_phe[4:]
    igh = designation_of(sequence, j_sequence=j_phe).junction
    assert igh is not None and igh.unproductive == NO_MOTIF
    trg = designation_of(sequence, j_sequence=j_phe, j_name="TRGJ1*01").junction
    assert trg is not None and trg.productive


def test_missing_cys_anchor_gives_no_junction_and_says_why() -> None:
    designation = designation_of(V_SEQUENCE + "GGTACC" + J_SEQUENCE[4:], v_anchor=None)
    assert designation.junction is None
    assert any("Cys104" in w and "IGHV3-9*01" in w for w in designation.warnings)


def test_junction_outside_the_sequence() -> None:
    assert junction_of("TGTGCC", 0, 10, 5, 0, 6, False) is None
    assert junction_of("TGTGCCTTTGGG", -1, 6, 5, 0, 12, False) is None


@pytest.mark.parametrize("nt, j_start, expected", [
    # V side: whole codons before the J ones; J side: whole codons from J start to the end
    ("TGTGCCAGCAAGGTGAGTCCCCCTACGAGCAGTACTTC", 21, "CASKVSP!YEQYF"),
    ("TGTGCCACCTGGGATGGG" + "C" + "TATTATAAGAAACTCTTT", 19, "CATWDG!YYKKLF"),
])
def test_out_of_frame_notation(nt: str, j_start: int, expected: str) -> None:
    assert len(nt) % 3
    assert out_of_frame_aa(nt, j_start) == expected
