"""Presets: loading, system selection, error messages, custom germlines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from vidjil_kernel.exceptions import GermlineError, InputFormatError, UsageError
from vidjil_kernel.germline import custom_preset, load_preset, preset_from_spec

HUMAN_SYSTEMS = ["TRA", "TRB", "TRB+", "TRG", "TRD", "TRA+D", "TRD+", "IGH", "IGH+", "IGK", "IGL"]


def test_human_preset_has_every_system_and_its_files(germline_dir: Path) -> None:
    preset = load_preset("homo-sapiens", germline_dir)
    assert list(preset.systems) == HUMAN_SYSTEMS
    assert preset.species == "Homo sapiens" and preset.species_taxon_id == 9606
    assert preset.directory == germline_dir / "homo-sapiens"
    assert set(preset.unavailable) == {"IGK+"} and "KDE" in preset.unavailable["IGK+"]
    igh = preset.systems["IGH"]
    assert (igh.shortcut, igh.color, igh.seed) == ("H", "#6c71c4", "12s")
    (recombination,) = igh.recombinations
    assert (recombination.five, recombination.four, recombination.three) == (
        ["IGHV.fa"], ["IGHD.fa"], ["IGHJ.fa"])
    assert preset.systems["IGH+"].recombinations[0].five == ["IGHD.fa"]
    assert preset.systems["IGH+"].follows == "IGH"
    trd_plus = preset.systems["TRD+"].recombinations
    assert [(r.five, r.four, r.three) for r in trd_plus] == [
        (["TRDV.fa"], [], ["TRDD3.fa"]),
        (["TRDD2.fa"], ["TRDD.fa"], ["TRDJ.fa"]),
        (["TRDD2.fa"], [], ["TRDD3.fa"]),
    ]
    assert [r.five for r in preset.systems["TRA+D"].recombinations] == [["TRDV.fa"], ["TRDD.fa"]]
    assert len({s.shortcut for s in preset.systems.values()}) == len(preset.systems)


@pytest.mark.parametrize("species", ["homo-sapiens", "mus-musculus"])
def test_every_file_of_every_system_loads_with_alleles(germline_dir: Path, species: str) -> None:
    preset = load_preset(species, germline_dir)
    for file_name in preset.files:
        alleles = preset.alleles(file_name)
        assert alleles, file_name
        assert all(a.name.startswith(file_name[:4]) or "/DV" in a.name for a in alleles)
    assert [a.name for a in preset.alleles("TRDD3.fa" if species == "homo-sapiens"
                                           else "TRDD.fa")]
    assert preset.alleles("IGHV.fa") is preset.alleles("IGHV.fa")  # cached


def test_trav_dv_genes_are_in_both_trav_and_trdv(germline_dir: Path) -> None:
    preset = load_preset("homo-sapiens:TRA,TRD", germline_dir)
    trav = {a.name for a in preset.alleles("TRAV.fa")}
    trdv = {a.name for a in preset.alleles("TRDV.fa")}
    assert "TRAV14/DV4*01" in trav and "TRAV14/DV4*01" in trdv
    assert {"TRDV1*01", "TRDV2*01", "TRDV3*01"} <= trdv


def test_selection_keeps_the_order_given(germline_dir: Path) -> None:
    preset = load_preset("homo-sapiens:TRG,IGH", germline_dir)
    assert list(preset.systems) == ["TRG", "IGH"]
    assert set(preset.files) == {"TRGV.fa", "TRGJ.fa", "IGHV.fa", "IGHD.fa", "IGHJ.fa"}


def test_g_file_path_with_selection(germline_dir: Path) -> None:
    preset = load_preset(f"{germline_dir / 'mus-musculus.g'}:IGK", germline_dir)
    assert list(preset.systems) == ["IGK"]
    assert preset.directory == germline_dir / "mus-musculus"
    assert preset.alleles("IGKV.fa")


def test_unknown_preset_lists_the_presets(germline_dir: Path) -> None:
    with pytest.raises(GermlineError) as caught:
        load_preset("homo-sapien", germline_dir)
    message = str(caught.value)
    assert "'homo-sapien'" in message and "homo-sapiens, mus-musculus" in message
    assert "germline build" not in message


def test_unknown_system_lists_the_systems(germline_dir: Path) -> None:
    with pytest.raises(GermlineError, match=r"no system 'IGX'.*TRA, TRB, TRB\+, TRG"):
        load_preset("homo-sapiens:IGH,IGX", germline_dir)


def test_unavailable_system_says_why(germline_dir: Path) -> None:
    with pytest.raises(GermlineError, match=r"IGK\+ of Homo sapiens cannot be built: .*KDE"):
        load_preset("homo-sapiens:IGK+", germline_dir)


def test_empty_selection_is_a_usage_error(germline_dir: Path) -> None:
    with pytest.raises(UsageError):
        load_preset("homo-sapiens:", germline_dir)


def test_sequences_not_built(germline_dir: Path, tmp_path: Path) -> None:
    shutil.copy(germline_dir / "homo-sapiens.g", tmp_path)
    with pytest.raises(GermlineError) as caught:
        load_preset("homo-sapiens:IGH", tmp_path)
    message = str(caught.value)
    assert "not built" in message and "IGHV.fa" in message
    assert "vidjil germline build --accept-imgt-licence" in message
    assert list(preset_from_spec("homo-sapiens:IGH", tmp_path).systems) == ["IGH"]


def test_malformed_preset_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.g"
    bad.write_text("{ not json")
    with pytest.raises(InputFormatError, match="not valid JSON"):
        load_preset(str(bad), tmp_path)
    bad.write_text(json.dumps({"systems": {"IGH": {"recombinations": [{"5": ["IGHV.fa"]}]}}}))
    with pytest.raises(InputFormatError, match="5' and 3' files"):
        load_preset(str(bad), tmp_path)
    bad.write_text(json.dumps({"systems": {"IGH": {"recombinations": [{"5": "IGHV.fa"}]}}}))
    with pytest.raises(InputFormatError, match="systems.IGH.recombinations.5"):
        load_preset(str(bad), tmp_path)
    with pytest.raises(GermlineError, match="does not exist"):
        load_preset(str(tmp_path / "absent.g"), tmp_path)


def _fasta(path: Path, records: dict[str, str]) -> Path:
    path.write_text("".join(f">{name}\n{sequence}\n" for name, sequence in records.items()))
    return path


V_END = "CAGGTGCAACTGGTGGAATCTGGTGGAGGATTGGTCGCCGTGTATTACTGTGCGAGAGA"
J_MADE_UP = "GCTTCTTCGACAACTGGGGCCAGGGAACCCTGGTGACCGTGTCATCAG"


def test_custom_preset_is_named_after_the_locus(tmp_path: Path) -> None:
    v = _fasta(tmp_path / "v.fa", {"IGHV1-1*01": V_END})
    d = _fasta(tmp_path / "d.fa", {"IGHD1-1*01": "GGTACAACTGGAAC"})
    j = _fasta(tmp_path / "j.fa", {"IGHJ1*01": J_MADE_UP})
    preset = custom_preset([v], [d], [j])
    (system,) = preset.systems.values()
    assert system.name == "IGH"
    (recombination,) = system.recombinations
    assert recombination.five == [str(v.resolve())] and recombination.three == [str(j.resolve())]
    assert preset.alleles(recombination.five[0])[0].anchor == V_END.index("TGTGCG")
    assert preset.alleles(recombination.three[0])[0].anchor == 14
    assert preset.alleles(recombination.four[0])[0].anchor is None


def test_custom_preset_with_other_names_is_custom_and_uses_the_side(tmp_path: Path) -> None:
    v = _fasta(tmp_path / "v.fa", {"myV": V_END})
    j = _fasta(tmp_path / "j.fa", {"myJ": J_MADE_UP})
    preset = custom_preset([v], [], [j])
    assert list(preset.systems) == ["custom"]
    assert preset.alleles(str(j.resolve()))[0].anchor == 14  # J side: Phe/Trp118 computed
    mixed = custom_preset([v, _fasta(tmp_path / "v2.fa", {"TRGV1*01": V_END})], [], [j])
    assert list(mixed.systems) == ["custom"]


def test_custom_preset_errors(tmp_path: Path) -> None:
    j = _fasta(tmp_path / "j.fa", {"IGHJ1*01": J_MADE_UP})
    with pytest.raises(UsageError, match="-V"):
        custom_preset([], [], [j])
    with pytest.raises(InputFormatError, match="does not exist"):
        custom_preset([tmp_path / "absent.fa"], [], [j])
    bad = tmp_path / "bad.fa"
    bad.write_text(">IGHV1*01\nACGU\n")
    with pytest.raises(InputFormatError, match="line 2"):
        custom_preset([bad], [], [j])
