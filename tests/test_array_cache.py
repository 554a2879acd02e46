"""Arrays kept on disk between runs (``array_cache``), and the k-mer index built through it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidjil_kernel import array_cache
from vidjil_kernel.array_cache import cached_arrays
from vidjil_kernel.detect.index import build_index


class Builds:
    """A build function that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> tuple[np.ndarray, ...]:
        self.calls += 1
        return np.arange(5, dtype=np.uint32), np.array([0.5, 1.5]), np.zeros(0, np.uint16)


def _same(left: tuple[np.ndarray, ...], right: tuple[np.ndarray, ...]) -> bool:
    return len(left) == len(right) and all(
        a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(left, right, strict=True))


def test_an_entry_is_built_once_then_loaded(tmp_path: Path) -> None:
    build = Builds()
    first = cached_arrays("demo", ["code", b"data"], build, tmp_path)
    second = cached_arrays("demo", ["code", b"data"], build, tmp_path)
    assert build.calls == 1
    assert _same(first, second) and _same(first, build())
    assert all(array.flags.writeable for array in second)


@pytest.mark.parametrize("key", [["code", b"other data"], ["other code", b"data"],
                                 ["codeb", b"ata"]])
def test_a_change_of_any_key_part_builds_a_new_entry(tmp_path: Path, key: list) -> None:
    build = Builds()
    cached_arrays("demo", ["code", b"data"], build, tmp_path)
    cached_arrays("demo", key, build, tmp_path)
    assert build.calls == 2
    assert len(list(tmp_path.glob("demo-*.npz"))) == 2


def test_a_damaged_entry_is_built_again(tmp_path: Path) -> None:
    build = Builds()
    cached_arrays("demo", ["code"], build, tmp_path)
    entry, = tmp_path.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:100])
    assert _same(cached_arrays("demo", ["code"], build, tmp_path), build())
    assert build.calls == 3
    assert _same(cached_arrays("demo", ["code"], build, tmp_path), build())
    assert build.calls == 4  # the entry was written again, whole: loaded this time


def test_a_cache_that_cannot_be_written_only_costs_the_build(tmp_path: Path) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("not a directory")
    build = Builds()
    assert _same(cached_arrays("demo", ["code"], build, blocked / "cache"), build())
    assert [path.name for path in tmp_path.iterdir()] == ["a file"]  # no partial entry


def test_the_oldest_entries_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(array_cache, "MAX_ENTRIES", 2)
    build = Builds()
    for key in ("one", "two", "three"):
        cached_arrays("demo", [key], build, tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 2
    cached_arrays("demo", ["three"], build, tmp_path)
    cached_arrays("demo", ["two"], build, tmp_path)
    assert build.calls == 3
    cached_arrays("demo", ["one"], build, tmp_path)
    assert build.calls == 4


def test_an_index_loaded_from_the_cache_is_the_index_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(array_cache, "cache_dir", lambda: tmp_path)
    rng = np.random.default_rng(3)
    groups = {name: ["".join(rng.choice(list("ACGT"), length)) for length in lengths]
              for name, lengths in (("V", [300, 290, 310]), ("J", [60, 55]), ("D", [16, 20]))}
    recombinations = [("IGH", ["V"], ["J"]), ("IGH+", ["D"], ["J"])]
    built = build_index(groups, recombinations)
    assert len(list(tmp_path.rglob("*.npz"))) == 2  # the main and short seed tables
    loaded = build_index(groups, recombinations)
    for table in ("main", "short"):
        before, after = getattr(built, table), getattr(loaded, table)
        assert before.seed == after.seed
        assert _same((before.table, before.plus, before.minus, before.load),
                     (after.table, after.plus, after.minus, after.load))
    groups["J"][1] = groups["J"][1][:-1] + ("A" if groups["J"][1][-1] != "A" else "C")
    changed = build_index(groups, recombinations)
    assert not np.array_equal(changed.main.table, built.main.table)
