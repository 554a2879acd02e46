"""What every dashboard shares: query-string links and errors shown without tracebacks."""

from __future__ import annotations

import pytest
from api_harness import LoopbackServer, start_api

from vidjil_kernel.client import Lab
from vidjil_kernel.dashboards.common import (
    Notice,
    dashboard_url,
    error_page,
    guard,
    link,
    query_int,
    query_params,
)
from vidjil_kernel.dashboards.home import home_html
from vidjil_kernel.exceptions import UsageError


def test_links_carry_their_parameters_in_the_query_string(monkeypatch):
    assert dashboard_url("set", set_id=3) == "set.ipynb?set_id=3"
    assert dashboard_url("sets") == "sets.ipynb"
    assert 'href="results.ipynb?set_id=2"' in link("<results>", "results", set_id=2)
    assert "&lt;results&gt;" in link("<results>", "results", set_id=2)
    monkeypatch.setenv("QUERY_STRING", "set_id=7&kind=run")
    assert query_params() == {"set_id": "7", "kind": "run"}
    assert query_int("set_id") == 7


@pytest.mark.parametrize("query, message", [("", r"needs \?set_id=N"),
                                            ("set_id=abc", "is not a number")])
def test_a_bad_address_is_explained(query, message):
    with pytest.raises(UsageError, match=message):
        query_int("set_id", query)


def test_errors_become_one_sentence_never_a_traceback(tmp_path):
    app, tokens, _ = start_api(tmp_path / "data")
    with LoopbackServer(app) as server:
        lab = Lab(api_url=f"{server.url}/services/vidjil-api", token=tokens.add("ada"))
        notice = Notice()
        with guard(notice):
            lab.set(424242)
        assert "Not found: no set 424242" in notice.value and "vidjil-error" in notice.value
        with guard(notice):
            lab.users()
        assert "You may not do this" in notice.value
        with guard(notice):
            raise KeyError("internal detail")
        assert "Unexpected error (KeyError)" in notice.value
        assert "internal detail" not in notice.value and "Traceback" not in notice.value
        bad = Lab(api_url=f"{server.url}/services/vidjil-api", token="not-a-token")
        with guard(notice):
            bad.whoami()
        assert "log in again" in notice.value
    assert "vidjil-error" in error_page(UsageError("no set")).value


def test_home_links_to_the_other_dashboards_and_admin_only_for_admins():
    status = {"version": "1.0", "uptime_seconds": 120, "disk_free_bytes": 5e9,
              "disk_total_bytes": 2e10}
    recent = [{"id": 4, "label": "DEMO-1 <b>"}, {"id": 5, "label": ""}]
    page = home_html({"name": "ada", "admin": False}, status, recent)
    assert "Welcome, <b>ada</b> (user)." in page
    assert "up for 2 min, 5.0 GB free of 20.0 GB" in page
    assert 'href="sets.ipynb"' in page and 'href="results.ipynb?set_id=4"' in page
    assert "DEMO-1 &lt;b&gt;" in page and ">set 5</a>" in page
    assert "admin.ipynb" not in page
    assert 'href="admin.ipynb"' in home_html({"name": "boss", "admin": True}, status, [])
