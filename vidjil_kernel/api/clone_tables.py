"""Clone tables as JSON: the clones of a ``.vidjil`` result (one sample, or a fused set).

One row per clone with its reads in each sample of the file (fused files hold
several), the share of each sample's analysed reads, and its designation.
Parsed files are kept (a few, keyed by path, size and modification time) so
that paging through a table does not parse the file again for every page.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from pydantic import BaseModel, Field

from vidjil_kernel.formats.vidjil import read_vidjil_samples
from vidjil_kernel.results import Clone


class SampleTotals(BaseModel):
    """A sample of the file: its name and read counts."""

    name: str
    total_reads: int
    analysed_reads: int
    reads_by_locus: dict[str, int]


class CloneRow(BaseModel):
    """One clone: reads and % of analysed reads per sample (in the order of ``samples``)."""

    id: str
    name: str
    locus: str
    top: int
    reads: list[int]
    percent: list[float]
    v: str | None
    d: str | None
    j: str | None
    junction_aa: str | None
    cdr3_aa: str | None
    productive: bool | None
    sequence: str


class CloneTable(BaseModel):
    """A page of the clones, biggest first, and the whole table's size."""

    samples: list[SampleTotals]
    total: int = Field(description="Clones matching the filters")
    offset: int
    limit: int | None
    items: list[CloneRow]


def _designation_fields(clone: Clone) -> dict:
    designation = clone.designation
    if designation is None:
        return dict(v=None, d=None, j=None, junction_aa=None, cdr3_aa=None, productive=None)
    junction = designation.junction
    return dict(
        v=designation.v.name if designation.v else None,
        d=" ".join(segment.name for segment in designation.d) or None,
        j=designation.j.name if designation.j else None,
        junction_aa=junction.aa if junction else None,
        cdr3_aa=junction.cdr3_aa if junction else None,
        productive=junction.productive if junction else None,
    )


@functools.lru_cache(maxsize=8)
def _parsed(path: str, size: int, modified: int) -> tuple[list[SampleTotals], list[CloneRow]]:
    samples = read_vidjil_samples(path)
    totals = [SampleTotals(name=sample.original_name, total_reads=sample.total_reads,
                           analysed_reads=sample.analysed_reads,
                           reads_by_locus=sample.reads_by_locus) for sample in samples]
    first: dict[str, Clone] = {}
    reads: dict[str, list[int]] = {}
    for index, sample in enumerate(samples):
        for clone in sample.clones:
            first.setdefault(clone.id, clone)
            reads.setdefault(clone.id, [0] * len(samples))[index] = clone.reads
    rows = []
    for clone_id, clone in first.items():
        counts = reads[clone_id]
        rows.append(CloneRow(
            id=clone_id, name=clone.name, locus=clone.locus, top=clone.top, reads=counts,
            percent=[100.0 * count / sample.analysed_reads if sample.analysed_reads else 0.0
                     for count, sample in zip(counts, samples, strict=True)],
            sequence=clone.sequence, **_designation_fields(clone)))
    rows.sort(key=lambda row: (-max(row.reads), row.top, row.id))
    return totals, rows


def clone_table(path: Path, *, locus: str | None = None, search: str | None = None,
                offset: int = 0, limit: int | None = None) -> CloneTable:
    """A page of the clones of ``path``, biggest first (``InputFormatError`` if unreadable)."""
    status = os.stat(path)
    totals, rows = _parsed(str(path), status.st_size, status.st_mtime_ns)
    if locus:
        rows = [row for row in rows if row.locus == locus]
    if search:
        needle = search.lower()
        rows = [row for row in rows if needle in row.name.lower() or needle in row.id.lower()
                or needle in (row.cdr3_aa or "").lower()]
    end = None if limit is None else offset + limit
    return CloneTable(samples=totals, total=len(rows), offset=offset, limit=limit,
                      items=rows[offset:end])
