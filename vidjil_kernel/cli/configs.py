"""`vidjil config`: the analysis configs jobs run with (list, add, share with a group)."""

from __future__ import annotations

import click

from vidjil_kernel.cli.jobs import AS_USER, _actor
from vidjil_kernel.cli.options import echo_json, echo_table, json_option, lab_options, lab_session
from vidjil_kernel.settings import Settings


@click.group("config")
def config() -> None:
    """Analysis configs: what `vidjil job run --config NAME` runs."""


@config.command("list")
@AS_USER
@lab_options
@json_option
def list_(as_user: str | None, settings: Settings, as_json: bool) -> None:
    """Configs USER may read (the default configs of a fresh lab are created first)."""
    from vidjil_kernel.db.rights import readable_configs
    from vidjil_kernel.jobs import ensure_default_configs

    with lab_session(settings) as session:
        ensure_default_configs(session)
        views = readable_configs(session, _actor(session, as_user))
    rows = [view.to_dict() for view in views]
    if as_json:
        echo_json(rows)
        return
    echo_table(rows, [("id", "ID"), ("name", "NAME"), ("program", "PROGRAM"),
                      ("parameters", "PARAMETERS"), ("fuse_parameters", "FUSE"),
                      ("groups", "GROUPS"), ("description", "DESCRIPTION")], empty="no config")


@config.command("add")
@click.argument("name")
@click.option("--group", "group_name", required=True, metavar="GROUP",
              help="Group that may use it (needs create_config there).")
@click.option("--parameters", required=True,
              help="`vidjil detect` options, e.g. '-g homo-sapiens:IGH -z 200' (or the "
                   "command template of an external program).")
@click.option("--program", type=click.Choice(["vidjil", "external-vidjil", "external-airr"]),
              default="vidjil", show_default=True, help="What runs the analysis.")
@click.option("--fuse-parameters", default="--top 100 --per-locus 10", show_default=True,
              help="Clones kept per sample in fused files.")
@click.option("--description", default="", help="What the config is for.")
@AS_USER
@lab_options
def add(name: str, group_name: str, parameters: str, program: str, fuse_parameters: str,
        description: str, as_user: str | None, settings: Settings) -> None:
    """Add config NAME, checked before it is stored."""
    from vidjil_kernel.db import services
    from vidjil_kernel.db.models import Config
    from vidjil_kernel.jobs import check_config

    check_config(Config(name=name, program=program, parameters=parameters,
                        fuse_parameters=fuse_parameters))
    with lab_session(settings) as session:
        view = services.create_config(session, _actor(session, as_user), group_name,
                                      origin="cli", name=name, program=program,
                                      parameters=parameters, fuse_parameters=fuse_parameters,
                                      description=description)
    click.echo(f"config {view.name!r} added (id {view.id}), for group {group_name}")


@config.command("share")
@click.argument("name")
@click.argument("group_name", metavar="GROUP")
@AS_USER
@lab_options
def share(name: str, group_name: str, as_user: str | None, settings: Settings) -> None:
    """Let GROUP (and its child groups) use config NAME."""
    from vidjil_kernel.cli.jobs import _config_id
    from vidjil_kernel.db import services

    with lab_session(settings) as session:
        services.share_config(session, _actor(session, as_user), _config_id(session, name),
                              group_name, origin="cli")
    click.echo(f"config {name!r} shared with {group_name}")
