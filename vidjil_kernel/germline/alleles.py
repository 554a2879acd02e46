"""Germline alleles and the FASTA files that hold them.

Headers written by the builder look like ``>IGHV3-23*01 functionality=F anchor=288``
(``anchor=none`` when the V/J has no Cys104 / Phe-Trp118 codon; no anchor for D).
Custom files are read too: IMGT/GENE-DB headers (``>acc|IGHV3-23*01|Homo sapiens|F|...``,
whose 8th field is the codon start) and plain ``>NAME anything``; anchors missing from
a header are computed by :mod:`vidjil_kernel.germline.anchors`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vidjil_kernel.exceptions import InputFormatError
from vidjil_kernel.germline.anchors import anchor_for

#: loci of IMGT allele names, in the order Vidjil lists its systems
LOCI = ("IGH", "IGK", "IGL", "TRA", "TRB", "TRG", "TRD")

#: IUPAC ambiguity codes, read as N (IMGT leaves a few bases undetermined)
_AMBIGUOUS = str.maketrans({code: "N" for code in "RYKMSWBDHV"})
_GAPS = str.maketrans("", "", ".-")
_VALID = re.compile(r"[ACGTN]*")
_FUNCTIONALITY = re.compile(r"^[\[(]?(F|ORF|P)[\])]?$")


@dataclass(frozen=True)
class Allele:
    """One germline allele: IMGT name, ungapped sequence (ACGT, N for undetermined bases).

    ``anchor`` is the 0-based start of the Cys104 codon of a V or of the Phe/Trp118
    codon of a J; None for a D or when the sequence has no such codon.
    """

    name: str
    sequence: str
    functionality: str = ""
    anchor: int | None = None

    @property
    def gene(self) -> str:
        """IMGT gene name: the allele name before ``*``."""
        return self.name.split("*", 1)[0]

    @property
    def locus(self) -> str:
        """``IGH``, ..., ``TRD`` from the name; ``""`` for a name that is not IMGT's."""
        prefix = self.name[:3]
        return prefix if prefix in LOCI else ""

    @property
    def segment(self) -> str:
        """``V``, ``D`` or ``J`` from the IMGT name; ``""`` when the name does not say."""
        return segment_of(self.name)


def segment_of(name: str) -> str:
    """``V``/``D``/``J`` for an IMGT allele or gene name (``IGHV3-23*01`` -> ``V``)."""
    if name[:3] in LOCI and len(name) > 3 and name[3] in "VDJ":
        return name[3]
    return ""


def normalise_functionality(value: str) -> str:
    """IMGT functionality ``F``/``ORF``/``P``; ``(F)`` and ``[F]`` (not confirmed) count as F."""
    match = _FUNCTIONALITY.match(value.strip())
    return match.group(1) if match else ""


def _header_fields(header: str) -> tuple[str, str, int | None | str, int | None]:
    """(name, functionality, anchor or "" when absent, frame) from a FASTA header."""
    if "|" in header:
        fields = header.split("|")
        name = fields[1].strip() if len(fields) > 1 else ""
        functionality = normalise_functionality(fields[3]) if len(fields) > 3 else ""
        codon_start = fields[7].strip() if len(fields) > 7 else ""
        frame = int(codon_start) - 1 if codon_start in ("1", "2", "3") else None
        return name, functionality, "", frame
    words = header.split()
    name = words[0] if words else ""
    functionality = ""
    anchor: int | None | str = ""
    for word in words[1:]:
        key, _, value = word.partition("=")
        if key == "functionality":
            functionality = normalise_functionality(value)
        elif key == "anchor":
            anchor = None if value == "none" else int(value) if value.isdigit() else ""
    return name, functionality, anchor, None


def read_germline_fasta(path: str | Path, segment: str | None = None) -> list[Allele]:
    """Alleles of a germline FASTA file, in file order.

    ``segment`` ("V", "D", "J") says which anchor to compute for records whose header
    lacks one; by default it comes from each IMGT allele name.  Raises
    :class:`InputFormatError` naming the file and line on text before the first
    header, an empty name or sequence, a character that is not a base, or an allele
    seen twice.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError as error:
        raise InputFormatError(str(path), f"not a text FASTA file ({error.reason})") from None
    except OSError as error:
        raise InputFormatError(str(path), f"cannot read: {error.strerror}") from None
    alleles: list[Allele] = []
    seen: dict[str, int] = {}
    header: str | None = None
    header_line = 0
    chunks: list[str] = []
    chunk_lines: list[int] = []

    def bases_of_record() -> str:
        """The record's sequence lines as bases, checked once per record, not per line."""
        bases = "".join(chunks).upper().translate(_GAPS).translate(_AMBIGUOUS)
        if not _VALID.fullmatch(bases):
            bad = next(c for c in bases if c not in "ACGTN")
            number = next(n for n, chunk in zip(chunk_lines, chunks, strict=True)
                          if bad in chunk.upper())
            raise InputFormatError(str(path), f"character {bad!r} is not a nucleotide",
                                   line=number)
        return bases

    def finish() -> None:
        if header is None:
            return
        name, functionality, anchor, frame = _header_fields(header)
        if not name:
            raise InputFormatError(str(path), "header without an allele name", line=header_line)
        sequence = bases_of_record()
        if name in seen:
            raise InputFormatError(
                str(path), f"allele {name} already defined at line {seen[name]}", line=header_line
            )
        if not sequence:
            raise InputFormatError(str(path), f"allele {name} has no sequence", line=header_line)
        seen[name] = header_line
        if anchor == "":
            anchor = anchor_for(segment or segment_of(name), sequence, frame)
        alleles.append(Allele(name, sequence, functionality, anchor))

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line[0] == ">":
            finish()
            header, header_line, chunks, chunk_lines = line[1:].strip(), number, [], []
        elif header is None:
            raise InputFormatError(str(path), "sequence before the first '>' header", line=number)
        else:
            chunks.append(line)
            chunk_lines.append(number)
    finish()
    if not alleles:
        raise InputFormatError(str(path), "no FASTA record ('>' header) in the file")
    return alleles


def format_header(allele: Allele) -> str:
    """The builder's header: name, functionality and the anchor (V/J only)."""
    parts = [allele.name]
    if allele.functionality:
        parts.append(f"functionality={allele.functionality}")
    if segment_of(allele.name) in ("V", "J"):
        parts.append(f"anchor={'none' if allele.anchor is None else allele.anchor}")
    return " ".join(parts)


def write_germline_fasta(path: Path, alleles: Iterable[Allele], width: int = 60) -> None:
    """Write alleles with builder headers, fsynced (callers rename the file into place)."""
    with path.open("w", encoding="ascii", newline="\n") as handle:
        for allele in alleles:
            handle.write(f">{format_header(allele)}\n")
            for start in range(0, len(allele.sequence), width):
                handle.write(allele.sequence[start : start + width] + "\n")
        handle.flush()
        os.fsync(handle.fileno())
