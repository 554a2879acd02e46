"""`vidjil user`: the lab's accounts (normally mirrored from JupyterHub)."""

from __future__ import annotations

import click

from vidjil_kernel.cli.options import echo_json, echo_table, json_option, lab_options, lab_session
from vidjil_kernel.settings import Settings


@click.group()
def user() -> None:
    """Accounts of the lab."""


@user.command("add")
@click.argument("name")
@click.option("--email", default=None, help="E-mail address.")
@click.option("--admin", is_flag=True, help="Make the account a lab admin (may do everything).")
@lab_options
def add(name: str, email: str | None, admin: bool, settings: Settings) -> None:
    """Create account NAME with its personal group, in the public group."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        view = services.add_user(session, SYSTEM, name, email=email, admin=admin, origin="cli")
    click.echo(f"user {view.name} created (groups: {', '.join(view.groups)})")


@user.command("list")
@lab_options
@json_option
def list_(settings: Settings, as_json: bool) -> None:
    """List the accounts and their groups."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        rows = [view.to_dict() for view in services.list_users(session, SYSTEM)]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, [("name", "NAME"), ("email", "EMAIL"), ("is_admin", "ADMIN"),
                          ("active", "ACTIVE"), ("last_login", "LAST LOGIN"),
                          ("groups", "GROUPS")], empty="no account")


@user.command("disable")
@click.argument("name")
@lab_options
def disable(name: str, settings: Settings) -> None:
    """Disable account NAME: it may do nothing until enabled again."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        services.set_user_active(session, SYSTEM, name, False, origin="cli")
    click.echo(f"user {name} disabled")


@user.command("enable")
@click.argument("name")
@lab_options
def enable(name: str, settings: Settings) -> None:
    """Enable account NAME again."""
    from vidjil_kernel.db import SYSTEM, services

    with lab_session(settings) as session:
        services.set_user_active(session, SYSTEM, name, True, origin="cli")
    click.echo(f"user {name} enabled")
