"""FASTQ/FASTA records of simulated reads, written by one numba kernel per chunk."""

from __future__ import annotations

import numpy as np
from numba import njit

from vidjil_kernel.jit import kernel
from vidjil_kernel.simulate.errors import exact_read, illumina_read, iontorrent_read


@njit(cache=True, nogil=True, inline="always")
def _write_number(out, position, number, width, digits):
    """Write ``number`` in decimal, zero-padded to ``width``; return the new position."""
    count = 0
    while number > 0 or count < max(width, 1):
        digits[count] = 48 + number % 10
        number //= 10
        count += 1
    for i in range(count):
        out[position + i] = digits[count - 1 - i]
    return position + count


@njit(cache=True, nogil=True, inline="always")
def _write_label(out, position, labels, label_offsets, label):
    first, last = label_offsets[label], label_offsets[label + 1]
    for i in range(last - first):
        out[position + i] = labels[first + i]
    return position + last - first


@kernel
def format_truth_rows(prefix, numbers, width, labels, label_offsets, first_labels, reverse,
                      second_labels, errors, starts, ends, out):
    """Rows of the per-read truth TSV (see ``writer.READS_COLUMNS``) into ``out``.

    Each row: ``prefix`` + zero-padded number, the label ``first_labels[r]`` (clone
    id, system, locus), T/F for ``reverse``, the label ``second_labels[r]`` (noise
    kind), then ``errors``, ``starts`` and ``ends`` (both left empty when ``starts``
    is negative).  Labels are slices of ``labels`` between consecutive
    ``label_offsets``.  Returns the bytes written.
    """
    digits = np.empty(24, dtype=np.uint8)
    position = 0
    for r in range(len(numbers)):
        for i in range(len(prefix)):
            out[position + i] = prefix[i]
        position = _write_number(out, position + len(prefix), numbers[r], width, digits)
        out[position] = 9
        position = _write_label(out, position + 1, labels, label_offsets, first_labels[r])
        out[position] = 9
        out[position + 1] = 84 if reverse[r] else 70  # 'T' / 'F'
        out[position + 2] = 9
        position = _write_label(out, position + 3, labels, label_offsets, second_labels[r])
        out[position] = 9
        position = _write_number(out, position + 1, errors[r], 0, digits)
        out[position] = 9
        position += 1
        if starts[r] >= 0:
            position = _write_number(out, position, starts[r], 0, digits)
            out[position] = 9
            position = _write_number(out, position + 1, ends[r], 0, digits)
        else:
            out[position] = 9
            position += 1
        out[position] = 10
        position += 1
    return position


@kernel
def format_records(pool, offsets, starts, lengths, reverse, numbers, width, prefix, model,
                   quality_table, fasta, seed, out, errors):
    """Cut each read from its template, add errors, write its record into ``out``.

    Parameters
    ----------
    pool : uint8[:]
        Every template (clone molecule or noise sequence), codes 0-3, forward strand.
    offsets, starts, lengths : int64[:]
        Per read: its template's offset in ``pool``, the read's 0-based start in the
        template and its length before errors.
    reverse : bool[:]
        Per read: whether it is the reverse complement of the template.
    numbers : int64[:]
        Per read: its number, written zero-padded to ``width`` digits after ``prefix``.
    model : int
        0 none, 1 illumina, 2 iontorrent (see :mod:`~vidjil_kernel.simulate.errors`).
    quality_table : int8[:, :]
        The Illumina profile, at least as many rows as the longest read
        (:func:`~vidjil_kernel.simulate.errors.illumina_quality_table`).
    fasta : bool
        Write ``>id`` + sequence instead of a four-line FASTQ record.
    seed : int
        Seeds the error models' generator, so that a chunk always gives the same bytes.
    out : uint8[:]
        Output buffer, large enough (see :func:`record_bytes_bound`).
    errors : int64[:]
        Filled with the number of errors (substitutions and indels) of each read.

    Returns
    -------
    int
        Bytes written to ``out``.
    """
    state = np.uint64(seed)
    longest = 1
    for r in range(len(lengths)):
        longest = max(longest, lengths[r])
    template = np.empty(longest, dtype=np.uint8)
    bases = np.empty(2 * longest + 1, dtype=np.uint8)
    qualities = np.empty(2 * longest + 1, dtype=np.uint8)
    digits = np.empty(max(width, 20), dtype=np.uint8)
    position = 0
    for r in range(len(lengths)):
        length = lengths[r]
        first = offsets[r] + starts[r]
        if reverse[r]:
            for i in range(length):
                template[i] = 3 - pool[first + length - 1 - i]
        else:
            for i in range(length):
                template[i] = pool[first + i]
        if model == 1:
            written, errors[r], state = illumina_read(template, length, bases, qualities,
                                                      quality_table, state)
        elif model == 2:
            written, errors[r], state = iontorrent_read(template, length, bases, qualities, state)
        else:
            written, errors[r], state = exact_read(template, length, bases, qualities, state)
        out[position] = 62 if fasta else 64  # '>' or '@'
        position += 1
        for i in range(len(prefix)):
            out[position + i] = prefix[i]
        position += len(prefix)
        position = _write_number(out, position, numbers[r], width, digits)
        out[position] = 10
        position += 1
        for i in range(written):
            out[position + i] = bases[i]
        position += written
        out[position] = 10
        position += 1
        if not fasta:
            out[position] = 43  # '+'
            out[position + 1] = 10
            position += 2
            for i in range(written):
                out[position + i] = qualities[i]
            position += written
            out[position] = 10
            position += 1
    return position


def record_bytes_bound(lengths: np.ndarray, prefix_length: int, width: int, growth: int,
                       fasta: bool) -> int:
    """An upper bound of the bytes :func:`format_records` writes for reads of ``lengths``."""
    per_read = 1 + prefix_length + max(width, 20) + 1 + 1 + (0 if fasta else 3)
    bases = int(lengths.sum()) * growth * (1 if fasta else 2)
    return len(lengths) * per_read + bases
