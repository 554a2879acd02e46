"""The Sets dashboard's logic against the real API (real HTTP on loopback, real database)."""

from __future__ import annotations

import pytest
from api_harness import LoopbackServer, start_api

from vidjil_kernel.client import Lab
from vidjil_kernel.dashboards.sets import SetsDashboard, parse_rows
from vidjil_kernel.exceptions import UsageError

PASTED = ("patient id\tfirst name\tlast name\tbirth date\tinfo\n"
          "P-1\tAda\tLovelace\t1815-12-10\t#study-a\n"
          "\n"
          "P-2\tAlan\tTuring\t23/06/1912\t\n")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    app, tokens, _ = start_api(tmp_path_factory.mktemp("sets") / "data")
    with LoopbackServer(app) as server:
        yield f"{server.url}/services/vidjil-api", tokens


def _lab(served, name: str) -> Lab:
    url, tokens = served
    return Lab(api_url=url, token=tokens.add(name))


def test_pasted_rows_become_records_and_a_header_is_skipped():
    assert parse_rows("patient", PASTED) == [
        {"id_label": "P-1", "first_name": "Ada", "last_name": "Lovelace",
         "birth_date": "1815-12-10", "info": "#study-a"},
        {"id_label": "P-2", "first_name": "Alan", "last_name": "Turing",
         "birth_date": "1912-06-23"}]
    assert parse_rows("generic", "cohort A\t#x") == [{"name": "cohort A", "info": "#x"}]


@pytest.mark.parametrize("text, message", [
    ("P-1\tAda\tLovelace\t1815-13-10", r"line 1, birth date: '1815-13-10' is not a date"),
    ("P-1\tAda\tLovelace\n\nP-2\tAlan\t\t1912-06-23", "line 3: the last name is empty"),
    ("P-1\tAda\tLovelace\t1815-12-10\tinfo\textra", "line 1: 6 columns, at most 5"),
    ("\n\n", "nothing to create")])
def test_a_bad_row_is_named_by_line_and_field(text, message):
    with pytest.raises(UsageError, match=message):
        parse_rows("patient", text)


def test_create_search_filter_by_tag_and_link_to_the_set(served):
    board = SetsDashboard(_lab(served, "ada"))
    assert "No patients found" in board.table.value
    board.fields["last_name"].value = "Martin"
    board.fields["birth_date"].value = "1970-03-04"
    board.fields["info"].value = "relapse #mrd"
    board.create_one()
    assert "Created" in board.notice.value and "vidjil-error" not in board.notice.value
    assert "Martin" in board.table.value and '<span class="vidjil-tag">#mrd</span>' \
        in board.table.value
    assert board.fields["last_name"].value == ""
    set_id = board.lab.sets("patient").index[0]
    assert f'href="set.ipynb?set_id={set_id}"' in board.table.value

    board.paste.value = PASTED
    board.create_batch()
    assert "Created 2 patients" in board.notice.value and board.paste.value == ""
    assert board.table.value.count("vidjil-set-link") == 3
    assert ("#study-a", "study-a") in board.tag.options
    board.tag.value = "study-a"
    assert board.table.value.count("vidjil-set-link") == 1 and "Lovelace" in board.table.value
    board.tag.value = ""
    board.search.value = "Turing"
    assert board.table.value.count("vidjil-set-link") == 1 and "Turing" in board.table.value

    board.search.value = ""
    board.kind.value = "run"
    assert "No runs found" in board.table.value
    assert [field.description for field in board.form.children][:2] == ["id", "name"]
    board.fields["name"].value = "run 12"
    board.fields["run_date"].value = "02/01/2024"
    board.create_one()
    assert "run 12" in board.table.value and "2024-01-02" in board.table.value


def test_nothing_is_created_when_a_row_is_bad(served):
    board = SetsDashboard(_lab(served, "bob"))
    board.paste.value = "P-9\tEve\tGood\t1990-01-01\nP-10\tMallory\t\t1990-01-01"
    board.create_batch()
    assert "line 2: the last name is empty" in board.notice.value
    assert "vidjil-error" in board.notice.value
    assert board.lab.sets().empty and board.paste.value
    board.fields["last_name"].value = "Good"
    board.fields["birth_date"].value = "soon"
    board.create_one()
    assert "new patient, birth date: &#x27;soon&#x27; is not a date" in board.notice.value
    assert board.lab.sets().empty


def test_patients_without_the_anon_right_show_their_label_only(served):
    owner = _lab(served, "carol")
    patient = owner.create_set("patient", first_name="Secret", last_name="Person",
                               birth_date="1950-01-01", info="#shared")
    reader_lab = _lab(served, "dave")
    owner.share_set(patient, "public")
    board = SetsDashboard(reader_lab)
    assert "(anonymised)" in board.table.value and "Secret" not in board.table.value
    assert f'href="set.ipynb?set_id={patient["id"]}"' in board.table.value
