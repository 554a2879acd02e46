"""The warm-up (``detect.warmup``) compiles every kernel a detection run needs.

Otherwise the first run on a machine (or of a new Dask worker) would compile the
missing kernels one after the other, in the middle of its work, and a change of a
kernel's source would not be noticed by the warm-up's marker.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import vidjil_kernel
from vidjil_kernel.detect.warmup import KERNEL_SOURCES
from vidjil_kernel.simulate import SimulationSpec, simulate

#: a kernel definition: numba's decorator, ``vidjil_kernel.jit.kernel`` or ``.inner``
KERNEL = re.compile(r"^@(njit|inner|kernel)\b", re.MULTILINE)

WARM_UP = """
from vidjil_kernel.detect.warmup import ensure_compiled
from vidjil_kernel.germline import load_preset
from vidjil_kernel.settings import load_settings

assert ensure_compiled(load_preset("homo-sapiens", load_settings().germline_dir))
"""

#: runs `vidjil detect` in this process, then prints the modules of numba it imported
RUN_AND_COUNT = """
import json, sys
from vidjil_kernel.cli import main

main(sys.argv[1:])
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] == "numba")))
"""

#: what a run needs of numba: its runtime's functions, and the wrapper's function type
NUMBA_EXTENSIONS = ["numba._dynfunc", "numba._helperlib", "numba.core.runtime._nrt_python"]


def test_every_module_with_kernels_is_a_kernel_source() -> None:
    """Except the simulator's, which no detection runs."""
    package = Path(vidjil_kernel.__file__).resolve().parent
    with_kernels = {str(path.relative_to(package)) for path in package.rglob("*.py")
                    if KERNEL.search(path.read_text())
                    and path.parent.name != "simulate"}
    assert with_kernels == set(KERNEL_SOURCES) - {"jit.py", "numba_cache.py", "machine_code.py"}


@pytest.mark.slow
@pytest.mark.germline
def test_a_run_after_the_warm_up_compiles_nothing(tmp_path: Path) -> None:
    """Nor does it import numba: every kernel runs from its machine-code entry."""
    sample = simulate(SimulationSpec(reads=2000, mode="diagnosis", seed=5, name="warm"),
                      tmp_path)
    fasta = tmp_path / "warm-as-fasta.fa"
    with gzip.open(sample.reads, "rt") as fastq, open(fasta, "w") as out:
        lines = fastq.read().splitlines()
        for name, sequence in zip(lines[0::4], lines[1::4], strict=True):
            out.write(f">{name[1:]}\n{sequence}\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    subprocess.run([sys.executable, "-c", WARM_UP], env=env, check=True, timeout=600)
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_COUNT, "detect", str(sample.reads), str(fasta),
         "-g", "homo-sapiens", "-z", "all", "--per-read", "-q", "-o", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == NUMBA_EXTENSIONS
