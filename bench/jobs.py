"""Benchmark of the job layer: scaling over workers, and its cost over the bare engine.

    python bench/jobs.py                       # 20 samples of 200,000 reads
    python bench/jobs.py --samples 4 --reads 50000 --work /tmp/jobs-bench

1. **engine**: the samples analysed one after the other in this process by
   ``analyse_file`` with one detector (what a worker does, without the job layer);
2. **jobs, 1 worker** and **jobs, 2 workers**: a lab with the samples in one set,
   launched with the same config, run by a ``JobRunner`` on a local cluster of
   that many workers, timed from the launch until the last analysis is recorded
   as completed (its ``finished_at``; fuses of the set, which the engine run does
   not do, are timed apart).

The engine runs twice, before and after "jobs, 1 worker", and the overhead is
taken over their mean: on a shared machine the load drifts over minutes, and a
single engine run before the jobs measures that drift as much as the job layer.
The job layer's own time is also printed apart: the 1-worker wall time minus the
analyses' run times on their worker (dispatch, recording, the gaps between jobs).

With ``--big READS``, also one sample of READS reads on 2 workers, in one piece
and in 4 chunks (``job_chunk_reads``): wall times and whether the results are equal.

Each run starts warm: the detector is built (engine) or the workers have
analysed a small sample (jobs) before the clock starts.  Printed: wall time, the
CPU time of this process and of the workers, the scaling ratio (1 worker / 2
workers, target >= 1.8) and the job layer's overhead (1 worker / engine - 1,
target <= 5%).  The machine may be shared: CPU times show what the wall times
hide, and the load average is printed before each run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEFAULT_WORK = "/tmp/vidjil-bench-jobs"
if __name__ == "__main__":  # one numba cache for this process and the workers, set first
    _work = sys.argv[sys.argv.index("--work") + 1] if "--work" in sys.argv else DEFAULT_WORK
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(_work) / "numba-cache"))

# (imports below come after NUMBA_CACHE_DIR is set: numba reads it on import)
import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

import psutil  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from vidjil_kernel.db import SYSTEM, new_session_factory, session_scope  # noqa: E402
from vidjil_kernel.db import services as svc  # noqa: E402
from vidjil_kernel.detect.run import analyse_file  # noqa: E402
from vidjil_kernel.formats.vidjil import run_independent  # noqa: E402
from vidjil_kernel.jobs import JobRunner, launch  # noqa: E402
from vidjil_kernel.jobs.engine import cached_detector  # noqa: E402
from vidjil_kernel.settings import Settings, load_settings  # noqa: E402
from vidjil_kernel.simulate import SimulationSpec, simulate  # noqa: E402

PARAMETERS = "-g homo-sapiens"
LOCI = (("IGH", 1.0), ("IGK", 1.0), ("TRG", 1.0), ("TRB", 1.0))


def simulated_samples(work: Path, count: int, reads: int, germline_dir: Path) -> list[Path]:
    """``count`` samples (made once, kept in ``work``), different clones in each."""
    out = work / f"samples-{reads}"
    paths = []
    for number in range(1, count + 1):
        path = out / f"s{number:02d}.fastq.gz"
        if not path.is_file():
            spec = SimulationSpec(loci=LOCI, reads=reads, mode="diagnosis", seed=100 + number,
                                  name=f"s{number:02d}", germline_dir=germline_dir)
            simulate(spec, out)
        paths.append(path)
    return paths


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def run_engine(samples: list[Path], out: Path, germline_dir: Path, warm: Path) -> dict:
    detector = cached_detector(str(germline_dir), "bench", PARAMETERS)
    analyse_file(detector, str(warm), out / "warm", "warm")  # as the workers are warmed
    me = psutil.Process()
    cpu, start, thread = _cpu([me]), time.perf_counter(), time.thread_time()
    for path in samples:
        analyse_file(detector, str(path), out / path.name, "result", commandline="bench")
    return {"wall": time.perf_counter() - start, "cpu": _cpu([me]) - cpu, "workers_cpu": 0.0,
            "task_cpu": time.thread_time() - thread}


def bench_lab(data: Path, germline_dir: Path, workers: int,
              chunk_reads: int = 0) -> tuple[Settings, sessionmaker, int]:
    """A fresh lab in ``data`` with the benchmark's group and config: (settings, sessions,
    config id)."""
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    settings = load_settings(data_dir=data, db_url=f"sqlite:///{data / 'vidjil.sqlite'}",
                             germline_dir=germline_dir, job_workers=workers,
                             disk_min_free_gb=0.001, job_chunk_reads=chunk_reads)
    factory = new_session_factory(settings)
    with session_scope(factory) as session:
        svc.create_group(session, SYSTEM, "bench", origin="bench")
        config = svc.create_config(session, SYSTEM, "bench", name="bench",
                                   parameters=PARAMETERS, origin="bench").id
    return settings, factory, config


def run_jobs(samples: list[Path], work: Path, germline_dir: Path, workers: int,
             warm: Path, chunk_reads: int = 0, name: str = "") -> dict:
    data = work / f"lab-{name or workers}"
    settings, factory, config = bench_lab(data, germline_dir, workers, chunk_reads)
    with session_scope(factory) as session:
        bench_set = svc.create_set(session, SYSTEM, "generic", group="bench", name="bench",
                                   origin="bench").id
        warm_set = svc.create_set(session, SYSTEM, "generic", group="bench", name="warm",
                                  origin="bench").id
        for path in samples:
            svc.add_sample(session, SYSTEM, [bench_set], original_name=path.name,
                           stored_path=str(path), origin="bench")
        for number in range(workers):
            svc.add_sample(session, SYSTEM, [warm_set], original_name=f"warm{number}.fq.gz",
                           stored_path=str(warm), origin="bench")
    runner = JobRunner(settings, factory)
    runner.start()
    try:
        _launch_and_wait(settings, factory, runner, warm_set, config)  # warm every worker
        me = psutil.Process()
        children = me.children(recursive=True)
        cpu, workers_cpu, start = _cpu([me]), _cpu(children), time.time()
        _launch_and_wait(settings, factory, runner, bench_set, config)
        analysed, everything = _finished(factory, bench_set)
        return {"wall": analysed - start, "all_jobs": everything - start,
                "cpu": _cpu([me]) - cpu, "workers_cpu": _cpu(children) - workers_cpu,
                "task_cpu": _task_cpu(factory, bench_set),
                "task_wall": _task_wall(factory, bench_set),
                "concurrency": _concurrency(factory, bench_set),
                "results": sorted((data / "results" / "samples").rglob("*.vidjil"))}
    finally:
        runner.stop()


def _analysis_logs(factory, set_id: int) -> list[str]:  # noqa: ANN001
    from sqlalchemy import select

    from vidjil_kernel.db.models import Job

    with session_scope(factory) as session:
        return list(session.scalars(select(Job.log).where(Job.set_id == set_id,
                                                          Job.kind == "analysis")))


def _task_cpu(factory, set_id: int) -> float:  # noqa: ANN001
    """CPU of the analyses' own threads on the workers, from their logs."""
    return sum(float(match) for log in _analysis_logs(factory, set_id)
               for match in re.findall(r"\(([0-9.]+) s of CPU in the job's thread\)", log))


def _task_wall(factory, set_id: int) -> float:  # noqa: ANN001
    """Run time of the analyses on their workers (``analysis.run``), from their logs."""
    return sum(float(match) for log in _analysis_logs(factory, set_id)
               for match in re.findall(r"; ([0-9.]+) s \([0-9.]+ s of CPU", log))


def _finished(factory, set_id: int) -> tuple[float, float]:  # noqa: ANN001
    """When the set's last analysis, and its last job, were recorded as done (epoch s)."""
    from sqlalchemy import func, select

    from vidjil_kernel.db.models import Job

    def epoch(moment: dt.datetime) -> float:
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()

    with session_scope(factory) as session:
        analysed = session.scalar(select(func.max(Job.finished_at)).where(
            Job.set_id == set_id, Job.kind == "analysis"))
        everything = session.scalar(select(func.max(Job.finished_at)).where(
            Job.set_id == set_id))
    return epoch(analysed), epoch(everything)


def _concurrency(factory, set_id: int) -> float:  # noqa: ANN001
    """Analyses running at once on average: the sum of their run times over their span."""
    from sqlalchemy import select

    from vidjil_kernel.db.models import Job

    with session_scope(factory) as session:
        spans = session.execute(select(Job.started_at, Job.finished_at).where(
            Job.set_id == set_id, Job.kind == "analysis")).all()
    busy = sum((end - start).total_seconds() for start, end in spans)
    return busy / (max(end for _, end in spans) - min(start for start, _ in spans)) \
        .total_seconds()


def _launch_and_wait(settings, factory, runner, set_id: int, config: int) -> None:  # noqa: ANN001
    from sqlalchemy import select

    from vidjil_kernel.db.models import Job

    with session_scope(factory) as session:
        launched = [view.job_id for view in launch(session, SYSTEM, set_id, config,
                                                   settings=settings, origin="bench")]
    runner.wake()
    while True:
        with session_scope(factory) as session:
            states = dict(session.execute(select(Job.id, Job.state)).all())
        if any(state == "failed" for state in states.values()):
            raise RuntimeError(f"a job failed: {states}")
        if all(states[job] == "completed" for job in launched) and \
                all(s in ("completed", "cancelled") for s in states.values()):
            return
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--reads", type=int, default=200_000)
    parser.add_argument("--work", type=Path, default=Path(DEFAULT_WORK))
    parser.add_argument("--big", type=int, default=0, metavar="READS",
                        help="Also one sample of READS reads, in one piece and in 4 chunks.")
    parser.add_argument("--skip-many", action="store_true",
                        help="Only the --big measure.")
    args = parser.parse_args()
    germline_dir = load_settings().germline_dir
    args.work.mkdir(parents=True, exist_ok=True)
    loci = ", ".join(locus for locus, _ in LOCI)
    print(f"simulating {args.samples} samples of {args.reads:,} reads ({loci}) in {args.work}",
          flush=True)
    warm = simulated_samples(args.work, 1, 5000, germline_dir)[0]
    if not args.skip_many:
        samples = simulated_samples(args.work, args.samples, args.reads, germline_dir)
        many(samples, args, warm, germline_dir)
    if args.big:
        big(simulated_samples(args.work, 1, args.big, germline_dir), args, warm, germline_dir)


def many(samples: list[Path], args: argparse.Namespace, warm: Path, germline_dir: Path) -> None:
    runs = {}
    print(f"engine, in this process ({_load()})", flush=True)
    runs["engine"] = run_engine(samples, args.work / "engine", germline_dir, warm)
    print(f"jobs, 1 worker ({_load()})", flush=True)
    runs["jobs x1"] = run_jobs(samples, args.work, germline_dir, 1, warm)
    print(f"engine, again ({_load()})", flush=True)
    runs["engine, again"] = run_engine(samples, args.work / "engine", germline_dir, warm)
    print(f"jobs, 2 workers ({_load()})", flush=True)
    runs["jobs x2"] = run_jobs(samples, args.work, germline_dir, 2, warm)
    total_reads = args.samples * args.reads
    print(f"\n{args.samples} samples x {args.reads:,} reads, config {PARAMETERS!r}, "
          f"{os.cpu_count()} cores ({_load()})")
    print(f"{'run':<14} {'wall s':>8} {'reads/s':>10} {'CPU here s':>11} {'CPU workers s':>14}"
          f" {'CPU analyses s':>15} {'all jobs s':>11}")
    for name, run in runs.items():
        print(f"{name:<14} {run['wall']:>8.1f} {total_reads / run['wall']:>10,.0f} "
              f"{run['cpu']:>11.1f} {run['workers_cpu']:>14.1f} {run['task_cpu']:>15.1f} "
              f"{run.get('all_jobs', run['wall']):>11.1f}")
    one, two = runs["jobs x1"], runs["jobs x2"]
    engine = {key: (runs["engine"][key] + runs["engine, again"][key]) / 2
              for key in ("wall", "cpu", "task_cpu")}
    drift = runs["engine, again"]["wall"] / runs["engine"]["wall"] - 1
    print(f"\nscaling, 1 -> 2 workers (wall): {one['wall'] / two['wall']:.2f}x (target >= 1.8); "
          f"analyses running at once: {one['concurrency']:.2f} and {two['concurrency']:.2f} "
          "(with 2 workers, 2 when the cluster is never idle: a lower scaling then means the "
          "cores were busy with other work)")
    print(f"job layer overhead over the engine, 1 worker (wall): "
          f"{100 * (one['wall'] / engine['wall'] - 1):+.1f}% (target <= 5%; over the mean "
          f"of the two engine runs, which differ by {100 * drift:+.1f}%)")
    print(f"job layer's own time, 1 worker: {one['wall'] - one['task_wall']:.1f} s of "
          f"{one['wall']:.1f} s ({100 * (one['wall'] / one['task_wall'] - 1):+.1f}% over the "
          "analyses' run times on the worker: dispatch, recording, gaps between jobs)")
    job_cpu = one["cpu"] + one["workers_cpu"]
    print(f"job layer overhead over the engine, 1 worker (CPU of all processes): "
          f"{100 * (job_cpu / engine['cpu'] - 1):+.1f}%")
    print(f"CPU of the analyses' threads, 1 worker / engine: "
          f"{100 * (one['task_cpu'] / engine['task_cpu'] - 1):+.1f}% (the engine's own work "
          "on a loaded machine; the rest of the difference is the job layer and Dask)")


def big(samples: list[Path], args: argparse.Namespace, warm: Path, germline_dir: Path) -> None:
    runs = {}
    for name, chunk_reads in (("one piece", 0), ("4 chunks", -(-args.big // 4))):
        print(f"big sample, {name}, 2 workers ({_load()})", flush=True)
        runs[name] = run_jobs(samples, args.work, germline_dir, 2, warm, chunk_reads,
                              name=name.replace(" ", "-"))
    print(f"\n1 sample x {args.big:,} reads, 2 workers ({_load()})")
    for name, run in runs.items():
        print(f"{name:<10} wall {run['wall']:>7.1f} s, CPU here {run['cpu']:.1f} s, "
              f"CPU workers {run['workers_cpu']:.1f} s")
    same = run_independent(runs["one piece"]["results"][0]) == \
        run_independent(runs["4 chunks"]["results"][0])
    print(f"speed-up of chunks: {runs['one piece']['wall'] / runs['4 chunks']['wall']:.2f}x; "
          f"results equal: {same}")

if __name__ == "__main__":
    main()
