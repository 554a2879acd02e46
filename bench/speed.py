"""Speed and memory of `vidjil detect`, measured side by side in one run.

On a simulated, gzipped, all-loci file of 250-nt reads (1M by default), each
measure in its own process pinned to one core (``taskset``-like affinity):

- floor: decompressing and parsing only (no detector can be faster);
- detect: the whole `vidjil detect` (all human systems, designation of the top 100);
- their ratio, and the peak RSS of each process;
- numba: `vidjil detect` on a tiny file with an empty cache (compilation, on all the
  cores a user's machine gives it: the kernels compile in parallel) and again, on one
  core (warm start: the median of three runs, this VM's speed swings between them).

    python bench/speed.py [--reads 1000000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable

FLOOR = """
import json, sys, time, resource
from vidjil_kernel.reads import BatchReader
started, cpu = time.perf_counter(), time.process_time()
reads = 0
for batch in BatchReader(sys.argv[1], gzip_thread=False):
    reads += batch.n
print(json.dumps({"reads": reads, "wall": time.perf_counter() - started,
                  "cpu": time.process_time() - cpu,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def one_core() -> list[str]:
    """Run a child on a single CPU (the first one this process may use)."""
    return ["taskset", "-c", str(min(os.sched_getaffinity(0)))]


def run_floor(reads_file: Path) -> dict:
    out = subprocess.run([*one_core(), PYTHON, "-c", FLOOR, str(reads_file)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def run_detect(reads_file: Path, out_dir: Path, env: dict[str, str],
               pinned: bool = True, options: tuple[str, ...] = ()) -> dict:
    """`vidjil detect` (with ``options``) in a child process: wall time, CPU time, peak RSS."""
    command = [*(one_core() if pinned else []), PYTHON, "-m", "vidjil_kernel", "detect",
               str(reads_file), "-g", "homo-sapiens", "-o", str(out_dir), "-q", *options]
    started = time.perf_counter()
    before = os.times()
    process = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    after = os.times()
    if status != 0:
        raise SystemExit(f"vidjil detect failed ({status})")
    return {"wall": wall, "cpu": (after.children_user - before.children_user)
            + (after.children_system - before.children_system),
            "rss_mb": usage.ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, help="keep the simulated files here")
    args = parser.parse_args()
    from vidjil_kernel.simulate import SimulationSpec, simulate

    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        name = f"speed-{args.reads}"
        reads_file = workdir / f"{name}.fastq.gz"
        if not reads_file.exists():
            print(f"simulating {args.reads:,} reads of 250 nt, all human loci ...", flush=True)
            simulate(SimulationSpec(reads=args.reads, read_length=250, mode="diagnosis",
                                    name=name, seed=7), workdir)
        tiny = workdir / "tiny.fastq.gz"
        if not tiny.exists():
            simulate(SimulationSpec(reads=300, name="tiny", seed=8), workdir)

        cache = Path(scratch) / "numba-cache"
        env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
        cold = run_detect(tiny, Path(scratch) / "cold", env, pinned=False)
        warms = sorted((run_detect(tiny, Path(scratch) / f"warm{i}", env) for i in range(3)),
                       key=lambda run: run["wall"])
        warm = warms[1]
        floor = run_floor(reads_file)
        detect = run_detect(reads_file, Path(scratch) / "out", env)

    reads = floor["reads"]
    size = reads_file.stat().st_size if reads_file.exists() else 0
    rate_floor = reads / floor["wall"]
    rate_detect = reads / detect["wall"]
    print(f"\n{reads:,} reads of 250 nt, gzipped ({size / 1e6:.0f} MB), all human systems, "
          "one core each")
    print(f"  decompress + parse only : {rate_floor:10,.0f} reads/s   "
          f"({floor['wall']:.1f} s wall, {floor['cpu']:.1f} s CPU, {floor['rss_mb']:.0f} MB peak)")
    print(f"  vidjil detect           : {rate_detect:10,.0f} reads/s   "
          f"({detect['wall']:.1f} s wall, {detect['cpu']:.1f} s CPU, "
          f"{detect['rss_mb']:.0f} MB peak)   target >= 50,000 reads/s, <= 500 MB")
    print(f"  detect / floor          : {rate_floor / rate_detect:10.1f} x slower than parsing")
    print(f"  by CPU time             : {reads / detect['cpu']:10,.0f} reads per CPU second")
    print(f"  cold start (compile)    : {cold['wall']:10.1f} s   target <= 15 s "
          f"({cold['cpu']:.1f} s CPU on {len(os.sched_getaffinity(0))} cores)")
    print(f"  warm start              : {warm['wall']:10.2f} s   target <= 1 s "
          f"({warm['cpu']:.2f} s CPU, 300 reads; median of "
          + ", ".join(f"{run['wall']:.2f}" for run in warms) + " s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
