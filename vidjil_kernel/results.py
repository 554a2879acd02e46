"""What an analysis finds, independent of any file format.

The detector fills these objects; ``formats.vidjil`` and ``formats.airr``
write and read them.  Coordinates are 0-based, half-open, in nucleotides of
``Clone.sequence`` (always given on the forward strand of the recombination);
the writers convert to the 1-based closed intervals of the file formats.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class SegmentCall:
    """One germline segment (V/5', D/4, J/3') aligned on a clone sequence.

    ``alleles`` lists equal-best alleles, best first.  ``del_left`` counts
    nucleotides of the germline missing at its 5' end (D, J), ``del_right``
    at its 3' end (V, D); None when not applicable.
    """

    alleles: list[str]
    start: int
    end: int
    del_left: int | None = None
    del_right: int | None = None
    score: float | None = None
    evalue: float | None = None

    @property
    def name(self) -> str:
        return self.alleles[0] if self.alleles else ""

    @property
    def call(self) -> str:
        """AIRR-style call: equal-best alleles separated by commas."""
        return ",".join(self.alleles)


@dataclass
class Junction:
    """The JUNCTION (Cys104 to Phe/Trp118 included) and its CDR3 (both excluded).

    ``unproductive`` gives the reason when ``productive`` is False:
    "out-of-frame", "stop-codon" or "no-conserved-motif".
    """

    start: int
    end: int
    nt: str
    aa: str
    productive: bool
    unproductive: str | None = None
    in_frame: bool | None = None
    stop_codon: bool | None = None

    @property
    def cdr3_start(self) -> int:
        return self.start + 3

    @property
    def cdr3_end(self) -> int:
        return self.end - 3

    @property
    def cdr3_nt(self) -> str:
        return self.nt[3:-3]

    @property
    def cdr3_aa(self) -> str:
        return self.aa[1:-1]


@dataclass
class Designation:
    """A full V(D)J designation of a clone sequence.

    ``inserts`` holds the inserted (N) nucleotides between consecutive segments
    of ``segments()``: one string less than there are segments.  ``warnings`` says
    why something is missing (e.g. no junction: the V allele lacks its Cys104).
    """

    locus: str
    v: SegmentCall | None
    j: SegmentCall | None
    d: list[SegmentCall] = field(default_factory=list)
    inserts: list[str] = field(default_factory=list)
    junction: Junction | None = None
    evalue: float | None = None
    warnings: list[str] = field(default_factory=list)

    def segments(self) -> list[SegmentCall]:
        return [s for s in (self.v, *self.d, self.j) if s is not None]

    @property
    def name(self) -> str:
        """Vidjil-style name, e.g. ``IGHV3-9*01 7/CCCGGA/17 IGHD1-1*01 2//5 IGHJ6*02``."""
        segments = self.segments()
        if not segments:
            return ""
        parts = [segments[0].name]
        for left, insert, right in zip(segments, self.inserts, segments[1:], strict=False):
            parts.append(f"{left.del_right or 0}/{insert}/{right.del_left or 0}")
            parts.append(right.name)
        return " ".join(parts)


@dataclass
class Clone:
    """Reads sharing one junction window, after merging likely sequencing errors."""

    id: str
    locus: str
    reads: int
    sequence: str
    window_start: int
    average_read_length: float
    evalue: float
    top: int = 0
    designation: Designation | None = None
    quality: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.designation.name if self.designation else ""


@dataclass
class Diversity:
    """Diversity indices over all clones of a locus (or of the whole sample)."""

    shannon: float
    equitability: float
    simpson: float


@dataclass
class SampleResult:
    """Everything one detection run reports for one input file."""

    original_name: str
    producer: str
    timestamp: str
    commandline: str
    total_reads: int
    analysed_reads: int
    reads_by_locus: dict[str, int]
    reasons: dict[str, int]
    clones: list[Clone]
    diversity: dict[str, Diversity] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    preset: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
