"""Peak memory of `vidjil detect` as the input grows: the same kind of file at several sizes.

Simulates gzipped, all-loci files of 250-nt reads (the kind `bench/speed.py` measures)
with 1M, 5M and 10M reads, diagnosis samples by default, and runs `vidjil detect` on
each in its own process pinned to one core, one after another: reads/s and peak RSS
(target: <= 500 MB whatever the size).  Files are simulated by `vidjil simulate` in a
process of their own: a child forked by a process that simulated 10M reads in itself
starts with that process's memory, which its peak RSS then shows.  The window table
of a big input folds its error windows into their clones' as it goes
(``detect.pipeline``): the table grows with the clones (at most 30,000 in these
files), not with the reads.  With ``--per-read``, `vidjil detect` writes the per-read
output too (its calls are spooled to disk, their rows carried through the folds).

    python bench/memory.py [--reads 1000000,5000000,10000000] [--modes diagnosis,polyclonal]
                           [--per-read] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from speed import PYTHON, run_detect


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", default="1000000,5000000,10000000",
                        help="input sizes, comma-separated")
    parser.add_argument("--modes", default="diagnosis",
                        help="simulator modes, comma-separated (diagnosis, polyclonal, mrd)")
    parser.add_argument("--per-read", action="store_true",
                        help="write the per-read output too (vidjil detect --per-read)")
    parser.add_argument("--workdir", type=Path, help="keep the simulated files here")
    args = parser.parse_args()
    options = ("--per-read",) if args.per_read else ()
    sizes = [int(size) for size in args.reads.split(",")]
    modes = args.modes.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        for mode in modes:
            for reads in sizes:
                name = f"memory-{mode}-{reads}"
                reads_file = workdir / f"{name}.fastq.gz"
                if not reads_file.exists():
                    print(f"simulating {reads:,} reads ({mode}) ...", flush=True)
                    subprocess.run([PYTHON, "-m", "vidjil_kernel", "simulate", "--reads",
                                    str(reads), "--read-length", "250", "--mode", mode,
                                    "--seed", "7", "--name", name, "-o", str(workdir)],
                                   check=True, stdout=subprocess.DEVNULL)
                run = run_detect(reads_file, Path(scratch) / name, dict(os.environ),
                                 options=options)
                rows.append((mode, reads, run))
                print(f"  {mode:10s} {reads:>11,} reads: {reads / run['wall']:9,.0f} reads/s, "
                      f"{run['rss_mb']:4.0f} MB peak", flush=True)
    print("\nmode        reads        reads/s   peak RSS   (target <= 500 MB whatever the size)")
    for mode, reads, run in rows:
        print(f"{mode:10s} {reads:>11,} {reads / run['wall']:12,.0f} {run['rss_mb']:7.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
