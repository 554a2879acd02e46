"""What to simulate: :class:`SimulationSpec`, checked before any work starts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from vidjil_kernel.exceptions import UsageError
from vidjil_kernel.germline import Preset
from vidjil_kernel.germline.alleles import LOCI
from vidjil_kernel.simulate.errors import ERROR_MODELS

MODES = ("polyclonal", "diagnosis", "mrd")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


@dataclass(frozen=True)
class SimulationSpec:
    """One simulated sample (or the first of a follow-up).

    ``loci`` pairs germline systems with relative weights; empty means every
    complete locus of the preset (IGH, IGK, ... TRD; not IGH+, TRA+D...) equally.
    ``clones`` is the number of background (polyclonal) clones; None picks one
    clone per 10 recombined reads, between 10 and 30,000.  ``dominant_fraction`` is
    the dominant clone's share of its locus' recombined reads in diagnosis mode
    (None: uniform in 30-80%).  ``tracer_fraction`` is the MRD tracer's share of all
    reads.  ``noise`` is the share of reads that hold no recombination.
    """

    germline: str = "homo-sapiens"
    loci: tuple[tuple[str, float], ...] = ()
    reads: int = 100_000
    read_length: int = 250
    mode: str = "polyclonal"
    tracer_fraction: float = 1e-4
    dominant_fraction: float | None = None
    noise: float = 0.05
    errors: str = "illumina"
    clones: int | None = None
    name: str = "sample"
    fasta: bool = False
    gzip: bool = True
    seed: int = 1
    shm: bool = True
    p_nucleotides: bool = True
    germline_dir: Path | None = None
    progress: bool = False

    def check(self) -> None:
        """Raise :class:`UsageError` naming the first option out of range."""
        if self.reads < 1:
            raise UsageError(f"--reads must be at least 1 (got {self.reads})")
        if self.read_length < 20:
            raise UsageError(f"--read-length must be at least 20 nt (got {self.read_length})")
        if self.mode not in MODES:
            raise UsageError(f"--mode must be one of {', '.join(MODES)} (got {self.mode!r})")
        if self.errors not in ERROR_MODELS:
            raise UsageError(
                f"--errors must be one of {', '.join(ERROR_MODELS)} (got {self.errors!r})"
            )
        if not 0.0 <= self.noise < 1.0:
            raise UsageError(f"--noise must be a fraction in [0, 1) (got {self.noise})")
        if not 0.0 < self.tracer_fraction < 1.0:
            raise UsageError(
                f"--tracer-fraction must be in (0, 1) (got {self.tracer_fraction})"
            )
        if self.dominant_fraction is not None and not 0.0 < self.dominant_fraction < 1.0:
            raise UsageError(
                f"--dominant-fraction must be in (0, 1) (got {self.dominant_fraction})"
            )
        if self.clones is not None and self.clones < 1:
            raise UsageError(f"--clones must be at least 1 (got {self.clones})")
        if not _NAME.fullmatch(self.name):
            raise UsageError(
                f"--name {self.name!r} must be a file stem: letters, digits, '.', '_', '+', '-'"
            )
        for locus, weight in self.loci:
            if not math.isfinite(weight) or weight < 0:
                raise UsageError(f"--loci: weight of {locus} must be a number >= 0 (got {weight})")
        if self.loci and sum(weight for _, weight in self.loci) <= 0:
            raise UsageError("--loci: the weights must sum to a positive number")


def parse_loci(text: str) -> tuple[tuple[str, float], ...]:
    """``"IGH:0.5,TRG:0.5"`` or ``"IGH,TRG"`` (equal weights) -> ((system, weight), ...)."""
    pairs: list[tuple[str, float]] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, colon, weight_text = item.rpartition(":")
        if not colon:
            name, weight_text = item, "1"
        try:
            weight = float(weight_text)
        except ValueError:
            raise UsageError(
                f"--loci: {item!r} is not LOCUS:WEIGHT (the weight must be a number)"
            ) from None
        if any(name == seen for seen, _ in pairs):
            raise UsageError(f"--loci: {name} is given twice")
        pairs.append((name.strip(), weight))
    if not pairs:
        raise UsageError("--loci: no locus given (e.g. --loci IGH:0.5,TRG:0.5)")
    return tuple(pairs)


def resolve_loci(spec: SimulationSpec, preset: Preset) -> list[tuple[str, float]]:
    """Systems of ``preset`` to simulate with weights summing to 1 (zero weights dropped)."""
    if spec.loci:
        wanted = list(spec.loci)
    else:
        wanted = [(name, 1.0) for name in preset.systems if name in LOCI]
        if not wanted:
            wanted = [(name, 1.0) for name in preset.systems]
    for name, _ in wanted:
        if name not in preset.systems:
            why = preset.unavailable.get(name)
            if why:
                raise UsageError(f"--loci: {name} cannot be simulated: {why}")
            raise UsageError(
                f"--loci: no system {name!r} in germline {spec.germline}; "
                f"known: {', '.join(preset.systems)}"
            )
    total = sum(weight for _, weight in wanted)
    return [(name, weight / total) for name, weight in wanted if weight > 0]
