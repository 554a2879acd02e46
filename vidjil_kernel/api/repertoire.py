"""Repertoire summaries of a ``.vidjil`` result: QC, diversity, V x J usage, read lengths.

What the Results dashboard plots, computed here from the result file so that a
notebook kernel only draws it: per sample, the reads analysed and the reasons
for the others, the diversity indices, the reads of each V gene x J gene pair
per locus, and the reads by length (each clone's reads at its average read
length, in ``LENGTH_BIN`` bins: the result file keeps lengths per clone, not per read).
"""

from __future__ import annotations

import functools
import math
import os
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel, Field

from vidjil_kernel.formats.vidjil import read_vidjil_samples
from vidjil_kernel.results import SampleResult

#: width in nucleotides of the bins of the read-length distribution
LENGTH_BIN = 10


class VJUsage(BaseModel):
    """Reads of clones with this V gene and this J gene (alleles merged)."""

    locus: str
    v: str
    j: str
    reads: int
    clones: int


class DiversityIndices(BaseModel):
    shannon: float | None
    equitability: float | None
    simpson: float | None


class SampleSummary(BaseModel):
    """One sample of the result file."""

    name: str
    total_reads: int
    analysed_reads: int
    analysed_percent: float
    reads_by_locus: dict[str, int]
    not_analysed: dict[str, int] = Field(description="Reads not analysed, by reason")
    diversity: dict[str, DiversityIndices] = Field(description="By locus, 'all' for the "
                                                               "whole sample")
    vj_usage: list[VJUsage]
    length_bins: list[int] = Field(description="Lower bound (nt) of each length bin")
    length_reads: list[int] = Field(description="Analysed reads in each length bin")


class Repertoire(BaseModel):
    """The summaries of the samples of a result (several for a fused result)."""

    length_bin: int = LENGTH_BIN
    samples: list[SampleSummary]


def _gene(call: str) -> str:
    return call.partition("*")[0]


def _finite(value: float) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _vj_usage(sample: SampleResult) -> list[VJUsage]:
    reads: dict[tuple[str, str, str], int] = defaultdict(int)
    clones: dict[tuple[str, str, str], int] = defaultdict(int)
    for clone in sample.clones:
        designation = clone.designation
        if designation is None or designation.v is None or designation.j is None \
                or clone.reads <= 0:
            continue
        key = (clone.locus, _gene(designation.v.name), _gene(designation.j.name))
        reads[key] += clone.reads
        clones[key] += 1
    return [VJUsage(locus=locus, v=v, j=j, reads=count, clones=clones[(locus, v, j)])
            for (locus, v, j), count in sorted(reads.items())]


def _lengths(sample: SampleResult) -> tuple[list[int], list[int]]:
    counts: dict[int, int] = defaultdict(int)
    for clone in sample.clones:
        if clone.reads > 0 and math.isfinite(clone.average_read_length):
            counts[int(clone.average_read_length) // LENGTH_BIN * LENGTH_BIN] += clone.reads
    if not counts:
        return [], []
    bins = list(range(min(counts), max(counts) + LENGTH_BIN, LENGTH_BIN))
    return bins, [counts.get(start, 0) for start in bins]


def _summary(sample: SampleResult) -> SampleSummary:
    bins, lengths = _lengths(sample)
    return SampleSummary(
        name=sample.original_name, total_reads=sample.total_reads,
        analysed_reads=sample.analysed_reads,
        analysed_percent=100.0 * sample.analysed_reads / sample.total_reads
        if sample.total_reads else 0.0,
        reads_by_locus=sample.reads_by_locus,
        not_analysed={reason: count for reason, count in sample.reasons.items() if count},
        diversity={locus: DiversityIndices(shannon=_finite(indices.shannon),
                                           equitability=_finite(indices.equitability),
                                           simpson=_finite(indices.simpson))
                   for locus, indices in sample.diversity.items()},
        vj_usage=_vj_usage(sample), length_bins=bins, length_reads=lengths)


@functools.lru_cache(maxsize=8)
def _parsed(path: str, size: int, modified: int) -> Repertoire:
    return Repertoire(samples=[_summary(sample) for sample in read_vidjil_samples(path)])


def repertoire(path: Path) -> Repertoire:
    """The summaries of ``path``'s samples (``InputFormatError`` if unreadable)."""
    status = os.stat(path)
    return _parsed(str(path), status.st_size, status.st_mtime_ns)
