"""Reading and writing germline FASTA files: validation, header forms, anchors."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidjil_kernel.exceptions import InputFormatError
from vidjil_kernel.germline.alleles import (
    Allele,
    normalise_functionality,
    read_germline_fasta,
    write_germline_fasta,
)

J_SEQUENCE = "GCTTCTTCGACAACTGGGGCCAGGGAACCCTGGTGACCGTGTCATCAG"  # made up, W-G-Q-G at 14


def _write(tmp_path: Path, text: str, name: str = "germ.fa") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (">IGHJ1*01\nACGTXACGT\n", 2, "character 'X' is not a nucleotide"),
        (">IGHJ1*01\nACGT\nACG1\n", 3, "character '1' is not a nucleotide"),
        (">IGHJ1*01\n>IGHJ2*01\nACGT\n", 1, "allele IGHJ1*01 has no sequence"),
        (">IGHJ1*01\nACGT\n>IGHJ1*01\nACGA\n", 3, "allele IGHJ1*01 already defined at line 1"),
        ("ACGT\n>IGHJ1*01\nACGT\n", 1, "sequence before the first '>' header"),
        (">\nACGT\n", 1, "header without an allele name"),
    ],
)
def test_invalid_files_name_the_file_and_line(tmp_path: Path, text: str, line: int,
                                              reason: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputFormatError) as caught:
        read_germline_fasta(path)
    assert caught.value.line == line
    assert caught.value.reason == reason
    assert str(path) in str(caught.value) and f"line {line}" in str(caught.value)


def test_empty_binary_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="no FASTA record"):
        read_germline_fasta(_write(tmp_path, "\n\n"))
    binary = tmp_path / "bin.fa"
    binary.write_bytes(b"\x1f\x8b\x08\x00\xff\xfe")
    with pytest.raises(InputFormatError, match="not a text FASTA file"):
        read_germline_fasta(binary)
    with pytest.raises(InputFormatError, match="cannot read"):
        read_germline_fasta(tmp_path / "absent.fa")


def test_plain_headers_lowercase_crlf_gaps_and_ambiguity_codes(tmp_path: Path) -> None:
    text = ">TRGJ1*01 some comment\r\ngcttct..tcgac\r\naactgggg-ccagggaaccctggtgaccgtgtcatcag\r\n" \
           ">IGHV9-9*01\nACGYACGN\n"
    alleles = read_germline_fasta(_write(tmp_path, text))
    assert [a.name for a in alleles] == ["TRGJ1*01", "IGHV9-9*01"]
    assert alleles[0].sequence == J_SEQUENCE
    assert alleles[0].anchor == 14  # computed: the header has none
    assert alleles[0].functionality == ""
    assert alleles[1].sequence == "ACGNACGN"
    assert alleles[1].anchor is None


def test_imgt_headers_give_name_functionality_and_frame(tmp_path: Path) -> None:
    text = (">X1|IGHJ4*02|Homo sapiens|[F]|J-REGION|1..48|48 nt|3| | | | |48+0=48| | |\n"
            f"{J_SEQUENCE}\n")
    (allele,) = read_germline_fasta(_write(tmp_path, text))
    assert allele == Allele("IGHJ4*02", J_SEQUENCE, "F", 14)
    assert allele.gene == "IGHJ4" and allele.locus == "IGH" and allele.segment == "J"


def test_segment_argument_decides_the_anchor_for_names_that_are_not_imgt(tmp_path: Path) -> None:
    path = _write(tmp_path, f">my_j\n{J_SEQUENCE}\n")
    assert read_germline_fasta(path)[0].anchor is None
    assert read_germline_fasta(path, "J")[0].anchor == 14


def test_header_anchor_is_used_as_written(tmp_path: Path) -> None:
    text = f">IGHJ4*02 functionality=F anchor=5\n{J_SEQUENCE}\n>IGHJ9*01 anchor=none\nACGT\n"
    first, second = read_germline_fasta(_write(tmp_path, text))
    assert first.anchor == 5 and first.functionality == "F"
    assert second.anchor is None


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    alleles = [
        Allele("IGHJ4*02", J_SEQUENCE, "F", 14),
        Allele("IGHD1-1*01", "GGTACAACTGGAACGAC", "F", None),
        Allele("IGHV1-1*01", "ACGT" * 40, "P", None),
    ]
    path = tmp_path / "out.fa"
    write_germline_fasta(path, alleles)
    assert path.read_text().splitlines()[0] == ">IGHJ4*02 functionality=F anchor=14"
    assert "anchor" not in path.read_text().splitlines()[2]
    assert read_germline_fasta(path) == alleles


def test_builder_anchors_equal_the_loader_computation(germline_dir: Path, tmp_path: Path) -> None:
    """Headers carry the anchors; stripping them makes the loader compute the same values
    (IG files: no IMGT codon start is involved, so the computation is the same one)."""
    for name in ("IGHV.fa", "IGKJ.fa", "IGLV.fa", "IGHJ.fa"):
        built = read_germline_fasta(germline_dir / "homo-sapiens" / name)
        stripped = tmp_path / name
        stripped.write_text("".join(f">{a.name}\n{a.sequence}\n" for a in built))
        assert read_germline_fasta(stripped) == [
            Allele(a.name, a.sequence, "", a.anchor) for a in built
        ]


@pytest.mark.parametrize(("raw", "expected"),
                         [("F", "F"), ("(F)", "F"), ("[ORF]", "ORF"), ("P", "P"), ("?", "")])
def test_functionality_is_normalised(raw: str, expected: str) -> None:
    assert normalise_functionality(raw) == expected
