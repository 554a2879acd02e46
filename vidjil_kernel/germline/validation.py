"""Check our anchors against the annotation tables shipped with the two source packages.

- tcr-explorer's ``J-region-motifs.tsv`` gives, per TR J allele, the F/W118 residue and
  its amino-acid position counted from the end of the J-REGION read in IMGT's frame;
- mirpy-lib's ``region_annotations.txt`` gives per allele the FR/CDR amino acids
  (made by another tool, arda): FR3 ends with Cys104, FR4 starts with F/W118.

The builder records the agreement in ``provenance.json``; the tests hold it high.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from vidjil_kernel.germline.alleles import Allele
from vidjil_kernel.germline.anchors import translate
from vidjil_kernel.germline.sources import (
    MIRPY,
    SPECIES,
    TCR_EXPLORER,
    tcr_explorer_j_motifs,
    tcr_explorer_records,
)

MIRPY_ANNOTATIONS = "mir/resources/gene_library/region_annotations.txt"


def _by_name(files: dict[str, list[Allele]]) -> dict[str, Allele]:
    return {allele.name: allele for alleles in files.values() for allele in alleles}


def _tally(results: dict[str, bool]) -> dict[str, object]:
    disagree = sorted(name for name, ok in results.items() if not ok)
    return {"checked": len(results), "agree": len(results) - len(disagree),
            "disagree": disagree}


def j_motif_agreement(files: dict[str, list[Allele]], wheel: Path, species: str,
                      confident_only: bool = True) -> dict[str, object]:
    """Our Phe/Trp118 against tcr-explorer's J motif table (same IMGT sequence and frame)."""
    motifs = tcr_explorer_j_motifs(wheel, species)
    ours = _by_name(files)
    results: dict[str, bool] = {}
    for record in tcr_explorer_records(wheel, species):
        motif = motifs.get(record.name)
        allele = ours.get(record.name)
        if motif is None or allele is None or allele.sequence != record.sequence:
            continue
        residue, confident, position = motif
        if confident_only and confident != "Y":
            continue
        frame = record.frame or 0
        codons = (len(record.sequence) - frame) // 3
        expected = frame + 3 * (codons + position)
        results[record.name] = allele.anchor == expected
    return _tally(results)


def _annotation_rows(wheel: Path, species: str) -> list[dict[str, str]]:
    wanted = SPECIES[species][MIRPY.name]
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(MIRPY_ANNOTATIONS).decode("utf-8")
    return [row for row in csv.DictReader(io.StringIO(text), delimiter="\t")
            if row["species"] == wanted]


def _v_matches(allele: Allele, fr3: str) -> bool:
    """FR3 (its last 8 residues, Cys104 included) ends at our anchor codon."""
    if allele.anchor is None:
        return False
    tail = fr3[-8:]
    start = allele.anchor + 3 - 3 * len(tail)
    return start >= 0 and translate(allele.sequence[start : allele.anchor + 3]) == tail


def region_annotation_agreement(files: dict[str, list[Allele]], wheel: Path,
                                species: str) -> dict[str, dict[str, object]]:
    """Our anchors against mirpy's FR3 (V: ends with C) and FR4 (J: starts with F/W)."""
    ours = _by_name(files)
    v_results: dict[str, bool] = {}
    j_results: dict[str, bool] = {}
    for row in _annotation_rows(wheel, species):
        allele = ours.get(row["allele"])
        if allele is None:
            continue
        if row["gene"] == "V" and row["fwr3_aa"].endswith("C"):
            v_results[allele.name] = _v_matches(allele, row["fwr3_aa"])
        elif row["gene"] == "J" and len(row["fwr4_aa"]) >= 4:
            fr4 = row["fwr4_aa"][:4]
            j_results[allele.name] = allele.anchor is not None and translate(
                allele.sequence[allele.anchor : allele.anchor + 12]) == fr4
    return {"v": _tally(v_results), "j": _tally(j_results)}


def anchor_agreement(files: dict[str, list[Allele]], wheels: dict[str, Path],
                     species: str) -> dict[str, object]:
    """Both checks, as recorded in ``provenance.json``."""
    regions = region_annotation_agreement(files, wheels[MIRPY.name], species)
    return {
        "tcr_explorer_j_motifs": j_motif_agreement(files, wheels[TCR_EXPLORER.name], species),
        "mirpy_region_annotations_v": regions["v"],
        "mirpy_region_annotations_j": regions["j"],
    }
