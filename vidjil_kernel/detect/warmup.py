"""Compile the numba kernels of a detection run, in parallel, once per machine.

numba compiles each kernel on its first call and caches the machine code
(``cache=True``).  A cold cache would make the first `vidjil detect` (or the first
job of a new Dask worker) spend most of its time compiling, one kernel after the
other.  ``ensure_compiled`` instead compiles independent groups of kernels in
parallel processes, on tiny inputs with the argument types of a real run, then
leaves a marker so later starts only load the cache.  A file lock makes concurrent
starts (several Dask workers) wait for one warm-up instead of repeating it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

from vidjil_kernel.array_cache import source_of
from vidjil_kernel.germline import Preset
from vidjil_kernel.jit import cache_dir, numba_dispatchers
from vidjil_kernel.machine_code import build_key

#: the source files holding kernels, and the modules compiling and loading them: a change
#: to any of them means recompiling
KERNEL_SOURCES = ("jit.py", "numba_cache.py", "machine_code.py", "reads/_kernels.py",
                  "detect/encode.py", "detect/affect.py", "detect/windows.py",
                  "detect/error_rates.py", "detect/merge.py", "detect/variants.py",
                  "detect/rescue.py",
                  "designate/align.py")


def _marker() -> Path:
    """The file saying this cache holds kernels of these sources, numba and CPU."""
    digest = hashlib.sha256()
    for part in (build_key(), np.__version__, sys.version, os.environ.get("NUMBA_CPU_NAME")):
        digest.update(str(part).encode())
    digest.update(source_of(*KERNEL_SOURCES))
    return cache_dir() / f"vidjil-kernels-{digest.hexdigest()[:16]}.compiled"


def _tiny_reads(preset: Preset) -> list[str]:
    """A few recombination-like reads (V end + J start) of each system of the preset."""
    reads = []
    for system in preset.systems.values():
        recombination = system.recombinations[0]
        five = preset.alleles(recombination.five[0])[0].sequence[-60:]
        three = preset.alleles(recombination.three[0])[0].sequence[:40]
        reads += [five + "ACGTAC"[: copy + 1] + three for copy in range(6)]
    return reads


#: a tiny file of each reads format, by name
_TINY_READS = {"warmup.fq.gz": b"@r\nACGT\n+\nIIII\n", "warmup.fa": b">a\nACGT\nACGT\n>b\nGGCC\n"}


def _compile_reads(directory: str, name: str) -> None:
    """The parser kernels of one reads format."""
    import gzip

    from vidjil_kernel.reads import BatchReader

    path = Path(directory) / name
    content = _TINY_READS[name]
    path.write_bytes(gzip.compress(content, mtime=0) if name.endswith(".gz") else content)
    for _ in BatchReader(path):
        pass


def _compile_detection(preset: Preset) -> None:
    """The index and affectation kernels, on a batch laid out as the reader does."""
    from vidjil_kernel.detect.pipeline import Detector

    reads = [read.encode() for read in _tiny_reads(preset)]
    seq = np.frombuffer(b"".join(reads), np.uint8).copy()  # writable, as the reader's
    offsets = np.concatenate([[0], np.cumsum([len(read) for read in reads])]).astype(np.int64)
    Detector(preset).affect(seq, offsets, float(len(reads)))


def _compile_windows() -> None:
    """The window table's kernels: adding reads, growing the table, compacting its reads,
    folding windows; the measure of the sample's error rates on it, and the rescue of
    reads holding its windows (kept out of the longest group, the merge's)."""
    from vidjil_kernel.detect.affect import ONLY_5
    from vidjil_kernel.detect.error_rates import indel_rates, measured_errors
    from vidjil_kernel.detect.merge import ParentIndex
    from vidjil_kernel.detect.rescue import UnanalysedReads
    from vidjil_kernel.detect.windows import WindowTable

    rng = np.random.default_rng(0)
    molecule = rng.choice(np.frombuffer(b"ACGT", np.uint8), 130)
    reads = np.concatenate([molecule] * 3)
    offsets = np.arange(4, dtype=np.int64) * 130
    calls = {"status": np.zeros(3, np.int8), "rec": np.zeros(3, np.int32),
             "strand": np.array([1, 1, -1], np.int8), "win_start": np.full(3, 40, np.int32),
             "win_width": np.full(3, 50, np.int32), "log10_evalue": np.full(3, -9.0)}
    table = WindowTable(True, 50, arena=512)
    for _ in range(2):  # the second batch fills the read arena: compact_reads runs
        table.add(reads, np.full(len(reads), 30, np.uint8), offsets, calls)
    indel_rates(measured_errors(table, min_reads=1)[0])
    table.add(reads[:129], np.full(129, 30, np.uint8), offsets[:2],
              {name: values[:1] for name, values in calls.items()})  # a window of its own
    table.fold(np.array([1]), np.array([0]))
    unanalysed = UnanalysedReads()
    calls.update(status=np.full(3, ONLY_5, np.int8), end5=np.full(3, 60, np.int32),
                 start3=np.full(3, -1, np.int32))
    unanalysed.add(reads, offsets, calls, 0)
    unanalysed.rescue(table, ParentIndex.none())


def _compile_merge() -> None:
    """The merge's kernels, on an empty window table: kernels compile for the argument
    types, so this group needs none of the table's own kernels."""
    from vidjil_kernel.detect.merge import find_parents, resolve_roots
    from vidjil_kernel.detect.windows import WindowTable

    resolve_roots(find_parents(WindowTable(True, 50)))


def _compile_designation(preset: Preset) -> None:
    from vidjil_kernel.designate import designate

    for system, read in zip(preset.systems, _tiny_reads(preset)[::6], strict=True):
        designate(read, preset, system)


def _set_up_numba() -> None:
    """Pay numba's one-off set-up before forking: children forked afterwards inherit it
    instead of each doing it again.

    That is the kernels' numba dispatchers (``vidjil_kernel.jit.numba_dispatchers``),
    and numba's compiler: the first compilation in a process initialises numba's typing
    and target registries (0.3-0.5 s; cache loads do without them).  The throw-away
    function is not cached.
    """
    import numba

    numba_dispatchers()
    numba.njit(lambda: 0)()


def ensure_compiled(preset: Preset, workers: int | None = None) -> bool:
    """Compile every kernel a run of ``preset`` needs unless the cache has them.

    Returns True when it compiled.  ``workers`` defaults to the CPUs this process
    may use (at most the number of kernel groups).
    """
    marker = _marker()
    if marker.exists():
        return False
    marker.parent.mkdir(parents=True, exist_ok=True)
    with open(marker.parent / "vidjil-kernels.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():  # another process warmed up while we waited
            return False
        import multiprocessing  # only a cold cache needs them: not imported on warm starts
        import tempfile
        from concurrent.futures import ProcessPoolExecutor

        with tempfile.TemporaryDirectory() as scratch:
            # the longest first, so that the short ones fill in (CPU seconds, on a
            # 2-core VM: about 8, 4, 4, 4, 1.6 and 0.9)
            groups = [(_compile_merge,), (_compile_detection, preset),
                      (_compile_designation, preset), (_compile_windows,),
                      (_compile_reads, scratch, "warmup.fq.gz"),
                      (_compile_reads, scratch, "warmup.fa")]
            count = workers or min(len(groups), len(os.sched_getaffinity(0)))
            if count < 2 or multiprocessing.current_process().daemon:
                for function, *arguments in groups:  # e.g. in a Dask worker: no children
                    function(*arguments)
            else:
                _set_up_numba()
                context = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
                    for job in [pool.submit(*group) for group in groups]:
                        job.result()
        marker.touch()
        return True
