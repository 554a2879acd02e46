"""AIRR rearrangement TSV: one row per clone, and one row per read for ``--per-read``.

Standard columns follow the AIRR Rearrangement schema (1-based closed
coordinates, booleans as T/F, equal-best alleles comma-separated in the
calls, a second D in the ``d2_*`` columns); ``sequence_alignment`` and
``germline_alignment`` are left empty.  Custom columns keep what the schema
has no place for, so that ``read_airr`` gives back the clones written:

    v_trim_3, d_trim_5, d_trim_3, d2_trim_5, d2_trim_3, j_trim_5
        nucleotides deleted from the germline segment at that end
    unproductive        why the junction is not productive
    warnings            the clone's warnings, separated by " | "
    average_read_length, evalue (of the clone's detection), designation_evalue,
    window_start (1-based), top, vidjil_germline (the Vidjil system, e.g. IGH+),
    designation_locus
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vidjil_kernel.exceptions import InputFormatError
from vidjil_kernel.fileio import AtomicFile, atomic_write
from vidjil_kernel.formats.coordinates import from_closed, to_closed
from vidjil_kernel.reads.batch import ReadBatch
from vidjil_kernel.results import Clone, Designation, Junction, SampleResult, SegmentCall

AIRR_LOCI = ("IGH", "IGI", "IGK", "IGL", "TRA", "TRB", "TRD", "TRG")
WARNING_SEPARATOR = " | "
#: AIRR slots of the segments, in the order they appear on a recombination
SLOTS = ("v", "d", "d2", "j")
#: the N/P region column after each slot but the last
INSERT_AFTER = {"v": "np1", "d": "np2", "d2": "np3"}
TRIMS = {"v": (None, "v_trim_3"), "d": ("d_trim_5", "d_trim_3"),
         "d2": ("d2_trim_5", "d2_trim_3"), "j": ("j_trim_5", None)}
REQUIRED = ["sequence_id", "sequence", "rev_comp", "productive", "v_call", "d_call", "j_call",
            "sequence_alignment", "germline_alignment", "junction", "junction_aa", "v_cigar",
            "d_cigar", "j_cigar"]
CLONE_COLUMNS = [
    "sequence_id", "sequence", "quality", "rev_comp", "productive", "vj_in_frame", "stop_codon",
    "locus", "v_call", "d_call", "d2_call", "j_call", "sequence_alignment",
    "germline_alignment", "junction", "junction_aa", "junction_length", "cdr3", "cdr3_aa",
    "np1", "np1_length", "np2", "np2_length", "np3", "np3_length",
    "v_score", "v_support", "v_cigar", "d_score", "d_support", "d_cigar",
    "d2_score", "d2_support", "d2_cigar", "j_score", "j_support", "j_cigar",
    "v_sequence_start", "v_sequence_end", "d_sequence_start", "d_sequence_end",
    "d2_sequence_start", "d2_sequence_end", "j_sequence_start", "j_sequence_end",
    "cdr3_start", "cdr3_end", "duplicate_count", "clone_id",
    "v_trim_3", "d_trim_5", "d_trim_3", "d2_trim_5", "d2_trim_3", "j_trim_5",
    "unproductive", "warnings", "average_read_length", "evalue", "designation_evalue",
    "window_start", "top", "vidjil_germline", "designation_locus",
]
READ_COLUMNS = ["sequence_id", "sequence", "rev_comp", "productive", "locus", "v_call",
                "d_call", "d2_call", "j_call", "sequence_alignment", "germline_alignment",
                "junction", "junction_aa", "v_cigar", "d_cigar", "j_cigar", "clone_id"]


def airr_locus(system: str) -> str:
    """The AIRR locus of a Vidjil germline system (``IGH+`` -> IGH, ``TRA+D`` -> TRA)."""
    return system[:3] if system[:3] in AIRR_LOCI else ""


#: the position of each clone column in a row
_CLONE_INDEX = {column: index for index, column in enumerate(CLONE_COLUMNS)}


def write_airr(result: SampleResult, path: str | os.PathLike) -> Path:
    """Write one AIRR row per clone of ``result`` (atomically); returns the path."""
    with atomic_write(path, newline="") as handle:
        handle.write(_tsv_line(CLONE_COLUMNS))
        for clone in result.clones:
            fields = [""] * len(CLONE_COLUMNS)
            for column, text in clone_row(clone).items():
                fields[_CLONE_INDEX[column]] = text
            handle.write(_tsv_line(fields))
    return Path(path)


def _tsv_line(fields: list[str]) -> str:
    """A TSV line of ``fields``, quoted as the csv module writes them.

    Joined directly (the csv writer takes ten times longer); only a line with a
    quote, a line break or a tab inside a field has its fields escaped one by one.
    """
    line = "\t".join(fields)
    if '"' in line or "\n" in line or "\r" in line or line.count("\t") != len(fields) - 1:
        line = "\t".join(_escape(field) for field in fields)
    return line + "\n"


def clone_row(clone: Clone) -> dict[str, str]:
    """The AIRR columns of one clone, as text."""
    row: dict[str, object] = {
        "sequence_id": clone.id, "clone_id": clone.id, "sequence": clone.sequence,
        "quality": clone.quality, "rev_comp": False, "locus": airr_locus(clone.locus),
        "duplicate_count": clone.reads, "warnings": WARNING_SEPARATOR.join(clone.warnings),
        "average_read_length": clone.average_read_length, "evalue": clone.evalue,
        "window_start": clone.window_start + 1, "top": clone.top,
        "vidjil_germline": clone.locus,
    }
    designation = clone.designation
    if designation is not None:
        row["designation_locus"] = designation.locus
        row["designation_evalue"] = designation.evalue
        slots = _slots(designation)
        for slot, segment in slots.items():
            first, last = to_closed(segment.start, segment.end)
            row.update({f"{slot}_call": segment.call, f"{slot}_sequence_start": first,
                        f"{slot}_sequence_end": last, f"{slot}_score": segment.score,
                        f"{slot}_support": segment.evalue})
            left, right = TRIMS[slot]
            if left:
                row[left] = segment.del_left
            if right:
                row[right] = segment.del_right
        for (slot, _), insert in zip(list(slots.items()), designation.inserts, strict=False):
            row[INSERT_AFTER[slot]] = insert
            row[INSERT_AFTER[slot] + "_length"] = len(insert)
        junction = designation.junction
        if junction is not None:
            first, last = to_closed(junction.cdr3_start, junction.cdr3_end)
            row.update({
                "productive": junction.productive, "vj_in_frame": junction.in_frame,
                "stop_codon": junction.stop_codon, "unproductive": junction.unproductive,
                "junction": junction.nt, "junction_aa": junction.aa,
                "junction_length": len(junction.nt), "cdr3": junction.cdr3_nt,
                "cdr3_aa": junction.cdr3_aa, "cdr3_start": first, "cdr3_end": last})
    return {column: _text(value) for column, value in row.items()}


def _slots(designation: Designation) -> dict[str, SegmentCall]:
    if len(designation.d) > 2:
        raise ValueError(f"{len(designation.d)} D segments: AIRR rearrangements hold two")
    slots = {"v": designation.v, "d": designation.d[0] if designation.d else None,
             "d2": designation.d[1] if len(designation.d) > 1 else None, "j": designation.j}
    return {slot: segment for slot, segment in slots.items() if segment is not None}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


class ReadAirrWriter:
    """Streams ``<name>.reads.airr.tsv``: one row per analysed read, written as reads come.

    ``clones`` are the sample's clones; a read refers to its clone by index in
    that list, and its row repeats the clone's locus, calls, junction and
    ``clone_id`` (``sequence`` is left empty: the reads are in the input file).
    Rows are written to a temporary file renamed into place by ``close``
    (``discard`` drops it), so a failed run leaves no partial file.
    """

    def __init__(self, path: str | os.PathLike, clones: Sequence[Clone]) -> None:
        self._file = AtomicFile(path, "wb")
        self._file.handle.write(("\t".join(READ_COLUMNS) + "\n").encode())
        self._tails = [self._tail(clone) for clone in clones]
        self.rows = 0

    @staticmethod
    def _tail(clone: Clone) -> bytes:
        """The columns after ``rev_comp``, which only depend on the clone."""
        row = clone_row(clone)
        fields = [row.get(column, "") for column in READ_COLUMNS[3:]]
        return ("\t" + _tsv_line(fields)).encode()

    def write(self, sequence_id: str, clone_index: int, rev_comp: bool) -> None:
        """One read: its id (up to the first space), its clone and its strand."""
        self._file.handle.write(_escape(sequence_id).encode() + b"\t\t"
                                + (b"T" if rev_comp else b"F") + self._tails[clone_index])
        self.rows += 1

    def write_batch(self, batch: ReadBatch, clone_index: npt.NDArray[np.integer],
                    rev_comp: npt.NDArray[np.bool_], extra: Sequence[Clone] = ()) -> None:
        """The reads of ``batch`` with ``clone_index >= 0`` (negative: not analysed): an
        index in the sample's clones or, past them, in ``extra`` (clones of this batch's
        reads that the sample's are not, too many to keep)."""
        keep = np.flatnonzero(np.asarray(clone_index) >= 0)
        names = batch.names.tobytes()
        starts = batch.name_offsets[keep].tolist()
        ends = batch.name_offsets[keep + 1].tolist()
        strands = np.asarray(rev_comp)[keep].tolist()
        clones = np.asarray(clone_index)[keep].tolist()
        marks = (b"\t\tF", b"\t\tT")
        tails = self._tails
        known = len(tails)
        extra_tails = [self._tail(clone) for clone in extra]
        rows = [names[start:end] + marks[strand]
                + (tails[clone] if clone < known else extra_tails[clone - known])
                for start, end, strand, clone in zip(starts, ends, strands, clones, strict=True)]
        if b'"' in names:
            rows = [_escape_row(row) for row in rows]
        self._file.handle.write(b"".join(rows))
        self.rows += len(rows)

    def close(self) -> Path:
        """Finish the file and move it into place."""
        return self._file.commit()

    def discard(self) -> None:
        self._file.discard()

    def __enter__(self) -> ReadAirrWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()


def _escape_row(row: bytes) -> bytes:
    """Quote the read id (first field) of a row when it holds a double quote."""
    name, rest = row.split(b"\t", 1)
    if b'"' not in name:
        return row
    return _escape(name.decode("utf-8", "replace")).encode() + b"\t" + rest


def _escape(field: str) -> str:
    """TSV-quote a field the way the csv module (and the airr library) reads it."""
    if any(char in field for char in '"\t\n\r'):
        return '"' + field.replace('"', '""') + '"'
    return field


def read_airr(path: str | os.PathLike) -> list[Clone]:
    """Read the clones of an AIRR rearrangement TSV (one row per clone)."""
    name = str(path)
    try:
        handle = open(path, newline="", encoding="utf-8")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise InputFormatError(name, "no such file; check the path") from None
    except IsADirectoryError:
        raise InputFormatError(name, "is a directory, expected an AIRR TSV file") from None
    with handle:
        reader = csv.DictReader(handle, dialect="excel-tab")
        try:
            header = reader.fieldnames
            if not header:
                raise InputFormatError(name, "empty file: no AIRR header", line=1)
            missing = [column for column in REQUIRED if column not in header]
            if missing:
                raise InputFormatError(name, "not an AIRR rearrangement file: missing "
                                       f"column(s) {', '.join(missing)}", line=1,
                                       field=missing[0])
            clones = []
            for number, row in enumerate(reader, start=1):
                if None in row:
                    raise InputFormatError(name, "more fields than header columns",
                                           record=number, line=reader.line_num)
                clones.append(_RowReader(name, number, reader.line_num, row).clone())
        except UnicodeDecodeError as error:
            raise InputFormatError(name, f"not UTF-8 text ({error.reason})") from None
        except csv.Error as error:
            raise InputFormatError(name, f"not valid TSV: {error}",
                                   line=reader.line_num) from None
    return clones


def read_airr_result(path: str | os.PathLike, *, producer: str = "",
                     commandline: str = "") -> SampleResult:
    """An AIRR rearrangement TSV (one row per clone) as a sample result.

    The file has no read totals: the reads of its clones stand for the analysed
    (and total) reads, per locus too.  Clones come most abundant first.
    """
    ranked = sorted(read_airr(path), key=lambda clone: (-clone.reads, clone.id))
    by_locus: dict[str, int] = {}
    for clone in ranked:
        by_locus[clone.locus] = by_locus.get(clone.locus, 0) + clone.reads
    total = sum(by_locus.values())
    return SampleResult(original_name=Path(path).name, producer=producer, timestamp="",
                        commandline=commandline, total_reads=total, analysed_reads=total,
                        reads_by_locus=by_locus, reasons={}, clones=ranked)


class _RowReader:
    """Turns one AIRR row into a ``Clone``, naming the column at fault."""

    def __init__(self, path: str, number: int, line: int, row: dict[str, str]) -> None:
        self.path, self.number, self.line, self.row = path, number, line, row

    def error(self, column: str, message: str) -> InputFormatError:
        return InputFormatError(self.path, message, record=self.number, line=self.line,
                                field=column)

    def text(self, column: str) -> str:
        return self.row.get(column) or ""

    def integer(self, column: str) -> int | None:
        value = self.text(column)
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise self.error(column, f"expected an integer, found {value!r}") from None

    def real(self, column: str) -> float | None:
        value = self.text(column)
        if not value:
            return None
        try:
            return float(value)
        except ValueError:
            raise self.error(column, f"expected a number, found {value!r}") from None

    def boolean(self, column: str) -> bool | None:
        value = self.text(column)
        if not value:
            return None
        if value in ("T", "TRUE", "True", "true", "t", "1"):
            return True
        if value in ("F", "FALSE", "False", "false", "f", "0"):
            return False
        raise self.error(column, f"expected T or F, found {value!r}")

    def clone(self) -> Clone:
        sequence = self.text("sequence")
        clone_id = self.text("clone_id") or self.text("sequence_id")
        if not clone_id:
            raise self.error("clone_id", "empty: a clone needs an id")
        reads = self.integer("duplicate_count")
        system = self.text("vidjil_germline") or self.text("locus")
        window_start = self.integer("window_start")
        evalue = self.real("evalue")
        length = self.real("average_read_length")
        warnings = self.text("warnings")
        top = self.integer("top")
        return Clone(
            id=clone_id, locus=system, reads=reads if reads is not None else 1,
            sequence=sequence,
            window_start=window_start - 1 if window_start else sequence.find(clone_id),
            average_read_length=math.nan if length is None else length,
            evalue=math.nan if evalue is None else evalue,
            top=self.number if top is None else top, designation=self.designation(system),
            quality=self.text("quality") or None,
            warnings=warnings.split(WARNING_SEPARATOR) if warnings else [])

    def designation(self, system: str) -> Designation | None:
        slots = {slot: self.segment(slot) for slot in SLOTS}
        junction = self.junction()
        if junction is None and not any(slots.values()):
            return None
        present = [slot for slot in SLOTS if slots[slot] is not None]
        inserts = [self.text(INSERT_AFTER[slot]) for slot in present[:-1]]
        return Designation(
            locus=self.text("designation_locus") or system, v=slots["v"], j=slots["j"],
            d=[s for s in (slots["d"], slots["d2"]) if s is not None], inserts=inserts,
            junction=junction, evalue=self.real("designation_evalue"))

    def segment(self, slot: str) -> SegmentCall | None:
        call = self.text(f"{slot}_call")
        if not call:
            return None
        first = self.integer(f"{slot}_sequence_start")
        last = self.integer(f"{slot}_sequence_end")
        if first is None or last is None:
            raise self.error(f"{slot}_sequence_start", f"{slot}_call {call!r} without "
                             f"{slot}_sequence_start/_end")
        start, end = from_closed(first, last)
        left, right = TRIMS[slot]
        return SegmentCall(
            alleles=call.split(","), start=start, end=end,
            del_left=self.integer(left) if left else None,
            del_right=self.integer(right) if right else None,
            score=self.real(f"{slot}_score"), evalue=self.real(f"{slot}_support"))

    def junction(self) -> Junction | None:
        nt = self.text("junction")
        if not nt:
            return None
        cdr3_first = self.integer("cdr3_start")
        start = cdr3_first - 1 - 3 if cdr3_first else self.text("sequence").find(nt)
        return Junction(start=start, end=start + len(nt), nt=nt, aa=self.text("junction_aa"),
                        productive=bool(self.boolean("productive")),
                        unproductive=self.text("unproductive") or None,
                        in_frame=self.boolean("vj_in_frame"),
                        stop_codon=self.boolean("stop_codon"))
