"""Schema revisions: check them when the lab opens, apply them with ``vidjil db upgrade``.

The migrations ship inside the package (``vidjil_kernel/db/migrations``).  A
fresh, empty database is brought to the newest revision when first opened; a
database at an older (or newer) revision is refused with ``SchemaMismatch``
until an administrator backs it up and upgrades it.
"""

from __future__ import annotations

import datetime as dt
import enum
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from vidjil_kernel.db.engine import redact
from vidjil_kernel.exceptions import SchemaMismatch

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SchemaState(enum.StrEnum):
    EMPTY = "empty"
    CURRENT = "current"
    OLD = "old"
    NEWER = "newer"
    FOREIGN = "foreign"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision this version of the lab knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


def known_revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_state(engine: Engine) -> SchemaState:
    """How the database's schema compares with this version of the lab."""
    current = current_revision(engine)
    if current is None:
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return SchemaState.FOREIGN if tables else SchemaState.EMPTY
    if current == head_revision():
        return SchemaState.CURRENT
    if current in known_revisions():
        return SchemaState.OLD
    return SchemaState.NEWER


def check_schema(engine: Engine) -> None:
    """Raise ``SchemaMismatch`` unless the database is at the newest revision."""
    state = schema_state(engine)
    where = redact(engine.url.render_as_string(hide_password=False))
    if state is SchemaState.CURRENT:
        return
    if state is SchemaState.OLD:
        raise SchemaMismatch(
            f"database {where} is at revision {current_revision(engine)}, this lab needs "
            f"{head_revision()}: back it up, then run `vidjil db upgrade`")
    if state is SchemaState.NEWER:
        raise SchemaMismatch(
            f"database {where} is at revision {current_revision(engine)}, newer than this "
            "lab knows: install the newer vidjil-kernel that made it")
    if state is SchemaState.FOREIGN:
        raise SchemaMismatch(
            f"database {where} has tables but no lab revision: point --db-url at an empty "
            "database or at a Vidjil Lab database")
    raise SchemaMismatch(f"database {where} is empty: run `vidjil db upgrade` to create it")


def backup_sqlite(engine: Engine) -> Path | None:
    """Copy a file-based SQLite database next to itself; None for other backends.

    Uses SQLite's online backup, so a WAL database is copied consistently.
    """
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    source = Path(database)
    if not source.is_file():
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    revision = current_revision(engine) or "none"
    target = source.with_name(f"{source.name}.{revision}.{stamp}.bak")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def upgrade(engine: Engine, revision: str = "head", *, backup: bool = True) -> Path | None:
    """Apply migrations up to ``revision``; back SQLite up first; return the backup's path."""
    saved = backup_sqlite(engine) if backup and current_revision(engine) is not None else None
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return saved


def downgrade(engine: Engine, revision: str) -> None:
    """Go back to ``revision`` (tests and emergency use; loses what newer tables held)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
