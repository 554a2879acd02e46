"""AIRR rearrangement TSV: pinned columns, airr-library validation, round trips, per-read rows."""

from __future__ import annotations

import csv
import os
import random

import airr
import numpy as np
import pytest
from result_examples import SEQUENCE, pinned_result, random_result

from vidjil_kernel.exceptions import InputFormatError
from vidjil_kernel.formats.airr import (
    CLONE_COLUMNS,
    ReadAirrWriter,
    clone_row,
    read_airr,
    write_airr,
)
from vidjil_kernel.reads import read_batches


def rows(path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, dialect="excel-tab"))


def assert_valid(path) -> None:
    """The airr library's validator, and its validating reader, accept the file."""
    assert airr.validate_rearrangement(str(path), debug=True)
    assert len(list(airr.read_rearrangement(str(path), validate=True))) == len(rows(path))


def test_pinned_example_columns(tmp_path):
    row = clone_row(pinned_result().clones[0])
    assert {key: row[key] for key in (
        "v_call", "v_sequence_start", "v_sequence_end", "d_call", "d_sequence_start",
        "d_sequence_end", "j_call", "j_sequence_start", "j_sequence_end", "cdr3_start",
        "cdr3_end", "np1", "np1_length", "np2", "np2_length", "junction", "junction_aa",
        "cdr3", "cdr3_aa", "productive", "vj_in_frame", "stop_codon", "rev_comp", "locus",
        "duplicate_count", "v_support", "v_score", "v_trim_3", "d_trim_5", "d_trim_3",
        "j_trim_5", "window_start", "unproductive", "warnings")} == {
        "v_call": "IGHV1-1*01,IGHV1-1*02", "v_sequence_start": "1", "v_sequence_end": "8",
        "d_call": "IGHD2-2*01", "d_sequence_start": "11", "d_sequence_end": "13",
        "j_call": "IGHJ4*02", "j_sequence_start": "15", "j_sequence_end": "20",
        "cdr3_start": "9", "cdr3_end": "14", "np1": "CC", "np1_length": "2", "np2": "G",
        "np2_length": "1", "junction": SEQUENCE[5:17], "junction_aa": "KPPGVF",
        "cdr3": SEQUENCE[8:14], "cdr3_aa": "PPGV", "productive": "F", "vj_in_frame": "T",
        "stop_codon": "T", "rev_comp": "F", "locus": "IGH", "duplicate_count": "42",
        "v_support": "1e-10", "v_score": "40.0", "v_trim_3": "3", "d_trim_5": "1",
        "d_trim_3": "4", "j_trim_5": "2", "window_start": "7", "unproductive": "stop-codon",
        "warnings": "W69 Several genes with equal probability | free text, no code"}
    path = write_airr(pinned_result(), tmp_path / "s.airr.tsv")
    assert_valid(path)
    # with every boolean known, the pandas loader takes it too (it refuses empty booleans)
    assert len(airr.load_rearrangement(str(path), validate=True)) == 1
    [written] = rows(path)
    assert written["sequence"][8:14] == written["cdr3"]  # cdr3_start..cdr3_end, 1-based


def test_pinned_round_trip(tmp_path):
    path = write_airr(pinned_result(), tmp_path / "s.airr.tsv")
    assert read_airr(path) == pinned_result().clones


@pytest.mark.parametrize("seed", range(8))
def test_random_round_trip_and_validation(tmp_path, seed):
    result = random_result(random.Random(seed))
    path = write_airr(result, tmp_path / "r.airr.tsv")
    assert_valid(path)
    assert read_airr(path) == result.clones


def test_fields_with_quotes_tabs_and_line_breaks_are_quoted_as_csv_does(tmp_path):
    result = pinned_result()
    clone = result.clones[0]
    clone.warnings = ['a "quoted" word', "a\ttab", "two\nlines", "a\rreturn", "plain"]
    path = write_airr(result, tmp_path / "q.airr.tsv")
    expected = tmp_path / "csv.tsv"
    with open(expected, "w", newline="") as handle:
        writer = csv.writer(handle, dialect="excel-tab", lineterminator="\n")
        writer.writerow(CLONE_COLUMNS)
        row = clone_row(clone)
        writer.writerow([row.get(column, "") for column in CLONE_COLUMNS])
    assert path.read_bytes() == expected.read_bytes()
    assert read_airr(path) == result.clones


def test_loci_of_incomplete_systems():
    result = random_result(random.Random(1))
    for clone in result.clones:
        row = clone_row(clone)
        assert row["locus"] == clone.locus[:3] and row["vidjil_germline"] == clone.locus


def test_second_d_goes_to_d2_columns():
    clone = pinned_result().clones[0]
    designation = clone.designation
    designation.d.append(designation.d[0].__class__(["TRDD3*01"], 13, 14, del_left=0))
    designation.inserts = ["CC", "", ""]
    row = clone_row(clone)
    assert (row["d2_call"], row["d2_sequence_start"], row["d2_sequence_end"]) == (
        "TRDD3*01", "14", "14")
    assert (row["np1"], row["np2"], row["np3"]) == ("CC", "", "")


def test_per_read_rows_streamed_and_valid(tmp_path):
    result = pinned_result()
    other = random_result(random.Random(2)).clones[0]
    clones = [result.clones[0], other]
    fastq = tmp_path / "reads.fq"
    fastq.write_text("".join(f"@r{i} extra words\nACGT\n+\nIIII\n" for i in range(10)))
    path = tmp_path / "s.reads.airr.tsv"
    with ReadAirrWriter(path, clones) as writer:
        for batch in read_batches(fastq, batch_reads=4):
            assignment = np.array([(batch.first_record + i) % 3 - 1 for i in range(batch.n)])
            writer.write_batch(batch, assignment, np.arange(batch.n) % 2 == 0)
            assert not path.exists()
        writer.write('odd"id', 1, True)
    assert_valid(path)
    written = rows(path)
    assert writer.rows == len(written) == 8
    first = written[0]
    assert (first["sequence_id"], first["rev_comp"], first["clone_id"], first["v_call"],
            first["junction"], first["locus"], first["productive"]) == (
        "r0", "T", clones[0].id, "IGHV1-1*01,IGHV1-1*02", SEQUENCE[5:17], "IGH", "F")
    assert [row["sequence_id"] for row in written] == [
        "r0", "r1", "r3", "r4", "r6", "r7", "r9", 'odd"id']
    assert written[1]["clone_id"] == other.id


def test_per_read_writer_leaves_nothing_on_failure(tmp_path):
    path = tmp_path / "s.reads.airr.tsv"
    with pytest.raises(RuntimeError), ReadAirrWriter(path, pinned_result().clones) as writer:
        writer.write("r1", 0, False)
        raise RuntimeError("interrupted")
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_previous_file(tmp_path):
    path = write_airr(pinned_result(), tmp_path / "s.airr.tsv")
    before = path.read_bytes()
    broken = pinned_result()
    broken.clones[0].designation.d *= 3
    with pytest.raises(ValueError, match="two"):
        write_airr(broken, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["s.airr.tsv"]


def write_rows(tmp_path, header: list[str], lines: list[list[str]]):
    path = tmp_path / "bad.tsv"
    path.write_text("\n".join("\t".join(line) for line in [header, *lines]) + "\n")
    return path


def good_table() -> tuple[list[str], list[str]]:
    row = clone_row(pinned_result().clones[0])
    return list(CLONE_COLUMNS), [row.get(column, "") for column in CLONE_COLUMNS]


@pytest.mark.parametrize(("column", "value", "words"), [
    ("duplicate_count", "many", "expected an integer"),
    ("productive", "maybe", "expected T or F"),
    ("v_support", "low", "expected a number"),
    ("v_sequence_start", "", "without v_sequence_start"),
])
def test_malformed_values_name_record_line_and_column(tmp_path, column, value, words):
    header, line = good_table()
    bad = list(line)
    bad[header.index(column)] = value
    path = write_rows(tmp_path, header, [line, bad])
    with pytest.raises(InputFormatError) as error:
        read_airr(path)
    assert (error.value.record, error.value.line, error.value.field) == (2, 3, column)
    assert words in str(error.value)


def test_missing_required_columns(tmp_path):
    header, line = good_table()
    keep = [i for i, name in enumerate(header) if name not in ("j_cigar", "rev_comp")]
    path = write_rows(tmp_path, [header[i] for i in keep], [[line[i] for i in keep]])
    with pytest.raises(InputFormatError, match="missing column.*rev_comp, j_cigar"):
        read_airr(path)


def test_extra_fields_and_empty_file(tmp_path):
    header, line = good_table()
    path = write_rows(tmp_path, header, [line + ["surplus"]])
    with pytest.raises(InputFormatError, match="line 2, record 1: more fields"):
        read_airr(path)
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(InputFormatError, match="empty file"):
        read_airr(empty)
    with pytest.raises(InputFormatError, match="no such file"):
        read_airr(tmp_path / "none.tsv")
