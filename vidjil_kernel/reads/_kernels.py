"""numba kernels that parse FASTA/FASTQ text straight into batch arrays.

The reader hands each kernel a window ``text[pos:end]`` of decompressed bytes
and preallocated output arrays.  A kernel only commits whole records: when the
window ends inside a record it stops at the record's first byte and asks for
more text (``NEED_MORE``), so a record split across blocks is simply parsed
again from its start once the next block is appended.  The same happens when
an output array is full (``OUT_FULL``): the caller grows it and calls again.

Every kernel returns ``(status, pos, n, line, err_pos, err_field, err_a, err_b)``:
``pos``/``line`` are where parsing stopped (``line`` = lines consumed before
``pos``), ``n`` the records in the batch, and the ``err_*`` values describe a
format error (``status >= ERR_HEADER``) for the reader to turn into a message.
"""

from __future__ import annotations

import numpy as np

from vidjil_kernel.jit import inner, kernel

BATCH_FULL = 0
NEED_MORE = 1
OUT_FULL = 2
END = 3

ERR_HEADER = 10
ERR_SEQUENCE_CHAR = 11
ERR_MISSING_PLUS = 12
ERR_PLUS_NAME = 13
ERR_QUALITY_CHAR = 14
ERR_QUALITY_LENGTH = 15
ERR_TRUNCATED = 16

FIELD_HEADER = 0
FIELD_SEQUENCE = 1
FIELD_PLUS = 2
FIELD_QUALITY = 3

NEWLINE = 10
CARRIAGE_RETURN = 13
SPACE = 32
TAB = 9
HASH = 35
PLUS = 43
AT = 64
GREATER = 62
QUALITY_MIN = 33
QUALITY_MAX = 126


def make_sequence_table() -> np.ndarray:
    """Byte -> upper-case A/C/G/T/N (U -> T, IUPAC ambiguity codes -> N); 0 marks a bad byte."""
    table = np.zeros(256, dtype=np.uint8)
    for source, target in [("A", "A"), ("C", "C"), ("G", "G"), ("T", "T"), ("U", "T"), ("N", "N")]:
        for letter in (source, source.lower()):
            table[ord(letter)] = ord(target)
    for code in "RYSWKMBDHV":
        table[ord(code)] = table[ord(code.lower())] = ord("N")
    return table


SEQUENCE_TABLE = make_sequence_table()


@inner
def _line_end(text, pos, end):
    """Index of the next newline at or after ``pos``, or ``end`` when there is none."""
    i = pos
    while i < end and text[i] != NEWLINE:
        i += 1
    return i


@inner
def _content_end(text, pos, newline):
    """End of a line's content: the newline, or the CR before it."""
    if newline > pos and text[newline - 1] == CARRIAGE_RETURN:
        return newline - 1
    return newline


@inner
def _copy_name(text, start, stop, names, k):
    """Copy the id (up to the first space/tab) of header content ``text[start:stop]``.

    Returns the new fill of ``names``, or -1 when ``names`` is full.
    """
    i = start
    while i < stop and text[i] != SPACE and text[i] != TAB:
        if k >= names.shape[0]:
            return -1
        names[k] = text[i]
        k += 1
        i += 1
    return k


@inner
def _copy_bases(src, dst, table):
    """Copy one sequence line, upper-cased and translated; index of a bad byte or -1.

    The first loop has no table look-up and no branch, so it vectorises; the
    table (U, IUPAC codes, bad bytes) is used only for lines that need it.
    """
    unusual = False
    for p in range(src.shape[0]):
        c = src[p] & 0xDF
        dst[p] = c
        unusual |= (c != 65) & (c != 67) & (c != 71) & (c != 84) & (c != 78)
    if unusual:
        for p in range(src.shape[0]):
            base = table[src[p]]
            if base == 0:
                return p
            dst[p] = base
    return -1


@inner
def _copy_quality(src, dst):
    """Copy Phred+33 characters as scores; index of a bad character or -1 (vectorised check)."""
    bad = False
    for p in range(src.shape[0]):
        c = src[p]
        dst[p] = c - QUALITY_MIN
        bad |= (c < QUALITY_MIN) | (c > QUALITY_MAX)
    if bad:
        for p in range(src.shape[0]):
            if src[p] < QUALITY_MIN or src[p] > QUALITY_MAX:
                return p
    return -1


@kernel
def parse_fastq(text, pos, end, at_eof, line, table, seq, offsets, qual, names, name_offsets,
                n, max_n):
    """Parse FASTQ records (4-line, or multi-line) into the batch arrays.

    The quality may span several lines only when the sequence does: a 4-line
    record whose quality line has the wrong length is then reported on that
    line, instead of swallowing the next header as more quality.

    Parameters
    ----------
    text : uint8 array holding decompressed input; ``text[pos:end]`` is unparsed.
    at_eof : whether ``end`` is the end of the input.
    line : lines consumed before ``pos`` (for 1-based line numbers in errors).
    table : byte translation of sequence letters (0 = forbidden byte).
    seq, qual : output bases (ASCII) and Phred scores, filled from ``offsets[n]``.
    names, name_offsets : output read ids, filled from ``name_offsets[n]``.
    n, max_n : records already in the batch, and the batch size.

    Returns
    -------
    The status tuple described in the module docstring.
    """
    capacity = seq.shape[0]
    while n < max_n:
        while True:
            if pos >= end:
                if at_eof:
                    return END, pos, n, line, 0, 0, 0, 0
                return NEED_MORE, pos, n, line, 0, 0, 0, 0
            newline = _line_end(text, pos, end)
            if newline == end and not at_eof:
                return NEED_MORE, pos, n, line, 0, 0, 0, 0
            if _content_end(text, pos, newline) > pos:
                break
            pos = newline + 1
            line += 1
        record_pos = pos
        record_line = line
        if text[pos] != AT:
            return ERR_HEADER, pos, n, line, pos, FIELD_HEADER, 0, 0
        header_end = _content_end(text, pos, newline)
        name_fill = _copy_name(text, pos + 1, header_end, names, name_offsets[n])
        if name_fill < 0:
            return OUT_FULL, record_pos, n, record_line, 0, 0, 0, 0
        header_start = pos + 1
        pos = newline + 1
        line += 1
        if newline == end:
            return ERR_TRUNCATED, pos, n, line, end, FIELD_SEQUENCE, 0, 0

        k = offsets[n]
        sequence_lines = 0
        while True:
            if pos >= end:
                if at_eof:
                    missing = FIELD_PLUS if sequence_lines else FIELD_SEQUENCE
                    return ERR_TRUNCATED, pos, n, line, end, missing, 0, 0
                return NEED_MORE, record_pos, n, record_line, 0, 0, 0, 0
            first = text[pos]
            if first == PLUS:
                break
            if first == AT:
                return ERR_MISSING_PLUS, pos, n, line, pos, FIELD_PLUS, 0, 0
            newline = _line_end(text, pos, end)
            if newline == end and not at_eof:
                return NEED_MORE, record_pos, n, record_line, 0, 0, 0, 0
            stop = _content_end(text, pos, newline)
            if k + (stop - pos) > capacity:
                return OUT_FULL, record_pos, n, record_line, 0, 0, 0, 0
            bad = _copy_bases(text[pos:stop], seq[k:k + stop - pos], table)
            if bad >= 0:
                return (ERR_SEQUENCE_CHAR, pos, n, line, pos + bad, FIELD_SEQUENCE,
                        text[pos + bad], 0)
            k += stop - pos
            if stop > pos:
                sequence_lines += 1
            pos = newline + 1
            line += 1
            if newline == end:
                return ERR_TRUNCATED, pos, n, line, end, FIELD_PLUS, 0, 0

        newline = _line_end(text, pos, end)
        if newline == end and not at_eof:
            return NEED_MORE, record_pos, n, record_line, 0, 0, 0, 0
        stop = _content_end(text, pos, newline)
        if stop > pos + 1:
            same = stop - pos - 1 == header_end - header_start
            if same:
                for i in range(stop - pos - 1):
                    if text[pos + 1 + i] != text[header_start + i]:
                        same = False
                        break
            if not same:
                return ERR_PLUS_NAME, pos, n, line, pos, FIELD_PLUS, 0, 0
        pos = newline + 1
        line += 1

        seq_start = offsets[n]
        seq_length = k - seq_start
        q = seq_start
        stop = pos + seq_length
        if sequence_lines == 1 and stop < end and (
                text[stop] == NEWLINE or (text[stop] == CARRIAGE_RETURN and stop + 1 < end
                                          and text[stop + 1] == NEWLINE)):
            # Fast path: the quality line should be as long as the sequence line, so
            # its end is checked instead of searched; a newline inside is a bad character.
            if _copy_quality(text[pos:stop], qual[q:k]) < 0:
                q = k
                pos = stop + 1 if text[stop] == NEWLINE else stop + 2
                line += 1
        while q < k:
            if pos >= end:
                if at_eof:
                    return (ERR_TRUNCATED, pos, n, line, end, FIELD_QUALITY, seq_length,
                            q - seq_start)
                return NEED_MORE, record_pos, n, record_line, 0, 0, 0, 0
            newline = _line_end(text, pos, end)
            if newline == end and not at_eof:
                return NEED_MORE, record_pos, n, record_line, 0, 0, 0, 0
            stop = _content_end(text, pos, newline)
            length = q - seq_start + stop - pos
            if length > seq_length or (sequence_lines <= 1 and length != seq_length):
                return ERR_QUALITY_LENGTH, pos, n, line, pos, FIELD_QUALITY, seq_length, length
            bad = _copy_quality(text[pos:stop], qual[q:q + stop - pos])
            if bad >= 0:
                return ERR_QUALITY_CHAR, pos, n, line, pos + bad, FIELD_QUALITY, text[pos + bad], 0
            q += stop - pos
            pos = newline + 1
            line += 1
        n += 1
        offsets[n] = k
        name_offsets[n] = name_fill
    return BATCH_FULL, pos, n, line, 0, 0, 0, 0


@kernel
def parse_fasta(text, pos, end, at_eof, line, table, seq, offsets, names, name_offsets, n, max_n):
    """Parse FASTA records (multi-line, blank lines and ``#`` comment lines skipped).

    A record ends where the next ``>`` line starts, so the last record of a
    window is committed only at the end of the input.  Parameters and result
    are those of ``parse_fastq`` without the quality array.
    """
    capacity = seq.shape[0]
    while n < max_n:
        while True:
            if pos >= end:
                if at_eof:
                    return END, pos, n, line, 0, 0, 0, 0
                return NEED_MORE, pos, n, line, 0, 0, 0, 0
            newline = _line_end(text, pos, end)
            if newline == end and not at_eof:
                return NEED_MORE, pos, n, line, 0, 0, 0, 0
            if _content_end(text, pos, newline) > pos and text[pos] != HASH:
                break
            pos = newline + 1
            line += 1
        record_pos = pos
        record_line = line
        if text[pos] != GREATER:
            return ERR_HEADER, pos, n, line, pos, FIELD_HEADER, 0, 0
        name_fill = _copy_name(text, pos + 1, _content_end(text, pos, newline), names,
                               name_offsets[n])
        if name_fill < 0:
            return OUT_FULL, record_pos, n, record_line, 0, 0, 0, 0
        pos = newline + 1
        line += 1

        k = offsets[n]
        while pos < end and text[pos] != GREATER:
            newline = _line_end(text, pos, end)
            if newline == end and not at_eof:
                return NEED_MORE, record_pos, n, record_line, 0, 0, 0, 0
            if text[pos] != HASH:
                stop = _content_end(text, pos, newline)
                if k + (stop - pos) > capacity:
                    return OUT_FULL, record_pos, n, record_line, 0, 0, 0, 0
                bad = _copy_bases(text[pos:stop], seq[k:k + stop - pos], table)
                if bad >= 0:
                    return (ERR_SEQUENCE_CHAR, pos, n, line, pos + bad, FIELD_SEQUENCE,
                            text[pos + bad], 0)
                k += stop - pos
            pos = newline + 1
            line += 1
        if pos >= end and not at_eof:
            return NEED_MORE, record_pos, n, record_line, 0, 0, 0, 0
        n += 1
        offsets[n] = k
        name_offsets[n] = name_fill
    return BATCH_FULL, pos, n, line, 0, 0, 0, 0
