"""`vidjil set`: patients, runs and generic sets, as a given user sees them."""

from __future__ import annotations

import click

from vidjil_kernel.cli.options import echo_json, echo_table, json_option, lab_options, lab_session
from vidjil_kernel.settings import Settings

KINDS = click.Choice(["patient", "run", "generic"])


def _actor(session, name: str | None):  # type: ignore[no-untyped-def]
    from vidjil_kernel.db import SYSTEM, services

    return SYSTEM if name is None else services.get_account(session, name)


@click.group("set")
def set_() -> None:
    """Sample sets: patients, sequencing runs and generic sets."""


@set_.command("list")
@click.option("--as", "as_user", required=True, metavar="USER",
              help="List what USER may read (patients anonymised without the anon right).")
@click.option("--kind", type=KINDS, default=None, help="Only sets of this kind.")
@click.option("--search", default=None, help="Text in names, id labels or info.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@lab_options
@json_option
def list_(as_user: str, kind: str | None, search: str | None, limit: int | None,
          settings: Settings, as_json: bool) -> None:
    """List the sets USER may read, newest first."""
    from vidjil_kernel.db import services

    with lab_session(settings) as session:
        page = services.list_sets(session, _actor(session, as_user), kind=kind, search=search,
                                  limit=limit, origin="cli")
    if as_json:
        echo_json(page.to_dict())
        return
    rows = [view.to_dict() for view in page.items]
    for row in rows:
        row["date"] = row["birth_date"] or row["run_date"] or ""
    echo_table(rows, [("id", "ID"), ("kind", "KIND"), ("label", "NAME"), ("age", "AGE"),
                      ("date", "BORN/RUN"), ("id_label", "ID LABEL"),
                      ("sample_count", "SAMPLES"), ("info", "INFO")],
               empty=f"no set readable by {as_user}")
    if len(rows) < page.total:
        click.echo(f"({len(rows)} of {page.total} shown)")


@set_.command("add")
@click.argument("kind", type=KINDS)
@click.option("--group", "group_name", required=True, metavar="GROUP",
              help="Group the set is created in (needs the create right there).")
@click.option("--as", "as_user", default=None, metavar="USER",
              help="Create it as USER (default: the lab administrator).")
@click.option("--name", default=None, help="Name (run, generic).")
@click.option("--first-name", default=None, help="First name (patient).")
@click.option("--last-name", default=None, help="Last name (patient).")
@click.option("--birth-date", default=None, metavar="YYYY-MM-DD", help="Birth date (patient).")
@click.option("--run-date", default=None, metavar="YYYY-MM-DD", help="Run date (run).")
@click.option("--sequencer", default=None, help="Sequencer (run).")
@click.option("--pcr", default=None, help="PCR (run).")
@click.option("--id-label", default=None, help="Identifier label (patient, run).")
@click.option("--info", default=None, help="Free text; #words become tags.")
@lab_options
@json_option
def add(kind: str, group_name: str, as_user: str | None, settings: Settings, as_json: bool,
        **fields: str | None) -> None:
    """Create a set of KIND (patient, run or generic)."""
    from vidjil_kernel.db import services

    given = {name: value for name, value in fields.items() if value is not None}
    with lab_session(settings) as session:
        view = services.create_set(session, _actor(session, as_user), kind, group_name,
                                   origin="cli", **given)
    if as_json:
        echo_json(view.to_dict())
    else:
        click.echo(f"{view.kind} {view.id} created: {view.label}")


@set_.command("share")
@click.argument("set_id", type=int)
@click.argument("group_name", metavar="GROUP")
@click.option("--as", "as_user", default=None, metavar="USER",
              help="Share it as USER (needs the admin right on the set).")
@lab_options
def share(set_id: int, group_name: str, as_user: str | None, settings: Settings) -> None:
    """Give GROUP (and its child groups) access to set SET_ID."""
    from vidjil_kernel.db import services

    with lab_session(settings) as session:
        actor = _actor(session, as_user)
        services.share_set(session, actor, set_id, group_name, origin="cli")
        groups = services.set_groups(session, actor, set_id, origin="cli")
    click.echo(f"set {set_id} is shared with: {', '.join(groups)}")
