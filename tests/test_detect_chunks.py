"""Detection in chunks gives the single-pass result, byte for byte (issue 4).

The input is split into chunks of whole batches, each chunk affected on its own
(here in turn; on a cluster by several workers, see tests/test_jobs_runner.py), and
the calls fed back in input order.  Windows, merging, clones, designations, the
AIRR files and the per-read output must all be those of ``Detector.run``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from vidjil_kernel.detect.chunks import affect_chunk, split_reads
from vidjil_kernel.detect.pipeline import DetectOptions, Detector
from vidjil_kernel.detect.run import analyse_file, analyse_split
from vidjil_kernel.formats.vidjil import run_independent
from vidjil_kernel.germline import load_preset
from vidjil_kernel.reads import BatchReader
from vidjil_kernel.simulate import SimulationSpec, simulate

pytestmark = pytest.mark.germline


@pytest.fixture(scope="module")
def reads(germline_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("chunk-reads")
    spec = SimulationSpec(loci=(("IGH", 1.0), ("TRG", 1.0), ("IGK", 1.0)), reads=12_000,
                          mode="diagnosis", seed=21, noise=0.1, germline_dir=germline_dir)
    gzipped = simulate(replace(spec, name="sample"), out).reads
    plain = simulate(replace(spec, name="plain", gzip=False), out).reads
    fasta = simulate(replace(spec, name="fa", gzip=False, fasta=True), out).reads
    return {"fastq.gz": gzipped, "fastq": plain, "fasta": fasta}


def _outputs(directory: Path, stem: str) -> dict[str, object]:
    return {"vidjil": run_independent(directory / f"{stem}.vidjil"),
            "airr": (directory / f"{stem}.airr.tsv").read_text(),
            "reads": (directory / f"{stem}.reads.airr.tsv").read_text()}


@pytest.mark.parametrize("kind", ["fastq.gz", "fastq", "fasta"])
def test_chunks_give_the_single_pass_result(kind: str, reads: dict[str, Path],
                                            germline_dir: Path, tmp_path: Path) -> None:
    preset = load_preset("homo-sapiens:IGH,TRG,IGK", germline_dir)
    detector = Detector(preset, DetectOptions(batch_reads=1000, max_designations=20))
    source = str(reads[kind])
    single = analyse_file(detector, source, tmp_path / "single", "out", per_read=True,
                          commandline="same")
    seen = []
    split = split_reads(detector, source, tmp_path / "chunks", 3500,
                        on_chunk=lambda so_far, chunk: seen.append(len(so_far.chunks)))
    assert [chunk.reads for chunk in split.chunks] == [4000, 4000, 4000]
    assert seen == [1, 2, 3]
    for chunk in reversed(split.chunks):  # any order: each chunk stands alone
        affect_chunk(detector, chunk, split)
    chunked = analyse_split(detector, split, tmp_path / "chunked", "out", per_read=True,
                            commandline="same")
    assert chunked.total_reads == single.total_reads == 12_000
    assert len(single.clones) > 10 and single.reasons == chunked.reasons
    assert _outputs(tmp_path / "chunked", "out") == _outputs(tmp_path / "single", "out")


def test_every_chunk_uses_the_whole_input_read_count(reads: dict[str, Path],
                                                     germline_dir: Path,
                                                     tmp_path: Path) -> None:
    """The e-value's read-count factor is the whole input's, estimated as a single pass does."""
    detector = Detector(load_preset("homo-sapiens:IGH,TRG,IGK", germline_dir),
                        DetectOptions(batch_reads=1000))
    split = split_reads(detector, str(reads["fastq.gz"]), tmp_path, 3500)
    with BatchReader(str(reads["fastq.gz"]), batch_reads=1000) as reader:
        next(reader)
        assert split.expected_reads == detector._expected_reads(reader)
    assert split.has_qual and split.total_bytes == reads["fastq.gz"].stat().st_size
