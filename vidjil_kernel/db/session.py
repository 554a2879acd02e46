"""Opening the lab database: the one way every layer gets a session.

    factory = new_session_factory(load_settings())
    with session_scope(factory) as session:
        services.create_set(session, user, ...)

A fresh empty database is created at the newest revision; an older one is
refused (``SchemaMismatch`` says to run ``vidjil db upgrade``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from vidjil_kernel.db import migrate
from vidjil_kernel.db.engine import make_engine
from vidjil_kernel.settings import Settings


def open_engine(settings: Settings | str, *, check_schema: bool = True) -> Engine:
    """The engine for the lab's database; creates an empty one, checks the revision."""
    url = settings if isinstance(settings, str) else settings.database_url
    engine = make_engine(url)
    if check_schema:
        if migrate.schema_state(engine) is migrate.SchemaState.EMPTY:
            migrate.upgrade(engine, backup=False)
        migrate.check_schema(engine)
    return engine


def new_session_factory(
    settings: Settings | str, *, check_schema: bool = True
) -> sessionmaker[Session]:
    """Sessions bound to the lab's database (``settings`` or a URL).

    Objects stay usable after commit (``expire_on_commit=False``) because the
    services hand back plain views, and callers log or print after committing.
    """
    return sessionmaker(open_engine(settings, check_schema=check_schema),
                        expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed if the block succeeds, rolled back otherwise."""
    with factory() as session, session.begin():
        yield session
