"""Stream a FASTA/FASTQ input as ``ReadBatch`` objects, in memory bounded by the batch size.

The reader keeps one window of decompressed text; the numba kernels of
``_kernels`` turn whole records of it into batch arrays and leave a record cut
by the end of the window for the next round, once more text is appended.
Memory depends on the batch size and the longest record, never on the file size.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import numpy as np

from vidjil_kernel.exceptions import InputFormatError
from vidjil_kernel.reads import _kernels as k
from vidjil_kernel.reads.batch import ReadBatch
from vidjil_kernel.reads.source import InputSource, StreamError

DEFAULT_BATCH_READS = 65536
DEFAULT_BLOCK_BYTES = 1 << 22
UTF8_BOM = b"\xef\xbb\xbf"
FIELD_NAMES = {k.FIELD_HEADER: "header", k.FIELD_SEQUENCE: "sequence",
               k.FIELD_PLUS: "+ line", k.FIELD_QUALITY: "quality"}


class BatchReader(Iterator[ReadBatch]):
    """Iterator of ``ReadBatch`` over one FASTA/FASTQ input (plain or gzip, path or ``-``).

    Progress: ``records_read`` reads handed out so far, ``bytes_read`` bytes
    of the input file consumed (compressed bytes for gzip) and ``total_bytes``
    the file size (None for stdin/pipes).  ``format`` is "fasta" or "fastq"
    once the first batch is read.  Close it (or use it as a context manager)
    when stopping before the end; exhausting it closes it.
    """

    def __init__(self, source: str | os.PathLike, *, batch_reads: int = DEFAULT_BATCH_READS,
                 block_bytes: int = DEFAULT_BLOCK_BYTES, gzip_thread: bool = True) -> None:
        if batch_reads < 1 or block_bytes < 1:
            raise ValueError("batch_reads and block_bytes must be positive")
        self._source = InputSource(source, gzip_thread=gzip_thread)
        self.path = self._source.name
        self.total_bytes = self._source.total_bytes
        self.format: str | None = None
        self.records_read = 0
        self.text_bytes = 0  # text of the records handed out (decompressed bytes)
        self._batch_reads = batch_reads
        self._block = block_bytes
        self._text = np.empty(block_bytes, dtype=np.uint8)
        self._start = 0
        self._end = 0
        self._eof = False
        self._line = 0
        self._bases_per_read = 256.0
        self._name_bytes_per_read = 32.0
        self._spares: list[list[np.ndarray]] = []
        self._closed = False

    @property
    def bytes_read(self) -> int:
        return self._source.bytes_read

    def expected_records(self) -> float | None:
        """The input's number of records, estimated from those read so far (None: unknown).

        Text bytes per record so far, times the input's text size: the file's size,
        or for gzip the uncompressed size its trailer gives (else the compressed size
        scaled by the progress so far, which read-ahead biases low).
        """
        if not self.records_read or self.total_bytes is None:
            return None
        text_size = self._source.uncompressed_bytes()
        if text_size is not None and self.text_bytes:
            return self.records_read * text_size / self.text_bytes
        return self.records_read * self.total_bytes / max(self.bytes_read, 1)

    def __enter__(self) -> BatchReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._source.close()

    def __next__(self) -> ReadBatch:
        if self._closed:
            raise StopIteration
        try:
            if self.format is None:
                self._detect_format()
            batch = self._parse_batch()
        except BaseException:
            self.close()
            raise
        if batch is None:
            self.close()
            raise StopIteration
        return batch

    def _fill(self, want: int, parsed: int = 0) -> None:
        """Append at least ``want`` bytes of text (fewer only at the end of the input).

        ``parsed`` records of the current batch are complete (for error messages).
        """
        remaining = self._end - self._start
        if self._start:
            self._text[:remaining] = self._text[self._start:self._end]
            self._start, self._end = 0, remaining
        if len(self._text) < remaining + want:
            grown = np.empty(remaining + want, dtype=np.uint8)
            grown[:remaining] = self._text[:remaining]
            self._text = grown
        view = memoryview(self._text)
        goal = remaining + want
        while self._end < goal:
            try:
                got = self._source.readinto(view[self._end:goal])
            except StreamError as error:
                raise InputFormatError(self.path, str(error), record=self.records_read + parsed + 1,
                                       line=self._line + 1) from None
            if not got:
                self._eof = True
                return
            self._end += got

    def _detect_format(self) -> None:
        """Skip a BOM and blank lines, then tell FASTA from FASTQ by the first character."""
        self._fill(self._block)
        if bytes(self._text[:3]) == UTF8_BOM:
            self._start = 3
        while True:
            text, first = self._text, self._start
            while first < self._end and text[first] in (k.NEWLINE, k.CARRIAGE_RETURN):
                first += 1
            self._line += int(np.count_nonzero(text[self._start:first] == k.NEWLINE))
            self._start = first
            if first < self._end or self._eof:
                break
            self._fill(self._block)
        if first >= self._end:
            raise InputFormatError(self.path, "empty file: no reads", record=1, line=1)
        char = int(text[first])
        if char in (k.GREATER, k.HASH):
            self.format = "fasta"
        elif char == k.AT:
            self.format = "fastq"
        else:
            sample = bytes(text[first:min(self._end, first + 512)])
            if b"\x00" in sample or sum(byte >= 0x80 for byte in sample) > len(sample) // 4:
                what = "binary data, not FASTA/FASTQ text (gzip is the only compression read)"
            else:
                what = (f"expected '>' (FASTA) or '@' (FASTQ) at the start of the first record, "
                        f"found {self._snippet(first)!r}")
            raise InputFormatError(self.path, what, record=1, line=self._line + 1,
                                   field="header")

    def _parse_batch(self) -> ReadBatch | None:
        """Parse up to ``batch_reads`` records; None at the end of the input."""
        max_n = self._batch_reads
        fastq = self.format == "fastq"
        seq, qual, names, offsets, name_offsets = self._output_arrays(fastq)
        n = 0
        while True:
            if fastq:
                status, pos, n, line, err_pos, field, a, b = k.parse_fastq(
                    self._text, self._start, self._end, self._eof, self._line,
                    k.SEQUENCE_TABLE, seq, offsets, qual, names, name_offsets, n, max_n)
            else:
                status, pos, n, line, err_pos, field, a, b = k.parse_fasta(
                    self._text, self._start, self._end, self._eof, self._line,
                    k.SEQUENCE_TABLE, seq, offsets, names, name_offsets, n, max_n)
            if status >= k.ERR_HEADER:
                raise self._format_error(status, pos, n, line, err_pos, field, a, b)
            self.text_bytes += min(pos, self._end) - self._start
            self._start = min(pos, self._end)
            self._line = line
            if status in (k.BATCH_FULL, k.END):
                break
            if status == k.NEED_MORE:
                self._fill(max(self._block, self._end - self._start), parsed=n)
            else:
                seq = _grown(seq, offsets[n])
                qual = _grown(qual, offsets[n]) if fastq else qual
                names = _grown(names, name_offsets[n])
        if n == 0:
            if self.records_read == 0:
                raise InputFormatError(self.path, "empty file: no reads", record=1, line=1)
            return None
        self._bases_per_read = max(1.0, offsets[n] / n)
        self._name_bytes_per_read = max(1.0, name_offsets[n] / n)
        # a for loop still holds the previous batch while asking for the next one
        self._spares = [*self._spares[-1:], [seq, qual, names, offsets, name_offsets]]
        batch = ReadBatch(
            seq=seq[:offsets[n]], offsets=offsets[:n + 1],
            qual=qual[:offsets[n]] if fastq else None,
            names=names[:name_offsets[n]], name_offsets=name_offsets[:n + 1],
            first_record=self.records_read + 1)
        self.records_read += n
        return batch

    def _output_arrays(self, fastq: bool) -> list[np.ndarray]:
        """Arrays for the next batch: the previous batch's when nobody holds it any more.

        Writing to fresh memory costs page faults (as much time as parsing
        itself), so the arrays of a batch the caller has dropped are reused.
        A batch still referenced (or any view of its arrays) keeps its arrays
        referenced, and is never overwritten.  The two last batches' arrays are
        kept for reuse (they grow when a batch needs more room).
        """
        for spare in self._spares:
            # references: the pool's list, the loop name, getrefcount's argument
            if all(sys.getrefcount(array) == 3 for array in spare):
                self._spares.remove(spare)
                return spare
        max_n = self._batch_reads
        seq = np.empty(int(self._bases_per_read * max_n * 1.05) + 64, dtype=np.uint8)
        return [seq, np.empty_like(seq) if fastq else np.empty(0, dtype=np.uint8),
                np.empty(int(self._name_bytes_per_read * max_n * 1.05) + 64, dtype=np.uint8),
                np.zeros(max_n + 1, dtype=np.int64), np.zeros(max_n + 1, dtype=np.int64)]

    def _snippet(self, pos: int) -> str:
        stop = pos
        while stop < min(self._end, pos + 40) and self._text[stop] not in (10, 13):
            stop += 1
        return bytes(self._text[pos:stop]).decode("latin-1")

    def _format_error(self, status: int, pos: int, n: int, line: int, err_pos: int,
                      field: int, a: int, b: int) -> InputFormatError:
        record = self.records_read + n + 1
        line_number = line + 1
        if status == k.ERR_HEADER:
            marker = "@" if self.format == "fastq" else ">"
            message = (f"expected a header line starting with '{marker}', "
                       f"found {self._snippet(err_pos)!r}")
            if self.format == "fastq" and self._text[err_pos] == k.GREATER:
                message += " (FASTA and FASTQ records mixed?)"
        elif status == k.ERR_SEQUENCE_CHAR:
            message = (f"bad character {_show_byte(a)} at column {err_pos - pos + 1}; a sequence "
                       "holds A C G T U N or IUPAC codes (either case)")
        elif status == k.ERR_MISSING_PLUS:
            message = ("expected the '+' line, found a new '@' header: the record is truncated "
                       "or its '+' line is missing")
        elif status == k.ERR_PLUS_NAME:
            message = (f"the '+' line {self._snippet(err_pos)!r} names another read than the "
                       "'@' header; it must be '+' alone or repeat the header")
        elif status == k.ERR_QUALITY_CHAR:
            message = (f"bad quality character {_show_byte(a)} at column {err_pos - pos + 1}; "
                       "qualities are Phred+33, from '!' to '~'")
        elif status == k.ERR_QUALITY_LENGTH:
            message = f"the quality has {b} characters but the sequence has {a}"
        else:
            line_number = line
            missing = {k.FIELD_SEQUENCE: "the sequence, '+' line and quality are missing",
                       k.FIELD_PLUS: "the '+' line and quality are missing",
                       k.FIELD_QUALITY: f"the quality is missing ({b} of {a} characters)"}
            message = f"the file ends inside a record: {missing[field]}"
        return InputFormatError(self.path, message, record=record, line=line_number,
                                field=FIELD_NAMES[field])


def _grown(array: np.ndarray, used: int) -> np.ndarray:
    """A twice larger array holding the first ``used`` items of ``array``."""
    grown = np.empty(max(2 * len(array), 64), dtype=array.dtype)
    grown[:used] = array[:used]
    return grown


def _show_byte(value: int) -> str:
    char = chr(value)
    return repr(char) if char.isprintable() and value < 128 else f"byte 0x{value:02x}"


def read_batches(source: str | os.PathLike, *,
                 batch_reads: int = DEFAULT_BATCH_READS) -> BatchReader:
    """Stream the reads of ``source`` (a path or ``-`` for stdin) in batches of ``batch_reads``.

    Raises ``InputFormatError`` (file, record, line, field) on a malformed or
    unreadable input.  The returned ``BatchReader`` also reports progress.
    """
    return BatchReader(source, batch_reads=batch_reads)
