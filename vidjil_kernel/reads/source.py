"""Open a reads input (path or ``-``) as a stream of decompressed bytes.

Compression is recognised by its magic bytes, never by the file name, so a
gzipped stdin or a ``.fq`` that is really gzipped both work.  Only gzip (any
flavour, including multi-member/BGZF) is decompressed, with ISA-L; other
compressions get a message saying how to convert them.
"""

from __future__ import annotations

import io
import os
import stat
import sys
import zlib
from pathlib import Path
from typing import BinaryIO

from isal import igzip, igzip_threaded, isal_zlib

from vidjil_kernel.exceptions import InputFormatError

STDIN = "-"
STDIN_NAME = "<stdin>"
GZIP_MAGIC = b"\x1f\x8b"
#: errors a corrupt or truncated gzip stream (or a failing disk) raises while being read
GZIP_ERRORS = (OSError, EOFError, isal_zlib.error, zlib.error)
OTHER_COMPRESSIONS = {
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PK\x03\x04": "zip",
}


class CountingReader(io.RawIOBase):
    """Counts the bytes taken from the underlying (possibly compressed) file, for progress."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:
        got = self.raw.readinto(buffer)
        self.count += got or 0
        return got or 0

    def close(self) -> None:
        if self.raw is not sys.stdin.buffer:
            self.raw.close()
        super().close()


class InputSource:
    """A reads input opened for streaming: ``stream`` yields decompressed bytes.

    ``total_bytes`` is the size on disk (None for stdin and pipes) and
    ``bytes_read`` how much of it has been read so far: together they give
    the percentage done, also for gzip input.
    """

    def __init__(self, source: str | os.PathLike, *, gzip_thread: bool = True) -> None:
        self.name = STDIN_NAME if str(source) == STDIN else str(source)
        raw = sys.stdin.buffer if str(source) == STDIN else _open_file(Path(source))
        self.total_bytes = _regular_file_size(raw)
        self._counter = CountingReader(raw)
        self._buffered = io.BufferedReader(self._counter, buffer_size=1 << 20)
        try:
            self.stream = self._decompressed(gzip_thread)
        except BaseException:
            self._buffered.close()
            raise

    def _decompressed(self, gzip_thread: bool) -> BinaryIO:
        magic = _peek(self._buffered, 6)
        for prefix, kind in OTHER_COMPRESSIONS.items():
            if magic.startswith(prefix):
                raise InputFormatError(self.name, f"{kind}-compressed input is not supported: "
                                       "decompress it, or recompress it with gzip", line=1)
        self.gzipped = magic.startswith(GZIP_MAGIC)
        if not self.gzipped:
            return self._buffered
        if gzip_thread:
            return igzip_threaded.open(self._buffered, "rb", threads=1)
        return igzip.IGzipFile(fileobj=self._buffered, mode="rb")

    @property
    def bytes_read(self) -> int:
        return self._counter.count

    def uncompressed_bytes(self) -> int | None:
        """Size of the decompressed text, when known without reading it all (else None).

        A plain file is its size.  A gzip file stores its uncompressed size modulo
        2**32 in its last 4 bytes; that is trusted only when it is at least the
        compressed size (a smaller value means several gzip members, or 4 GiB or more).
        """
        if self.total_bytes is None:
            return None
        if not self.gzipped:
            return self.total_bytes
        try:
            with open(self.name, "rb") as handle:
                handle.seek(-4, os.SEEK_END)
                size = int.from_bytes(handle.read(4), "little")
        except OSError:
            return None
        return size if size >= self.total_bytes else None

    def readinto(self, buffer: memoryview) -> int:
        """Fill ``buffer`` with decompressed bytes; 0 only at the end of the input."""
        try:
            return self.stream.readinto(buffer)
        except GZIP_ERRORS as error:
            detail = str(error) or type(error).__name__
            if self.gzipped:
                raise StreamError(f"gzip data is corrupt or truncated ({detail}); test the file "
                                  "with `gzip -t` and download or compress it again") from None
            raise StreamError(f"cannot read the file ({detail})") from None

    def close(self) -> None:
        self.stream.close()
        self._buffered.close()


class StreamError(Exception):
    """The input cannot be read further: corrupt gzip, I/O error (the reader adds the position)."""


def _open_file(path: Path) -> BinaryIO:
    if path.is_dir():
        raise InputFormatError(str(path), "is a directory, expected a FASTA/FASTQ file")
    try:
        return open(path, "rb", buffering=0)  # noqa: SIM115 - closed by InputSource.close
    except FileNotFoundError:
        raise InputFormatError(str(path), "no such file; check the path") from None
    except OSError as error:
        raise InputFormatError(str(path), f"cannot open: {error.strerror}") from None


def _regular_file_size(raw: BinaryIO) -> int | None:
    try:
        status = os.fstat(raw.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _peek(buffered: io.BufferedReader, size: int) -> bytes:
    """The first bytes of the stream, left in the buffer for the parser."""
    return buffered.peek(size)[:size]
