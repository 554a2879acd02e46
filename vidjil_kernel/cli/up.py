"""`vidjil up`: start the whole lab on 127.0.0.1 and run until Ctrl-C."""

from __future__ import annotations

import os
from pathlib import Path

import click

from vidjil_kernel.exceptions import UsageError

ADMIN_PASSWORD_ENV = "VIDJIL_ADMIN_PASSWORD"


def _admin_password(name: str, password_file: Path | None) -> str:
    """From --admin-password-file, $VIDJIL_ADMIN_PASSWORD, or asked twice on the terminal."""
    from vidjil_kernel.server.accounts import password_problem

    if password_file is not None:
        password = password_file.read_text().rstrip("\n")
    elif os.environ.get(ADMIN_PASSWORD_ENV):
        password = os.environ[ADMIN_PASSWORD_ENV]
    else:
        password = click.prompt(f"password for the admin {name}", hide_input=True,
                                confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise UsageError(f"password of the admin {name!r}: {problem}")
    return password


@click.command()
@click.option("--port", type=int, default=None,
              help="Port of the lab's URL on 127.0.0.1 (setting `port`, default 8000).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data directory (setting `data_dir`, $VIDJIL_DATA_DIR; default data/).")
@click.option("--db-url", default=None,
              help="Database URL (setting `db_url`, $VIDJIL_DB_URL; default: SQLite in the "
                   "data dir).")
@click.option("--dask-scheduler", default=None,
              help="Address of a running Dask scheduler (default: a local cluster).")
@click.option("--spawner", type=click.Choice(["embedded", "isolated"]), default=None,
              help="How users' servers run (setting `spawner`, default embedded).")
@click.option("--admin", "admin_name", metavar="NAME", default=None,
              help="Create (or reset the password of) the admin account NAME.")
@click.option("--admin-password-file", type=click.Path(dir_okay=False, exists=True,
              path_type=Path), default=None,
              help=f"Read the admin's password from this file (else ${ADMIN_PASSWORD_ENV}, "
                   "else asked).")
@click.option("--upgrade-db", is_flag=True,
              help="Upgrade a database made by an older version of the lab (SQLite is backed "
                   "up first); without it such a database is refused.")
def up(port, data_dir, db_url, dask_scheduler, spawner, admin_name, admin_password_file,
       upgrade_db) -> None:
    """Start the lab (proxy, JupyterHub, vidjil-api, jobs) and print its URL; Ctrl-C stops it.

    Without --admin, the first account signed up becomes the lab's admin.  A new
    data directory gets its database, the default analysis configs and a demo
    patient (setting demo_patient); a second start keeps everything.
    """
    from vidjil_kernel.server.lab import AdminRequest, run_lab
    from vidjil_kernel.settings import load_settings

    settings = load_settings(port=port, data_dir=data_dir, db_url=db_url,
                             dask_scheduler=dask_scheduler, spawner=spawner)
    admin = None
    if admin_name:
        password = None
        if settings.authenticator == "native":
            password = _admin_password(admin_name, admin_password_file)
        admin = AdminRequest(admin_name, password)
    run_lab(settings, admin, echo=click.echo, upgrade_db=upgrade_db)
