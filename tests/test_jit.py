"""Kernels (``vidjil_kernel.jit.kernel``): compiled by numba, then called without it.

Each step runs in a process of its own, as the caches are for later processes: a
kernel compiled once runs from its machine-code entry without importing numba; a
kernel compiled later still links a kernel numba loads from its cache; an entry
that is damaged, or of another source (its file, a kernel it calls, a value it reads
from another file), is not used.  The arguments' types, on which
the safety of a call without numba rests, are compared with numba's own typing.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vidjil_kernel import machine_code
from vidjil_kernel.machine_code import argument_types, source_digest

KERNELS = '''
from vidjil_kernel.jit import kernel

from constants import STEP
from helpers import shift


@kernel
def leaf(x):
    return x * 2 + 1


@kernel
def caller(x):
    return leaf(x) + 100


@kernel
def shifted(x):
    return shift(x) * 10


@kernel
def stepped(x):
    return x + STEP
'''

#: a kernel of another file, which ``shifted`` calls
HELPERS = '''
from vidjil_kernel.jit import inner


@inner
def shift(x):
    return x + 1
'''

#: a value of another file, which ``stepped`` reads (numba freezes it into its code)
CONSTANTS = "STEP = 5\n"

#: calls the named kernels in order, then prints each one's results and calls made
#: without numba, whether numba was imported, and the kernels numba compiled
CALL = """
import json, sys
import kernels

out = {}
for name in sys.argv[1:]:
    kernel = getattr(kernels, name)
    out[name] = [kernel(3), kernel(2.5), kernel.machine_code_calls]
imported = "numba" in sys.modules
compiled = {}
if imported:
    for name in ("leaf", "caller", "shifted", "stepped"):
        misses = sum(getattr(kernels, name).stats.cache_misses.values())
        if misses:
            compiled[name] = misses
print(json.dumps([out, imported, compiled]))
"""


def _write(tmp_path: Path) -> None:
    (tmp_path / "kernels.py").write_text(KERNELS)
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "constants.py").write_text(CONSTANTS)


def _call(tmp_path: Path, *names: str) -> list:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    done = subprocess.run([sys.executable, "-c", CALL, *names], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_compiled_kernel_runs_without_numba_and_links_into_a_kernel_compiled_later(
        tmp_path: Path) -> None:
    _write(tmp_path)
    assert _call(tmp_path, "leaf") == [{"leaf": [7, 6.0, 0]}, True, {"leaf": 2}]
    assert _call(tmp_path, "leaf") == [{"leaf": [7, 6.0, 2]}, False, {}]
    assert _call(tmp_path, "leaf", "caller") == [
        {"leaf": [7, 6.0, 2], "caller": [107, 106.0, 0]}, True, {"caller": 2}]
    assert _call(tmp_path, "caller", "leaf") == [
        {"caller": [107, 106.0, 2], "leaf": [7, 6.0, 2]}, False, {}]


def test_a_damaged_entry_is_not_used_and_is_written_again(tmp_path: Path) -> None:
    _write(tmp_path)
    _call(tmp_path, "leaf")
    entries = list((tmp_path / "cache" / "vidjil-machine-code").glob("kernels.leaf-*/*.vkm"))
    assert len(entries) == 2  # one per argument types
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:100])
    assert _call(tmp_path, "leaf") == [{"leaf": [7, 6.0, 0]}, True, {}]  # numba's cache
    for entry in entries:
        entry.unlink()
    assert _call(tmp_path, "leaf") == [{"leaf": [7, 6.0, 0]}, True, {}]
    assert _call(tmp_path, "leaf") == [{"leaf": [7, 6.0, 2]}, False, {}]


def test_an_entry_of_another_source_is_not_used(tmp_path: Path) -> None:
    _write(tmp_path)
    _call(tmp_path, "leaf")
    (tmp_path / "kernels.py").write_text(KERNELS.replace("x * 2 + 1", "x * 2 + 2"))
    assert _call(tmp_path, "leaf") == [{"leaf": [8, 7.0, 0]}, True, {"leaf": 2}]
    assert _call(tmp_path, "leaf") == [{"leaf": [8, 7.0, 2]}, False, {}]
    # nor one of a kernel whose callee (in another file) changed; nor is numba's cache
    assert _call(tmp_path, "shifted") == [{"shifted": [40, 35.0, 0]}, True, {"shifted": 2}]
    assert _call(tmp_path, "shifted") == [{"shifted": [40, 35.0, 2]}, False, {}]
    (tmp_path / "helpers.py").write_text(HELPERS.replace("x + 1", "x + 2"))
    assert _call(tmp_path, "shifted") == [{"shifted": [50, 45.0, 0]}, True, {"shifted": 2}]
    assert _call(tmp_path, "shifted") == [{"shifted": [50, 45.0, 2]}, False, {}]
    # nor one of a kernel reading a value of another file that changed
    assert _call(tmp_path, "stepped") == [{"stepped": [8, 7.5, 0]}, True, {"stepped": 2}]
    (tmp_path / "constants.py").write_text(CONSTANTS.replace("5", "7"))
    assert _call(tmp_path, "stepped") == [{"stepped": [10, 9.5, 0]}, True, {"stepped": 2}]
    assert _call(tmp_path, "stepped") == [{"stepped": [10, 9.5, 2]}, False, {}]


def _arguments() -> list[object]:
    matrix = np.arange(24, dtype=np.int64).reshape(4, 6)
    read_only = np.arange(5, dtype=np.float32)
    read_only.flags.writeable = False
    values: list[object] = [3, -2 ** 63, 2 ** 63 - 1, 2.5, True, False, np.int32(4),
                            np.uint8(7), np.float32(1.5), np.bool_(True), np.int64(-1)]
    for dtype in (np.uint8, np.int8, np.int32, np.uint32, np.int64, np.uint64, np.float32,
                  np.float64, np.bool_):
        values.append(np.zeros(5, dtype=dtype))
    values += [matrix, matrix.T, matrix[:, ::2], matrix[::2], matrix[1], matrix[:, 1],
               np.zeros((2, 3, 4)), np.asfortranarray(np.zeros((3, 4))), np.zeros(0),
               np.zeros((0, 3)), read_only, read_only[::2]]
    return values


def test_argument_types_are_numbas() -> None:
    """A kernel runs without numba for arguments typed as numba types them, and only then."""
    import numba

    from vidjil_kernel.numba_cache import _machine_code_types

    for value in _arguments():
        assert argument_types([value]) == _machine_code_types((numba.typeof(value),)), value


def test_arguments_numba_types_otherwise_go_through_numba() -> None:
    """Non-native or object dtypes, unaligned arrays, big ints, other objects: no types."""
    unaligned = np.frombuffer(b"x" * 17, np.uint8)[1:].view(np.int64)
    assert not unaligned.flags.aligned
    for value in (np.zeros(3, ">i8"), np.zeros(3, object), unaligned, 2 ** 63, (1, 2),
                  [1, 2], "ACGT", None, np.zeros(2, np.complex128), np.ma.zeros(3)):
        assert argument_types([value]) is None, value


def test_numba_code_of_ones_own_calls_the_kernels() -> None:
    """A researcher's numba function calls a kernel and an inner kernel of the package."""
    import numba

    from vidjil_kernel.detect.affect import _log_add, log_poisson_tail

    @numba.njit
    def tail_or_one(n, lam):
        return _log_add(log_poisson_tail(n, lam), 0.0)

    assert tail_or_one(3, 1.0) == pytest.approx(math.log(math.exp(log_poisson_tail(3, 1.0)) + 1))


def test_an_inner_kernel_makes_no_machine_code_of_its_own(monkeypatch) -> None:
    """Its callers' optimisation and machine code cover its code (numba_cache._LinkOnlyLibrary)."""
    import numba
    from numba.core.codegen import JITCodeLibrary

    from vidjil_kernel.jit import inner

    made = []
    make = JITCodeLibrary._finalize_specific

    def recording(library):
        made.append(library.name)
        make(library)

    monkeypatch.setattr(JITCodeLibrary, "_finalize_specific", recording)

    @inner
    def plus_one(x):
        return x + 1

    @numba.njit
    def twice_plus_one(x):
        return 2 * plus_one(x)

    assert twice_plus_one(3) == 8
    assert [name for name in made if name.endswith(".twice_plus_one")]
    assert not [name for name in made if name.endswith(".plus_one")], made


def test_a_value_of_the_kernel_s_package_is_not_taken_for_another_package_s(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel reading ``EMPTY = -1`` from its own package has the same source digest
    whether another package assigning an ``EMPTY = -1`` (numba does) is loaded or not:
    else an entry written by a process that compiled would not be used by the others."""
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "__init__.py").write_text("")
    (tmp_path / "own" / "constants.py").write_text("EMPTY = -1\n")
    (tmp_path / "own" / "reader.py").write_text(
        "from own.constants import EMPTY\n\n\ndef empty():\n    return EMPTY\n")
    (tmp_path / "elsewhere.py").write_text("EMPTY = -1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("own", "own.constants", "own.reader", "elsewhere"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import own.reader

    machine_code._defining_files.cache_clear()  # a process computes it once per name
    alone = source_digest(own.reader.empty)
    import elsewhere  # noqa: F401

    machine_code._defining_files.cache_clear()
    assert source_digest(own.reader.empty) == alone

