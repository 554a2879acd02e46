"""`vidjil detect` end to end, as a user runs it: outputs, options, and bad input."""

from __future__ import annotations

import csv
import gzip
import json
import pstats
import subprocess
import sys
from pathlib import Path

import airr
import pytest

from vidjil_kernel.formats.vidjil import run_independent
from vidjil_kernel.simulate import SimulationSpec, simulate

pytestmark = [pytest.mark.germline, pytest.mark.slow]


def vidjil(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vidjil_kernel", *args], input=stdin,
                          capture_output=True, timeout=600)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, germline_dir: Path):
    folder = tmp_path_factory.mktemp("sample")
    return simulate(SimulationSpec(loci=(("IGH", 0.5), ("TRG", 0.5)), reads=4000,
                                   mode="diagnosis", seed=3, name="diag"), folder)


def truth_clones(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return sorted(csv.DictReader(handle, delimiter="\t"),
                      key=lambda row: -int(row["duplicate_count"]))


def test_outputs_and_the_dominant_clones(sample, tmp_path: Path) -> None:
    done = vidjil("detect", str(sample.reads), "-g", "homo-sapiens:IGH,TRG", "-o",
                  str(tmp_path), "--per-read")
    assert done.returncode == 0, done.stderr.decode()
    stderr = done.stderr.decode()
    assert "reads/s" in stderr and "analysed" in stderr  # the progress bar and summary
    data = json.loads((tmp_path / "diag.vidjil").read_text())
    assert data["vidjil_json_version"] == "2016b"
    assert data["reads"]["total"] == [4000]
    clones = data["clones"]
    truth = truth_clones(sample.clones_truth)
    for expected in truth[:2]:  # the two dominant clones, IGH and TRG
        found = [c for c in clones if c["germline"] == expected["system"]][0]
        assert abs(found["reads"][0] - int(expected["duplicate_count"])) \
            <= 0.05 * int(expected["duplicate_count"])
        assert found["seg"]["5"]["name"].split("*")[0] == expected["v_call"].split("*")[0]
        assert found["seg"]["3"]["name"].split("*")[0] == expected["j_call"].split("*")[0]
    assert airr.validate_rearrangement(str(tmp_path / "diag.airr.tsv"))
    with open(tmp_path / "diag.reads.airr.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    analysed = data["reads"]["segmented"][0]
    assert len(rows) == analysed
    assert {row["clone_id"] for row in rows} >= {c["id"] for c in clones}


def test_standard_input_and_plain_text(sample, tmp_path: Path) -> None:
    plain = gzip.decompress(Path(sample.reads).read_bytes())
    done = vidjil("detect", "-", "-g", "homo-sapiens:IGH,TRG", "-o", str(tmp_path), "-q",
                  stdin=plain)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""  # --quiet
    data = json.loads((tmp_path / "stdin.vidjil").read_text())
    assert data["reads"]["total"] == [4000]


def test_designations_on_two_threads_are_those_of_one(sample, tmp_path: Path) -> None:
    outputs = []
    for threads in ("1", "2"):
        out = tmp_path / threads
        done = vidjil("detect", str(sample.reads), "-g", "homo-sapiens:IGH,TRG", "-z", "all",
                      "-t", threads, "-o", str(out), "-q")
        assert done.returncode == 0, done.stderr.decode()
        outputs.append((run_independent(out / "diag.vidjil"),
                        (out / "diag.airr.tsv").read_text()))
    assert outputs[0] == outputs[1]
    clones = outputs[0][0]["clones"]
    assert len(clones) > 50 and all("5" in clone["seg"] for clone in clones)  # all designated


def test_a_profiler_gets_its_results(sample, tmp_path: Path) -> None:
    """`vidjil detect` ends without the interpreter's teardown, except under a profiler."""
    profile = tmp_path / "detect.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m",
                           "vidjil_kernel", "detect", str(sample.reads), "-g",
                           "homo-sapiens:IGH,TRG", "-o", str(tmp_path), "-q"],
                          capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "diag.vidjil").is_file()
    assert "detect" in str(pstats.Stats(str(profile)).stats)


def test_custom_germline_files(sample, tmp_path: Path, germline_dir: Path) -> None:
    human = germline_dir / "homo-sapiens"
    done = vidjil("detect", str(sample.reads), "-V", str(human / "TRGV.fa"), "-J",
                  str(human / "TRGJ.fa"), "-o", str(tmp_path), "-q", "-w", "40", "-z", "5")
    assert done.returncode == 0, done.stderr.decode()
    data = json.loads((tmp_path / "diag.vidjil").read_text())
    assert {c["germline"] for c in data["clones"]} == {"TRG"}
    assert len(data["clones"][0]["id"]) == 40


@pytest.mark.parametrize(("content", "name", "words"), [
    (b"@r1\nACGT\n+\nII\n", "short.fq", "line 4, record 1"),
    (b"not a gzip file at all", "fake.fq.gz", "gzip"),
    (b"", "empty.fa", "empty"),
    (bytes(range(256)) * 4, "garbage.fa", "line 1"),
    (b">r1\nACGTXYZ\n", "bad.fa", "line 2, record 1"),
])
def test_bad_input_is_a_clear_error(tmp_path: Path, content: bytes, name: str,
                                    words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    done = vidjil("detect", str(path), "-g", "homo-sapiens:TRG", "-o", str(tmp_path / "out"))
    stderr = done.stderr.decode()
    assert done.returncode == 1
    assert str(path) in stderr and words in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "out" / f"{Path(name).stem}.vidjil").exists()


@pytest.mark.parametrize(("args", "code", "words"), [
    (["missing.fq"], 1, "missing.fq"),
    (["x.fq", "-g", "homo-sapiens", "-V", "v.fa"], 2, "not both"),
    (["a/x.fq", "b/x.fq"], 2, "same outputs"),
    (["x.fq", "-g", "homo-sapiens:IGK+"], 1, "cannot be built"),
    (["x.fq", "-g", "no-such-species"], 1, "no germline preset"),
    (["x.fq", "-w", "often"], 2, "neither"),
    (["x.fq", "-w", "5"], 2, "too short"),
])
def test_usage_errors(args: list[str], code: int, words: str) -> None:
    done = vidjil("detect", *args)
    assert done.returncode == code, done.stderr.decode()
    assert words in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
