"""A sample's sequence files: checked with the reads module before they are accepted, then stored.

The check parses the beginning of the file (``HEAD_RECORDS`` records) with the
same reader the analysis uses: a file that is not FASTA/FASTQ (plain or
gzipped), or whose first records are malformed, is refused with the record and
line at fault.  The rest of a multi-GB file is read by the analysis, which
reports any later fault the same way; the bytes themselves were checked
end to end by the upload's sha256.  R1/R2 pairs must name the same reads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from pathlib import Path

from vidjil_kernel.exceptions import InputFormatError
from vidjil_kernel.reads import BatchReader

#: records parsed to accept a file (a few MB of text: a fraction of a second)
HEAD_RECORDS = 10_000
#: reads compared between R1 and R2
PAIR_RECORDS = 100
_MATE_SUFFIX = re.compile(r"/[12]$")


@dataclasses.dataclass
class ReadsCheck:
    """What the check saw: the format and the ids of the first reads."""

    format: str
    records: int
    first_ids: list[str]


def check_reads(path: Path, name: str) -> ReadsCheck:
    """Parse the first records of ``path``; errors name ``name`` (the user's file)."""
    try:
        with BatchReader(path, batch_reads=HEAD_RECORDS, block_bytes=1 << 20,
                         gzip_thread=False) as reader:
            batch = next(reader)
            return ReadsCheck(reader.format or "", batch.n,
                              [batch.name(i) for i in range(min(batch.n, PAIR_RECORDS))])
    except InputFormatError as error:
        raise InputFormatError(name, error.reason, record=error.record, line=error.line,
                               field=error.field) from None


def _mate_id(read_id: str) -> str:
    return _MATE_SUFFIX.sub("", read_id)


def check_pair(r1: ReadsCheck, r2: ReadsCheck, r2_name: str) -> None:
    """R1 and R2 of a sample hold the same reads in the same order (ids up to /1, /2)."""
    if r1.format != r2.format:
        raise InputFormatError(r2_name, f"R2 is {r2.format} but R1 is {r1.format}")
    for index, (one, two) in enumerate(zip(r1.first_ids, r2.first_ids, strict=False)):
        if _mate_id(one) != _mate_id(two):
            raise InputFormatError(
                r2_name, f"read {two!r} does not match R1's read {one!r}: the files are not "
                "the R1/R2 pair of one sample", record=index + 1)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def stored_name(original_name: str) -> str:
    """A file name safe on any file system, keeping the original's look and extension."""
    name = _UNSAFE.sub("_", Path(original_name).name).lstrip(".") or "sample"
    return name[-200:]


def sample_file_path(data_dir: Path, key: str, original_name: str) -> Path:
    """Where a sample's uploaded file lives: ``<data_dir>/samples/<key>/<name>``."""
    return data_dir.resolve() / "samples" / key / stored_name(original_name)


def in_data_dir(data_dir: Path, path: str | None) -> Path | None:
    """A path as the database keeps it (relative: inside the data directory) made real."""
    if not path:
        return None
    return data_dir.resolve() / path if not Path(path).is_absolute() else Path(path)


def as_stored(data_dir: Path, path: Path) -> str:
    """``path`` as the database keeps it: relative to the data directory when inside it,
    so that the lab can move; files of the file source stay absolute."""
    try:
        return str(path.resolve().relative_to(data_dir.resolve()))
    except ValueError:
        return str(path.resolve())


def is_stored_sample_file(data_dir: Path, path: str) -> bool:
    """Whether ``path`` is a file the lab stored (and may delete), not one of the file source."""
    real = in_data_dir(data_dir, path)
    return real is not None and real.resolve().is_relative_to(data_dir.resolve() / "samples")


def remove_sample_files(data_dir: Path, paths: list[str]) -> None:
    """Delete the stored files of deleted samples (never files of the file source)."""
    for path in paths:
        real = in_data_dir(data_dir, path)
        if real is not None and is_stored_sample_file(data_dir, path):
            with contextlib.suppress(FileNotFoundError):
                real.unlink()
            with contextlib.suppress(OSError):  # the sample's folder, once empty
                real.parent.rmdir()
