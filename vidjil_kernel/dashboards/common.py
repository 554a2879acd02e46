"""What every dashboard shares: the connection, errors shown plainly, links by query string.

Dashboards link to each other by URL query parameters (``set.ipynb?set_id=3``):
Voila passes the query string to the kernel as ``$QUERY_STRING``.  A user's
mistake or a refusal of the API is shown as one line naming what went wrong and
what to do; a traceback is never shown (Voila hides those of cells, ``guard``
those of button callbacks).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from urllib.parse import parse_qs, urlencode

import ipywidgets as widgets
import pandas as pd

from vidjil_kernel.client import Lab
from vidjil_kernel.exceptions import (
    ApiAuthError,
    ApiForbidden,
    ApiNotFound,
    UsageError,
    VidjilError,
)
from vidjil_kernel.server.runtime import API_SERVICE_NAME

log = logging.getLogger(__name__)

#: CSS of the dashboards' messages (classes ``vidjil-error``, ``vidjil-ok``, ``vidjil-info``)
STYLE = """<style>
.vidjil-error { color: #a40000; font-weight: bold; }
.vidjil-ok { color: #1b5e20; }
.vidjil-info { color: #444; }
.widget-html a { color: #1565c0; text-decoration: underline; }
.vidjil-table { border-collapse: collapse; }
.vidjil-table th, .vidjil-table td { padding: 2px 8px; border-bottom: 1px solid #ddd;
  text-align: left; }
</style>"""


def connect() -> Lab:
    """The lab's API as the user whose server runs this dashboard."""
    return Lab()


def query_params(query: str | None = None) -> dict[str, str]:
    """The page's query parameters (``$QUERY_STRING`` under Voila), last value of each."""
    raw = os.environ.get("QUERY_STRING", "") if query is None else query
    return {name: values[-1] for name, values in parse_qs(raw).items()}


def query_int(name: str, query: str | None = None) -> int:
    """A required integer parameter of the page, e.g. ``set_id``; ``UsageError`` if absent."""
    value = query_params(query).get(name)
    if value is None:
        raise UsageError(f"this page needs ?{name}=N in its address "
                         "(open it from the Sets dashboard)")
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"?{name}={value!r} in the address is not a number") from None


def dashboard_url(notebook: str, **params: object) -> str:
    """The address of another dashboard, relative to this one (they share a folder)."""
    query = urlencode({name: value for name, value in params.items() if value is not None})
    return f"{notebook}.ipynb" + (f"?{query}" if query else "")


def link(text: str, notebook: str, css_class: str = "", **params: object) -> str:
    """An HTML link to another dashboard, opened in the same tab."""
    classes = f' class="{escape(css_class)}"' if css_class else ""
    return (f'<a{classes} href="{escape(dashboard_url(notebook, **params))}" '
            f'target="_self">{escape(text)}</a>')


def api_href(route: str) -> str:
    """The browser's address of an API route (downloads): the browser logs in by OAuth."""
    base = os.environ.get("JUPYTERHUB_BASE_URL", "/").rstrip("/")
    return f"{base}/services/{API_SERVICE_NAME}{route}"


def explain(error: Exception) -> str:
    """What the user reads for an error: the reason, and what to do when we know it."""
    if isinstance(error, ApiAuthError):
        return f"{error.detail}. Your session has expired: reload the page or log in again."
    if isinstance(error, ApiForbidden):
        return f"You may not do this: {error.detail}."
    if isinstance(error, ApiNotFound):
        return f"Not found: {error.detail}."
    if isinstance(error, VidjilError):
        return str(error)
    return (f"Unexpected error ({type(error).__name__}). The action was not completed; "
            "try again, and tell your lab's administrator if it persists.")


def error_html(message: str) -> str:
    """A message for the user, in the dashboards' error style (never a traceback)."""
    return f'<p class="vidjil-error">{escape(message)}</p>'


class Notice(widgets.HTML):
    """One line of feedback under a form: an error, a success, or progress."""

    def error(self, message: str) -> None:
        self.value = error_html(message)

    def ok(self, message: str) -> None:
        self.value = f'<p class="vidjil-ok">{escape(message)}</p>'

    def info(self, message: str) -> None:
        self.value = f'<p class="vidjil-info">{escape(message)}</p>'

    def clear(self) -> None:
        self.value = ""


@contextmanager
def guard(notice: Notice) -> Iterator[None]:
    """Run a user's action: any error goes to ``notice`` as a sentence, never a traceback."""
    try:
        yield
    except VidjilError as error:
        notice.error(explain(error))
    except Exception as error:  # a button callback must not die silently
        log.exception("dashboard action failed")
        notice.error(explain(error))


def error_page(error: Exception) -> widgets.HTML:
    """What a dashboard shows instead of itself when it cannot start (no set, no right)."""
    return widgets.HTML(STYLE + error_html(explain(error)))


def html_table(rows: list[list[str]], header: list[str], css_class: str) -> str:
    """A table of already-escaped HTML cells."""
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f'<table class="vidjil-table {escape(css_class)}"><tr>{head}</tr>{body}</table>'


def frame_html(frame: pd.DataFrame, css_class: str) -> str:
    """A DataFrame as an HTML table (numbers to 3 significant digits, blanks for missing)."""
    return frame.to_html(index=False, classes=css_class, border=0,
                         float_format=lambda x: f"{x:.3g}", na_rep="")
