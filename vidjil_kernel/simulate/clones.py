"""A simulated clone: its recombined molecule and the truth about it."""

from __future__ import annotations

from dataclasses import dataclass

from vidjil_kernel.germline import translate


@dataclass(frozen=True)
class PlacedSegment:
    """A germline segment inside a molecule: 0-based half-open ``start``-``end``.

    ``del5``/``del3`` count germline nucleotides trimmed at each end; an end that
    is the end of the molecule is never trimmed (0).
    """

    kind: str
    allele: str
    start: int
    end: int
    del5: int
    del3: int


@dataclass
class Clone:
    """One recombination (the molecule, forward strand) and its ground truth.

    ``junction_start``/``junction_end`` (0-based half-open) run from the first
    nucleotide of the Cys104 codon to the last of the Phe/Trp118 codon; None when
    the recombination has no V or no J (incomplete D-J, V-D).  ``inserts`` are the
    N (and P) regions between consecutive segments.  ``role`` says why the clone is
    in the sample: dominant, minor, background or tracer.
    """

    clone_id: str
    system: str
    locus: str
    role: str
    sequence: str
    segments: list[PlacedSegment]
    inserts: list[str]
    junction_start: int | None
    junction_end: int | None
    productive: bool | None
    vj_in_frame: bool | None
    stop_codon: bool | None
    shm_rate: float
    read_start_max: int = 0
    read_end_min: int = 0

    @property
    def junction(self) -> str:
        if self.junction_start is None or self.junction_end is None:
            return ""
        return self.sequence[self.junction_start : self.junction_end]

    @property
    def junction_aa(self) -> str:
        """Translation from the Cys104 codon; an out-of-frame tail (1-2 nt) is left out."""
        return translate(self.junction)
