"""Detection of one big input in chunks on several workers, with the single-pass result.

The expensive step of a pass, the k-mer affectation of each read, depends only
on the read and on the e-value's read-count factor, which is the whole input's.
So one input is

1. **split** (``split_reads``): streamed once into chunk files of consecutive
   batches (raw arrays, no text to parse again), the whole input's read count
   estimated as ``Detector.run`` estimates it;
2. **affected** chunk by chunk, anywhere (``affect_chunk``): each writes the
   calls of its reads next to its chunk;
3. **combined** (``combined_batches`` into ``Detector.run_calls``): batches and
   calls fed back in input order, so that the window table, the error merging,
   the clones and the per-read output are exactly those of one pass.

Chunk files hold the uncompressed reads: about the input's uncompressed size on
disk while the job runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidjil_kernel.detect.pipeline import Detector
from vidjil_kernel.reads import BatchReader, ReadBatch

CALL_FIELDS = ("status", "rec", "strand", "win_start", "win_width", "log10_evalue", "end5",
               "start3")


@dataclass(frozen=True)
class Chunk:
    """One chunk file: its reads, and the input bytes done at its end (for progress)."""

    index: int
    path: Path
    reads: int
    bytes_done: int

    @property
    def calls_path(self) -> Path:
        return self.path.with_name(self.path.name + ".calls")


@dataclass(frozen=True)
class SplitInput:
    """What the chunks of one input share."""

    source: str
    expected_reads: float
    has_qual: bool
    total_bytes: int | None
    chunks: tuple[Chunk, ...]


def _save(handle, arrays: list[np.ndarray]) -> None:  # noqa: ANN001
    for array in arrays:
        np.save(handle, array, allow_pickle=False)


def _batch_arrays(batch: ReadBatch) -> list[np.ndarray]:
    begin, end = batch.offsets[0], batch.offsets[-1]
    name_begin, name_end = batch.name_offsets[0], batch.name_offsets[-1]
    qual = batch.qual[begin:end] if batch.qual is not None else np.zeros(0, np.uint8)
    return [batch.seq[begin:end], batch.offsets - begin, qual,
            batch.names[name_begin:name_end], batch.name_offsets - name_begin,
            np.array([batch.first_record], np.int64)]


def split_reads(detector: Detector, source: str | os.PathLike, directory: Path,
                chunk_reads: int,
                on_chunk: Callable[[SplitInput, Chunk], None] | None = None) -> SplitInput:
    """Write ``source`` as chunks of about ``chunk_reads`` reads (whole batches) in ``directory``.

    ``on_chunk(split_so_far, chunk)`` is called as each chunk is complete, so that
    its affectation can start while the next one is written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    reader = BatchReader(source, batch_reads=detector.options.batch_reads)
    chunks: list[Chunk] = []
    expected_reads: float | None = None
    has_qual = False
    handle = None
    in_chunk = 0

    def close_chunk() -> None:
        nonlocal handle, in_chunk
        handle.close()
        chunk = Chunk(len(chunks), Path(handle.name), in_chunk, reader.bytes_read)
        chunks.append(chunk)
        handle, in_chunk = None, 0
        if on_chunk is not None:
            on_chunk(_split(source, expected_reads, has_qual, reader, chunks), chunk)

    with reader:
        for batch in reader:
            if expected_reads is None:
                expected_reads = detector._expected_reads(reader)
                has_qual = batch.qual is not None
            if handle is None:
                handle = open(directory / f"chunk-{len(chunks):05d}.reads", "wb")  # noqa: SIM115
            _save(handle, _batch_arrays(batch))
            in_chunk += batch.n
            if in_chunk >= chunk_reads:
                close_chunk()
        if handle is not None:
            close_chunk()
    return _split(source, expected_reads or 0.0, has_qual, reader, chunks)


def _split(source: str | os.PathLike, expected_reads: float | None, has_qual: bool,
           reader: BatchReader, chunks: list[Chunk]) -> SplitInput:
    return SplitInput(str(source), expected_reads or 0.0, has_qual, reader.total_bytes,
                      tuple(chunks))


def read_chunk(chunk: Chunk, has_qual: bool) -> Iterator[ReadBatch]:
    """The batches of a chunk file, as the reader gave them."""
    with open(chunk.path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        while handle.tell() < size:
            seq, offsets, qual, names, name_offsets, first = (
                np.load(handle, allow_pickle=False) for _ in range(6))
            yield ReadBatch(seq, offsets, qual if has_qual else None, names, name_offsets,
                            int(first[0]))


def affect_chunk(detector: Detector, chunk: Chunk, split: SplitInput,
                 check: Callable[[], None] | None = None) -> int:
    """Write the affectation calls of a chunk's reads next to it; returns its analysed reads.

    ``check`` is called between batches (a job's cancel and timeout check).
    """
    analysed = 0
    temporary = chunk.calls_path.with_name(chunk.calls_path.name + ".tmp")
    with open(temporary, "wb") as handle:
        for batch in read_chunk(chunk, split.has_qual):
            if check is not None:
                check()
            calls = detector.affect(batch.seq, batch.offsets, split.expected_reads)
            _save(handle, [calls[name] for name in CALL_FIELDS])
            analysed += int((calls["status"] == 0).sum())
    os.replace(temporary, chunk.calls_path)
    return analysed


def combined_batches(split: SplitInput) -> Iterator[tuple[ReadBatch, dict[str, np.ndarray],
                                                          int]]:
    """Every batch of every chunk in input order, with its calls (for ``Detector.run_calls``).

    The bytes done are those at the end of the batch's chunk (progress by chunk).
    """
    for chunk in split.chunks:
        with open(chunk.calls_path, "rb") as calls_file:
            for batch in read_chunk(chunk, split.has_qual):
                calls = {name: np.load(calls_file, allow_pickle=False) for name in CALL_FIELDS}
                yield batch, calls, chunk.bytes_done
