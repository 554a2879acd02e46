"""The admin CLI: set up a lab without the web interface, on SQLite and MariaDB."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from vidjil_kernel.cli import main
from vidjil_kernel.db import migrate
from vidjil_kernel.db.engine import make_engine


class Vidjil:
    """Runs ``vidjil ...`` in-process against one lab; returns (exit code, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], options: list[str]) -> None:
        self.capsys = capsys
        self.options = options

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            main([*args, *self.options])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 0, err
        return out


@pytest.fixture
def vidjil(new_db_url: Callable[[], str], tmp_path: Path,
           capsys: pytest.CaptureFixture[str]) -> Vidjil:
    return Vidjil(capsys, ["--data-dir", str(tmp_path), "--db-url", new_db_url()])


def _set_up(vidjil: Vidjil) -> None:
    vidjil.ok("user", "add", "alice", "--email", "alice@lab.example")
    vidjil.ok("user", "add", "bob")
    vidjil.ok("user", "add", "boss", "--admin")
    vidjil.ok("group", "add", "hemato")
    vidjil.ok("group", "add", "hemato-students", "--parent", "hemato")
    for right in ("read", "create", "anon"):
        vidjil.ok("group", "grant", "hemato", right)
    vidjil.ok("group", "grant", "hemato-students", "read")
    vidjil.ok("group", "add-member", "hemato", "alice")
    vidjil.ok("group", "add-member", "hemato-students", "bob")
    vidjil.ok("set", "add", "patient", "--group", "hemato", "--as", "alice", "--first-name",
              "Jeanne", "--last-name", "Martin", "--birth-date", "1970-03-04",
              "--id-label", "P-001", "--info", "diagnosis #MRD")
    vidjil.ok("set", "add", "run", "--group", "hemato", "--name", "run 42",
              "--run-date", "2024-01-05", "--sequencer", "MiSeq")


def test_an_admin_sets_up_a_lab(vidjil: Vidjil) -> None:
    _set_up(vidjil)
    table = vidjil.ok("set", "list", "--as", "bob")
    header, rule, *rows = table.splitlines()
    assert header.split()[:4] == ["ID", "KIND", "NAME", "AGE"] and set(rule) <= {"-", " "}
    assert [row.split()[1:3] for row in rows] == [["run", "run"], ["patient", "Mar"]]
    assert "Jeanne" not in table and "1970" not in table
    assert "Martin Jeanne" in vidjil.ok("set", "list", "--as", "alice")
    listing = json.loads(vidjil.ok("set", "list", "--as", "bob", "--kind", "patient", "--json"))
    assert listing["total"] == 1
    assert listing["items"][0]["label"] == "Mar" and listing["items"][0]["birth_date"] is None
    groups = json.loads(vidjil.ok("group", "list", "--json"))
    hemato = next(group for group in groups if group["name"] == "hemato")
    assert hemato["rights"] == ["anon", "create", "read"] and hemato["members"] == ["alice"]
    users = json.loads(vidjil.ok("user", "list", "--json"))
    assert [(u["name"], u["is_admin"]) for u in users] == [
        ("alice", False), ("bob", False), ("boss", True)]
    assert "hemato-students" in vidjil.ok("group", "list")


def test_clear_errors_and_non_zero_exits(vidjil: Vidjil) -> None:
    _set_up(vidjil)
    cases = [
        (("group", "grant", "hemato", "fly"), 2, "unknown right 'fly'"),
        (("group", "add-member", "haemato", "alice"), 1, "no group 'haemato'"),
        (("group", "add-member", "hemato", "alicia"), 1, "no user 'alicia'"),
        (("set", "list", "--as", "nobody"), 1, "no user 'nobody'"),
        (("user", "add", "alice"), 1, "user 'alice' exists"),
        (("group", "add", "team", "--parent", "hemato-students"), 2, "cannot be a parent"),
        (("set", "share", "1", "hemato-students", "--as", "bob"), 1,
         "bob lacks the 'admin' right on set 1"),
        (("set", "add", "patient", "--group", "hemato", "--as", "bob", "--last-name", "X"), 1,
         "bob lacks the 'create' right on group 'hemato'"),
        (("set", "add", "run", "--group", "hemato", "--name", "r", "--run-date", "5 Jan"), 2,
         "field 'run_date'"),
    ]
    for args, code, message in cases:
        got, out, err = vidjil(*args)
        assert (got, out) == (code, ""), (args, err)
        assert err.startswith("vidjil: error: ") and message in err, (args, err)
        assert "Traceback" not in err


def test_set_share_and_list_by_search(vidjil: Vidjil) -> None:
    _set_up(vidjil)
    vidjil.ok("group", "add", "virology")
    vidjil.ok("group", "grant", "hemato", "admin")
    assert "hemato, virology" in vidjil.ok("set", "share", "1", "virology", "--as", "alice")
    assert "(no set readable by bob)" in vidjil.ok("set", "list", "--as", "bob", "--search",
                                                   "jeanne")
    assert "P-001" in vidjil.ok("set", "list", "--as", "alice", "--search", "jeanne")


def test_db_upgrade_and_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The default lab: SQLite in the data directory, backed up before an upgrade."""
    vidjil = Vidjil(capsys, ["--data-dir", str(tmp_path / "lab")])
    database = tmp_path / "lab" / "vidjil.sqlite"
    migrate.upgrade(make_engine(f"sqlite:///{database}"), "0001", backup=False)
    code, _, err = vidjil("user", "list")
    assert code == 4 and "`vidjil db upgrade`" in err
    status = json.loads(vidjil.ok("db", "status", "--json"))
    assert status["state"] == "old" and status["revision"] == "0001"
    out = vidjil.ok("db", "upgrade")
    assert "backed up to" in out and f"0001 -> {migrate.head_revision()}" in out
    assert len(list((tmp_path / "lab").glob("vidjil.sqlite.0001.*.bak"))) == 1
    assert "already at" in vidjil.ok("db", "upgrade")
    assert "(no account)" in vidjil.ok("user", "list")


def test_lab_options_come_from_the_environment(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("VIDJIL_DATA_DIR", str(tmp_path / "env-lab"))
    vidjil = Vidjil(capsys, [])
    vidjil.ok("user", "add", "alice")
    assert (tmp_path / "env-lab" / "vidjil.sqlite").is_file()
    monkeypatch.setenv("VIDJIL_DB_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    assert "(no account)" in vidjil.ok("user", "list")
