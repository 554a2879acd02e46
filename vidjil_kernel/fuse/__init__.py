"""Fuse: the results of a set's samples joined clone by clone, for the follow-up over time.

Clones are joined by id (the junction window for the engine's results, any id for
imported ones).  The fused file keeps the union of each sample's top ``top``
clones and, so that small loci are not crowded out, of each sample's top
``per_locus`` clones of every locus; each clone has its reads in every sample
(0 where absent) and ``top``, its best rank over the samples.  It also holds, per
sample: the name, sampling date, read totals (per locus, and why reads were not
analysed), diversity indices, and ``distributions`` over *all* the sample's
clones; and between samples: Morisita-Horn and Jaccard overlaps (``overlaps``,
matrices in sample order).  Samples come in order of sampling date.

Inputs are ``.vidjil`` results (one sample each) or AIRR rearrangement files;
the output is one ``.vidjil`` file that the Vidjil client opens and
``formats.vidjil.read_vidjil_samples`` reads back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from vidjil_kernel import __version__
from vidjil_kernel.detect.diversity import diversity
from vidjil_kernel.fileio import atomic_write
from vidjil_kernel.formats.airr import read_airr_result
from vidjil_kernel.formats.vidjil import read_vidjil, vidjil_samples_dict
from vidjil_kernel.fuse.distributions import KEYS, distributions
from vidjil_kernel.fuse.overlap import overlap_matrices
from vidjil_kernel.results import Clone, SampleResult

WHOLE_SAMPLE = "all"


@dataclass
class FuseSample:
    """One sample's result and what the lab knows of the sample."""

    result: SampleResult
    name: str
    sampling_date: dt.date | None = None
    sample_id: int | None = None
    result_id: int | None = None


def load_result(path: str | os.PathLike) -> SampleResult:
    """A one-sample result file: AIRR if it is a TSV, ``.vidjil`` otherwise."""
    if str(path).endswith((".tsv", ".airr")):
        return read_airr_result(path)
    return read_vidjil(path)


def _ranked(result: SampleResult) -> list[Clone]:
    return sorted(result.clones, key=lambda clone: (-clone.reads, clone.id))


def kept_clones(result: SampleResult, top: int, per_locus: int) -> list[str]:
    """Ids of the sample's top ``top`` clones and top ``per_locus`` clones of each locus."""
    kept = []
    per_locus_seen: dict[str, int] = {}
    for rank, clone in enumerate(_ranked(result)):
        seen = per_locus_seen.get(clone.locus, 0)
        if rank < top or seen < per_locus:
            kept.append(clone.id)
        per_locus_seen[clone.locus] = seen + 1
    return kept


def _representative(versions: list[Clone]) -> Clone:
    """The fullest version of a clone: designated first, then the most reads."""
    return max(versions, key=lambda clone: (clone.designation is not None, clone.reads))


def _with_diversity(result: SampleResult) -> SampleResult:
    """Results without diversity indices (AIRR) get them from their clones' reads."""
    if result.diversity:
        return result
    indices = {WHOLE_SAMPLE: diversity([clone.reads for clone in result.clones])}
    for locus in dict.fromkeys(clone.locus for clone in result.clones):
        indices[locus] = diversity([c.reads for c in result.clones if c.locus == locus])
    return replace(result, diversity=indices)


def _unique_names(samples: Sequence[FuseSample]) -> list[str]:
    names = [sample.name or sample.result.original_name for sample in samples]
    return [name if names.count(name) == 1 else
            f"{name} #{sample.sample_id if sample.sample_id is not None else i + 1}"
            for i, (name, sample) in enumerate(zip(names, samples, strict=True))]


def fuse(samples: Sequence[FuseSample], *, top: int = 100, per_locus: int = 10) -> dict:
    """The fused ``.vidjil`` JSON of ``samples`` (see the module docstring)."""
    ordered = sorted(samples, key=lambda s: (s.sampling_date is None,
                                             s.sampling_date or dt.date.min,
                                             s.sample_id or 0))
    names = _unique_names(ordered)
    results = [_with_diversity(replace(sample.result, original_name=name))
               for sample, name in zip(ordered, names, strict=True)]
    best_rank: dict[str, int] = {}
    for result in results:
        rank_of = {clone.id: rank for rank, clone in enumerate(_ranked(result), start=1)}
        for clone_id in kept_clones(result, top, per_locus):
            best_rank[clone_id] = min(best_rank.get(clone_id, rank_of[clone_id]),
                                      rank_of[clone_id])
    versions: dict[str, list[Clone]] = {}
    for result in results:
        for clone in result.clones:
            if clone.id in best_rank:
                versions.setdefault(clone.id, []).append(clone)
    clones = [replace(_representative(versions[clone_id]), top=rank)
              for clone_id, rank in best_rank.items()]
    clones.sort(key=lambda clone: (clone.top, -max(c.reads for c in versions[clone.id]),
                                   clone.id))
    data = vidjil_samples_dict(results, clones)
    data["producer"] = f"vidjil-kernel {__version__} fuse"
    data["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    data["samples"]["sampling_date"] = [s.sampling_date.isoformat() if s.sampling_date
                                        else None for s in ordered]
    data["samples"]["sample_id"] = [s.sample_id for s in ordered]
    data["samples"]["result_id"] = [s.result_id for s in ordered]
    data["distributions"] = {"keys": KEYS, "repertoires": {
        result.original_name: distributions(result.clones) for result in results}}
    overlaps = overlap_matrices([{clone.id: clone.reads for clone in result.clones}
                                 for result in results])
    data["overlaps"] = {"samples": names, **overlaps}
    data["fuse"] = {"top": top, "per_locus": per_locus, "clones": len(clones)}
    return data


def write_fused(samples: Sequence[FuseSample], path: str | os.PathLike, *, top: int = 100,
                per_locus: int = 10) -> Path:
    """Fuse ``samples`` into ``path`` (written to a temporary name, fsynced, renamed)."""
    data = fuse(samples, top=top, per_locus=per_locus)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=1, allow_nan=False)
        handle.write("\n")
    return Path(path)
