"""Engines for the lab database: SQLite by default, MariaDB/MySQL or PostgreSQL in production.

SQLite gets foreign keys, WAL and real transactions (the driver's implicit
ones break savepoints and transactional DDL); MySQL URLs get utf8mb4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from vidjil_kernel.exceptions import UsageError


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``, configured for the lab's needs on its backend."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(f"database URL {redact(url)!r} is not a SQLAlchemy URL "
                         "(e.g. sqlite:///data/vidjil.sqlite or "
                         "mysql+pymysql://user:password@host/vidjil)") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed.render_as_string(hide_password=False), parsed.database,
                              **options)
    if backend in ("mysql", "mariadb"):
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        options.setdefault("pool_recycle", 3600)
    options.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **options)


def _sqlite_engine(url: str, database: str | None, **options: Any) -> Engine:
    in_memory = not database or database == ":memory:" or database.startswith("file::memory")
    if not in_memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    options.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE: a transaction that reads, then writes after another connection
        # committed would fail at once ("database is locked", SQLITE_BUSY_SNAPSHOT)
        # instead of waiting its turn; taking the write lock first makes concurrent
        # requests queue (up to the busy timeout) while readers of WAL go on
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
