"""The IMGT-derived tables we build germlines from, fetched from PyPI as data.

IMGT itself is not reachable from here; two PyPI packages ship IMGT tables:

- ``tcr-explorer`` carries an IMGT/GENE-DB export (release in the wheel) of the TR loci,
  every functionality class, with IMGT's own headers (codon start, partial flags);
- ``mirpy-lib`` carries the IMGT V-QUEST reference directory (F, ORF, in-frame P) of
  all seven loci, IG included, without the IMGT release.

Each wheel is downloaded by ``pip download --no-deps`` and checked against a pinned
sha256 before anything is read from it, so a build is reproducible and tamper-evident.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from vidjil_kernel.exceptions import GermlineError
from vidjil_kernel.germline.alleles import normalise_functionality

#: our species directory names and the names each package uses for them
SPECIES = {
    "homo-sapiens": {"mirpy-lib": "human", "tcr-explorer": "HUMAN"},
    "mus-musculus": {"mirpy-lib": "mouse", "tcr-explorer": "MOUSE"},
}


@dataclass(frozen=True)
class SourcePackage:
    """A pinned PyPI wheel that ships IMGT data."""

    name: str
    version: str
    sha256: str
    wheel: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


MIRPY = SourcePackage(
    "mirpy-lib",
    "4.7.0",
    "05601e5595f25e369c08ffe6e19c68fc21e42d42b5f57f3425c8d97231d5eb2c",
    "mirpy_lib-4.7.0-py3-none-any.whl",
)
TCR_EXPLORER = SourcePackage(
    "tcr-explorer",
    "0.3.0",
    "2382e0346da9daf70382c0aaafe329bffc52d5f63a8a293cf86a99fa09d06f99",
    "tcr_explorer-0.3.0-py3-none-any.whl",
)
PACKAGES = (TCR_EXPLORER, MIRPY)

MIRPY_LIBRARY = "mir/resources/gene_library/imgt_gene_library.txt"
TCR_EXPLORER_DIR = "tcr_explorer/data/germline"


@dataclass(frozen=True)
class Record:
    """One V-, D- or J-REGION as a source package gives it."""

    name: str
    sequence: str
    functionality: str
    source: str
    frame: int | None = None
    partial: str = ""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(package: SourcePackage, cache_dir: Path) -> Path:
    """The verified wheel of ``package`` in ``cache_dir``, downloaded with pip if absent."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    wheel = cache_dir / package.wheel
    if wheel.is_file() and sha256_of(wheel) == package.sha256:
        return wheel
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--quiet", "--dest", tmp, package.requirement,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        downloaded = Path(tmp) / package.wheel
        if result.returncode != 0 or not downloaded.is_file():
            detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise GermlineError(
                f"could not download {package.requirement} with pip "
                f"({' / '.join(detail) or 'no wheel'}); check the network or the pip index "
                f"settings, or put {package.wheel} in {cache_dir}",
                build_hint=False,
            )
        digest = sha256_of(downloaded)
        if digest != package.sha256:
            raise GermlineError(
                f"{package.wheel} from the index has sha256 {digest}, expected "
                f"{package.sha256}: refusing to build from an unknown file",
                build_hint=False,
            )
        shutil.move(str(downloaded), wheel)
    return wheel


def _read_member(wheel: Path, member: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(member).decode("utf-8")


def mirpy_records(wheel: Path, species: str) -> list[Record]:
    """V/D/J alleles of ``species`` from mirpy's IMGT V-QUEST table (ungapped, uppercase)."""
    wanted = SPECIES[species][MIRPY.name]
    table = csv.DictReader(io.StringIO(_read_member(wheel, MIRPY_LIBRARY)), delimiter="\t")
    return [
        Record(row["allele"], row["sequence"].upper(),
               normalise_functionality(row["functionality"]), MIRPY.name)
        for row in table
        if row["species"] == wanted
    ]


def _fasta_entries(text: str) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    for block in text.split(">")[1:]:
        header, _, body = block.partition("\n")
        entries.append((header.strip(), "".join(body.split()).upper()))
    return entries


def tcr_explorer_records(wheel: Path, species: str) -> list[Record]:
    """V-, D- and J-REGIONs of ``species`` from tcr-explorer's IMGT/GENE-DB export."""
    folder = SPECIES[species][TCR_EXPLORER.name]
    text = _read_member(wheel, f"{TCR_EXPLORER_DIR}/{folder}/imgt-data.fasta")
    records = []
    for header, sequence in _fasta_entries(text):
        fields = header.split("|")
        if len(fields) < 14 or fields[4] not in ("V-REGION", "D-REGION", "J-REGION"):
            continue
        codon_start = fields[7].strip()
        frame = int(codon_start) - 1 if codon_start in ("1", "2", "3") else None
        records.append(Record(fields[1], sequence.replace(".", ""),
                              normalise_functionality(fields[3]), TCR_EXPLORER.name,
                              frame, fields[13].strip()))
    return records


def tcr_explorer_release(wheel: Path, species: str) -> dict[str, str]:
    """IMGT release facts from ``data-production-date.tsv`` (database, release, date)."""
    folder = SPECIES[species][TCR_EXPLORER.name]
    text = _read_member(wheel, f"{TCR_EXPLORER_DIR}/{folder}/data-production-date.tsv")
    facts = dict(line.split("\t", 1) for line in text.splitlines() if "\t" in line)
    return {
        "database": facts.get("reference", ""),
        "release": facts.get("release", ""),
        "date": facts.get("last_modified", ""),
    }


def tcr_explorer_j_motifs(wheel: Path, species: str) -> dict[str, tuple[str, str, int]]:
    """tcr-explorer's J motif table: allele -> (residue, confident, aa position from the end)."""
    folder = SPECIES[species][TCR_EXPLORER.name]
    text = _read_member(wheel, f"{TCR_EXPLORER_DIR}/{folder}/J-region-motifs.tsv")
    rows = csv.DictReader(io.StringIO(text), delimiter="\t")
    return {row["J gene"]: (row["Residue"], row["Confident?"], int(row["Position"]))
            for row in rows}
