"""`vidjil db`: the lab database's schema (status, upgrade).

Exit code 4: the database is at another revision than this lab needs.
"""

from __future__ import annotations

import click

from vidjil_kernel.cli.options import echo_json, json_option, lab_options
from vidjil_kernel.settings import Settings


@click.group()
def db() -> None:
    """The lab database: its schema revision and upgrades."""


@db.command()
@lab_options
@json_option
def status(settings: Settings, as_json: bool) -> None:
    """Show the database's revision and the one this lab needs."""
    from vidjil_kernel.db import migrate
    from vidjil_kernel.db.engine import make_engine, redact

    engine = make_engine(settings.database_url)
    info = {"database": redact(settings.database_url),
            "revision": migrate.current_revision(engine),
            "needed": migrate.head_revision(),
            "state": migrate.schema_state(engine).value}
    if as_json:
        echo_json(info)
    else:
        for key, value in info.items():
            click.echo(f"{key:9} {value}")


@db.command()
@lab_options
@click.option("--no-backup", is_flag=True,
              help="Do not copy a SQLite database before upgrading it.")
def upgrade(settings: Settings, no_backup: bool) -> None:
    """Bring the database to the revision this lab needs (backs SQLite up first)."""
    from vidjil_kernel.db import migrate
    from vidjil_kernel.db.engine import make_engine, redact

    engine = make_engine(settings.database_url)
    before = migrate.current_revision(engine)
    if migrate.schema_state(engine) is migrate.SchemaState.FOREIGN:
        migrate.check_schema(engine)
    backup = migrate.upgrade(engine, backup=not no_backup)
    after = migrate.current_revision(engine)
    if backup is not None:
        click.echo(f"backed up to {backup}")
    where = redact(settings.database_url)
    click.echo(f"{where}: {before or 'empty'} -> {after}" if before != after
               else f"{where}: already at {after}")
