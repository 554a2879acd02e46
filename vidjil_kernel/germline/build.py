"""Build ``germline/<species>/*.fa`` from the IMGT tables of two PyPI packages.

Source per locus (see germline/README.md):

- TR loci: tcr-explorer's IMGT/GENE-DB export (the newer release, every functionality
  class, IMGT's codon start), completed by the alleles that only mirpy-lib's V-QUEST
  table has.  When both have an allele and mirpy's sequence contains tcr-explorer's
  (GENE-DB stores a few V-REGIONs shorter in 3'), the longer one is kept, because the
  3' end of a V is where the junction and Cys104 lie.
- IG loci: mirpy-lib's V-QUEST table (the only source).

A source listing one allele name twice with different sequences (mirpy's mouse IG table
merges strain sets) keeps the first; ``provenance.json`` lists those names.

A species is written into a temporary directory, then renamed into place, so an
interrupted build never leaves half a germline; ``provenance.json`` records where every
file comes from and the anchors that could not be found.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vidjil_kernel import __version__
from vidjil_kernel.exceptions import UsageError
from vidjil_kernel.germline.alleles import Allele, segment_of, write_germline_fasta
from vidjil_kernel.germline.anchors import anchor_for
from vidjil_kernel.germline.licence import CITATION, LICENCE_NAME, LICENCE_URL
from vidjil_kernel.germline.sources import (
    MIRPY,
    PACKAGES,
    SPECIES,
    TCR_EXPLORER,
    Record,
    fetch,
    mirpy_records,
    sha256_of,
    tcr_explorer_records,
    tcr_explorer_release,
)
from vidjil_kernel.germline.validation import anchor_agreement

#: bump when the files or their headers change meaning: older builds are then rebuilt
BUILD_FORMAT = 1
PROVENANCE = "provenance.json"

SEGMENT_FILES = (
    "IGHV.fa", "IGHD.fa", "IGHJ.fa", "IGKV.fa", "IGKJ.fa", "IGLV.fa", "IGLJ.fa",
    "TRAV.fa", "TRAJ.fa", "TRBV.fa", "TRBD.fa", "TRBJ.fa", "TRGV.fa", "TRGJ.fa",
    "TRDV.fa", "TRDD.fa", "TRDJ.fa",
)
#: one-gene files the incomplete TRD systems need (Dd2 on the 5' side, Dd3 on the 3' side)
GENE_FILES = {"TRDD2.fa": "TRDD2", "TRDD3.fa": "TRDD3"}
TR_LOCI = ("TRA", "TRB", "TRG", "TRD")

_TRDV_IN_TRAV = re.compile(r"/DV\d")


@dataclass(frozen=True)
class BuildOutcome:
    """What ``build_germline`` did for one species."""

    species: str
    directory: Path
    built: bool
    provenance: dict


def _natural_key(name: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def merge_sources(primary: list[Record], supplement: list[Record]) -> tuple[list[Record], dict]:
    """Union by allele name; ``primary`` wins unless ``supplement`` extends its sequence."""
    merged = {record.name: record for record in primary}
    added: list[str] = []
    extended: list[str] = []
    for record in supplement:
        known = merged.get(record.name)
        if known is None:
            merged[record.name] = record
            added.append(record.name)
        elif known.source != record.source and len(record.sequence) > len(known.sequence) \
                and known.sequence in record.sequence:
            merged[record.name] = record
            extended.append(record.name)
    notes = {"added_from_supplement": sorted(added, key=_natural_key),
             "extended_by_supplement": sorted(extended, key=_natural_key)}
    return list(merged.values()), notes


def files_of(name: str) -> list[str]:
    """The segment files an allele goes into (TRAV/DV genes go into TRAV and TRDV)."""
    prefix = name[:4]
    files = [f"{prefix}.fa"] if f"{prefix}.fa" in SEGMENT_FILES else []
    if prefix == "TRAV" and _TRDV_IN_TRAV.search(name):
        files.append("TRDV.fa")
    gene = name.split("*", 1)[0]
    files.extend(file for file, wanted in GENE_FILES.items() if gene == wanted)
    return files


def species_alleles(species: str, wheels: dict[str, Path]) -> tuple[dict[str, list[Allele]], dict]:
    """Alleles per file for ``species`` and the notes on how they were chosen."""
    mirpy = mirpy_records(wheels[MIRPY.name], species)
    tcr = tcr_explorer_records(wheels[TCR_EXPLORER.name], species)
    tr_records, notes = merge_sources(tcr, [r for r in mirpy if r.name[:3] in TR_LOCI])
    ig_records = [r for r in mirpy if r.name[:3] not in TR_LOCI]
    files: dict[str, list[Allele]] = {name: [] for name in SEGMENT_FILES}
    sources: dict[str, dict[str, int]] = {}
    unplaced: list[str] = []
    conflicting: set[str] = set()
    seen: dict[tuple[str, str], str] = {}
    for record in tr_records + ig_records:
        targets = files_of(record.name)
        if not targets:
            unplaced.append(record.name)
            continue
        anchor = anchor_for(segment_of(record.name), record.sequence, record.frame)
        allele = Allele(record.name, record.sequence, record.functionality, anchor)
        for target in targets:
            known = seen.get((target, record.name))
            if known is not None:
                if known != record.sequence:
                    conflicting.add(record.name)
                continue
            seen[(target, record.name)] = record.sequence
            files.setdefault(target, []).append(allele)
            counts = sources.setdefault(target, {})
            counts[record.source] = counts.get(record.source, 0) + 1
    for alleles in files.values():
        alleles.sort(key=lambda allele: _natural_key(allele.name))
    notes["sources_per_file"] = sources
    notes["not_placed"] = sorted(unplaced)
    notes["same_name_other_sequence"] = sorted(conflicting, key=_natural_key)
    return {name: alleles for name, alleles in files.items() if alleles}, notes


def _missing_anchors(files: dict[str, list[Allele]], segment: str) -> list[str]:
    names = {a.name for name, alleles in files.items() if name in SEGMENT_FILES
             for a in alleles if a.segment == segment and a.anchor is None}
    return sorted(names, key=_natural_key)


def _provenance(species: str, wheels: dict[str, Path], files: dict[str, list[Allele]],
                notes: dict, directory: Path) -> dict:
    release = tcr_explorer_release(wheels[TCR_EXPLORER.name], species)
    return {
        "build_format": BUILD_FORMAT,
        "species": species,
        "built": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "builder": f"vidjil-kernel {__version__}",
        "licence": {"name": LICENCE_NAME, "url": LICENCE_URL, "citation": CITATION},
        "sources": [
            {
                "package": TCR_EXPLORER.name, "version": TCR_EXPLORER.version,
                "sha256": TCR_EXPLORER.sha256, "loci": list(TR_LOCI),
                "imgt": {**release, "note": "IMGT/GENE-DB export, all functionality classes"},
            },
            {
                "package": MIRPY.name, "version": MIRPY.version, "sha256": MIRPY.sha256,
                "loci": ["IGH", "IGK", "IGL", *TR_LOCI],
                "imgt": {"database": "IMGT/V-QUEST reference directory",
                         "release": "not recorded by the package",
                         "note": "F, ORF and in-frame P alleles; IG loci, and TR alleles "
                                 "missing from tcr-explorer"},
            },
        ],
        "choice": "TR loci: tcr-explorer (newer IMGT release), completed by mirpy-lib; "
                  "IG loci: mirpy-lib",
        "files": {
            name: {"alleles": len(alleles), "sha256": sha256_of(directory / name),
                   "sources": notes["sources_per_file"].get(name, {})}
            for name, alleles in files.items()
        },
        "merge": {key: notes[key] for key in
                  ("added_from_supplement", "extended_by_supplement", "not_placed",
                   "same_name_other_sequence")},
        "anchors": {
            "v_without_cys104": _missing_anchors(files, "V"),
            "j_without_phe_trp118": _missing_anchors(files, "J"),
            "agreement": anchor_agreement(files, wheels, species),
        },
    }


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_species(dest: Path, species: str, wheels: dict[str, Path]) -> dict:
    files, notes = species_alleles(species, wheels)
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest, prefix=f".{species}.building-"))
    try:
        for name, alleles in files.items():
            write_germline_fasta(staging / name, alleles)
        provenance = _provenance(species, wheels, files, notes, staging)
        with (staging / PROVENANCE).open("w", encoding="utf-8") as handle:
            json.dump(provenance, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_directory(staging)
        final = dest / species
        retired = dest / f".{species}.old-{os.getpid()}"
        if final.exists():
            final.rename(retired)
        staging.rename(final)
        _fsync_directory(dest)
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return provenance


def read_provenance(directory: Path) -> dict | None:
    """The provenance of a built species directory, None when absent or unreadable."""
    try:
        return json.loads((directory / PROVENANCE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_up_to_date(directory: Path) -> bool:
    """True when ``directory`` holds a complete build of this format from the pinned wheels."""
    provenance = read_provenance(directory)
    if provenance is None or provenance.get("build_format") != BUILD_FORMAT:
        return False
    pinned = {package.name: package.sha256 for package in PACKAGES}
    built = {source.get("package"): source.get("sha256") for source in provenance["sources"]}
    if built != pinned:
        return False
    for name, facts in provenance.get("files", {}).items():
        path = directory / name
        if not path.is_file() or sha256_of(path) != facts.get("sha256"):
            return False
    return bool(provenance.get("files"))


@contextlib.contextmanager
def _build_lock(dest: Path) -> Iterator[None]:
    """One build at a time per germline directory (``lab start`` and ``lab test`` may race)."""
    lock_dir = dest / "sources"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / ".build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_germline(
    dest: Path,
    species: list[str] | None = None,
    *,
    cache_dir: Path | None = None,
    if_missing: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> list[BuildOutcome]:
    """Build the germline files of ``species`` (default: all) into ``dest/<species>/``.

    Wheels are cached in ``cache_dir`` (default ``dest/sources``).  With ``if_missing``,
    a species whose build is complete and up to date is left as it is.
    """
    chosen = list(species or SPECIES)
    unknown = [name for name in chosen if name not in SPECIES]
    if unknown:
        raise UsageError(f"unknown species {', '.join(unknown)}; known: {', '.join(SPECIES)}")
    cache_dir = cache_dir or dest / "sources"
    with _build_lock(dest):
        return _build_locked(dest, chosen, cache_dir, if_missing, log)


def _build_locked(dest: Path, chosen: list[str], cache_dir: Path, if_missing: bool,
                  log: Callable[[str], None]) -> list[BuildOutcome]:
    outcomes: list[BuildOutcome] = []
    todo = [name for name in chosen if not (if_missing and is_up_to_date(dest / name))]
    for name in chosen:
        if name not in todo:
            log(f"{name}: up to date in {dest / name}")
            outcomes.append(BuildOutcome(name, dest / name, False,
                                         read_provenance(dest / name) or {}))
    if not todo:
        return outcomes
    wheels: dict[str, Path] = {}
    for package in PACKAGES:
        log(f"fetching {package.requirement} (IMGT tables) into {cache_dir}")
        wheels[package.name] = fetch(package, cache_dir)
    for name in todo:
        log(f"{name}: writing {dest / name}")
        provenance = _write_species(dest, name, wheels)
        outcomes.append(BuildOutcome(name, dest / name, True, provenance))
    outcomes.sort(key=lambda outcome: chosen.index(outcome.species))
    return outcomes
