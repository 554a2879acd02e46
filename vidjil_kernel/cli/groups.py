"""`vidjil group`: groups, their members and the rights they hold."""

from __future__ import annotations

import click

from vidjil_kernel.cli.options import echo_json, echo_table, json_option, lab_options, lab_session
from vidjil_kernel.settings import Settings


@click.group()
def group() -> None:
    """Groups of accounts, and the rights they hold on their records.

    Rights: read, create, upload, run, save, anon (see patient names and birth
    dates), admin (edit, delete, share), create_config, impersonate.
    """


@group.command("add")
@click.argument("name")
@click.option("--parent", default=None, help="Parent group (its records are visible to NAME).")
@click.option("--description", default="", help="What the group is for.")
@lab_options
def add(name: str, parent: str | None, description: str, settings: Settings) -> None:
    """Create group NAME."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        services.create_group(session, SYSTEM, name, parent=parent, description=description,
                              origin="cli")
    click.echo(f"group {name} created" + (f" (child of {parent})" if parent else ""))


@group.command("grant")
@click.argument("group_name", metavar="GROUP")
@click.argument("right")
@lab_options
def grant(group_name: str, right: str, settings: Settings) -> None:
    """Let GROUP's members do RIGHT on the group's records."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        view = services.grant_right(session, SYSTEM, group_name, right, origin="cli")
    click.echo(f"group {view.name} holds: {', '.join(view.rights)}")


@group.command("revoke")
@click.argument("group_name", metavar="GROUP")
@click.argument("right")
@lab_options
def revoke(group_name: str, right: str, settings: Settings) -> None:
    """Take RIGHT back from GROUP."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        view = services.revoke_right(session, SYSTEM, group_name, right, origin="cli")
    click.echo(f"group {view.name} holds: {', '.join(view.rights) or 'no right'}")


@group.command("add-member")
@click.argument("group_name", metavar="GROUP")
@click.argument("user_name", metavar="USER")
@lab_options
def add_member(group_name: str, user_name: str, settings: Settings) -> None:
    """Add USER to GROUP."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        view = services.add_member(session, SYSTEM, group_name, user_name, origin="cli")
    click.echo(f"group {view.name} members: {', '.join(view.members)}")


@group.command("remove-member")
@click.argument("group_name", metavar="GROUP")
@click.argument("user_name", metavar="USER")
@lab_options
def remove_member(group_name: str, user_name: str, settings: Settings) -> None:
    """Remove USER from GROUP."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        view = services.remove_member(session, SYSTEM, group_name, user_name, origin="cli")
    click.echo(f"group {view.name} members: {', '.join(view.members) or 'none'}")


@group.command("list")
@lab_options
@json_option
def list_(settings: Settings, as_json: bool) -> None:
    """List the groups, their parents, rights and members."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        rows = [view.to_dict() for view in services.list_groups(session, SYSTEM)]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, [("name", "NAME"), ("kind", "KIND"), ("parent", "PARENT"),
                          ("rights", "RIGHTS"), ("members", "MEMBERS")], width=60)
