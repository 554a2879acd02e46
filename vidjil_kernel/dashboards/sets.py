"""The Sets dashboard: patients, runs and generic sets; search, tags, create one or a batch.

Rows pasted from a spreadsheet are tab-separated, one set a line, in the order of
``PASTE_COLUMNS``.  Every line is checked here first, so that a bad one is named
(line and field) before anything is sent; the API then creates the whole batch in
one transaction, all or none.  Identities come as the API gives them: a patient
the user may not see unanonymised has only its anonymised label.
"""

from __future__ import annotations

import datetime as dt
import re
from html import escape

import ipywidgets as widgets

from vidjil_kernel.client import Lab
from vidjil_kernel.dashboards.common import (
    STYLE,
    Notice,
    connect,
    error_page,
    guard,
    html_table,
    link,
)
from vidjil_kernel.exceptions import UsageError

KINDS = ("patient", "run", "generic")
KIND_TITLES = {"patient": "Patients", "run": "Runs", "generic": "Sets"}
#: fields of each kind, in the order of pasted columns and of the single form
PASTE_COLUMNS = {
    "patient": ("id_label", "first_name", "last_name", "birth_date", "info"),
    "run": ("id_label", "name", "run_date", "sequencer", "pcr", "info"),
    "generic": ("name", "info"),
}
FIELD_TITLES = {"id_label": "id", "first_name": "first name", "last_name": "last name",
                "birth_date": "birth date", "name": "name", "run_date": "run date",
                "sequencer": "sequencer", "pcr": "PCR", "info": "info (#tags)"}
REQUIRED = {"patient": "last_name", "run": "name", "generic": "name"}
DATE_FIELDS = ("birth_date", "run_date")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
#: cells of a header line (copied with the rows), which is skipped
HEADER_WORDS = {*FIELD_TITLES, *FIELD_TITLES.values(), "patient id", "run id", "info", "tags"}
TAG = re.compile(r"#([\w-]+)")


def parse_date(text: str, where: str) -> str:
    """An ISO date from ``2024-03-01`` or ``01/03/2024``; ``UsageError`` naming ``where``."""
    for layout in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, layout).date().isoformat()
        except ValueError:
            continue
    raise UsageError(f"{where}: {text!r} is not a date (write 2024-03-01 or 01/03/2024)")


def check_fields(kind: str, values: dict[str, str], where: str) -> dict[str, str]:
    """The non-empty fields of one set, dates as ISO; ``UsageError`` naming where and what."""
    record = {name: value.strip() for name, value in values.items() if value.strip()}
    for name in DATE_FIELDS:
        if name in record:
            record[name] = parse_date(record[name], f"{where}, {FIELD_TITLES[name]}")
    if REQUIRED[kind] not in record:
        raise UsageError(f"{where}: the {FIELD_TITLES[REQUIRED[kind]]} is empty "
                         f"(a {kind} needs one)")
    return record


def parse_rows(kind: str, text: str) -> list[dict[str, str]]:
    """Sets from tab-separated lines (a header line naming the columns is skipped)."""
    columns = PASTE_COLUMNS[kind]
    header = [FIELD_TITLES[name] for name in columns]
    records: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.rstrip("\r\n").split("\t")
        if not records and {cell.strip().lower() for cell in cells} <= HEADER_WORDS:
            continue
        if len(cells) > len(columns):
            raise UsageError(f"line {number}: {len(cells)} columns, at most {len(columns)} "
                             f"expected ({', '.join(header)}), separated by tabs")
        records.append(check_fields(kind, dict(zip(columns, cells, strict=False)),
                                    f"line {number}"))
    if not records:
        raise UsageError("nothing to create: paste rows copied from a spreadsheet")
    return records


def tags_html(info: str) -> str:
    """The info text with its ``#tags`` highlighted."""
    return TAG.sub(r'<span class="vidjil-tag">#\1</span>', escape(info or ""))


def _date(value: object) -> str:
    return "" if value is None or value != value else escape(str(value))  # NaN: missing


def set_rows(kind: str, frame) -> tuple[list[str], list[list[str]]]:
    """Header and HTML cells of the table of sets; the label links to the Set dashboard."""
    rows = []
    for record in frame.to_dict("records"):
        label = link(record["label"], "set", "vidjil-set-link", set_id=record["id"])
        if not record.get("identity_visible", True):
            label += ' <span class="vidjil-anonymised">(anonymised)</span>'
        cells = [label]
        if kind == "patient":
            cells += [escape(str(record.get("id_label") or "")), _date(record.get("birth_date"))]
        elif kind == "run":
            cells += [_date(record.get("run_date")), escape(str(record.get("sequencer") or ""))]
        cells += [str(record["sample_count"]), tags_html(record.get("info"))]
        rows.append(cells)
    header = {"patient": ["patient", "id", "birth date"], "run": ["run", "date", "sequencer"],
              "generic": ["set"]}[kind] + ["samples", "info"]
    return header, rows


class SetsDashboard:
    """The widgets of the Sets dashboard and what their buttons do."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.kind = widgets.ToggleButtons(options=[(KIND_TITLES[k], k) for k in KINDS])
        self.search = widgets.Text(placeholder="search (name, id, info)", description="Search",
                                   continuous_update=False)
        self.tag = widgets.Dropdown(description="Tag", options=[("any", "")])
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.table = widgets.HTML()
        self.notice = Notice()
        self.fields = {name: widgets.Text(description=FIELD_TITLES[name],
                                          placeholder="YYYY-MM-DD" if name in DATE_FIELDS
                                          else "")
                       for name in dict.fromkeys(sum(PASTE_COLUMNS.values(), ()))}
        for name, field in self.fields.items():
            field.add_class(f"vidjil-field-{name}")
        self.form = widgets.VBox()
        self.create_button = widgets.Button(description="Create", button_style="primary")
        self.create_button.add_class("vidjil-create")
        self.paste = widgets.Textarea(placeholder="rows copied from a spreadsheet",
                                      layout=widgets.Layout(width="90%", height="8em"))
        self.paste_hint = widgets.HTML()
        self.batch_button = widgets.Button(description="Create all")
        self.batch_button.add_class("vidjil-create-batch")
        self.kind.observe(self._kind_changed, "value")
        self.search.observe(lambda _: self.refresh(), "value")
        self._updating = False
        self.tag.observe(lambda _: self._updating or self.refresh(), "value")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.create_button.on_click(lambda _: self.create_one())
        self.batch_button.on_click(lambda _: self.create_batch())
        create = widgets.Accordion(children=[
            widgets.VBox([self.form, self.create_button]),
            widgets.VBox([self.paste_hint, self.paste, self.batch_button])],
            titles=("New", "Paste rows from a spreadsheet"), selected_index=0)
        self.widget = widgets.VBox([
            widgets.HTML(STYLE + '<style>.vidjil-tag { background: #e3ecf7; '
                         'border-radius: 3px; padding: 0 3px; }</style>'),
            self.kind, widgets.HBox([self.search, self.tag, self.refresh_button]),
            self.notice, self.table, create])
        self._kind_changed()

    def _kind_changed(self, _change: object = None) -> None:
        kind = self.kind.value
        self.form.children = [self.fields[name] for name in PASTE_COLUMNS[kind]]
        self.paste_hint.value = ("<p>One " + kind + " a line, columns separated by tabs: "
                                 + escape(", ".join(FIELD_TITLES[n] for n in PASTE_COLUMNS[kind]))
                                 + ". Nothing is created if a line is wrong.</p>")
        self.refresh()

    def refresh(self) -> None:
        """Reload the tags and the sets of the chosen kind that match the search and tag."""
        with guard(self.notice):
            tags = self.lab.tags()
            names = list(tags["name"]) if len(tags) else []
            options = [("any", ""), *((f"#{name}", name) for name in names)]
            if list(self.tag.options) != options:
                chosen = self.tag.value if self.tag.value in names else ""
                self._updating = True
                try:
                    self.tag.options = options
                    self.tag.value = chosen
                finally:
                    self._updating = False
            frame = self.lab.sets(self.kind.value, search=self.search.value.strip() or None,
                                  tag=self.tag.value or None)
            if not len(frame):
                title = KIND_TITLES[self.kind.value].lower()
                self.table.value = f'<p class="vidjil-empty">No {title} found.</p>'
                return
            header, rows = set_rows(self.kind.value, frame)
            self.table.value = html_table(rows, header, "vidjil-sets")

    def create_one(self) -> None:
        """Create the set described by the form, then show it in the table."""
        kind = self.kind.value
        with guard(self.notice):
            values = {name: self.fields[name].value for name in PASTE_COLUMNS[kind]}
            made = self.lab.create_set(kind, **check_fields(kind, values, f"new {kind}"))
            for name in PASTE_COLUMNS[kind]:
                self.fields[name].value = ""
            self.refresh()
            self.notice.ok(f"Created {made['label']}.")

    def create_batch(self) -> None:
        """Create every pasted row, or none if one is wrong."""
        kind = self.kind.value
        with guard(self.notice):
            made = self.lab.create_sets(kind, parse_rows(kind, self.paste.value))
            self.paste.value = ""
            self.refresh()
            self.notice.ok(f"Created {len(made)} {KIND_TITLES[kind].lower()}.")


def build(lab: Lab | None = None) -> widgets.Widget:
    """The Sets dashboard of the user whose server runs it."""
    try:
        return SetsDashboard(lab or connect()).widget
    except Exception as error:  # noqa: BLE001 - shown as a sentence, not a traceback
        return error_page(error)
