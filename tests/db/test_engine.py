"""Opening the lab database from the settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from vidjil_kernel.db import new_session_factory, session_scope
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.engine import make_engine, redact
from vidjil_kernel.exceptions import UsageError
from vidjil_kernel.settings import load_settings


def test_the_default_lab_is_sqlite_in_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "lab", db_url="")
    factory = new_session_factory(settings)
    with session_scope(factory) as session:
        svc.ensure_account(session, "alice")
    assert (tmp_path / "lab" / "vidjil.sqlite").is_file()
    with factory() as session:
        assert svc.get_account(session, "alice").name == "alice"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_a_failed_block_leaves_nothing(tmp_path: Path) -> None:
    factory = new_session_factory(f"sqlite:///{tmp_path / 'lab.sqlite'}")
    with pytest.raises(RuntimeError), session_scope(factory) as session:
        svc.ensure_account(session, "alice")
        raise RuntimeError("the request failed half-way")
    with factory() as session, pytest.raises(Exception, match="no user 'alice'"):
        svc.get_account(session, "alice")


def test_mysql_urls_get_utf8mb4_and_passwords_stay_hidden() -> None:
    engine = make_engine("mysql+pymysql://lab:s3cret@127.0.0.1:1/vidjil")
    assert engine.url.query["charset"] == "utf8mb4"
    assert "s3cret" not in redact("mysql+pymysql://lab:s3cret@127.0.0.1:1/vidjil")
    with pytest.raises(UsageError, match="not a SQLAlchemy URL"):
        make_engine("vidjil.sqlite")
