"""The analyses' CPU as jobs and in a plain process, measured at the same time on each sample.

    python bench/jobs_paired.py --samples 8

On a shared machine the load drifts over minutes, so runs made one after the
other (``bench/jobs.py``) compare the loads as much as the code.  Here each
sample is analysed twice at once: as a job on a 1-worker cluster (the lab of
``bench/jobs.py``, one set per sample), and by ``analyse_file`` in a plain
process started apart (this script with ``--engine-server``, given paths on its
standard input).  Both analysing threads run under the same load, one core
each on 2 cores.  Printed per sample and in total: the CPU time of each thread
and the job's over the plain process's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __name__ == "__main__":  # one numba cache for both processes and the worker, set first
    _work = sys.argv[sys.argv.index("--work") + 1] if "--work" in sys.argv else \
        "/tmp/vidjil-bench-jobs"  # bench/jobs.py's DEFAULT_WORK, not importable before this
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(_work) / "numba-cache"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/jobs.py

# (imports below come after NUMBA_CACHE_DIR is set: numba reads it on import)
import argparse  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from jobs import (  # noqa: E402
    DEFAULT_WORK,
    PARAMETERS,
    _launch_and_wait,
    _task_cpu,
    bench_lab,
    simulated_samples,
)

from vidjil_kernel.db import SYSTEM, session_scope  # noqa: E402
from vidjil_kernel.db import services as svc  # noqa: E402
from vidjil_kernel.detect.run import analyse_file  # noqa: E402
from vidjil_kernel.jobs import JobRunner  # noqa: E402
from vidjil_kernel.jobs.engine import cached_detector  # noqa: E402
from vidjil_kernel.settings import load_settings  # noqa: E402


def serve_engine(work: Path, warm: Path, germline_dir: Path) -> None:
    """Analyse each path read on stdin; print the CPU time of this thread for it."""
    detector = cached_detector(str(germline_dir), "bench", PARAMETERS)
    analyse_file(detector, str(warm), work / "paired-engine" / "warm", "warm")
    print("ready", flush=True)
    for line in sys.stdin:
        path = Path(line.strip())
        cpu = time.thread_time()
        analyse_file(detector, str(path), work / "paired-engine" / path.name, "result",
                     commandline="bench")
        print(f"{time.thread_time() - cpu:.3f}", flush=True)


def paired(samples: list[Path], work: Path, warm: Path, germline_dir: Path) -> None:
    settings, factory, config = bench_lab(work / "lab-paired", germline_dir, 1)
    with session_scope(factory) as session:
        sets = []
        for path in [warm, *samples]:
            set_id = svc.create_set(session, SYSTEM, "generic", group="bench", name=path.name,
                                    origin="bench").id
            svc.add_sample(session, SYSTEM, [set_id], original_name=path.name,
                           stored_path=str(path), origin="bench")
            sets.append(set_id)
    server = subprocess.Popen([sys.executable, __file__, "--engine-server", "--work", str(work)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    runner = JobRunner(settings, factory)
    runner.start()
    try:
        _launch_and_wait(settings, factory, runner, sets[0], config)  # warm the worker
        while server.stdout.readline().strip() != "ready":
            pass
        totals = [0.0, 0.0]
        print(f"{'sample':<16} {'CPU job s':>10} {'CPU plain s':>12} {'job/plain':>10}")
        for path, set_id in zip(samples, sets[1:], strict=True):
            server.stdin.write(f"{path}\n")
            server.stdin.flush()
            _launch_and_wait(settings, factory, runner, set_id, config)
            job, plain = _task_cpu(factory, set_id), float(server.stdout.readline())
            totals = [totals[0] + job, totals[1] + plain]
            print(f"{path.name:<16} {job:>10.1f} {plain:>12.2f} {100 * (job / plain - 1):>+9.1f}%",
                  flush=True)
        print(f"{'all':<16} {totals[0]:>10.1f} {totals[1]:>12.2f} "
              f"{100 * (totals[0] / totals[1] - 1):>+9.1f}%")
    finally:
        runner.stop()
        server.stdin.close()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--reads", type=int, default=200_000)
    parser.add_argument("--work", type=Path, default=Path(DEFAULT_WORK))
    parser.add_argument("--engine-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    germline_dir = load_settings().germline_dir
    args.work.mkdir(parents=True, exist_ok=True)
    warm = simulated_samples(args.work, 1, 5000, germline_dir)[0]
    if args.engine_server:
        serve_engine(args.work, warm, germline_dir)
        return
    samples = simulated_samples(args.work, args.samples, args.reads, germline_dir)
    paired(samples, args.work, warm, germline_dir)


if __name__ == "__main__":
    main()
