"""Atomic writes: the old file survives any failure, and no temporary file is left behind."""

from __future__ import annotations

import os
import stat

import pytest

from vidjil_kernel.fileio import AtomicFile, atomic_write, write_text_atomic


def test_atomic_write_replaces_on_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_write(target) as handle:
        handle.write("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_failure_mid_write_keeps_old_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_keeps_permissions_of_replaced_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(0o640)
    write_text_atomic(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_long_lived_atomic_file(tmp_path):
    target = tmp_path / "reads.tsv"
    atomic = AtomicFile(target, "wb")
    atomic.handle.write(b"row\n")
    assert not target.exists()
    atomic.commit()
    assert target.read_bytes() == b"row\n"
    with pytest.raises(ValueError):
        atomic.commit()
    dropped = AtomicFile(tmp_path / "other.tsv", "wb")
    dropped.handle.write(b"x")
    dropped.discard()
    assert sorted(os.listdir(tmp_path)) == ["reads.tsv"]
