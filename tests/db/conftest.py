"""Fixtures of the database tests; every test using them runs on SQLite and on MariaDB.

- ``backend``: "sqlite" or "mariadb" (the MariaDB half carries the ``db`` marker).
- ``new_db_url``: a factory of URLs of new, empty databases on that backend.
- ``engine``: one migrated database per backend for the whole session.
- ``session``: a session on ``engine`` whose work is rolled back after the test
  (services may flush and commit: commits become savepoints).
- ``lab``: a small lab (users, groups, rights) in ``session``, see ``Lab``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from vidjil_kernel.db import SYSTEM, open_engine
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.models import User

BACKENDS = [pytest.param("sqlite", id="sqlite"),
            pytest.param("mariadb", id="mariadb", marks=pytest.mark.db)]
_numbers = itertools.count()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def new_db_url(backend: str, request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Callable[[], str]:
    """Call it for the URL of a new, empty database."""
    if backend == "sqlite":
        return lambda: f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'vidjil.sqlite'}"
    server = request.getfixturevalue("mariadb_server")
    return lambda: server.create_database(f"vidjil_test_{next(_numbers)}")


@pytest.fixture(scope="session")
def engine(new_db_url: Callable[[], str]) -> Iterator[Engine]:
    engine = open_engine(new_db_url())
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@dataclass
class Lab:
    """A hematology lab: ``clinician`` in ``hemato`` (read, create, upload, run, save, anon),
    ``student`` in ``hemato-students`` (child of hemato; read only), ``stranger`` in
    ``virology`` (everything), ``boss`` a lab admin."""

    clinician: User
    student: User
    stranger: User
    boss: User


@pytest.fixture
def lab(session: Session) -> Lab:
    users = {name: svc.ensure_account(session, name, f"{name}@lab.example")
             for name in ("clinician", "student", "stranger")}
    boss = svc.ensure_account(session, "boss", admin=True)
    svc.create_group(session, SYSTEM, "hemato", origin="test")
    svc.create_group(session, SYSTEM, "hemato-students", parent="hemato", origin="test")
    svc.create_group(session, SYSTEM, "virology", origin="test")
    for right in ("read", "create", "upload", "run", "save", "anon", "create_config"):
        svc.grant_right(session, SYSTEM, "hemato", right, origin="test")
        svc.grant_right(session, SYSTEM, "virology", right, origin="test")
    svc.grant_right(session, SYSTEM, "virology", "admin", origin="test")
    svc.grant_right(session, SYSTEM, "hemato-students", "read", origin="test")
    svc.add_member(session, SYSTEM, "hemato", "clinician", origin="test")
    svc.add_member(session, SYSTEM, "hemato-students", "student", origin="test")
    svc.add_member(session, SYSTEM, "virology", "stranger", origin="test")
    return Lab(users["clinician"], users["student"], users["stranger"], boss)
