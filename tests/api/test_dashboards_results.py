"""The Results and Admin dashboards' logic against the real API, on the demo patient.

One lab for the module: the API with its job runner on a local Dask cluster seeds
and analyses the demo patient (three simulated time points) as a first start does.
"""

from __future__ import annotations

import base64
import time

import pytest
from api_harness import LoopbackServer, start_api
from demo_truth import demo_dominant_clone, gene

from vidjil_kernel.client import Lab
from vidjil_kernel.dashboards import results as dash
from vidjil_kernel.exceptions import ApiForbidden, UsageError

pytestmark = [pytest.mark.dask, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, germline_dir):
    app, tokens, _ = start_api(tmp_path_factory.mktemp("dash") / "data", run_jobs=True,
                               demo_patient=True, job_workers=1, disk_min_free_gb=0.001)
    with LoopbackServer(app) as server:
        url = f"{server.url}/services/vidjil-api"
        admin = Lab(api_url=url, token=tokens.add("boss", admin=True))
        deadline = time.monotonic() + 300
        while not len(patients := admin.sets("patient")):
            assert time.monotonic() < deadline, "no demo patient"
            time.sleep(1)
        set_id = int(patients.index[0])
        jobs = admin.wait(set_id, timeout=300, poll=1)
        assert set(jobs["state"]) == {"completed"}, jobs
        yield admin, set_id, lambda name: Lab(api_url=url, token=tokens.add(name))


@pytest.fixture(scope="module")
def truth(germline_dir, tmp_path_factory) -> dict:
    return demo_dominant_clone(germline_dir, tmp_path_factory.mktemp("demo-truth"))


def test_repertoire_route_summarises_each_sample(demo):
    admin, set_id, _ = demo
    (fused_id,) = admin.fused(set_id)["id"]
    summary = admin.repertoire(fused=fused_id)
    table = admin.clones(fused=fused_id)
    assert len(summary["samples"]) == 3 == len(table.attrs["samples"])
    for index, sample in enumerate(summary["samples"]):
        assert 0 < sample["analysed_reads"] <= sample["total_reads"]
        assert sample["analysed_percent"] == pytest.approx(
            100 * sample["analysed_reads"] / sample["total_reads"])
        assert sum(sample["not_analysed"].values()) == (sample["total_reads"]
                                                        - sample["analysed_reads"])
        assert {"IGH", "TRG"} <= {row["locus"] for row in sample["vj_usage"]}
        assert all(not row["v"].count("*") and row["reads"] > 0 for row in sample["vj_usage"])
        in_clones = sum(reads[index] for reads in table["reads"])
        assert sum(sample["length_reads"]) == in_clones
        assert sum(row["reads"] for row in sample["vj_usage"]) <= in_clones
        steps = {b - a for a, b in zip(sample["length_bins"], sample["length_bins"][1:],
                                           strict=False)}
        assert steps <= {summary["length_bin"]}
        assert "all" in sample["diversity"] and sample["diversity"]["all"]["shannon"] > 0
    (result_id,) = admin.results(admin.samples(set_id).index[0])["id"]
    assert len(admin.repertoire(result_id)["samples"]) == 1


def test_results_tables_and_figures(demo, truth):
    admin, set_id, _ = demo
    results = dash.load_set_results(admin, set_id)
    assert [sample["name"] for sample in results.samples] == [
        f"demo-patient-t{i}.fastq.gz" for i in (1, 2, 3)]
    assert all(sample["result_id"] for sample in results.samples)
    frame = dash.clone_frame(results)
    top = frame.iloc[0]
    assert (gene(top["v"]), gene(top["j"]), top["locus"]) == (
        gene(truth["v_call"]), gene(truth["j_call"]), truth["locus"])
    assert list(frame.columns[:5]) == ["id", "name", "tag", "locus", "reads"]
    assert frame["reads"].is_monotonic_decreasing
    follow_up = frame.loc[0, [f"% {label}" for label in results.labels]].tolist()
    assert follow_up[0] > follow_up[2]  # the diagnosis clone falls under treatment
    one = dash.clone_frame(results, 2)
    assert (one["reads"] > 0).all() and "%" in one.columns

    html = dash.clone_table_html(frame)
    assert html.count('<tr class="vidjil-clone"') == min(25, len(frame))
    assert f'<td class="vidjil-v">{top["v"]}</td>' in html
    link = dash.tsv_link(frame, "demo.tsv")
    tsv = base64.b64decode(link.split("base64,")[1].split('"')[0]).decode()
    assert tsv.splitlines()[0].split("\t")[:3] == ["id", "name", "tag"]
    assert len(tsv.splitlines()) == len(frame) + 1
    links = dash.download_links(results)
    assert links.count("/airr") == 3 and f"/fused/{results.fused['id']}/vidjil" in links
    assert links.startswith('<a class="vidjil-download-fused" href="/services/vidjil-api/')

    figure = dash.follow_up_figure(results)
    assert figure.layout.yaxis.type == "log"
    limit = figure.data[-1]
    assert limit.name.startswith("detection limit")
    assert limit.y[0] == pytest.approx(100 / results.samples[0]["analysed_reads"])
    assert len(figure.data) == dash.FOLLOWED_CLONES + 1
    v_genes, j_genes, grid = dash.vj_grid(results, 0, truth["locus"])
    assert grid[v_genes.index(gene(truth["v_call"]))][j_genes.index(gene(truth["j_call"]))] \
        == max(max(row) for row in grid)
    assert dash.vj_figure(results, 0, "TRG").data[0].type == "heatmap"
    assert len(dash.length_figure(results).data) == 3
    qc = dash.qc_frame(results)
    assert list(qc["sample"]) == results.labels and (qc["analysed %"] > 50).all()
    diversity = dash.diversity_frame(results)
    assert {"shannon", "equitability", "simpson"} <= set(diversity.columns)


def test_notes_are_saved_and_read_back(demo):
    admin, set_id, user = demo
    results = dash.load_set_results(admin, set_id)
    top, second = results.clones["id"][:2]
    dash.annotate(results, top, name="leukaemic clone", tag=0)
    dash.annotate(results, second, name="", tag=3)
    assert dash.save_notes(admin, results)["version"] >= 1
    again = dash.load_set_results(admin, set_id)
    assert (again.notes[top]["name"], again.notes[top]["tag"]) == ("leukaemic clone", 0)
    assert (again.notes[second].get("name"), again.notes[second]["tag"]) == (None, 3)
    frame = dash.clone_frame(again)
    assert tuple(frame.loc[frame["id"] == top, ["name", "tag"]].iloc[0]) == (
        "leukaemic clone", "clone 1")
    dash.annotate(again, second, name="", tag=None)  # no name, no tag: the note goes
    dash.save_notes(admin, again)
    assert second not in dash.load_set_results(admin, set_id).notes
    # a user who may read the demo (public) but not save on it keeps nothing
    visitor = user("visitor")
    seen = dash.load_set_results(visitor, set_id)
    assert seen.notes[top]["name"] == "leukaemic clone"
    with pytest.raises(ApiForbidden):
        dash.save_notes(visitor, seen)


def test_a_set_without_results_says_what_to_do(demo):
    admin, _, _ = demo
    empty = admin.create_set("patient", last_name="Empty")
    with pytest.raises(UsageError, match="no completed analysis yet"):
        dash.load_set_results(admin, empty["id"])


def test_admin_tables(demo):
    from vidjil_kernel.dashboards import admin as board

    admin, set_id, user = demo
    visitor = user("stranger")
    visitor.whoami()  # the account exists once it has called the API
    users = board.users_frame(admin)
    assert {"boss", "stranger"} <= set(users["name"])
    assert users.set_index("name").loc["boss", "admin"]
    groups = board.groups_frame(admin)
    public = groups.set_index("name").loc["public"]
    assert public["rights"] == "read, run"
    status = admin.status()
    assert len(board.workers_frame(status)) == len(status["workers"]) == 1
    assert "Queue: 0 jobs" in board.server_html(status) and "free of" in board.server_html(status)
    assert board.queue_frame(admin).empty  # the demo's jobs are done
    everyone = board.audit_frame(admin)
    assert "seed_demo" in set(everyone["action"])
    admin.set_user("stranger", active=False)
    admin.set_user("stranger", active=True)
    by_boss = board.audit_frame(admin, "boss")
    assert set(by_boss["user"]) == {"boss"} and len(by_boss) >= 2
    assert by_boss["record"].iloc[0] == "user " + str(
        int(admin.users().set_index("name").loc["stranger", "id"]))
    with pytest.raises(ApiForbidden):
        board.users_frame(visitor)


def test_dashboard_widgets_tag_name_and_save(demo):
    from vidjil_kernel.dashboards.admin import AdminDashboard

    admin, set_id, _ = demo
    board = dash.ResultsDashboard(admin, dash.load_set_results(admin, set_id))
    page = board.widget()
    assert page.children and board.follow_box.children[0].layout.yaxis.type == "log"
    assert board.vj_box.children[0].data[0].type == "heatmap"
    top = board.clone_choice.value
    assert top == board.results.clones["id"].iloc[0]
    board.name_box.value = "from the widgets"
    board.tag_choice.value = 2
    board.save_button.click()
    assert "vidjil-saved" in board.message.value
    assert 'class="vidjil-name">from the widgets<' in board.table.value
    board.sample_choice.value = 2
    assert 'class="vidjil-percent"' in board.table.value  # one sample: its % only
    assert 'class="vidjil-sample-percent"' not in board.table.value
    again = dash.load_set_results(admin, set_id)
    assert (again.notes[top]["name"], again.notes[top]["tag"]) == ("from the widgets", 2)
    board.vj_locus.value = "TRG"
    assert "TRG" in board.vj_box.children[0].layout.title.text
    admin_page = AdminDashboard(admin)
    assert "boss" in admin_page.users.value and "public" in admin_page.groups.value
    assert admin_page.account.value in admin_page.account.options
    admin_page.audit_user.value = "boss"
    assert "seed_demo" not in admin_page.audit.value
