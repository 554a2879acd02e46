"""The Results and Admin dashboards in a real browser, on the demo patient of a real lab.

The admin opens the demo's Results from the home page: the top clone has the
V and J genes the simulator gave the demo's dominant clone; the follow-up graph
and the V x J grid are drawn; the admin names and tags that clone, saves, and a
reload shows the name and tag again.  Then the Admin dashboard: accounts and queue.
"""

from __future__ import annotations

import time

import pytest
import requests
from demo_truth import demo_dominant_clone, gene
from lab_harness import ADMIN, browser_login, first_clone

from vidjil_kernel.dashboards.results import FOLLOWED_CLONES

pytestmark = [pytest.mark.hub, pytest.mark.slow]
FINAL = ("completed", "failed", "cancelled")
RENDER_TIMEOUT = 90_000


@pytest.fixture(scope="module")
def demo_set(lab, admin_token) -> int:
    """The demo patient's set id, once its analyses (made at the lab's first start) are done."""
    headers = {"Authorization": f"token {admin_token}"}
    deadline = time.monotonic() + 300
    while True:
        patients = requests.get(f"{lab.api_url}/sets", params={"kind": "patient",
                                                               "search": "DEMO-1"},
                                headers=headers).json()["items"]
        jobs = requests.get(f"{lab.api_url}/jobs", params={"set_id": patients[0]["id"]},
                            headers=headers).json() if patients else []
        if jobs and all(job["state"] in FINAL for job in jobs):
            assert {job["state"] for job in jobs} == {"completed"}, jobs
            return patients[0]["id"]
        assert time.monotonic() < deadline, (patients, jobs, lab.diagnostics())
        time.sleep(2)


@pytest.fixture(scope="module")
def truth(germline_dir, tmp_path_factory) -> dict:
    return demo_dominant_clone(germline_dir, tmp_path_factory.mktemp("demo-truth"))


@pytest.fixture(scope="module")
def admin_page(lab, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    browser_login(page, lab.url, *ADMIN)
    page.wait_for_url("**/voila/render/dashboards/home.ipynb", timeout=120_000)
    yield page
    context.close()


def _screenshot(page, path) -> None:
    """The whole dashboard (Voila scrolls inside its page: a tall window shows it all)."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 3600})
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)


def test_results_of_the_demo_tag_name_save_reload(lab, admin_page, demo_set, truth, artifacts):
    link = admin_page.wait_for_selector(f'.vidjil-results-links a[href="results.ipynb?set_id='
                                        f'{demo_set}"]', timeout=RENDER_TIMEOUT)
    link.click()  # the dashboards' links open in the same tab
    page = admin_page
    page.wait_for_url(f"**/dashboards/results.ipynb?set_id={demo_set}")
    top = first_clone(page, RENDER_TIMEOUT)
    assert (top["locus"], gene(top["v"]), gene(top["j"])) == (
        truth["locus"], gene(truth["v_call"]), gene(truth["j_call"]))
    page.wait_for_selector(".vidjil-follow-up .js-plotly-plot", timeout=RENDER_TIMEOUT)
    page.wait_for_selector(".vidjil-vj .js-plotly-plot", timeout=RENDER_TIMEOUT)
    page.wait_for_selector(".vidjil-lengths .js-plotly-plot", timeout=RENDER_TIMEOUT)
    # drawn with their data and layout, not as empty plots
    assert page.locator(".vidjil-follow-up .scatterlayer .trace").count() == FOLLOWED_CLONES + 1
    assert page.text_content(".vidjil-follow-up .gtitle").startswith("Follow-up")
    assert page.text_content(".vidjil-vj .gtitle").startswith("V x J usage")
    assert page.locator(".vidjil-vj .hm, .vidjil-vj image").count() > 0
    assert page.locator(".vidjil-lengths .barlayer .trace").count() == 3
    assert page.query_selector("a.vidjil-export-tsv") is not None
    assert page.locator("a.vidjil-download-airr").count() == 3
    assert not page.query_selector(".vidjil-error")
    _screenshot(page, artifacts / "10-results-dashboard.png")

    name = f"leukaemic clone {int(time.time())}"
    page.fill(".vidjil-clone-name input", name)
    page.select_option(".vidjil-clone-tag select", label="clone 1")
    page.click("button.vidjil-save")
    page.wait_for_selector(".vidjil-saved", timeout=30_000)
    assert first_clone(page, RENDER_TIMEOUT)["name"] == name
    page.reload()
    again = first_clone(page, RENDER_TIMEOUT)
    assert (again["name"], again["tag"], again["v"]) == (name, "clone 1", top["v"])
    assert page.input_value(".vidjil-clone-name input") == name
    _screenshot(page, artifacts / "11-results-saved-and-reloaded.png")


def test_admin_dashboard_lists_accounts_and_queue(lab, admin_page, artifacts):
    admin_page.goto(f"{lab.url}/user/{ADMIN[0]}/voila/render/dashboards/home.ipynb")
    link = admin_page.wait_for_selector(".vidjil-admin-link a", timeout=RENDER_TIMEOUT)
    link.click()
    page = admin_page
    users = page.wait_for_selector(".vidjil-users-table", timeout=RENDER_TIMEOUT)
    assert ADMIN[0] in users.inner_text()
    assert "public" in page.inner_text(".vidjil-groups-table")
    assert page.inner_text(".vidjil-queue").startswith("Queue: ")
    assert page.query_selector(".vidjil-queue-table") is not None
    assert page.locator(".vidjil-workers-table tbody tr").count() >= 1
    assert "free of" in page.inner_text(".vidjil-disk")
    page.select_option(".vidjil-audit-user select", label=ADMIN[0])
    page.wait_for_function(
        "() => [...document.querySelectorAll('.vidjil-audit-table tbody tr')]"
        ".every(row => row.cells[1].innerText === 'boss')", timeout=30_000)
    _screenshot(page, artifacts / "12-admin-dashboard.png")


def test_admin_dashboard_refuses_other_users(lab, new_user, browser, artifacts):
    session, _, name = new_user("plain")
    session.start_server(name)
    context = browser.new_context()
    context.add_cookies([{"name": cookie.name, "value": cookie.value, "url": lab.url}
                         for cookie in session.session.cookies])
    page = context.new_page()
    page.goto(f"{lab.url}/user/{name}/voila/render/dashboards/admin.ipynb")
    message = page.wait_for_selector(".vidjil-error", timeout=RENDER_TIMEOUT)
    assert "administrators" in message.inner_text()
    assert not page.query_selector(".vidjil-users-table")
    page.screenshot(path=artifacts / "13-admin-dashboard-refused.png")
    context.close()
