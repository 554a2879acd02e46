"""The Results dashboard: a set's clones across its samples, QC, usage, and the user's notes.

Everything is read through the API (``Lab``): the set's latest fused result
gives the clone table of every sample at once, its repertoire summary the QC,
diversity, V x J usage and read lengths; the kernel only shapes and draws them.
Names and tags given to clones are the set's analysis layer (saved through the
analyses route, a new version each time), so a reload shows them again.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from html import escape
from typing import Any

import pandas as pd

from vidjil_kernel.dashboards.common import api_href, error_html, explain, frame_html, query_int
from vidjil_kernel.exceptions import ApiNotFound, UsageError, VidjilError

#: clones read from the fused result for the table and the graphs
TOP_CLONES = 200
#: clones drawn in the follow-up graph
FOLLOWED_CLONES = 10
#: Vidjil's tag classes (colours in its web client); the analysis layer stores the number
TAGS = {0: "clone 1", 1: "clone 2", 2: "clone 3", 3: "standard", 4: "standard (noise)",
        5: "custom 1", 6: "custom 2", 7: "-/-"}
TAG_COLOURS = {0: "#dc322f", 1: "#cb4b16", 2: "#d33682", 3: "#268bd2", 4: "#6c71c4",
               5: "#859900", 6: "#2aa198", 7: "#93a1a1"}
ALL_SAMPLES = "all samples"


@dataclass
class SetResults:
    """What the dashboard shows of a set, as the API returned it."""

    set: dict
    fused: dict
    samples: list[dict]
    clones: pd.DataFrame
    repertoire: dict
    notes: dict[str, dict] = field(default_factory=dict)
    analysis: dict = field(default_factory=dict)

    @property
    def config_id(self) -> int:
        return int(self.fused["config_id"])

    @property
    def labels(self) -> list[str]:
        return [sample["label"] for sample in self.samples]


def load_set_results(lab: Any, set_id: int, *, top: int = TOP_CLONES) -> SetResults:
    """The latest completed fused result of a set, its clones, summary and saved notes."""
    the_set = lab.set(set_id)
    fused = lab.fused(set_id)
    done = fused[(fused["state"] == "done") & fused["fused_path"].notna()] if len(fused) \
        else fused
    if not len(done):
        raise UsageError(f"set {set_id} has no completed analysis yet: launch one from its "
                         "Set dashboard and come back when it is done")
    latest = done.sort_values("fused_at", ascending=False).iloc[0].to_dict()
    clones = lab.clones(fused=latest["id"], limit=top)
    repertoire = lab.repertoire(fused=latest["id"])
    samples = _samples(lab, set_id, clones.attrs["samples"], int(latest["config_id"]))
    try:
        analysis = lab.analysis(set_id, int(latest["config_id"]))["data"]
    except ApiNotFound:
        analysis = {}
    notes = {note["id"]: note for note in analysis.get("clones", [])}
    return SetResults(set=the_set, fused=latest, samples=samples, clones=clones,
                      repertoire=repertoire, notes=notes, analysis=analysis)


def _samples(lab: Any, set_id: int, in_file: list[dict], config_id: int) -> list[dict]:
    """The samples of the fused file in its order, with their record and latest result."""
    records = lab.samples(set_id)
    by_name = {row["original_name"]: row for row in records.to_dict("records")} \
        if len(records) else {}
    samples = []
    for index, sample in enumerate(in_file):
        record = by_name.get(sample["name"], {})
        result_id = None
        if record:
            results = lab.results(record["id"])
            mine = results[(results["config_id"] == config_id) & (results["state"] == "done")] \
                if len(results) else results
            result_id = int(mine.iloc[0]["id"]) if len(mine) else None
        date = record.get("sampling_date")
        label = f"{date} ({sample['name']})" if date else sample["name"]
        samples.append({"index": index, "name": sample["name"], "label": label,
                        "sample_id": record.get("id"), "result_id": result_id,
                        "analysed_reads": sample["analysed_reads"],
                        "total_reads": sample["total_reads"]})
    return samples


# --- tables --------------------------------------------------------------------------------


def clone_frame(results: SetResults, sample: int | None = None) -> pd.DataFrame:
    """The clone table of one sample (by index) or of all (reads summed, % per sample).

    Names and tags are the user's when given, the designation otherwise.
    """
    clones = results.clones
    rows = []
    for clone in clones.to_dict("records"):
        reads = clone["reads"][sample] if sample is not None else sum(clone["reads"])
        if reads <= 0:
            continue
        note = results.notes.get(clone["id"], {})
        row = {"id": clone["id"], "name": note.get("name") or clone["name"],
               "tag": TAGS.get(note.get("tag"), "") if note.get("tag") is not None else "",
               "locus": clone["locus"], "reads": reads}
        if sample is not None:
            row["%"] = clone["percent"][sample]
        else:
            for label, percent in zip(results.labels, clone["percent"], strict=True):
                row[f"% {label}"] = percent
        row.update(v=clone["v"], j=clone["j"], cdr3=clone["cdr3_aa"],
                   productive=clone["productive"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values("reads", ascending=False, kind="stable")
    return frame.reset_index(drop=True)


def _cell(column: str, value: Any) -> str:
    if column.startswith("%"):
        text = f"{value:.3g}" if value else "0"
    elif column == "productive":
        text = {True: "yes", False: "no"}.get(value, "")
    elif value is None or (isinstance(value, float) and pd.isna(value)):
        text = ""
    else:
        text = str(value)
    css = "vidjil-sample-percent" if column.startswith("% ") else \
        "vidjil-percent" if column == "%" else f"vidjil-{column}"
    return f'<td class="{escape(css)}">{escape(text)}</td>'


def clone_table_html(frame: pd.DataFrame, *, rows: int = 25) -> str:
    """The table as HTML: each row ``tr.vidjil-clone`` with ``data-clone-id``, cells by column."""
    if not len(frame):
        return '<p class="vidjil-empty">No clones.</p>'
    columns = [column for column in frame.columns if column != "id"]
    head = "".join(f"<th>{escape(column)}</th>" for column in columns)
    body = []
    for rank, row in enumerate(frame.head(rows).to_dict("records"), start=1):
        cells = "".join(_cell(column, row[column]) for column in columns)
        body.append(f'<tr class="vidjil-clone" id="vidjil-clone-{rank}" '
                    f'data-clone-id="{escape(row["id"])}"><td class="vidjil-rank">{rank}</td>'
                    f"{cells}</tr>")
    return ('<table class="vidjil-clones"><thead><tr><th>#</th>' + head + "</tr></thead>"
            "<tbody>" + "".join(body) + "</tbody></table>")


def tsv_link(frame: pd.DataFrame, filename: str) -> str:
    """A link that saves the table as TSV (made in the page: no file left on the server)."""
    data = base64.b64encode(frame.to_csv(sep="\t", index=False).encode()).decode()
    return (f'<a class="vidjil-export-tsv" download="{escape(filename)}" '
            f'href="data:text/tab-separated-values;base64,{data}">clone table (TSV)</a>')


def download_links(results: SetResults) -> str:
    """Links to the files of the results.

    Plain links (no ``download`` attribute): the browser follows them, logs in to
    the API by OAuth if it must, and the API's answer makes it a download.
    """
    fused = escape(api_href(f"/fused/{results.fused['id']}/vidjil"))
    links = [f'<a class="vidjil-download-fused" href="{fused}">all samples (.vidjil)</a>']
    for sample in results.samples:
        if sample["result_id"] is None:
            continue
        route = api_href(f"/results/{sample['result_id']}")
        name = escape(sample["label"])
        links.append(f'{name}: <a class="vidjil-download-airr" href="{escape(route)}/airr">'
                     f'AIRR</a>, <a class="vidjil-download-vidjil" href="{escape(route)}/vidjil">'
                     ".vidjil</a>")
    return " &middot; ".join(links)


def qc_frame(results: SetResults) -> pd.DataFrame:
    """Per sample: reads, analysed %, and the reads not analysed by reason."""
    rows = []
    for label, summary in zip(results.labels, results.repertoire["samples"], strict=True):
        rows.append({"sample": label, "reads": summary["total_reads"],
                     "analysed": summary["analysed_reads"],
                     "analysed %": round(summary["analysed_percent"], 2),
                     **summary["not_analysed"]})
    return pd.DataFrame(rows).fillna(0)


def diversity_frame(results: SetResults) -> pd.DataFrame:
    """Per sample and locus ('all': the whole sample): Shannon, equitability, Simpson."""
    rows = []
    for label, summary in zip(results.labels, results.repertoire["samples"], strict=True):
        for locus, indices in sorted(summary["diversity"].items(),
                                     key=lambda item: (item[0] != "all", item[0])):
            rows.append({"sample": label, "locus": locus, **indices})
    return pd.DataFrame(rows)


# --- figures -------------------------------------------------------------------------------


def follow_up_figure(results: SetResults, clones: int = FOLLOWED_CLONES):
    """The biggest clones' % of analysed reads at each time point, log scale, with the
    detection limit (one read) of each sample."""
    import plotly.graph_objects as go

    figure = go.Figure()
    labels = results.labels
    for clone in results.clones.head(clones).to_dict("records"):
        note = results.notes.get(clone["id"], {})
        name = note.get("name") or clone["name"] or clone["id"]
        colour = TAG_COLOURS.get(note.get("tag"))
        figure.add_scatter(x=labels, y=[percent or None for percent in clone["percent"]],
                           mode="lines+markers", name=name[:40], connectgaps=False,
                           line={"color": colour} if colour else None,
                           hovertemplate="%{y:.3g}%<extra>" + escape(name) + "</extra>")
    limit = [100.0 / sample["analysed_reads"] if sample["analysed_reads"] else None
             for sample in results.samples]
    figure.add_scatter(x=labels, y=limit, mode="lines", name="detection limit (1 read)",
                       line={"dash": "dash", "color": "grey"})
    figure.update_layout(title="Follow-up of the biggest clones", height=420,
                         yaxis_title="% of analysed reads", margin={"t": 50, "b": 40},
                         legend={"font": {"size": 10}})
    figure.update_yaxes(type="log", exponentformat="power")
    return go.FigureWidget(figure)  # made whole: later changes do not reach a new widget


def vj_grid(results: SetResults, sample: int, locus: str) -> tuple[list[str], list[str],
                                                                   list[list[int]]]:
    """V genes (rows), J genes (columns) and reads of each pair, for one sample and locus."""
    usage = [row for row in results.repertoire["samples"][sample]["vj_usage"]
             if row["locus"] == locus]
    v_genes = sorted({row["v"] for row in usage})
    j_genes = sorted({row["j"] for row in usage})
    grid = [[0] * len(j_genes) for _ in v_genes]
    for row in usage:
        grid[v_genes.index(row["v"])][j_genes.index(row["j"])] = row["reads"]
    return v_genes, j_genes, grid


def loci(results: SetResults) -> list[str]:
    return sorted({row["locus"] for summary in results.repertoire["samples"]
                   for row in summary["vj_usage"]})


def vj_figure(results: SetResults, sample: int, locus: str):
    import plotly.graph_objects as go

    v_genes, j_genes, grid = vj_grid(results, sample, locus)
    figure = go.Figure(go.Heatmap(x=j_genes, y=v_genes, z=grid, colorscale="Viridis",
                                  hovertemplate="%{y} x %{x}: %{z} reads<extra></extra>"))
    figure.update_layout(title=f"V x J usage, {locus}", height=max(300, 16 * len(v_genes) + 120),
                         margin={"t": 50, "b": 40}, xaxis_title="J gene", yaxis_title="V gene")
    return go.FigureWidget(figure)


def length_figure(results: SetResults):
    """Analysed reads by length, one bar series per sample."""
    import plotly.graph_objects as go

    figure = go.Figure()
    width = results.repertoire["length_bin"]
    for label, summary in zip(results.labels, results.repertoire["samples"], strict=True):
        figure.add_bar(x=[start + width / 2 for start in summary["length_bins"]],
                       y=summary["length_reads"], width=width * 0.9, name=label, opacity=0.6)
    figure.update_layout(title="Read lengths (analysed reads, by their clone's mean length)",
                         barmode="overlay", height=320, margin={"t": 50, "b": 40},
                         xaxis_title="length (nt)", yaxis_title="reads")
    return go.FigureWidget(figure)


# --- notes ---------------------------------------------------------------------------------


def annotate(results: SetResults, clone_id: str, *, name: str | None,
             tag: int | None) -> None:
    """Give a clone a name and/or a tag (empty: back to its designation / no tag)."""
    note = {key: value for key, value in results.notes.get(clone_id, {}).items()
            if key not in ("name", "tag")}
    note["id"] = clone_id
    if name:
        note["name"] = name
    if tag is not None:
        note["tag"] = tag
    if len(note) > 1:
        results.notes[clone_id] = note
    else:
        results.notes.pop(clone_id, None)


def save_notes(lab: Any, results: SetResults) -> dict:
    """Save the notes as a new version of the set's analysis (other fields kept)."""
    data = {**results.analysis, "clones": list(results.notes.values())}
    data.setdefault("tags", {"names": {str(number): name for number, name in TAGS.items()}})
    saved = lab.save_analysis(results.set["id"], results.config_id, data)
    results.analysis = saved["data"]
    return saved


# --- the dashboard -------------------------------------------------------------------------


class ResultsDashboard:
    """The widgets of the dashboard, built from a set's results."""

    def __init__(self, lab: Any, results: SetResults) -> None:
        import ipywidgets as widgets

        self.lab = lab
        self.results = results
        self.sample_choice = widgets.Dropdown(
            options=[(ALL_SAMPLES, -1)] + [(label, index) for index, label
                                           in enumerate(results.labels)],
            value=-1, description="Clones of")
        self.table = widgets.HTML()
        self.export = widgets.HTML()
        self.clone_choice = widgets.Dropdown(description="Clone", layout={"width": "480px"})
        self.clone_choice.add_class("vidjil-clone-choice")
        self.name_box = widgets.Text(description="Name", placeholder="a name for this clone")
        self.name_box.add_class("vidjil-clone-name")
        self.tag_choice = widgets.Dropdown(description="Tag", options=[("(none)", -1)] + [
            (name, number) for number, name in TAGS.items()], value=-1)
        self.tag_choice.add_class("vidjil-clone-tag")
        self.apply_button = widgets.Button(description="Apply")
        self.apply_button.add_class("vidjil-apply")
        self.save_button = widgets.Button(description="Save", button_style="primary")
        self.save_button.add_class("vidjil-save")
        self.message = widgets.HTML()
        self.vj_sample = widgets.Dropdown(description="Sample", options=[
            (label, index) for index, label in enumerate(results.labels)], value=0)
        known = loci(results)
        self.vj_locus = widgets.Dropdown(description="Locus", options=known,
                                         value=known[0] if known else None)
        self.vj_box = widgets.Box()
        self.vj_box.add_class("vidjil-vj")
        self.follow_box = widgets.Box()
        self.follow_box.add_class("vidjil-follow-up")

        self.sample_choice.observe(lambda _: self.refresh_table(), "value")
        self.clone_choice.observe(lambda _: self.show_note(), "value")
        self.apply_button.on_click(lambda _: self.apply())
        self.save_button.on_click(lambda _: self.save())
        self.vj_sample.observe(lambda _: self.refresh_vj(), "value")
        self.vj_locus.observe(lambda _: self.refresh_vj(), "value")
        self.refresh_table()
        self.refresh_follow_up()
        self.refresh_vj()

    @property
    def sample(self) -> int | None:
        return None if self.sample_choice.value < 0 else self.sample_choice.value

    def refresh_table(self) -> None:
        frame = clone_frame(self.results, self.sample)
        self.table.value = clone_table_html(frame)
        label = "all" if self.sample is None else self.results.labels[self.sample]
        set_name = self.results.set.get("label") or f"set-{self.results.set['id']}"
        self.export.value = tsv_link(frame, f"{set_name}-{label}-clones.tsv".replace(" ", "_"))
        current = self.clone_choice.value
        self.clone_choice.options = [
            (f"{row.name or row.id} ({row.locus}, {row.reads} reads)", row.id)
            for row in frame.head(50).itertuples()]
        values = [value for _, value in self.clone_choice.options]
        if values:
            self.clone_choice.value = current if current in values else values[0]
        self.show_note()

    def refresh_follow_up(self) -> None:
        self.follow_box.children = [follow_up_figure(self.results)]

    def refresh_vj(self) -> None:
        if self.vj_locus.value is None:
            return
        self.vj_box.children = [vj_figure(self.results, self.vj_sample.value,
                                          self.vj_locus.value)]

    def show_note(self) -> None:
        note = self.results.notes.get(self.clone_choice.value or "", {})
        self.name_box.value = note.get("name", "")
        self.tag_choice.value = note.get("tag") if note.get("tag") in TAGS else -1

    def apply(self) -> None:
        if not self.clone_choice.value:
            return
        tag = self.tag_choice.value
        annotate(self.results, self.clone_choice.value, name=self.name_box.value.strip(),
                 tag=None if tag < 0 else tag)
        self.refresh_table()
        self.refresh_follow_up()
        self.message.value = '<span class="vidjil-unsaved">Not saved yet.</span>'

    def save(self) -> None:
        self.apply()
        try:
            saved = save_notes(self.lab, self.results)
        except VidjilError as error:
            self.message.value = error_html(f"Not saved: {explain(error)}")
            return
        self.message.value = (f'<span class="vidjil-saved">Saved (version {saved["version"]}).'
                              "</span>")

    def widget(self):
        import ipywidgets as widgets

        results = self.results
        title = escape(results.set.get("label") or f"set {results.set['id']}")
        head = widgets.HTML(
            f'<h2 class="vidjil-results-title">Results of {title}</h2>'
            f'<p>Fused result {results.fused["id"]} (config {results.config_id}), '
            f'{len(results.samples)} samples, {len(results.clones)} biggest clones.</p>')
        files = widgets.HTML(f'<p class="vidjil-downloads">Download: {download_links(results)}'
                             "</p>")
        notes = widgets.HBox([self.clone_choice, self.name_box, self.tag_choice,
                              self.apply_button, self.save_button])
        qc = widgets.HTML("<h3>QC per sample</h3>" + frame_html(qc_frame(results), "vidjil-qc")
                          + "<h3>Diversity</h3>"
                          + frame_html(diversity_frame(results), "vidjil-diversity"))
        return widgets.VBox([
            head, files, self.export,
            self.follow_box,
            widgets.HTML("<h3>Top clones</h3>"), self.sample_choice, notes, self.message,
            self.table,
            widgets.HTML("<h3>V x J usage</h3>"), widgets.HBox([self.vj_sample, self.vj_locus]),
            self.vj_box, widgets.Box([length_figure(results)]).add_class("vidjil-lengths"), qc,
        ])


def show_results(query: str | None = None) -> None:
    """The dashboard of the set named by ``?set_id=`` (an error message, never a traceback)."""
    from IPython.display import HTML, display

    from vidjil_kernel.client import Lab

    try:
        set_id = query_int("set_id", query)
        lab = Lab()
        results = load_set_results(lab, set_id)
        display(ResultsDashboard(lab, results).widget())
    except VidjilError as error:
        display(HTML(error_html(explain(error))))
