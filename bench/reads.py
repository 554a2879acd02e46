"""Reading speed: gzip floor vs our numba reader vs dnaio, all producing numpy batches.

Usage: python bench/reads.py [--reads 1000000] [--length 250] [--repeats 3]

Generates (deterministically) a gzipped FASTQ in a temporary directory, then
measures each contender in its own child process (so that peak RSS is its
own) and prints reads/s, MB/s of decompressed text and peak RSS side by side.
"+1 thread" rows decompress in a second thread (ISA-L's threaded reader), the
others in the reading thread.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BATCH = 65536


def generate(path: Path, reads: int, length: int, seed: int = 1) -> int:
    """Write a gzipped FASTQ of random reads; returns its decompressed size.

    ISA-L level 2 is used to keep generation fast; decompression speed hardly
    depends on the level the file was compressed with.
    """
    from isal import igzip

    rng = np.random.default_rng(seed)
    written = 0
    with igzip.open(path, "wb", compresslevel=2) as handle:
        for start in range(0, reads, 50_000):
            count = min(50_000, reads - start)
            bases = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, (count, length))]
            # MiSeq-like qualities: high, slowly declining along the read, noisy
            decline = np.linspace(38, 30, length)
            quals = np.clip(decline + rng.normal(0, 3, (count, length)), 2, 41)
            quals = (quals + 33).astype(np.uint8)
            lines = []
            for i in range(count):
                lines.append(b"@read%d length=%d\n%s\n+\n%s\n" % (
                    start + i, length, bases[i].tobytes(), quals[i].tobytes()))
            chunk = b"".join(lines)
            written += len(chunk)
            handle.write(chunk)
    return written


def measure_gzip(path: str, threaded: bool) -> tuple[int, int]:
    from isal import igzip, igzip_threaded

    handle = igzip_threaded.open(path, "rb", threads=1) if threaded else igzip.open(path, "rb")
    total = 0
    newlines = 0
    with handle:
        while block := handle.read(1 << 22):
            total += len(block)
            newlines += block.count(b"\n")
    return newlines // 4, total


def measure_ours(path: str, threaded: bool) -> tuple[int, int]:
    from vidjil_kernel.reads import BatchReader

    reads = check = 0
    with BatchReader(path, batch_reads=BATCH, gzip_thread=threaded) as reader:
        for batch in reader:
            reads += batch.n
            check += checksum(batch.seq, batch.offsets, batch.qual, batch.names)
    return reads, check


def measure_dnaio(path: str, threaded: bool) -> tuple[int, int]:
    import dnaio

    from vidjil_kernel.reads._kernels import SEQUENCE_TABLE

    reads = check = 0
    with dnaio.open(path, open_threads=1 if threaded else 0) as records:
        chunk = []
        for record in records:
            chunk.append(record)
            if len(chunk) == BATCH:
                seq, offsets, qual, names, _ = dnaio_batch(chunk, SEQUENCE_TABLE)
                reads += len(chunk)
                check += checksum(seq, offsets, qual, names)
                chunk = []
        if chunk:
            seq, offsets, qual, names, _ = dnaio_batch(chunk, SEQUENCE_TABLE)
            reads += len(chunk)
            check += checksum(seq, offsets, qual, names)
    return reads, check


def checksum(seq: np.ndarray, offsets: np.ndarray, qual: np.ndarray, names: np.ndarray) -> int:
    """A cheap fingerprint of a batch, to check that both readers agree."""
    return (int(seq[::61].sum()) + int(qual[::67].sum()) + int(offsets[-1])
            + int(names[::7].sum()))


def rss_mb(field: str) -> int:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM, not inherited)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return -1


def dnaio_batch(records: list, table: np.ndarray) -> tuple[np.ndarray, ...]:
    """The same arrays as a ReadBatch (translated bases, checked, Phred scores, ids)."""
    seq = table[np.frombuffer("".join(r.sequence for r in records).encode("ascii"), np.uint8)]
    if not seq.all():
        raise ValueError("bad character")
    qual = np.frombuffer("".join(r.qualities for r in records).encode("ascii"), np.uint8) - 33
    offsets = np.zeros(len(records) + 1, np.int64)
    np.cumsum([len(r.sequence) for r in records], out=offsets[1:])
    ids = [r.id.encode() for r in records]
    names = np.frombuffer(b"".join(ids), np.uint8)
    name_offsets = np.zeros(len(records) + 1, np.int64)
    np.cumsum([len(i) for i in ids], out=name_offsets[1:])
    return seq, offsets, qual, names, name_offsets


MEASURES = {
    "gzip only (ISA-L, 1 thread)": (measure_gzip, False),
    "gzip only (ISA-L, +1 thread)": (measure_gzip, True),
    "vidjil_kernel.reads (1 thread)": (measure_ours, False),
    "vidjil_kernel.reads (+1 gzip thread)": (measure_ours, True),
    "dnaio + numpy batches (1 thread)": (measure_dnaio, False),
    "dnaio + numpy batches (+1 gzip thread)": (measure_dnaio, True),
}


def child(name: str, path: str, warmup: str) -> None:
    function, threaded = MEASURES[name]
    function(warmup, threaded)
    ready = rss_mb("VmRSS")
    cpu = time.process_time()
    start = time.perf_counter()
    reads, check = function(path, threaded)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    print(json.dumps({"reads": reads, "check": check, "seconds": elapsed, "cpu": cpu,
                      "peak_mb": rss_mb("VmHWM"), "ready_mb": ready}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=1_000_000)
    parser.add_argument("--length", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per contender; the fastest is shown (shared machines are noisy)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reads.fastq.gz"
        warmup = Path(tmp) / "warmup.fastq.gz"
        started = time.perf_counter()
        text_bytes = generate(path, args.reads, args.length)
        generate(warmup, 1000, args.length, seed=2)
        print(f"{args.reads:,} reads of {args.length} nt: {text_bytes / 1e6:.0f} MB FASTQ, "
              f"{path.stat().st_size / 1e6:.0f} MB gzipped "
              f"(generated in {time.perf_counter() - started:.0f} s)")
        print(f"{'':40} {'reads/s':>11} {'reads/CPU s':>11} {'MB/s':>7} {'CPU s':>6} {'wall s':>6} "
              f"{'peak RSS':>9} {'(before)':>9}")
        checks = {}
        for name in MEASURES:
            runs = []
            for _ in range(args.repeats):
                output = subprocess.run(
                    [sys.executable, __file__, "--child", name, str(path), str(warmup)],
                    check=True, capture_output=True, text=True).stdout
                runs.append(json.loads(output.splitlines()[-1]))
            figures = min(runs, key=lambda run: run["seconds"])
            assert figures["reads"] == args.reads, (name, figures)
            if not name.startswith("gzip"):
                checks[name] = figures["check"]
            seconds = figures["seconds"]
            print(f"{name:40} {figures['reads'] / seconds:11,.0f} "
                  f"{figures['reads'] / figures['cpu']:11,.0f} "
                  f"{text_bytes / 1e6 / seconds:7.0f} {figures['cpu']:6.2f} {seconds:6.2f} "
                  f"{figures['peak_mb']:6} MB {figures['ready_mb']:6} MB")
        same = len(set(checks.values())) == 1
        print("batches identical (checksum of bases and qualities):", "yes" if same else "NO")
        print("reads/s and MB/s (decompressed FASTQ text) per wall second; reads/CPU s counts "
              "the CPU time of all threads.\n(before): RSS once imports are done and the "
              "kernels compiled, before reading the file.")


if __name__ == "__main__":
    main()
