"""Options every lab command shares: where the lab is, and how to print listings.

``@lab_options`` adds ``--data-dir`` and ``--db-url`` and hands the command a
``settings`` argument; ``@json_option`` adds ``--json``.  The jobs and server
commands reuse them so that every command finds the same lab.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from vidjil_kernel.settings import Settings, load_settings


def lab_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--data-dir``/``--db-url``; the command receives ``settings`` instead."""

    @click.option("--db-url", envvar="VIDJIL_DB_URL", default=None, metavar="URL",
                  help="SQLAlchemy URL of the lab database [env VIDJIL_DB_URL; "
                       "default: SQLite file vidjil.sqlite in the data directory].")
    @click.option("--data-dir", envvar="VIDJIL_DATA_DIR", default=None, metavar="DIR",
                  type=click.Path(file_okay=False, path_type=Path),
                  help="Where the lab keeps its database, samples and results "
                       "[env VIDJIL_DATA_DIR; default: data/].")
    @functools.wraps(command)
    def wrapper(*args: Any, data_dir: Path | None, db_url: str | None, **kwargs: Any) -> Any:
        settings = load_settings(data_dir=data_dir, db_url=db_url)
        return command(*args, settings=settings, **kwargs)

    return wrapper


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print JSON (for scripts) instead of a table.")(command)


@contextmanager
def lab_session(settings: Settings) -> Iterator[Session]:
    """A session on the lab database, committed when the command succeeds."""
    from vidjil_kernel.db import new_session_factory, session_scope

    with session_scope(new_session_factory(settings)) as session:
        yield session


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else ", ".join(value) if isinstance(value, list) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def echo_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]],
               *, width: int = 40, empty: str = "nothing to list") -> None:
    """Print ``rows`` as aligned columns (``columns``: key, header); long cells are cut."""
    if not rows:
        click.echo(f"({empty})")
        return
    cells = [[_cell(row.get(key), width) for key, _ in columns] for row in rows]
    widths = [max(len(header), *(len(line[i]) for line in cells))
              for i, (_, header) in enumerate(columns)]
    click.echo("  ".join(header.ljust(w) for (_, header), w in zip(columns, widths,
                                                                     strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for line in cells:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
                   .rstrip())
