"""The files of a simulated sample: reads (FASTQ/FASTA, gzip), truth per read and per clone.

Every file is written under a temporary name, fsynced and renamed, so that an
interrupted run leaves no half-written sample.  Gzip output has no name and no
time in its header: the same seed gives the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
from isal import igzip

from vidjil_kernel.simulate.clones import Clone, PlacedSegment
from vidjil_kernel.simulate.errors import ERROR_MODELS, GROWTH, illumina_quality_table
from vidjil_kernel.simulate.noise import NOISE_KINDS
from vidjil_kernel.simulate.records import (
    format_records,
    format_truth_rows,
    record_bytes_bound,
)

#: ISA-L level 1: ~3x faster than zlib -1 at the same ratio on reads
GZIP_LEVEL = 1
#: reads per kernel call (fixed: the chunking is part of what the seed reproduces)
CHUNK_READS = 1 << 16

READS_COLUMNS = ("sequence_id", "clone_id", "system", "locus", "rev_comp", "noise", "errors",
                 "molecule_start", "molecule_end")

CLONES_COLUMNS = (
    "clone_id", "system", "locus", "role", "duplicate_count", "v_call", "d_call", "d2_call",
    "j_call", "productive", "vj_in_frame", "stop_codon", "junction", "junction_aa",
    "junction_length", "v_3p_del", "d_5p_del", "d_3p_del", "d2_5p_del", "d2_3p_del",
    "j_5p_del", "np1", "np1_length", "np2", "np2_length", "np3", "np3_length",
    "v_sequence_start", "v_sequence_end", "d_sequence_start", "d_sequence_end",
    "d2_sequence_start", "d2_sequence_end", "j_sequence_start", "j_sequence_end",
    "cdr3_start", "cdr3_end", "shm_rate", "sequence",
)


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """A binary file that appears at ``path`` only once complete and synced."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with temporary.open("wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def reads_output(path: Path, compress: bool) -> Iterator[BinaryIO]:
    with atomic_output(path) as raw:
        if compress:
            with igzip.IGzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL,
                                 mtime=0) as compressed:
                yield compressed  # type: ignore[misc]
        else:
            yield raw


def write_reads(path: Path, *, pool: np.ndarray, offsets: np.ndarray, starts: np.ndarray,
                lengths: np.ndarray, reverse: np.ndarray, prefix: str, errors: str,
                fasta: bool, compress: bool, seeds: np.ndarray,
                progress: Callable[[int], object]) -> np.ndarray:
    """Write every read (in array order, numbered from 1); return errors per read."""
    count = len(lengths)
    width = len(str(count))
    model = ERROR_MODELS[errors]
    prefix_codes = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8).copy()
    numbers = np.arange(1, count + 1, dtype=np.int64)
    quality_table = illumina_quality_table(int(lengths.max()) if count else 1)
    error_counts = np.zeros(count, dtype=np.int64)
    with reads_output(path, compress) as handle:
        for chunk, first in enumerate(range(0, count, CHUNK_READS)):
            part = slice(first, min(count, first + CHUNK_READS))
            size = record_bytes_bound(lengths[part], len(prefix_codes), width, GROWTH[model],
                                      fasta)
            buffer = np.empty(size, dtype=np.uint8)
            written = format_records(pool, offsets[part], starts[part], lengths[part],
                                     reverse[part], numbers[part], width, prefix_codes, model,
                                     quality_table, fasta, int(seeds[chunk]), buffer,
                                     error_counts[part])
            handle.write(memoryview(buffer[:written]))
            progress(part.stop - part.start)
    return error_counts


def chunk_count(reads: int) -> int:
    return -(-reads // CHUNK_READS)


def _flag(value: bool | None) -> str:
    return "" if value is None else ("T" if value else "F")


def write_reads_truth(path: Path, *, prefix: str, templates: np.ndarray, clones: list[Clone],
                      noise_kinds: np.ndarray, reverse: np.ndarray, errors: np.ndarray,
                      starts: np.ndarray, lengths: np.ndarray) -> None:
    """One row per read, in file order.

    ``templates[i]`` below ``len(clones)`` is the read's clone; otherwise the read is
    noise number ``templates[i] - len(clones)``, of kind ``NOISE_KINDS[noise_kinds[...]]``.
    """
    count = len(templates)
    recombined = len(clones)
    labels = [f"{c.clone_id}\t{c.system}\t{c.locus}" for c in clones]
    labels += ["\t\t", "", *NOISE_KINDS]
    encoded = [label.encode("ascii") for label in labels]
    label_pool = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    label_offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(np.int64)
    is_noise = templates >= recombined
    kinds = np.zeros(count, dtype=np.int64)
    kinds[is_noise] = noise_kinds[templates[is_noise] - recombined]
    first_labels = np.where(is_noise, recombined, templates).astype(np.int64)
    second_labels = np.where(is_noise, recombined + 2 + kinds, recombined + 1).astype(np.int64)
    row_starts = np.where(is_noise, -1, starts).astype(np.int64)
    ends = (starts + lengths).astype(np.int64)
    prefix_codes = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    numbers = np.arange(1, count + 1, dtype=np.int64)
    width = len(str(count))
    longest_label = int(np.diff(label_offsets).max())
    row_bound = len(prefix_codes) + 24 + longest_label + 16 + 3 * 24 + 8
    with atomic_output(path) as handle:
        handle.write(("\t".join(READS_COLUMNS) + "\n").encode("ascii"))
        for first in range(0, count, CHUNK_READS):
            part = slice(first, min(count, first + CHUNK_READS))
            buffer = np.empty((part.stop - part.start) * row_bound, dtype=np.uint8)
            written = format_truth_rows(prefix_codes, numbers[part], width, label_pool,
                                        label_offsets, first_labels[part], reverse[part],
                                        second_labels[part], errors[part], row_starts[part],
                                        ends[part], buffer)
            handle.write(memoryview(buffer[:written]))


def _segments(clone: Clone) -> dict[str, PlacedSegment]:
    """The clone's segments keyed by AIRR prefix: v, d, d2, j."""
    found: dict[str, PlacedSegment] = {}
    for segment in clone.segments:
        key = segment.kind.lower()
        found["d2" if key == "d" and "d" in found else key] = segment
    return found


def clone_row(clone: Clone, reads: int) -> list[str]:
    """The AIRR-style truth row of a clone, in CLONES_COLUMNS order.

    Coordinates are 1-based and closed, as AIRR says; columns that do not apply
    (no D, no junction) are empty.
    """
    segments = _segments(clone)
    junction = clone.junction
    fields = {
        "clone_id": clone.clone_id, "system": clone.system, "locus": clone.locus,
        "role": clone.role, "duplicate_count": str(reads),
        "productive": _flag(clone.productive), "vj_in_frame": _flag(clone.vj_in_frame),
        "stop_codon": _flag(clone.stop_codon), "junction": junction,
        "junction_aa": clone.junction_aa,
        "junction_length": str(len(junction)) if junction else "",
        "shm_rate": f"{clone.shm_rate:.4f}", "sequence": clone.sequence,
    }
    for key in ("v", "d", "d2", "j"):
        segment = segments.get(key)
        fields[f"{key}_call"] = segment.allele if segment else ""
        fields[f"{key}_sequence_start"] = str(segment.start + 1) if segment else ""
        fields[f"{key}_sequence_end"] = str(segment.end) if segment else ""
        if key != "j":
            fields[f"{key}_3p_del"] = str(segment.del3) if segment else ""
        if key != "v":
            fields[f"{key}_5p_del"] = str(segment.del5) if segment else ""
    for number in (1, 2, 3):
        present = number <= len(clone.inserts)
        insert = clone.inserts[number - 1] if present else ""
        fields[f"np{number}"] = insert
        fields[f"np{number}_length"] = str(len(insert)) if present else ""
    fields["cdr3_start"] = fields["cdr3_end"] = ""
    if clone.junction_start is not None and clone.junction_end is not None:
        fields["cdr3_start"] = str(clone.junction_start + 4)
        fields["cdr3_end"] = str(clone.junction_end - 3)
    return [fields[column] for column in CLONES_COLUMNS]


def write_clones_truth(path: Path, clones: list[Clone], reads: list[int]) -> None:
    """One row per clone with reads, most reads first."""
    order = sorted(range(len(clones)), key=lambda i: (-reads[i], clones[i].clone_id))
    lines = ["\t".join(CLONES_COLUMNS)]
    for index in order:
        lines.append("\t".join(clone_row(clones[index], reads[index])))
    with atomic_output(path) as handle:
        handle.write(("\n".join(lines) + "\n").encode("ascii"))


def write_summary(path: Path, summary: dict) -> None:
    with atomic_output(path) as handle:
        handle.write((json.dumps(summary, indent=2, sort_keys=True) + "\n").encode("utf-8"))
