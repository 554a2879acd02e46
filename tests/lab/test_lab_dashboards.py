"""The clinician's morning in a real browser: sign up, authorisation, login, create a patient
on the Sets dashboard, upload a simulated FASTQ on the Set dashboard, launch, wait for the
analysis to complete, open its results: the dominant clone's V and J are the simulated
ones; tag and name it, save, reload: still tagged.  Screenshots of each dashboard go to
``artifacts``."""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import pytest
from demo_truth import gene
from lab_harness import ADMIN, browser_login, browser_signup, first_clone

from vidjil_kernel.settings import load_settings
from vidjil_kernel.simulate import SimulationSpec, simulate

pytestmark = [pytest.mark.hub, pytest.mark.slow]

#: the analysis of ~9,500 reads waits behind the demo patient's on a 2-core machine
ANALYSIS_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def diagnosis(tmp_path_factory):
    """A 5 MB FASTQ of IGH reads with a dominant clone (its truth next to it)."""
    spec = SimulationSpec(loci=(("IGH", 1.0),), reads=9500, mode="diagnosis",
                          dominant_fraction=0.6, gzip=False, seed=5, name="diagnosis",
                          germline_dir=load_settings().germline_dir)
    sample = simulate(spec, tmp_path_factory.mktemp("diagnosis"))
    assert 4_500_000 < sample.reads.stat().st_size < 5_500_000
    return sample


def _dominant(sample) -> dict:  # noqa: ANN001
    """The truth row of the sample's dominant clone."""
    with sample.clones_truth.open() as handle:
        return next(row for row in csv.DictReader(handle, delimiter="\t")
                    if row["role"] == "dominant")


def _wait_for_the_fused_result(page) -> None:  # noqa: ANN001
    """The set's fuse runs after its analysis: reload Results until it has a clone table."""
    deadline = time.monotonic() + 120
    while not page.wait_for_selector("tr.vidjil-clone, .vidjil-error", timeout=90_000) \
            .evaluate("node => node.matches('tr.vidjil-clone')"):
        assert "no completed analysis yet" in page.inner_text(".vidjil-error")
        assert time.monotonic() < deadline, "the set's fused result did not come"
        time.sleep(2)
        page.reload()


def test_clinician_creates_a_patient_uploads_launches_and_opens_results(
        lab, browser, artifacts, diagnosis):
    started = time.monotonic()
    name, password = "morning", "a-strong-passphrase"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    user = context.new_page()
    browser_signup(user, lab.url, name, password)

    admin_context = browser.new_context()
    admin = admin_context.new_page()
    browser_login(admin, lab.url, *ADMIN)
    admin.wait_for_url("**/user/**", timeout=60_000)
    admin.goto(f"{lab.url}/hub/authorize")
    admin.click(f"tr#{name} >> text=Authorize")
    admin.wait_for_selector(f"tr#{name}.success")
    admin_context.close()

    browser_login(user, lab.url, name, password)
    user.wait_for_url("**/voila/render/dashboards/home.ipynb", timeout=120_000)
    user.click("a.vidjil-sets-link")

    user.wait_for_url("**/dashboards/sets.ipynb")
    user.wait_for_selector(".vidjil-field-last_name input")
    assert not user.query_selector(".vidjil-error")
    user.fill(".vidjil-field-id_label input", "P-0042")
    user.fill(".vidjil-field-last_name input", "Morning")
    user.fill(".vidjil-field-birth_date input", "1970-03-04")
    user.fill(".vidjil-field-info input", "#leukemia")
    user.click("button.vidjil-create")
    patient = user.wait_for_selector("a.vidjil-set-link:has-text('Morning')")
    assert "Created" in user.inner_text(".vidjil-ok")
    user.screenshot(path=artifacts / "10-sets-dashboard.png", full_page=True)
    patient.click()

    user.wait_for_url(re.compile(r".*/dashboards/set\.ipynb\?set_id=\d+$"))
    set_id = int(user.url.rpartition("=")[2])
    user.wait_for_selector(".vidjil-set-label:has-text('Morning')")
    with user.expect_file_chooser() as chooser:
        user.click("button.vidjil-file")
    chooser.value.set_files(diagnosis.reads)
    user.fill(".vidjil-sample-sample_name input", "diagnosis")
    user.fill(".vidjil-sample-sampling_date input", "2024-02-01")
    user.click("button.vidjil-add-sample")
    user.wait_for_selector(".vidjil-ok:has-text('Added sample diagnosis')", timeout=120_000)
    assert "diagnosis" in user.inner_text(".vidjil-samples")
    user.select_option(".vidjil-config select", label="IGH")
    user.click("button.vidjil-launch")
    user.wait_for_selector(".vidjil-ok:has-text('Launched 1')")
    user.screenshot(path=artifacts / "11-set-dashboard-launched.png", full_page=True)
    user.wait_for_selector(".vidjil-samples .vidjil-state-completed",
                           timeout=ANALYSIS_TIMEOUT_MS)
    downloads = user.query_selector_all(".vidjil-samples a.vidjil-download")
    assert [link.inner_text() for link in downloads] == [".vidjil", "AIRR"]
    with user.expect_download() as download:
        downloads[0].click()
    result = json.loads(Path(download.value.path()).read_text())
    assert result["samples"]["number"] == 1 and result["clones"]
    user.screenshot(path=artifacts / "12-set-dashboard-completed.png", full_page=True)

    user.click("a.vidjil-results-link")
    user.wait_for_url(f"**/dashboards/results.ipynb?set_id={set_id}")
    _wait_for_the_fused_result(user)
    truth = _dominant(diagnosis)
    top = first_clone(user, 60_000)
    assert (gene(top["v"]), gene(top["j"])) == (gene(truth["v_call"]), gene(truth["j_call"]))
    user.fill(".vidjil-clone-name input", "diagnosis clone")
    user.select_option(".vidjil-clone-tag select", label="clone 1")
    user.click("button.vidjil-save")
    user.wait_for_selector(".vidjil-saved")
    user.screenshot(path=artifacts / "13-results-dashboard.png", full_page=True)
    user.reload()
    again = first_clone(user, 60_000)
    assert (again["name"], again["tag"], again["v"]) == ("diagnosis clone", "clone 1", top["v"])
    context.close()
    print(f"clinician's flow: {time.monotonic() - started:.0f} s")
