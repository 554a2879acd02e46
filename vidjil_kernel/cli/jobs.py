"""`vidjil job`: launch, list, cancel and re-run the lab's jobs from the command line.

Jobs run when a job runner is up (`vidjil up`, or `vidjil runner` for labs used
without the hub); these commands only write to the database, which the runner
polls.  ``--as USER`` acts with USER's rights (default: the lab administrator).
"""

from __future__ import annotations

from pathlib import Path

import click

from vidjil_kernel.cli.options import echo_json, echo_table, json_option, lab_options, lab_session
from vidjil_kernel.settings import Settings

STATES = click.Choice(["pending", "waiting", "queued", "running", "completed", "failed",
                       "cancelled"])
AS_USER = click.option("--as", "as_user", default=None, metavar="USER",
                       help="Act as USER, with USER's rights (default: the lab administrator).")


def _actor(session, name: str | None):  # type: ignore[no-untyped-def]
    from vidjil_kernel.db import SYSTEM, services

    return SYSTEM if name is None else services.get_account(session, name)


def _config_id(session, name: str) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from vidjil_kernel.db.models import Config
    from vidjil_kernel.exceptions import NotFound
    from vidjil_kernel.jobs import ensure_default_configs

    ensure_default_configs(session)
    config_id = session.scalar(select(Config.id).where(Config.name == name))
    if config_id is None:
        known = ", ".join(session.scalars(select(Config.name).order_by(Config.name)))
        raise NotFound("config", name, f"configs: {known}; see `vidjil config list`")
    return config_id


@click.group("job")
def job() -> None:
    """The lab's jobs: pre-processes, analyses, fuses, imports."""


@job.command("list")
@click.option("--state", type=STATES, default=None, help="Only jobs in this state.")
@click.option("--kind", default=None, help="Only jobs of this kind (analysis, fuse...).")
@click.option("--set", "set_id", type=int, default=None, help="Only jobs of this set.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@AS_USER
@lab_options
@json_option
def list_(state: str | None, kind: str | None, set_id: int | None, limit: int,
          as_user: str | None, settings: Settings, as_json: bool) -> None:
    """List jobs, newest first (those on sets USER may read)."""
    from vidjil_kernel import jobs

    with lab_session(settings) as session:
        views = jobs.list_jobs(session, _actor(session, as_user), state=state, kind=kind,
                               set_id=set_id, limit=limit)
    rows = [view.to_dict() for view in views]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        row["progress_shown"] = row["progress_message"] or (
            f"{100 * row['progress']:.0f}%" if row["state"] == "running" else "")
        row["what"] = row["sample"] or (f"set {row['set_id']}" if row["set_id"] else "")
    echo_table(rows, [("id", "ID"), ("kind", "KIND"), ("state", "STATE"),
                      ("attempts", "TRIES"), ("what", "SAMPLE/SET"), ("config", "CONFIG"),
                      ("worker", "WORKER"), ("progress_shown", "PROGRESS"),
                      ("error", "ERROR")], empty="no job")


@job.command("run")
@click.argument("set_id", metavar="SET", type=int)
@click.option("--config", "config_name", required=True, metavar="NAME",
              help="Analysis config (see `vidjil config list`).")
@click.option("--sample", "sample_ids", type=int, multiple=True, metavar="ID",
              help="Only this sample of the set (repeat for several; default: all).")
@AS_USER
@lab_options
@json_option
def run(set_id: int, config_name: str, sample_ids: tuple[int, ...], as_user: str | None,
        settings: Settings, as_json: bool) -> None:
    """Launch config NAME on the samples of set SET."""
    from vidjil_kernel import jobs

    with lab_session(settings) as session:
        views = jobs.launch(session, _actor(session, as_user), set_id,
                            _config_id(session, config_name), list(sample_ids) or None,
                            settings=settings, origin="cli")
    if as_json:
        echo_json([view.to_dict() for view in views])
        return
    for view in views:
        click.echo(f"sample {view.sample_id}: job {view.job_id} (result {view.id}) "
                   f"with config {view.config!r}")
    click.echo(f"{len(views)} job(s) queued; they run when a job runner is up "
               "(`vidjil up` or `vidjil runner`)")


@job.command("cancel")
@click.argument("job_id", metavar="ID", type=int)
@AS_USER
@lab_options
def cancel(job_id: int, as_user: str | None, settings: Settings) -> None:
    """Cancel job ID (the runner stops it if it runs)."""
    from vidjil_kernel import jobs

    with lab_session(settings) as session:
        view = jobs.cancel(session, _actor(session, as_user), job_id, origin="cli")
    click.echo(f"job {view.id} ({view.kind}) cancelled")


@job.command("rerun")
@click.argument("job_id", metavar="ID", type=int)
@AS_USER
@lab_options
def rerun(job_id: int, as_user: str | None, settings: Settings) -> None:
    """Run a failed or cancelled job ID again."""
    from vidjil_kernel import jobs

    with lab_session(settings) as session:
        view = jobs.rerun(session, _actor(session, as_user), job_id, settings=settings,
                          origin="cli")
    click.echo(f"job {view.id} ({view.kind}) queued again")


@job.command("log")
@click.argument("job_id", metavar="ID", type=int)
@AS_USER
@lab_options
def log(job_id: int, as_user: str | None, settings: Settings) -> None:
    """Print what job ID printed (commands' output, the engine's summary)."""
    from vidjil_kernel import jobs

    with lab_session(settings) as session:
        actor = _actor(session, as_user)
        view = jobs.get_job(session, actor, job_id)
        text = jobs.job_log(session, actor, job_id)
    click.echo(f"job {view.id} ({view.kind}) {view.state}"
               + (f": {view.error}" if view.error else ""))
    if text:
        click.echo(text)


@job.command("import")
@click.argument("set_id", metavar="SET", type=int)
@click.argument("sample_id", metavar="SAMPLE", type=int)
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, exists=True,
                                                         path_type=Path))
@click.option("--config", "config_name", required=True, metavar="NAME",
              help="Config the result is stored under.")
@click.option("--format", "result_format", type=click.Choice(["vidjil", "airr"]),
              default=None, help="Format of FILE (default: from its name, .tsv is AIRR).")
@AS_USER
@lab_options
def import_(set_id: int, sample_id: int, path: Path, config_name: str,
            result_format: str | None, as_user: str | None, settings: Settings) -> None:
    """Store FILE (.vidjil or AIRR) as the result of SAMPLE in SET, once validated."""
    from vidjil_kernel import jobs

    with lab_session(settings) as session:
        view = jobs.import_result(session, _actor(session, as_user), set_id, sample_id,
                                  _config_id(session, config_name), path.resolve(),
                                  settings=settings, origin="cli",
                                  result_format=result_format)
    click.echo(f"job {view.job_id} queued: import of {path.name} as result {view.id}")
