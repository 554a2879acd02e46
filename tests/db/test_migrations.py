"""Schema revisions: creation, refusal of old schemas, upgrades that lose nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, insert, select, text
from sqlalchemy.orm import Session

from vidjil_kernel.db import SYSTEM, migrate, open_engine, rights
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.base import Base
from vidjil_kernel.db.engine import make_engine
from vidjil_kernel.db.models import Group
from vidjil_kernel.exceptions import SchemaMismatch

FIRST = "0001"


def test_there_are_at_least_two_revisions_in_a_line() -> None:
    revisions = migrate.known_revisions()
    assert revisions[0] == FIRST and revisions[-1] == migrate.head_revision()
    assert len(revisions) >= 2


def test_a_new_database_is_created_at_the_newest_revision(new_db_url: Callable[[], str]) -> None:
    engine = open_engine(new_db_url())
    assert migrate.current_revision(engine) == migrate.head_revision()
    with Session(engine) as session:
        assert session.scalar(select(Group.kind).where(Group.name == "public")) == "public"


def test_the_migrations_describe_the_models(new_db_url: Callable[[], str]) -> None:
    """What the migrations build is exactly what the models declare (types, keys, indexes)."""
    engine = open_engine(new_db_url())
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_an_old_database_is_refused_until_upgraded(new_db_url: Callable[[], str]) -> None:
    url = new_db_url()
    migrate.upgrade(make_engine(url), FIRST, backup=False)
    with pytest.raises(SchemaMismatch, match=r"back it up, then run `vidjil db upgrade`"):
        open_engine(url)
    migrate.upgrade(make_engine(url))
    open_engine(url)


def test_a_newer_or_foreign_database_is_refused(new_db_url: Callable[[], str]) -> None:
    newer = make_engine(new_db_url())
    migrate.upgrade(newer, backup=False)
    with newer.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(SchemaMismatch, match="newer than this lab knows"):
        migrate.check_schema(newer)
    foreign = make_engine(new_db_url())
    with foreign.begin() as connection:
        connection.execute(text("CREATE TABLE patients (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaMismatch, match="no lab revision"):
        open_engine(foreign.url.render_as_string(hide_password=False))


def _fill_first_revision(engine: Engine) -> None:
    """A lab made by revision 0001: accounts, groups, rights, sets, samples, results..."""
    tables = MetaData()
    tables.reflect(engine)
    now = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    t = tables.tables
    with engine.begin() as connection:
        def add(table: str, *rows: dict) -> None:
            for row in rows:  # one by one: the rows do not all give the same columns
                connection.execute(insert(t[table]), row)

        add("account", {"id": 1, "name": "alice", "email": "a@lab", "created_at": now,
                        "active": True, "is_admin": False},
            {"id": 2, "name": "bob", "email": None, "created_at": now, "active": True,
             "is_admin": True})
        add("lab_group", {"id": 10, "name": "hemato", "description": "", "kind": "shared",
                          "created_at": now},
            {"id": 11, "name": "user:alice", "description": "", "kind": "personal",
             "personal_user_id": 1, "created_at": now})
        add("group_right", {"group_id": 10, "name": "read"}, {"group_id": 10, "name": "anon"})
        add("membership", {"user_id": 1, "group_id": 10, "created_at": now},
            {"user_id": 1, "group_id": 11, "created_at": now})
        add("sample_set",
            {"id": 100, "kind": "patient", "first_name": "Zoë", "last_name": "Martin",
             "birth_date": dt.date(1970, 1, 2), "id_label": "P1", "info": "dx #MRD #relapse",
             "created_at": now, "creator_id": 1},
            {"id": 101, "kind": "run", "name": "run 1", "run_date": dt.date(2024, 1, 1),
             "sequencer": "MiSeq", "pcr": "BIOMED-2", "id_label": "", "info": "#MRD",
             "created_at": now})
        add("set_access", {"set_id": 100, "group_id": 10}, {"set_id": 101, "group_id": 10})
        add("sample", {"id": 1000, "original_name": "dx.fq.gz", "size": 12345,
                       "sha256": "ab" * 32, "info": "#diag", "pcr": "", "sequencer": "",
                       "producer": "", "uploaded_at": now, "from_file_source": False,
                       "uploader_id": 1})
        add("set_sample", {"set_id": 100, "sample_id": 1000}, {"set_id": 101, "sample_id": 1000})
        add("config", {"id": 5, "name": "multi", "program": "vidjil", "parameters": "-z 100",
                       "fuse_parameters": "", "description": "", "classification": "",
                       "created_at": now})
        add("config_access", {"config_id": 5, "group_id": 10})
        add("result", {"id": 7, "sample_id": 1000, "config_id": 5, "state": "done",
                       "launched_at": now, "finished_at": now, "result_path": "r/7.vidjil",
                       "log": "ok"})
        add("analysis", {"id": 3, "set_id": 100, "config_id": 5, "version": 1,
                         "data": '{"clones": []}', "saved_at": now})
        add("job", {"id": 9, "kind": "analysis", "state": "done", "attempts": 2,
                    "worker": "w1", "created_at": now, "progress": 1.0,
                    "progress_message": "", "parameters": "{}", "result_id": 7})
        add("audit_entry", {"id": 1, "at": now, "user_name": "alice", "action": "create",
                            "record_type": "set", "record_id": 100, "origin": "cli",
                            "details": "{}", "admin_override": False})


def _snapshot(engine: Engine) -> dict[str, list[tuple]]:
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {name: [dict(row._mapping) for row in connection.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for name, table in tables.tables.items() if name != "alembic_version"}


def test_upgrading_a_first_revision_database_loses_nothing(
        new_db_url: Callable[[], str]) -> None:
    url = new_db_url()
    engine = make_engine(url)
    migrate.upgrade(engine, FIRST, backup=False)
    _fill_first_revision(engine)
    before = _snapshot(engine)
    migrate.upgrade(engine)
    after = _snapshot(engine)
    for table, rows in before.items():  # later revisions may add columns, never change data
        kept = [{column: row[column] for column in old}
                for row, old in zip(after[table], rows, strict=False)]
        assert kept == rows and len(after[table]) == len(rows), f"table {table} changed"
    assert sum(len(rows) for rows in before.values()) > 20
    # what revision 0002 adds was derived from the data: tags of existing info fields
    with Session(open_engine(url)) as session:
        alice = svc.get_account(session, "alice")
        assert [view.id for view in rights.readable_sets(session, alice, tag="mrd").items] == [
            101, 100]
        assert svc.tag_vocabulary(session, alice) == [("mrd", 2), ("diag", 1), ("relapse", 1)]
        assert svc.get_set(session, alice, 100).first_name == "Zoë"


def test_downgrade_then_upgrade_again(new_db_url: Callable[[], str]) -> None:
    engine = make_engine(new_db_url())
    migrate.upgrade(engine, backup=False)
    migrate.downgrade(engine, "base")
    assert migrate.schema_state(engine) is migrate.SchemaState.EMPTY
    migrate.upgrade(engine, backup=False)
    assert migrate.schema_state(engine) is migrate.SchemaState.CURRENT


def test_sqlite_is_backed_up_before_an_upgrade(tmp_path: Path) -> None:
    database = tmp_path / "vidjil.sqlite"
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine, FIRST, backup=False)
    _fill_first_revision(engine)
    backup = migrate.upgrade(engine)
    assert backup is not None and backup.parent == tmp_path
    assert backup.name.startswith(f"vidjil.sqlite.{FIRST}.")
    copy = make_engine(f"sqlite:///{backup}")
    assert migrate.current_revision(copy) == FIRST
    assert _snapshot(copy)["sample_set"] == _snapshot(engine)["sample_set"]
    assert migrate.upgrade(engine) is not None, "every upgrade run backs up"


def test_services_still_work_after_the_upgrade(new_db_url: Callable[[], str]) -> None:
    url = new_db_url()
    migrate.upgrade(make_engine(url), FIRST, backup=False)
    with Session(open_engine(url, check_schema=False)) as session:
        with pytest.raises(SchemaMismatch):
            migrate.check_schema(session.get_bind())
    migrate.upgrade(make_engine(url), backup=False)
    with Session(open_engine(url)) as session:
        svc.ensure_account(session, "carol")
        svc.create_set(session, SYSTEM, "generic", "user:carol", name="cohort #aml",
                       info="#AML", origin="test")
        session.commit()
        assert svc.tag_vocabulary(session, svc.get_account(session, "carol")) == [("aml", 1)]
