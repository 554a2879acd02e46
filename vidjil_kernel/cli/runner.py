"""`vidjil runner`: run the lab's jobs in the foreground, for labs used without the hub.

One runner per database: a second one (or `vidjil up` while this runs) is refused
with the holder's pid and host.  Ctrl-C (or SIGTERM) stops it; running jobs go
back to the queue and the next runner starts them again.
"""

from __future__ import annotations

import dataclasses
import signal
import threading

import click

from vidjil_kernel.cli.options import lab_options
from vidjil_kernel.settings import Settings


@click.command("runner")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Workers of the local cluster (setting job_workers; default: cores - 1).")
@click.option("--dask-scheduler", default=None, metavar="ADDRESS",
              help="Use this running Dask scheduler instead of a local cluster "
                   "(setting dask_scheduler).")
@lab_options
def runner(workers: int | None, dask_scheduler: str | None, settings: Settings) -> None:
    """Dispatch the lab's queued jobs to Dask workers until Ctrl-C."""
    from vidjil_kernel.db import new_session_factory
    from vidjil_kernel.jobs import JobRunner

    if dask_scheduler:
        settings = dataclasses.replace(settings, dask_scheduler=dask_scheduler)
    job_runner = JobRunner(settings, new_session_factory(settings), workers=workers)
    job_runner.start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    status = job_runner.status()
    click.echo(f"job runner up: scheduler {status['scheduler']}, "
               f"{len(status['workers'])} worker(s), {status['queue_length']} job(s) waiting; "
               "Ctrl-C stops it", err=True)
    while not stop.wait(1.0):
        if not job_runner.running:
            break
    job_runner.stop()
    if job_runner.failure:
        raise click.ClickException(job_runner.failure)
    click.echo("job runner stopped", err=True)
