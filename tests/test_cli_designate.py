"""`vidjil designate` end to end (in process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidjil_kernel.cli import main
from vidjil_kernel.designate.bank import reverse_complement
from vidjil_kernel.germline import load_preset

pytestmark = pytest.mark.germline


@pytest.fixture(scope="module")
def trg_sequence(germline_dir: Path) -> str:
    preset = load_preset("homo-sapiens", germline_dir)
    alleles = {a.name: a for f in ("TRGV.fa", "TRGJ.fa") for a in preset.alleles(f)}
    return alleles["TRGV2*01"].sequence[:-1] + "CCTTGG" + alleles["TRGJP1*01"].sequence[2:]


def rows(output: str) -> list[dict[str, str]]:
    header, *lines = output.rstrip("\n").split("\n")
    return [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]


def test_sequences_files_and_both_strands(tmp_path: Path, trg_sequence: str, capsys) -> None:
    fasta = tmp_path / "clones.fa"
    fasta.write_text(f">clone-1 the first\n{trg_sequence[:60]}\n{trg_sequence[60:].lower()}\n"
                     f">clone-2\n{reverse_complement(trg_sequence)}\n")
    main(["designate", str(fasta), trg_sequence, "-g", "homo-sapiens:TRG,IGH"])
    first, second, third = rows(capsys.readouterr().out)
    assert first["sequence_id"] == "clone-1" and first["rev_comp"] == "False"
    assert first["designation"] == "TRGV2*01 1/CCTTGG/2 TRGJP1*01"
    assert first["locus"] == "TRG" and first["junction_aa"].startswith("C")
    assert second["rev_comp"] == "True" and second["designation"] == first["designation"]
    assert third["sequence_id"] == "sequence_2" and third["designation"] == first["designation"]


def test_bad_input_is_a_clear_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.fa"
    bad.write_text(">x\nACGTXX\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["designate", str(bad)])
    assert exit_info.value.code == 1
    assert "bad.fa, line 2" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["designate"])
    assert exit_info.value.code == 2


def test_should_vdj_folder(tmp_path: Path, trg_sequence: str, capsys) -> None:
    (tmp_path / "mine.should-vdj.fa").write_text(
        f">TRGV2*01 1/CCTTGG/2 TRGJP1*01 [TRG]\n{trg_sequence}\n"
        f">TRGV9 TRGJ1 [TRG]\n{trg_sequence}\n")
    main(["designate", "--should-vdj", str(tmp_path), "-g", "homo-sapiens:TRG"])
    output = capsys.readouterr().out
    assert "mine.should-vdj.fa" in output and "right: 1/2" in output
    assert "wrong mine.should-vdj.fa#2 [genes]" in output
