"""The Set dashboard (``set.ipynb?set_id=N``): samples, uploads, launches and job states.

A file chosen in the browser reaches the kernel through an ipywidgets
``FileUpload``; the kernel stages it on its disk, then sends it to the API with
the client's chunked, resumable upload (a cut connection resumes at the committed
offset; pressing the button again after a failure resumes the same upload).  Job
states come from the API: the table refreshes by itself while jobs are active.
"""

from __future__ import annotations

import os
import re
import threading
from html import escape
from pathlib import Path

import ipywidgets as widgets

from vidjil_kernel.client import Lab
from vidjil_kernel.client.lab import FINAL_STATES
from vidjil_kernel.dashboards.common import (
    STYLE,
    Notice,
    api_href,
    connect,
    error_page,
    guard,
    html_table,
    link,
    query_int,
)
from vidjil_kernel.dashboards.sets import parse_date, tags_html
from vidjil_kernel.exceptions import ApiForbidden, ApiNotFound, UsageError

#: bytes per upload request from a dashboard: the bar moves, a cut loses little
UPLOAD_CHUNK = 1 << 20
#: seconds between refreshes while jobs are active
REFRESH_SECONDS = 3.0
ALL = 0
SEQUENCE_FILES = ".fastq,.fq,.fastq.gz,.fq.gz,.fasta,.fa,.fasta.gz,.fa.gz,.gz"
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
STATE_STYLE = """<style>
.vidjil-state { padding: 0 4px; border-radius: 3px; }
.vidjil-state-completed { background: #c8e6c9; }
.vidjil-state-failed, .vidjil-state-cancelled { background: #ffcdd2; }
.vidjil-state-running, .vidjil-state-queued, .vidjil-state-pending,
.vidjil-state-waiting { background: #fff3c4; }
</style>"""


def latest_jobs(jobs) -> dict[int, dict]:
    """The newest analysis job of each sample (jobs come newest first)."""
    latest: dict[int, dict] = {}
    for job in jobs.to_dict("records") if len(jobs) else []:
        if job["kind"] == "analysis" and job["sample_id"] is not None:
            latest.setdefault(int(job["sample_id"]), job)
    return latest


def state_html(job: dict | None) -> tuple[str, str]:
    """The state and progress cells of a sample's latest job."""
    if job is None:
        return '<span class="vidjil-state vidjil-state-none">not analysed</span>', ""
    state = escape(job["state"])
    cell = f'<span class="vidjil-state vidjil-state-{state}">{state}</span>'
    if job["state"] == "failed" and job.get("error"):
        cell += f'<br><small>{escape(str(job["error"])[:200])}</small>'
    if job["state"] in FINAL_STATES:
        return cell, ""
    percent = 100 * float(job.get("progress") or 0)
    return cell, (f'<progress max="100" value="{percent:.0f}"></progress> {percent:.0f}% '
                  f'{escape(job.get("progress_message") or "")}')


def downloads_html(job: dict | None) -> str:
    """Links to the ``.vidjil`` and AIRR files of a completed analysis.

    Plain navigations, not ``download`` links: the browser then sends ``Accept:
    text/html``, so that the API logs it in through the hub (OAuth) before the file
    comes back as an attachment, and the dashboard stays open."""
    if job is None or job["state"] != "completed" or job.get("result_id") is None:
        return ""
    result = int(job["result_id"])
    return " ".join(
        f'<a class="vidjil-download" href="{escape(api_href(f"/results/{result}/{route}"))}" '
        f'target="_self">{title}</a>' for route, title in (("vidjil", ".vidjil"), ("airr", "AIRR")))


def staged_copy(set_id: int, name: str, content: bytes) -> Path:
    """The chosen file written on the kernel's disk, under a stable name (for resuming).

    In the user's home, private: in isolated mode other users share ``/tmp``."""
    user = SAFE_NAME.sub("_", os.environ.get("JUPYTERHUB_USER", "")) or "me"
    folder = Path.home() / ".cache" / "vidjil-uploads" / user / str(set_id)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / (SAFE_NAME.sub("_", Path(name).name) or "reads.fastq")
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    partial.replace(path)
    return path


class SetDashboard:
    """The widgets of the Set dashboard and what their buttons do."""

    def __init__(self, lab: Lab, set_id: int) -> None:
        self.lab = lab
        self.set_id = set_id
        self.record = lab.set(set_id)
        self.jobs: dict[int, dict] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

        self.header = widgets.HTML(self._header())
        self.table = widgets.HTML()
        self.notice = Notice()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.refresh_button.add_class("vidjil-refresh")
        self.auto = widgets.Checkbox(value=True, description="refresh while jobs run")

        self.file = widgets.FileUpload(accept=SEQUENCE_FILES, multiple=False,
                                       description="Choose FASTQ")
        self.file.add_class("vidjil-file")
        self.sample_name = widgets.Text(description="name", placeholder="default: file name")
        self.sampling_date = widgets.Text(description="date", placeholder="YYYY-MM-DD")
        self.info = widgets.Text(description="info", placeholder="#tags welcome")
        for name in ("sample_name", "sampling_date", "info"):
            getattr(self, name).add_class(f"vidjil-sample-{name}")
        self.add_button = widgets.Button(description="Upload and add", button_style="primary")
        self.add_button.add_class("vidjil-add-sample")
        self.bar = widgets.FloatProgress(min=0, max=1, description="upload",
                                         layout=widgets.Layout(visibility="hidden"))
        self.source = widgets.Select(description="file source", rows=6)
        self.source.add_class("vidjil-source")
        self.source_button = widgets.Button(description="Add from file source")

        self.config = widgets.Dropdown(description="config")
        self.config.add_class("vidjil-config")
        self.target = widgets.Dropdown(description="samples")
        self.launch_button = widgets.Button(description="Launch", button_style="success")
        self.launch_button.add_class("vidjil-launch")
        self.cancel_button = widgets.Button(description="Cancel")
        self.rerun_button = widgets.Button(description="Re-run")

        self.refresh_button.on_click(lambda _: self.refresh())
        self.auto.observe(lambda change: change["new"] and self.active() and self._watch(),
                          "value")
        self.add_button.on_click(lambda _: self.add_uploaded())
        self.source.observe(self._source_chosen, "value")
        self.source_button.on_click(lambda _: self.add_from_source())
        self.launch_button.on_click(lambda _: self.launch())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.rerun_button.on_click(lambda _: self.rerun())

        configs = lab.configs()
        names = configs["name"].items() if len(configs) else []
        self.config.options = [(name, int(cid)) for cid, name in names]
        default = [value for name, value in self.config.options if name == "multi-locus"]
        if default:
            self.config.value = default[0]
        metadata = [self.sample_name, self.sampling_date, self.info]
        adding = [widgets.HTML("<b>Upload a sequence file</b>"),
                  widgets.HBox([self.file, self.add_button]), *metadata, self.bar]
        if self._browse(""):
            adding += [widgets.HTML("<b>Or pick a file of the lab's file source</b>"),
                       self.source, self.source_button]
        self.widget = widgets.VBox([
            widgets.HTML(STYLE + STATE_STYLE), self.header,
            widgets.HBox([self.refresh_button, self.auto]), self.table, self.notice,
            widgets.VBox([widgets.HTML("<b>Analyse</b>"), widgets.HBox([
                self.config, self.target, self.launch_button, self.cancel_button,
                self.rerun_button])]),
            widgets.VBox(adding)])
        self.refresh()

    def _header(self) -> str:
        record = self.record
        return (f'<h2 class="vidjil-set-label">{escape(record["label"])}</h2>'
                f'<p>{escape(record["kind"])} &middot; {tags_html(record.get("info"))}</p>'
                f'<p>{link("All sets", "sets")} &middot; '
                f'{link("Results", "results", "vidjil-results-link", set_id=self.set_id)}</p>')

    # --- the table -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the samples and the states of their latest jobs."""
        with self._lock, guard(self.notice):
            samples = self.lab.samples(self.set_id)
            self.jobs = latest_jobs(self.lab.jobs(set=self.set_id))
            rows = []
            for sample in samples.to_dict("records") if len(samples) else []:
                job = self.jobs.get(int(sample["id"]))
                state, progress = state_html(job)
                size = f'{sample["size"] / 1e6:.1f} MB' if sample.get("size") else ""
                rows.append([escape(sample["original_name"]),
                             escape(str(sample.get("sampling_date") or "")),
                             tags_html(sample.get("info")), size, state, progress,
                             downloads_html(job)])
            self.table.value = html_table(
                rows, ["sample", "date", "info", "size", "state", "progress", "files"],
                "vidjil-samples") if rows else '<p class="vidjil-empty">No samples yet.</p>'
            options = [("all samples", ALL)] + [(sample["original_name"], int(sample["id"]))
                                                for sample in samples.to_dict("records")]
            if list(self.target.options) != options:
                chosen = self.target.value
                self.target.options = options
                self.target.value = chosen if chosen in dict(options).values() else ALL
        if self.active() and self.auto.value:
            self._watch()

    def active(self) -> bool:
        """Whether a job of the set may still change."""
        return any(job["state"] not in FINAL_STATES for job in self.jobs.values())

    def _watch(self) -> None:
        """Refresh in the background until no job is active (or the box is unticked)."""
        if self._thread is not None and self._thread.is_alive():
            return

        def loop() -> None:
            while not self._stop.wait(REFRESH_SECONDS):
                if not (self.auto.value and self.active()):
                    return
                self.refresh()

        self._thread = threading.Thread(target=loop, name="vidjil-set-refresh", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop refreshing (tests; Voila simply ends the kernel)."""
        self._stop.set()

    # --- adding samples --------------------------------------------------------------------

    def _fields(self) -> dict[str, str]:
        fields = {"info": self.info.value.strip()}
        if self.sample_name.value.strip():
            fields["original_name"] = self.sample_name.value.strip()
        if self.sampling_date.value.strip():
            fields["sampling_date"] = parse_date(self.sampling_date.value.strip(),
                                                 "sampling date")
        return {name: value for name, value in fields.items() if value}

    def add_uploaded(self) -> None:
        """Send the chosen file to the lab (resumable) and make it a sample of the set."""
        with guard(self.notice):
            if not self.file.value:
                raise UsageError("choose a sequence file first (button 'Choose FASTQ')")
            chosen = self.file.value[0]
            fields = self._fields()
            path = staged_copy(self.set_id, chosen["name"], bytes(chosen["content"]))
            self.bar.value, self.bar.layout.visibility = 0.0, "visible"
            self.notice.info(f"Uploading {chosen['name']}...")

            def advance(sent: int, size: int) -> None:
                self.bar.value = sent / size if size else 1.0
                self.bar.description = f"{sent / 1e6:.1f}/{size / 1e6:.1f} MB"

            sample = self.lab.add_sample(self.set_id, path, chunk_size=UPLOAD_CHUNK,
                                         on_progress=advance, **fields)
            path.unlink(missing_ok=True)
            self.file.value = ()
            for widget in (self.sample_name, self.sampling_date, self.info):
                widget.value = ""
            self.refresh()
            self.notice.ok(f"Added sample {sample['original_name']}.")

    def _browse(self, folder: str) -> bool:
        """List a folder of the file source; False when the lab has none."""
        try:
            entries = self.lab.files(folder)
        except (ApiNotFound, ApiForbidden):
            return False
        options = [("..", ("folder", folder.rpartition("/")[0]))] if folder else []
        for entry in entries.to_dict("records") if len(entries) else []:
            title = entry["name"] + ("/" if entry["kind"] == "folder" else "")
            options.append((title, (entry["kind"], entry["path"])))
        self.source.options = options
        self.source.value = None
        return True

    def _source_chosen(self, change: dict) -> None:
        if change["new"] is not None and change["new"][0] == "folder":
            with guard(self.notice):
                self._browse(change["new"][1])

    def add_from_source(self) -> None:
        """Make the chosen file of the file source a sample of the set (no upload)."""
        with guard(self.notice):
            if self.source.value is None or self.source.value[0] == "folder":
                raise UsageError("choose a file of the file source first")
            sample = self.lab.add_sample(self.set_id, source=self.source.value[1],
                                         **self._fields())
            self.refresh()
            self.notice.ok(f"Added sample {sample['original_name']} from the file source.")

    # --- jobs ------------------------------------------------------------------------------

    def _chosen_jobs(self, states: tuple[str, ...] | None) -> list[dict]:
        if self.target.value == ALL:
            jobs = list(self.jobs.values())
        else:
            jobs = [self.jobs[self.target.value]] if self.target.value in self.jobs else []
        return [job for job in jobs if states is None or job["state"] in states]

    def launch(self) -> None:
        """Analyse the chosen sample (or all) with the chosen config."""
        with guard(self.notice):
            if self.config.value is None:
                raise UsageError("no config you may use: ask your lab's administrator")
            samples = None if self.target.value == ALL else [self.target.value]
            launched = self.lab.launch(self.set_id, self.config.value, samples=samples)
            self.refresh()
            self.notice.ok(f"Launched {len(launched)} analysis(es) with {self.config.label}.")

    def cancel(self) -> None:
        """Cancel the active job of the chosen sample (or of all)."""
        with guard(self.notice):
            jobs = self._chosen_jobs(None)
            active = [job for job in jobs if job["state"] not in FINAL_STATES]
            if not active:
                raise UsageError("no running or queued analysis to cancel")
            for job in active:
                self.lab.cancel(job["id"])
            self.refresh()
            self.notice.ok(f"Cancelled {len(active)} analysis(es).")

    def rerun(self) -> None:
        """Run again the finished analysis of the chosen sample (or of all)."""
        with guard(self.notice):
            done = self._chosen_jobs(FINAL_STATES)
            if not done:
                raise UsageError("no finished analysis to run again (launch one first)")
            for job in done:
                self.lab.rerun(job["id"])
            self.refresh()
            self.notice.ok(f"Re-running {len(done)} analysis(es).")


def build(lab: Lab | None = None, query: str | None = None) -> widgets.Widget:
    """The Set dashboard of ``?set_id=N`` for the user whose server runs it."""
    try:
        return SetDashboard(lab or connect(), query_int("set_id", query)).widget
    except Exception as error:  # noqa: BLE001 - shown as a sentence, not a traceback
        return error_page(error)
