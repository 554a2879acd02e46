"""`vidjil germline build` / `list`: licence, end-to-end build, --if-missing, atomicity."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vidjil_kernel.cli import main
from vidjil_kernel.exceptions import GermlineError
from vidjil_kernel.germline import build as build_module
from vidjil_kernel.germline.build import SEGMENT_FILES, build_germline, is_up_to_date
from vidjil_kernel.germline.sources import MIRPY, PACKAGES, SourcePackage, fetch, sha256_of


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def cached_wheels(germline_dir: Path, tmp_path: Path) -> Path:
    """A cache holding the wheels the suite's build already downloaded (no network)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    for package in PACKAGES:
        shutil.copy(germline_dir / "sources" / package.wheel, cache)
    return cache


def test_build_refuses_without_the_licence(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["germline", "build", "--dest", str(tmp_path)], capsys)
    assert code == 2
    assert "CC BY-NC-ND 4.0" in out and "Lefranc" in out and "--accept-imgt-licence" in out
    assert "licence must be accepted" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_build_end_to_end_downloads_and_writes_provenance(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "germline"
    code, out, err = run(["germline", "build", "--accept-imgt-licence", "--dest", str(dest),
                          "--species", "homo-sapiens"], capsys)
    assert code == 0, err
    assert "fetching tcr-explorer==0.3.0" in err and "fetching mirpy-lib==4.7.0" in err
    assert "homo-sapiens:" in out and "V without Cys104" in out
    species = dest / "homo-sapiens"
    assert sorted(p.name for p in species.iterdir()) == sorted(
        [*SEGMENT_FILES, "TRDD2.fa", "TRDD3.fa", "provenance.json"])
    assert not (dest / "mus-musculus").exists()
    assert all(sha256_of(dest / "sources" / p.wheel) == p.sha256 for p in PACKAGES)
    assert [p.name for p in dest.iterdir() if p.name.startswith(".")] == []

    provenance = json.loads((species / "provenance.json").read_text())
    assert provenance["species"] == "homo-sapiens"
    assert provenance["licence"]["name"].endswith("(CC BY-NC-ND 4.0)")
    sources = {s["package"]: s for s in provenance["sources"]}
    assert sources["tcr-explorer"]["version"] == "0.3.0"
    assert sources["tcr-explorer"]["imgt"]["release"] == "20268-7"
    assert sources["mirpy-lib"]["sha256"] == MIRPY.sha256
    assert provenance["built"][:2] == "20"
    files = provenance["files"]
    assert files["IGHV.fa"]["alleles"] > 400
    assert files["IGHV.fa"]["sources"] == {"mirpy-lib": files["IGHV.fa"]["alleles"]}
    trgv = files["TRGV.fa"]["sources"]
    assert trgv["tcr-explorer"] > trgv.get("mirpy-lib", 0) > 0
    assert all(files[name]["sha256"] == sha256_of(species / name) for name in files)
    assert "TRGV9*03" in provenance["merge"]["added_from_supplement"]
    assert 0 < len(provenance["anchors"]["v_without_cys104"]) < 120
    assert provenance["anchors"]["j_without_phe_trp118"] == []
    assert is_up_to_date(species)


def test_if_missing_is_a_no_op_on_an_up_to_date_build(
        cached_wheels: Path, tmp_path: Path) -> None:
    dest = tmp_path / "germline"
    (first,) = build_germline(dest, ["mus-musculus"], cache_dir=cached_wheels)
    assert first.built and is_up_to_date(dest / "mus-musculus")
    stamp = (dest / "mus-musculus" / "provenance.json").stat().st_mtime_ns
    (again,) = build_germline(dest, ["mus-musculus"], cache_dir=cached_wheels, if_missing=True)
    assert not again.built
    assert (dest / "mus-musculus" / "provenance.json").stat().st_mtime_ns == stamp
    # a damaged file makes the build out of date: --if-missing rebuilds it
    (dest / "mus-musculus" / "IGHJ.fa").write_text(">IGHJ1*01\nACGT\n")
    assert not is_up_to_date(dest / "mus-musculus")
    (repaired,) = build_germline(dest, ["mus-musculus"], cache_dir=cached_wheels,
                                 if_missing=True)
    assert repaired.built and is_up_to_date(dest / "mus-musculus")


def test_cli_if_missing_says_up_to_date(germline_dir: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["germline", "build", "--accept-imgt-licence", "--if-missing",
                        "--dest", str(germline_dir)], capsys)
    assert code == 0
    assert "homo-sapiens: up to date" in err and "mus-musculus: up to date" in err


def test_interrupted_build_keeps_the_previous_one(
        cached_wheels: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "germline"
    build_germline(dest, ["mus-musculus"], cache_dir=cached_wheels)
    before = {p.name: p.read_bytes() for p in (dest / "mus-musculus").iterdir()}
    written: list[str] = []
    real_write = build_module.write_germline_fasta

    def failing_write(path: Path, alleles: object) -> None:
        if len(written) == 5:
            raise KeyboardInterrupt
        written.append(path.name)
        real_write(path, alleles)

    monkeypatch.setattr(build_module, "write_germline_fasta", failing_write)
    with pytest.raises(KeyboardInterrupt):
        build_germline(dest, ["mus-musculus"], cache_dir=cached_wheels)
    assert {p.name: p.read_bytes() for p in (dest / "mus-musculus").iterdir()} == before
    assert sorted(p.name for p in dest.iterdir()) == ["mus-musculus", "sources"]  # no staging
    with pytest.raises(KeyboardInterrupt):
        build_germline(dest, ["homo-sapiens"], cache_dir=cached_wheels)
    assert not (dest / "homo-sapiens").exists()


def test_concurrent_builds_wait_for_each_other(cached_wheels: Path, tmp_path: Path) -> None:
    dest = tmp_path / "germline"
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(build_germline, dest, ["mus-musculus"], cache_dir=cached_wheels)
                for _ in range(2)]
        outcomes = [run.result() for run in runs]
    assert all(outcome.built for (outcome,) in outcomes)
    assert is_up_to_date(dest / "mus-musculus")
    assert sorted(p.name for p in dest.iterdir()) == ["mus-musculus", "sources"]


@pytest.mark.slow
def test_a_wheel_with_another_sha256_is_refused(tmp_path: Path) -> None:
    wrong = SourcePackage(MIRPY.name, MIRPY.version, "0" * 64, MIRPY.wheel)
    with pytest.raises(GermlineError, match="refusing to build from an unknown file"):
        fetch(wrong, tmp_path)
    assert not (tmp_path / MIRPY.wheel).exists()


def test_unknown_species_is_a_usage_error(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["germline", "build", "--accept-imgt-licence", "--dest", str(tmp_path),
                        "--species", "danio-rerio"], capsys)
    assert code == 2 and "unknown species danio-rerio" in err


def test_list_shows_systems_counts_unavailable_provenance_and_licence(
        germline_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["germline", "list"], capsys)
    assert code == 0
    assert "Homo sapiens" in out and "Mus musculus" in out
    ighv = json.loads((germline_dir / "homo-sapiens" / "provenance.json").read_text())
    assert f"IGHV.fa ({ighv['files']['IGHV.fa']['alleles']})" in out
    assert "IGK+" in out and "KDE" in out
    assert "tcr-explorer 0.3.0: IMGT/GENE-DB release 20268-7" in out
    assert "CC BY-NC-ND 4.0" in out and "Lefranc" in out


def test_list_one_preset_and_selection(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["germline", "list", "-g", "homo-sapiens:TRG"], capsys)
    assert code == 0
    assert "TRGV.fa (" in out and "IGHV.fa" not in out
    code, _, err = run(["germline", "list", "-g", "no-such-species"], capsys)
    assert code == 1 and "no germline preset 'no-such-species'" in err
