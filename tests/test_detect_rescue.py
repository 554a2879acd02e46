"""Reads with one significant side only, counted in the clone whose window they hold."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest
from test_detect_windows import W, add_reads, random_dna

from vidjil_kernel.detect import affect
from vidjil_kernel.detect.merge import parent_index
from vidjil_kernel.detect.pipeline import DetectOptions, Detector
from vidjil_kernel.detect.rescue import BEYOND_SIDE, UnanalysedReads
from vidjil_kernel.detect.run import analyse_file
from vidjil_kernel.detect.windows import WindowTable
from vidjil_kernel.germline import load_preset


def reverse_complement(sequence: str) -> str:
    return sequence[::-1].translate(str.maketrans("ACGT", "TGCA"))


def substituted(sequence: str, positions: list[int]) -> str:
    bases = list(sequence)
    for i in positions:
        bases[i] = {"A": "C", "C": "G", "G": "T", "T": "A"}[bases[i]]
    return "".join(bases)


def rescue(table: WindowTable, reads: list[tuple[str, int, int, int, int]]) -> list[int]:
    """Row (or -1) of each (read, status, strand, 5' side end, 3' side start) looked for
    in the windows of ``table``."""
    spool = UnanalysedReads()
    seq = np.frombuffer("".join(r[0] for r in reads).encode(), np.uint8)
    offsets = np.concatenate([[0], np.cumsum([len(r[0]) for r in reads])]).astype(np.int64)
    calls = {field: np.array([r[k] for r in reads], dtype)
             for k, field, dtype in ((1, "status", np.int8), (2, "strand", np.int8),
                                     (3, "end5", np.int32), (4, "start3", np.int32))}
    spool.add(seq, offsets, calls, 100)
    found = spool.rescue(table, parent_index(table))
    rows = [-1] * len(reads)
    for i, row, reverse in zip(found.read_index.tolist(), found.rows.tolist(),
                               found.reverse.tolist(), strict=True):
        rows[i - 100] = row
        assert reverse == (reads[i - 100][2] < 0)
    return rows


@pytest.fixture
def two_clones() -> tuple[WindowTable, list[str]]:
    """A table of two clones (10 and 3 reads) of 200 nt sharing their first 80 nt (a V),
    with their windows right after it."""
    rng = random.Random(5)
    v = random_dna(rng, 80)
    molecules = [v + random_dna(rng, 120) for _ in range(2)]
    table = WindowTable(True, W)
    add_reads(table, [(molecules[0], 1, 80, W)] * 10 + [(molecules[1], 1, 80, W)] * 3)
    return table, molecules


def test_a_read_holding_a_window_is_counted_in_it(two_clones) -> None:
    table, (big, small) = two_clones
    v_only = affect.ONLY_5
    reads = [
        (substituted(big[:140], [85, 120]), v_only, 1, 80, -1),  # two errors in the window
        (reverse_complement(small[30:]), v_only, -1, 50, -1),  # the other strand
        (substituted(big, [82, 84, 110]), v_only, 1, 80, -1),  # three errors: MAX_EDITS
        (substituted(big, [81, 83, 110, 112]), v_only, 1, 80, -1),  # four
        (big[:100] + random_dna(random.Random(1), 100), v_only, 1, 80, -1),  # 20 nt of it
        (random_dna(random.Random(2), 200), v_only, 1, 80, -1),
        (big[60:140], v_only, 1, 20, -1),  # the window, 20 nt on each side
        (substituted(big[:131], [100]), v_only, 1, 80, -1),  # ...1 nt after it: no indel
        (big, v_only, 1, 115, -1),  # the V side found ends less than BEYOND_SIDE before its end
        (big, affect.ONLY_3, 1, -1, 130 - BEYOND_SIDE),  # the J side starts after it
        (big, affect.ONLY_3, 1, -1, 95),  # ...less than BEYOND_SIDE after its start
    ]
    assert rescue(table, reads) == [0, 1, 0, -1, -1, -1, 0, 0, -1, 0, -1]


def test_only_reads_with_one_significant_side_are_looked_for(two_clones) -> None:
    table, (big, _) = two_clones
    statuses = [affect.ONLY_5, affect.ONLY_3, affect.TOO_FEW, affect.AMBIGUOUS, affect.ANALYSED]
    assert rescue(table, [(big, status, 1, 80, -1) for status in statuses]) == [0, 0, -1, -1, -1]


def test_counting_adds_reads_length_and_strand(two_clones) -> None:
    table, (big, _) = two_clones
    spool = UnanalysedReads()
    read = reverse_complement(big[:150])
    spool.add(np.frombuffer(read.encode(), np.uint8), np.array([0, 150]),
              {"status": np.array([affect.ONLY_3], np.int8), "strand": np.array([-1], np.int8),
               "end5": np.array([-1], np.int32), "start3": np.array([130], np.int32)}, 7)
    found = spool.rescue(table, parent_index(table))
    found.count_in(table)
    assert found.read_index.tolist() == [7] and found.statuses.tolist() == [affect.ONLY_3]
    assert (table.row_count[0], table.row_length_sum[0], table.row_reverse[0]) == (
        11, 10 * 200 + 150, 1)


def test_a_read_with_one_significant_side_gets_its_strand_and_where_the_side_stops(
        germline_dir: Path) -> None:
    """Where a V's hits end and a J's begin, in the coordinates of the strand found."""
    preset = load_preset("homo-sapiens:IGH", germline_dir)
    rng = random.Random(3)
    v_read = preset.alleles("IGHV.fa")[0].sequence[-150:] + random_dna(rng, 60)
    j_read = random_dna(rng, 100) + preset.alleles("IGHJ.fa")[0].sequence
    reads = [v_read, j_read, reverse_complement(v_read), reverse_complement(j_read)]
    seq = np.frombuffer("".join(reads).encode(), np.uint8).copy()
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in reads])]).astype(np.int64)
    calls = Detector(preset).affect(seq, offsets, 1e6)
    assert calls["status"].tolist() == [affect.ONLY_5, affect.ONLY_3] * 2
    assert calls["strand"].tolist() == [1, 1, -1, -1]
    assert calls["end5"].tolist() == [150, -1, 150, -1]
    assert calls["start3"].tolist() == [-1, 100, -1, 100]


def test_a_clone_keeps_the_reads_whose_j_is_too_damaged(germline_dir: Path,
                                                        tmp_path: Path) -> None:
    """Reads stopping 24 nt into the J with three errors there have too few J seeds for
    a strict e-value: they are counted in their clone, in the .vidjil and the per-read
    output."""
    preset = load_preset("homo-sapiens:IGH", germline_dir)
    v = preset.alleles("IGHV.fa")[0].sequence[-150:]
    j = preset.alleles("IGHJ.fa")[0].sequence
    n_region = "GGTACCTTAG"
    full = v + n_region + j
    damaged = v + n_region + substituted(j[:24], [5, 12, 19])
    detector = Detector(preset, DetectOptions(min_reads=1, evalue=1e-3))
    assert detector.affect_sequences([damaged])[0] == (-1, "only V/5'")
    reads = [full] * 20 + [damaged] * 4 + [reverse_complement(damaged)]
    fasta = tmp_path / "sample.fa"
    fasta.write_text("".join(f">r{i} x\n{read}\n" for i, read in enumerate(reads)))
    result = analyse_file(detector, str(fasta), tmp_path / "out", "sample", per_read=True)
    assert [clone.reads for clone in result.clones] == [25]
    assert result.analysed_reads == 25 and result.reasons["only V/5'"] == 0
    assert result.reads_by_locus == {"IGH": 25}
    assert any("5 reads with a significant V or J side only" in line for line in result.log)
    with open(tmp_path / "out" / "sample.reads.airr.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [row["sequence_id"] for row in rows] == [f"r{i}" for i in range(25)]
    assert {row["clone_id"] for row in rows} == {result.clones[0].id}
    assert [row["rev_comp"] for row in rows[-2:]] == ["F", "T"]
