"""`vidjil worker status`: the cluster's workers, the jobs they run, the queue, the disk."""

from __future__ import annotations

import click

from vidjil_kernel.cli.options import echo_json, echo_table, json_option, lab_options, lab_session
from vidjil_kernel.settings import Settings


@click.group("worker")
def worker() -> None:
    """The workers that run the lab's jobs."""


@worker.command("status")
@lab_options
@json_option
def status(settings: Settings, as_json: bool) -> None:
    """Workers of the running job runner's cluster, their jobs, the queue and free disk."""
    from vidjil_kernel.jobs.status import lab_status

    with lab_session(settings) as session:
        report = lab_status(session, settings)
    if as_json:
        echo_json(report)
        return
    runner = report["runner"]
    if runner is None:
        click.echo("no job runner is running on this lab: start one with `vidjil up` or "
                   "`vidjil runner` (queued jobs wait)")
    else:
        click.echo(f"job runner: pid {runner['pid']} on {runner['host']}, scheduler "
                   f"{runner['scheduler']}")
        if report["cluster_error"]:
            click.echo(f"cluster: {report['cluster_error']}")
        echo_table(report["workers"], [("address", "WORKER"), ("name", "NAME"),
                                       ("threads", "THREADS"), ("memory_gb", "MEMORY GB"),
                                       ("jobs", "JOBS")], empty="no worker connected")
    jobs = report["jobs"]
    click.echo("jobs: " + ", ".join(f"{count} {state}" for state, count in jobs.items()))
    disk = report["disk"]
    low = "  (LOW: uploads and launches are refused)" if disk["low"] else ""
    click.echo(f"disk: {disk['free_bytes'] / 1e9:.1f} GB free of "
               f"{disk['total_bytes'] / 1e9:.1f} GB on {disk['path']}{low}")
