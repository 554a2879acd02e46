"""The home dashboard: who is logged in, the server's state, and the way to the others."""

from __future__ import annotations

from html import escape

from vidjil_kernel.dashboards.common import STYLE, error_html, explain, link

#: sets offered as shortcuts to their Results
RECENT_SETS = 5


def gigabytes(size: int | float) -> str:
    return f"{size / 1e9:.1f} GB"


def home_html(me: dict, status: dict, recent: list[dict]) -> str:
    """The page: a welcome, the server's state, links to Sets, recent Results and Admin."""
    role = "administrator" if me["admin"] else "user"
    parts = [
        f'<p class="vidjil-welcome">Welcome, <b>{escape(me["name"])}</b> ({role}).</p>',
        f'<p class="vidjil-status">Server {escape(status["version"])}: up for '
        f'{status["uptime_seconds"] / 60:.0f} min, {gigabytes(status["disk_free_bytes"])} '
        f'free of {gigabytes(status["disk_total_bytes"])}.</p>',
        f"<p>{link('Patients, runs and sets', 'sets', 'vidjil-sets-link')}</p>",
    ]
    if recent:
        parts.append('<p class="vidjil-results-links">Results: ' + ", ".join(
            link(row["label"] or f"set {row['id']}", "results", set_id=row["id"])
            for row in recent) + "</p>")
    if me["admin"]:
        parts.append(f'<p class="vidjil-admin-link">{link("Administration", "admin")}: '
                     "accounts, groups, workers and queue, disk, audit log.</p>")
    return STYLE + "".join(parts)


def show_home() -> None:
    """Display the home dashboard (a message if the API cannot be reached, never a traceback)."""
    from IPython.display import HTML, display

    from vidjil_kernel.client import Lab
    from vidjil_kernel.exceptions import VidjilError

    try:
        lab = Lab()
        me, status = lab.whoami(), lab.status()
        recent = lab.sets().head(RECENT_SETS).to_dict("records")
    except VidjilError as error:
        display(HTML(error_html(f"The lab server cannot be reached: {explain(error)}")))
        return
    display(HTML(home_html(me, status, recent)))
