"""Reads input: round trips, batch boundaries, conversions, and every malformed case."""

from __future__ import annotations

import gzip
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vidjil_kernel.exceptions import InputFormatError
from vidjil_kernel.reads import BatchReader, read_batches

IUPAC = "RYSWKMBDHV"


def canonical(sequence: str) -> str:
    """What the reader must make of a sequence: upper case, U -> T, IUPAC -> N."""
    table = {**{c: "N" for c in IUPAC}, "U": "T"}
    return "".join(table.get(c, c) for c in sequence.upper())


def reference_parse(text: str) -> list[tuple[str, str, str | None]]:
    """A plain-Python parser of well-formed FASTA / FASTQ (4-line or multi-line)."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    records: list[tuple[str, str, str | None]] = []
    i = 0
    fastq = next(line for line in lines if line and not line.startswith("#"))[0] == "@"
    while i < len(lines):
        if not lines[i] or (not fastq and lines[i].startswith("#")):
            i += 1
            continue
        name = lines[i][1:].replace("\t", " ").split(" ")[0]
        i += 1
        parts = []
        while i < len(lines) and not lines[i].startswith("+" if fastq else ">"):
            if fastq or not lines[i].startswith("#"):
                parts.append(lines[i])
            i += 1
        sequence = canonical("".join(parts))
        quality = None
        if fastq:
            i += 1
            quality = ""
            while len(quality) < len(sequence):
                quality += lines[i]
                i += 1
        records.append((name, sequence, quality))
    return records


def read_all(path: Path | str, **options) -> tuple[list[tuple[str, str, str | None]], list]:
    records, batches = [], []
    with BatchReader(path, **options) as reader:
        for batch in reader:
            batches.append((batch.first_record, batch.n))
            records.extend((batch.name(i), batch.sequence(i), batch.quality(i))
                           for i in range(batch.n))
    return records, batches


def write(path: Path, text: str, compress: bool = False) -> Path:
    data = text.encode("latin-1")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def fastq_text(records, newline="\n", repeat_name=False) -> str:
    return "".join(f"@{name}{newline}{seq}{newline}+{name if repeat_name else ''}{newline}"
                   f"{qual}{newline}" for name, seq, qual in records)


def fasta_text(records, width=60, newline="\n") -> str:
    out = []
    for name, seq, _ in records:
        out.append(f">{name}{newline}")
        out.extend(seq[i:i + width] + newline for i in range(0, len(seq), width))
    return "".join(out)


def random_records(rng: random.Random, count: int, alphabet="ACGTN") -> list:
    records = []
    for i in range(count):
        length = rng.choice([0, 1, 2, 50, 151, 250, 400])
        seq = "".join(rng.choice(alphabet) for _ in range(length))
        qual = "".join(chr(rng.randint(33, 126)) for _ in range(length))
        name = f"read{i}" + rng.choice(["", " some description", "\tx=1", " "])
        records.append((name, seq, qual))
    return records


RECORDS = [("r1 first", "ACGTACGTNN", "IIIIIIIII#"), ("r2", "GGGCCC", "!!!~~~"),
           ("r3\tdesc", "T" * 300, "F" * 300)]
EXPECTED_FASTQ = [("r1", "ACGTACGTNN", "IIIIIIIII#"), ("r2", "GGGCCC", "!!!~~~"),
                  ("r3", "T" * 300, "F" * 300)]
EXPECTED_FASTA = [(name, seq, None) for name, seq, _ in EXPECTED_FASTQ]


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_fastq_round_trip(tmp_path, compress, newline):
    path = write(tmp_path / "reads.fq", fastq_text(RECORDS, newline), compress)
    assert read_all(path)[0] == EXPECTED_FASTQ


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("width", [7, 60, 1000])
def test_fasta_round_trip_multiline(tmp_path, compress, newline, width):
    text = "\n" + fasta_text(RECORDS, width, newline).replace(">r2", f"{newline}>r2")
    path = write(tmp_path / "reads.fa", text, compress)
    assert read_all(path)[0] == EXPECTED_FASTA


def test_gzip_detected_by_magic_not_extension(tmp_path):
    hidden = write(tmp_path / "reads.fastq", fastq_text(RECORDS), compress=True)
    plain = write(tmp_path / "reads.fastq.gz", fastq_text(RECORDS))
    assert read_all(hidden)[0] == read_all(plain)[0] == EXPECTED_FASTQ


def test_multimember_gzip(tmp_path):
    path = tmp_path / "reads.fq.gz"
    path.write_bytes(gzip.compress(fastq_text(RECORDS[:1]).encode())
                     + gzip.compress(fastq_text(RECORDS[1:]).encode()))
    assert read_all(path)[0] == EXPECTED_FASTQ


def test_fastq_without_final_newline_and_plus_repeating_the_name(tmp_path):
    path = write(tmp_path / "reads.fq", fastq_text(RECORDS, repeat_name=True).rstrip("\n"))
    assert read_all(path)[0] == EXPECTED_FASTQ


def test_multiline_fastq(tmp_path):
    text = "@a\nACGT\nAC\n+\nIIII\n@I\n@b\nGG\n+\nII\n"
    assert read_all(write(tmp_path / "m.fq", text))[0] == [("a", "ACGTAC", "IIII@I"),
                                                           ("b", "GG", "II")]


def test_iupac_u_and_lower_case_are_converted(tmp_path):
    text = ">x\nacgtu\nRYSWKMBDHVN\nryswkmbdhvn\nACGTU\n"
    [(name, seq, _)] = read_all(write(tmp_path / "x.fa", text))[0]
    assert seq == "ACGTT" + "N" * 22 + "ACGTT"


def test_fasta_comments_and_empty_records(tmp_path):
    text = "# comment\n\n>a\n# inside\nAC\n\n\n>b\n>c d\nGT"
    assert read_all(write(tmp_path / "c.fa", text))[0] == [
        ("a", "AC", None), ("b", "", None), ("c", "GT", None)]


def test_batch_arrays_layout(tmp_path):
    path = write(tmp_path / "reads.fq", fastq_text(RECORDS))
    [batch] = list(read_batches(path))
    assert batch.n == 3 and batch.first_record == 1
    assert batch.seq.dtype == np.uint8 and batch.offsets.dtype == np.int64
    assert batch.offsets.tolist() == [0, 10, 16, 316]
    assert batch.lengths.tolist() == [10, 6, 300]
    assert batch.qual.tolist()[:10] == [40] * 9 + [2]
    assert batch.names.tobytes() == b"r1r2r3"
    assert batch.name_offsets.tolist() == [0, 2, 4, 6]
    assert set(batch.seq.tobytes()) <= set(b"ACGTN")


@pytest.mark.parametrize("batch_reads", [1, 7, 100_000])
@pytest.mark.parametrize("block_bytes", [1, 13, 1000, 1 << 22])
@pytest.mark.parametrize("kind", ["fastq", "fasta"])
def test_batches_and_blocks_boundaries(tmp_path, batch_reads, block_bytes, kind):
    records = random_records(random.Random(3), 40)
    text = fastq_text(records) if kind == "fastq" else fasta_text(records, 70)
    path = write(tmp_path / f"r.{kind}", text)
    got, batches = read_all(path, batch_reads=batch_reads, block_bytes=block_bytes)
    assert got == reference_parse(text)
    assert [first for first, _ in batches] == list(range(1, 41, batch_reads))
    assert all(n == batch_reads for _, n in batches[:-1])


def test_batch_arrays_are_never_overwritten_while_held(tmp_path):
    records = random_records(random.Random(5), 50)
    path = write(tmp_path / "r.fq", fastq_text(records))
    held = list(read_batches(path, batch_reads=3))
    flat = [(b.name(i), b.sequence(i), b.quality(i)) for b in held for i in range(b.n)]
    assert flat == reference_parse(fastq_text(records))


def test_progress_figures(tmp_path):
    path = write(tmp_path / "r.fq.gz", fastq_text(random_records(random.Random(1), 30)), True)
    reader = read_batches(path, batch_reads=10)
    assert reader.total_bytes == path.stat().st_size
    assert next(reader).n == 10 and reader.records_read == 10
    list(reader)
    assert reader.records_read == 30 and reader.bytes_read == reader.total_bytes
    assert reader.format == "fastq"


@pytest.mark.parametrize("seed", range(12))
def test_random_records_match_reference_parser(tmp_path, seed):
    rng = random.Random(seed)
    records = random_records(rng, rng.randint(1, 60), alphabet="ACGTNacgtnuURYKMryk")
    newline = rng.choice(["\n", "\r\n"])
    if rng.random() < 0.5:
        text = fastq_text(records, newline, repeat_name=rng.random() < 0.5)
    else:
        text = fasta_text(records, rng.choice([1, 10, 60, 500]), newline)
    path = write(tmp_path / "r", text, compress=rng.random() < 0.5)
    got, _ = read_all(path, batch_reads=rng.choice([1, 5, 1000]),
                      block_bytes=rng.choice([3, 50, 4096]))
    assert got == reference_parse(text)


@pytest.mark.parametrize("compress", [False, True])
def test_stdin(tmp_path, compress):
    data = fastq_text(RECORDS).encode()
    script = ("from vidjil_kernel.reads import read_batches\n"
              "for b in read_batches('-', batch_reads=2):\n"
              "    print(*(b.name(i) + ':' + b.sequence(i) for i in range(b.n)))\n")
    result = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                            input=gzip.compress(data) if compress else data)
    assert result.stdout.decode().split() == [f"{n}:{s}" for n, s, _ in EXPECTED_FASTQ]


def test_stdin_error_names_stdin():
    script = "from vidjil_kernel.reads import read_batches\nlist(read_batches('-'))\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            input=b"@r1\nACGT\n+\nII\n")
    assert b"<stdin>, line 4, record 1, field 'quality'" in result.stderr


MALFORMED = [
    # name, content, (record, line, field), words in the message
    ("truncated_after_header", "@r1\nACGT\n+\nIIII\n@r2\n", (2, 5, "sequence"), "ends inside"),
    ("truncated_before_plus", "@r1\nACGT\n+\nIIII\n@r2\nACGT\n", (2, 6, "+ line"),
     "ends inside"),
    ("truncated_in_quality", "@r1\nACGT\nAC\n+\nIII", (1, 5, "quality"), "3 of 6"),
    ("truncated_no_quality", "@r1\nACGT\n+\n", (1, 3, "quality"), "quality is missing"),
    ("quality_shorter", "@r1\nACGT\n+\nIII\n", (1, 4, "quality"), "3 characters"),
    ("quality_longer", "@r0\nA\n+\nI\n@r1\nACGT\n+\nIIIII\n", (2, 8, "quality"),
     "5 characters but the sequence has 4"),
    ("missing_plus", "@r1\nACGT\n@r2\nACGT\n+\nIIII\n", (1, 3, "+ line"), "'+' line"),
    ("plus_other_name", "@r1\nACGT\n+r9\nIIII\n", (1, 3, "+ line"), "another read"),
    ("missing_at", "@r1\nA\n+\nI\nr2\nACGT\n+\nIIII\n", (2, 5, "header"), "'@'"),
    ("fasta_in_fastq", "@r1\nA\n+\nI\n>r2\nACGT\n", (2, 5, "header"), "mixed"),
    ("missing_gt", "ACGT\n>r1\nACGT\n", (1, 1, "header"), "'>' (FASTA) or '@'"),
    ("bad_base_fastq", "@r1\nACXT\n+\nIIII\n", (1, 2, "sequence"), "'X' at column 3"),
    ("bad_base_fasta", ">r1\nAC\nAC-T\n", (1, 3, "sequence"), "'-' at column 3"),
    ("bad_quality", "@r1\nACGT\n+\nII I\n", (1, 4, "quality"), "' ' at column 3"),
    ("quality_control_char", "@r1\nACGT\n+\nII\x01I\n", (1, 4, "quality"), "byte 0x01"),
    ("binary", "\x00\x01\x02\xff\xfe" * 50, (1, 1, "header"), "binary data"),
]


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(("name", "content", "where", "words"), MALFORMED,
                         ids=[case[0] for case in MALFORMED])
def test_malformed_input(tmp_path, name, content, where, words, compress):
    path = write(tmp_path / f"{name}.txt", content, compress)
    with pytest.raises(InputFormatError) as error:
        read_all(path, block_bytes=5)
    record, line, field = where
    assert (error.value.path, error.value.record, error.value.line, error.value.field) == (
        str(path), record, line, field)
    message = str(error.value)
    assert message.startswith(f"{path}, line {line}, record {record}, field '{field}': ")
    assert words in message


@pytest.mark.parametrize("content", [b"", b"\n\n\r\n", gzip.compress(b"", mtime=0),
                                     gzip.compress(b"\n\n", mtime=0)],
                         ids=["empty", "blank-lines", "empty-gzip", "blank-gzip"])
def test_empty_input(tmp_path, content):
    path = tmp_path / "empty.fq"
    path.write_bytes(content)
    with pytest.raises(InputFormatError, match=r"empty.fq, line 1, record 1: empty file"):
        read_all(path)


def test_comments_only_fasta_is_empty(tmp_path):
    with pytest.raises(InputFormatError, match="empty file"):
        read_all(write(tmp_path / "c.fa", "# only\n# comments\n"))


def test_not_gzip_despite_magic(tmp_path):
    path = tmp_path / "fake.fq.gz"
    path.write_bytes(b"\x1f\x8b" + b"this is not deflate data" * 10)
    with pytest.raises(InputFormatError, match=r"fake.fq.gz.*gzip data is corrupt or truncated"):
        read_all(path)


@pytest.mark.parametrize("threaded", [False, True])
def test_truncated_gzip(tmp_path, threaded):
    """The position is exact to a block (1 MiB of text ahead with the decompression thread)."""
    data = gzip.compress(fastq_text(random_records(random.Random(2), 20_000)).encode())
    path = tmp_path / "cut.fq.gz"
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(InputFormatError, match="gzip data is corrupt or truncated") as error:
        read_all(path, gzip_thread=threaded, block_bytes=4096, batch_reads=100_000)
    assert error.value.record > 1000 and error.value.line > 4000


@pytest.mark.parametrize(("magic", "kind"), [(b"BZh91AY&SY", "bzip2"), (b"\xfd7zXZ\x00\x00", "xz"),
                                             (b"\x28\xb5\x2f\xfd\x00", "zstd")])
def test_other_compressions_are_named(tmp_path, magic, kind):
    path = tmp_path / "reads.fq.x"
    path.write_bytes(magic + b"\x00" * 20)
    with pytest.raises(InputFormatError, match=f"{kind}-compressed input is not supported"):
        read_all(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputFormatError, match=r"nope.fq: no such file"):
        read_batches(tmp_path / "nope.fq")
    with pytest.raises(InputFormatError, match=r"is a directory"):
        read_batches(tmp_path)


def test_record_split_across_blocks_keeps_line_numbers(tmp_path):
    good = fastq_text(random_records(random.Random(4), 25))
    text = good + "@bad\nACGT\n+\nII\n"
    line = good.count("\n") + 4
    with pytest.raises(InputFormatError) as error:
        read_all(write(tmp_path / "r.fq", text), block_bytes=7, batch_reads=4)
    assert (error.value.record, error.value.line) == (26, line)


def test_long_record_larger_than_a_block(tmp_path):
    sequence = "ACGT" * 50_000
    path = write(tmp_path / "long.fa", f">long\n{sequence}\n>short\nAC\n")
    got, _ = read_all(path, block_bytes=1000, batch_reads=1)
    assert got == [("long", sequence, None), ("short", "AC", None)]


def test_blank_lines_before_the_first_record_across_blocks(tmp_path):
    text = "\r\n" * 5000 + "\n" + fastq_text(RECORDS) + "junk\n"
    with pytest.raises(InputFormatError) as error:
        read_all(write(tmp_path / "b.fq", text), block_bytes=64)
    assert (error.value.record, error.value.line) == (4, 5001 + 12 + 1)
    path = write(tmp_path / "start.fq", "\n" * 3000 + "ACGT\n")
    with pytest.raises(InputFormatError, match="line 3001, record 1"):
        read_all(path, block_bytes=100)


@pytest.mark.parametrize("kind", ["plain", "gzip", "two gzip members"])
def test_expected_records_from_the_first_batch(tmp_path, kind):
    """The whole input's read count, known after one batch (the e-value needs it)."""
    text = fastq_text(random_records(random.Random(5), 4000)).encode()
    if kind == "plain":
        data = text
    elif kind == "gzip":
        data = gzip.compress(text, mtime=0)
    else:
        half = len(text) // 2
        half = text.index(b"\n@", half) + 1
        data = gzip.compress(text[:half], mtime=0) + gzip.compress(text[half:], mtime=0)
    path = tmp_path / "reads.fq"
    path.write_bytes(data)
    with BatchReader(path, batch_reads=100) as reader:
        next(reader)
        expected = reader.expected_records()
    if kind == "two gzip members":  # no trustworthy trailer: a rougher estimate, still one
        assert expected is not None and expected >= 100
    else:
        assert expected == pytest.approx(4000, rel=0.1)
