"""Distributions over every clone of a sample, as the ``.vidjil`` format's ``distributions``.

A fused file keeps only the top clones of each sample; its ``distributions``
describe all of them, so that V/J usage or length plots cover the whole
repertoire.  Each distribution counts ``[clones, reads]`` per value of its axes
(nested objects for two axes, the first outermost).  Axes, named as the Vidjil
client names them:

- ``germline`` (the clone's locus), ``lenSeqAverage`` (its average read length,
  rounded), ``lenCDR3`` (CDR3 length in nt);
- ``seg5``, ``seg3`` (V and J genes, alleles dropped) and ``seg3`` x ``seg5``.

Values the clone does not have (a V gene of a clone beyond the designated top
clones, a CDR3 without a junction) count under ``"?"``, so that every clone is
counted on every axis; configs with ``-z all`` designate every clone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from vidjil_kernel.results import Clone

UNKNOWN = "?"
KEYS = ["clones", "reads"]


def _gene(allele: str) -> str:
    return allele.split("*")[0]


def _v(clone: Clone) -> str:
    call = clone.designation.v if clone.designation else None
    return _gene(call.name) if call is not None and call.name else UNKNOWN


def _j(clone: Clone) -> str:
    call = clone.designation.j if clone.designation else None
    return _gene(call.name) if call is not None and call.name else UNKNOWN


def _length(clone: Clone) -> str:
    length = clone.average_read_length
    return str(round(length)) if math.isfinite(length) else UNKNOWN


def _cdr3(clone: Clone) -> str:
    junction = clone.designation.junction if clone.designation else None
    return str(junction.cdr3_end - junction.cdr3_start) if junction is not None else UNKNOWN


AXES: dict[str, Callable[[Clone], str]] = {
    "germline": lambda clone: clone.locus,
    "lenSeqAverage": _length,
    "lenCDR3": _cdr3,
    "seg5": _v,
    "seg3": _j,
}
#: the distributions a fused file holds, each a list of axes
DEFAULT_DISTRIBUTIONS = (("germline",), ("lenSeqAverage",), ("lenCDR3",), ("seg5",),
                         ("seg3",), ("seg3", "seg5"))


def distribution(clones: Sequence[Clone], axes: Sequence[str]) -> dict:
    """``{"axes": axes, "values": nested {value: [clones, reads]}}`` over ``clones``."""
    values: dict = {}
    for clone in clones:
        level = values
        keys = [AXES[axis](clone) for axis in axes]
        for key in keys[:-1]:
            level = level.setdefault(key, {})
        counts = level.setdefault(keys[-1], [0, 0])
        counts[0] += 1
        counts[1] += clone.reads
    return {"axes": list(axes), "values": values}


def distributions(clones: Sequence[Clone],
                  wanted: Sequence[Sequence[str]] = DEFAULT_DISTRIBUTIONS) -> list[dict]:
    return [distribution(clones, axes) for axes in wanted]
