"""Designation against the human germline: segments, alleles, systems, custom files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidjil_kernel.designate import (
    UNEXPECTED,
    designate,
    designate_best,
    designate_files,
    designate_unexpected,
)
from vidjil_kernel.germline import Allele, Preset, custom_preset, load_preset

pytestmark = pytest.mark.germline


@pytest.fixture(scope="module")
def preset(germline_dir: Path) -> Preset:
    return load_preset("homo-sapiens", germline_dir)


@pytest.fixture(scope="module")
def alleles(preset: Preset) -> dict[str, Allele]:
    return {a.name: a for file in preset.files for a in preset.alleles(file)}


def test_vdj_segments_deletions_inserts_and_junction(preset, alleles) -> None:
    v, d, j = alleles["IGHV3-9*01"], alleles["IGHD3-10*01"], alleles["IGHJ6*02"]
    sequence = v.sequence[:-3] + "CCCGGA" + d.sequence[2:-4] + "CCTCCG" + j.sequence[5:]
    designation = designate(sequence, preset, "IGH")
    assert designation.locus == "IGH"
    assert designation.v.name == "IGHV3-9*01" and designation.v.del_right == 3
    assert designation.inserts[0] == "CCCGGA"
    assert [c.name for c in designation.d] == ["IGHD3-10*01"]
    assert designation.d[0].del_left == 2
    assert designation.j.name == "IGHJ6*02"
    assert designation.name.startswith("IGHV3-9*01 3/CCCGGA/2 IGHD3-10*01 ")
    assert designation.v.start == 0 and designation.j.end == len(sequence)
    assert all(call.evalue < 1e-6 for call in designation.segments())
    junction = designation.junction
    assert junction is not None and junction.start == v.anchor
    assert junction.aa.startswith("C") and junction.aa.endswith("W")


def test_equal_best_alleles_are_all_reported(preset, alleles) -> None:
    # the last 120 nt of IGHV1-2*02, *03 and *06 are the same
    v, j = alleles["IGHV1-2*02"], alleles["IGHJ4*02"]
    sequence = v.sequence[-120:] + "GGGATCC" + j.sequence[4:]
    call = designate(sequence, preset, "IGH").v
    assert {"IGHV1-2*02", "IGHV1-2*03", "IGHV1-2*06"} <= set(call.alleles)
    assert call.call == ",".join(call.alleles)


def test_two_d_in_genomic_order(preset, alleles) -> None:
    v, d2, d3, j = (alleles[n] for n in ("TRDV1*01", "TRDD2*01", "TRDD3*01", "TRDJ1*01"))
    sequence = v.sequence[:-2] + "AGGT" + d2.sequence + "GTAT" + d3.sequence[1:] + "TCG" \
        + j.sequence[2:]
    designation = designate(sequence, preset, "TRD")
    assert [c.name for c in designation.d] == ["TRDD2*01", "TRDD3*01"]
    assert designation.name == "TRDV1*01 2/AGGT/0 TRDD2*01 0/GTAT/1 TRDD3*01 0/TCG/2 TRDJ1*01"


def test_no_significant_segments(preset) -> None:
    designation = designate("ACGT" * 30, preset, "IGH")
    assert designation.segments() == [] and designation.name == ""
    assert designation.warnings and "IGH" in designation.warnings[0]


def test_unexpected_recombination(preset, alleles) -> None:
    v, j = alleles["TRGV9*01"], alleles["TRAJ29*01"]
    sequence = v.sequence[:-2] + "GGAC" + j.sequence[3:]
    designation = designate_unexpected(sequence, preset)
    assert designation.locus == UNEXPECTED
    assert designation.name == "TRGV9*01 2/GGAC/3 TRAJ29*01"
    assert designation.junction is not None
    assert designate_best(sequence, preset, unexpected=True).locus == UNEXPECTED
    assert designate_best(sequence, preset).segments() == []


def test_inverted_v_is_an_unexpected_recombination(preset, alleles) -> None:
    from vidjil_kernel.designate.bank import reverse_complement

    v, w = alleles["IGKV2-30*01"], alleles["IGKV3-20*01"]
    sequence = v.sequence[:-5] + reverse_complement(w.sequence[:-4])[:150]
    designation = designate_best(sequence, preset, unexpected=True)
    assert designation.locus == UNEXPECTED
    assert designation.name == "IGKV2-30*01 5//4 IGKV3-20*01"
    assert designation.junction is None


def test_trav_dv_with_traj_is_tra(preset, alleles) -> None:
    # TRAV36/DV7 is in TRAV.fa and TRDV.fa: with a TRAJ it is a TRA recombination
    v, j = alleles["TRAV36/DV7*01"], alleles["TRAJ39*01"]
    sequence = v.sequence[:-2] + "GGTCA" + j.sequence[3:]
    assert designate_best(sequence, preset).locus == "TRA"


def test_custom_files(tmp_path: Path, alleles) -> None:
    files = {}
    for segment, names in (("V", ["TRGV2*01", "TRGV9*01"]), ("J", ["TRGJ1*01", "TRGJP1*01"])):
        path = tmp_path / f"my{segment}.fa"
        path.write_text("".join(f">{n}\n{alleles[n].sequence}\n" for n in names))
        files[segment] = [path]
    preset = custom_preset(files["V"], [], files["J"])
    v, j = alleles["TRGV2*01"], alleles["TRGJP1*01"]
    sequence = v.sequence[:-1] + "CCTTGG" + j.sequence[2:]
    system = next(iter(preset.systems.values()))
    recombination = system.recombinations[0]
    designation = designate_files(sequence, preset, recombination.five, [],
                                  recombination.three, system.name)
    assert designation.name == "TRGV2*01 1/CCTTGG/2 TRGJP1*01"
    assert designate(sequence, preset, system.name).name == designation.name


def simulated(rng: np.random.Generator, preset: Preset, system: str, mutation: float) -> str:
    """A V(D)J recombination of ``system`` with deletions, N regions and mutations."""
    recombination = preset.systems[system].recombinations[0]

    def pick(files: list[str]) -> str:
        choices = [a for f in files for a in preset.alleles(f) if a.functionality == "F"]
        return choices[int(rng.integers(len(choices)))].sequence

    def n_region() -> str:
        return "".join(rng.choice(list("ACGT"), int(rng.integers(0, 9))))

    parts = [pick(recombination.five)[:-int(rng.integers(0, 6)) or None]]
    if recombination.four:
        d = pick(recombination.four)
        parts += [n_region(), d[int(rng.integers(0, 4)):len(d) - int(rng.integers(0, 4))]]
    parts += [n_region(), pick(recombination.three)[int(rng.integers(0, 6)):]]
    sequence = list("".join(parts)[-260:])
    for index in np.flatnonzero(rng.random(len(sequence)) < mutation):
        sequence[index] = "ACGT"[int(rng.integers(4))]
    return "".join(sequence)


@pytest.mark.slow
@pytest.mark.parametrize("system, mutation", [("IGH", 0.03), ("TRG", 0.0), ("IGK", 0.02)])
def test_prefilter_never_loses_the_best_alleles(preset, system: str, mutation: float) -> None:
    rng = np.random.default_rng(2024)
    for _ in range(15):
        sequence = simulated(rng, preset, system, mutation)
        fast = designate(sequence, preset, system)
        full = designate(sequence, preset, system, prefilter=False)
        assert fast.name == full.name
        assert [c.alleles for c in fast.segments()] == [c.alleles for c in full.segments()]
