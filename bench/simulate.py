"""Benchmark `vidjil simulate`: 1M reads x 250 nt, gzipped FASTQ, every human locus.

    .venv/bin/python bench/simulate.py [--reads N] [--read-length L] [--out DIR]

Prints wall and CPU time, reads/s, the size of the files and the peak RSS.  The
numba kernels are compiled (or loaded from cache) by a small warm-up run first, so
the figures are those of a warm start; the warm-up time is printed apart.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from vidjil_kernel.simulate import SimulationSpec, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=1_000_000)
    parser.add_argument("--read-length", type=int, default=250)
    parser.add_argument("--mode", default="polyclonal")
    parser.add_argument("--out", type=Path, default=None,
                        help="keep the files here (default: a temporary directory)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        start = time.perf_counter()
        simulate(SimulationSpec(reads=1000, seed=0, name="warmup"), out)
        warmup = time.perf_counter() - start

        spec = SimulationSpec(reads=args.reads, read_length=args.read_length, mode=args.mode,
                              seed=1, name="bench")
        wall, cpu = time.perf_counter(), time.process_time()
        sample = simulate(spec, out)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sizes = {path.name: path.stat().st_size for path in
                 (sample.reads, sample.reads_truth, sample.clones_truth)}

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"vidjil simulate: {args.reads:,} reads x {args.read_length} nt, mode {args.mode}, "
          f"all loci of homo-sapiens, gzipped FASTQ")
    print(f"  warm-up (1,000 reads, numba from cache or compiled): {warmup:.1f} s")
    print(f"  wall {wall:.1f} s, {args.reads / wall:,.0f} reads/s")
    print(f"  cpu  {cpu:.1f} s, {args.reads / cpu:,.0f} reads/s per core (one thread)")
    print(f"  {sample.clones:,} clones, error rate {sample.error_rate:.3%}")
    for name, size in sizes.items():
        print(f"  {name}: {size / 1e6:.1f} MB")
    print(f"  peak RSS {peak_mb:.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
