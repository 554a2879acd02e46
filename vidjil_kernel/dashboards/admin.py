"""The Admin dashboard: accounts, groups and rights, workers and queue, disk, audit log.

For lab admins only: the API refuses these routes to others, and the dashboard
says so instead of showing empty tables.  Sign-ups are authorised on the hub's
own page (linked); accounts are enabled or disabled here through the API.
"""

from __future__ import annotations

import os
from html import escape
from typing import Any

import pandas as pd

from vidjil_kernel.dashboards.common import error_html, explain, frame_html
from vidjil_kernel.exceptions import VidjilError

#: audit entries shown at a time
AUDIT_ENTRIES = 50
#: job states that make the queue
QUEUED = ("pending", "waiting", "queued", "running")
EVERYONE = "(everyone)"


def gigabytes(size: int | float) -> str:
    return f"{size / 1e9:.1f} GB"


def users_frame(lab: Any) -> pd.DataFrame:
    users = lab.users()
    if not len(users):
        return pd.DataFrame(columns=["name", "email", "admin", "active", "groups"])
    frame = users[["name", "email", "is_admin", "active", "created_at", "last_login",
                   "groups"]].rename(columns={"is_admin": "admin", "created_at": "created",
                                              "last_login": "last login"})
    frame["groups"] = frame["groups"].map(", ".join)
    return frame.sort_values("name").reset_index(drop=True)


def groups_frame(lab: Any) -> pd.DataFrame:
    groups = lab.groups()
    frame = groups[["name", "kind", "description", "rights", "members"]].copy()
    for column in ("rights", "members"):
        frame[column] = frame[column].map(", ".join)
    return frame.sort_values(["kind", "name"]).reset_index(drop=True)


def queue_frame(lab: Any) -> pd.DataFrame:
    """Jobs waiting or running, oldest first."""
    columns = ["id", "kind", "state", "set_id", "worker", "progress", "created_at"]
    jobs = [frame for frame in (lab.jobs(state=state) for state in QUEUED) if len(frame)]
    if not jobs:
        return pd.DataFrame(columns=columns)
    return pd.concat(jobs)[columns].sort_values("id").reset_index(drop=True)


def workers_frame(status: dict) -> pd.DataFrame:
    rows = [{"name": worker["name"], "address": worker["address"],
             "threads": worker["threads"],
             "memory": gigabytes(worker["memory_limit"]) if worker["memory_limit"] else "",
             "running jobs": ", ".join(map(str, worker["jobs"]))}
            for worker in status["workers"]]
    return pd.DataFrame(rows, columns=["name", "address", "threads", "memory", "running jobs"])


def audit_frame(lab: Any, user: str | None = None, limit: int = AUDIT_ENTRIES) -> pd.DataFrame:
    entries = lab.audit(limit=limit, user=user)
    if not len(entries):
        return pd.DataFrame(columns=["at", "user", "action", "record", "origin"])
    frame = entries[["at", "user", "action", "record_type", "record_id", "origin"]].copy()
    frame["record"] = [f"{kind} {int(key)}" if pd.notna(key) else kind
                       for kind, key in zip(frame.pop("record_type"), frame.pop("record_id"),
                                            strict=True)]
    return frame.reset_index(drop=True)


def server_html(status: dict) -> str:
    disk = status["disk"]
    warning = ' <b class="vidjil-disk-low">Low: uploads and launches are refused.</b>' \
        if disk["low"] else ""
    runner = "dispatching jobs" if status["runner"] else \
        f"not dispatching jobs ({escape(status['runner_problem'] or 'starting')})"
    states = ", ".join(f"{count} {state}" for state, count in sorted(status["jobs"].items())) \
        or "none"
    return (f'<p class="vidjil-server">Version {escape(status["version"])}, up '
            f'{status["uptime_seconds"] / 3600:.1f} h; runner {runner} on '
            f'{escape(status["scheduler"])}.</p>'
            f'<p class="vidjil-queue">Queue: {status["queue_length"]} jobs; active jobs: '
            f"{escape(states)}.</p>"
            f'<p class="vidjil-disk">Disk ({escape(disk["path"])}): '
            f'{gigabytes(disk["free_bytes"])} free of {gigabytes(disk["total_bytes"])} '
            f'(threshold {gigabytes(disk["threshold_bytes"])}).{warning}</p>')


class AdminDashboard:
    """The widgets: tables refreshed from the API, account switches, the audit filter."""

    def __init__(self, lab: Any) -> None:
        import ipywidgets as widgets

        self.lab = lab
        self.users = widgets.HTML()
        self.users.add_class("vidjil-users")
        self.account = widgets.Dropdown(description="Account")
        self.enable = widgets.Button(description="Enable")
        self.disable = widgets.Button(description="Disable", button_style="warning")
        self.enable.add_class("vidjil-enable")
        self.disable.add_class("vidjil-disable")
        self.message = widgets.HTML()
        self.groups = widgets.HTML()
        self.server = widgets.HTML()
        self.workers = widgets.HTML()
        self.queue = widgets.HTML()
        self.queue.add_class("vidjil-jobs-queue")
        self.audit_user = widgets.Dropdown(description="By")
        self.audit_user.add_class("vidjil-audit-user")
        self.audit = widgets.HTML()
        self.audit.add_class("vidjil-audit")
        self.refresh_button = widgets.Button(description="Refresh")
        self.enable.on_click(lambda _: self.set_active(True))
        self.disable.on_click(lambda _: self.set_active(False))
        self.refresh_button.on_click(lambda _: self.refresh())
        self.audit_user.observe(lambda _: self.refresh_audit(), "value")
        self.refresh()

    def refresh(self) -> None:
        users = users_frame(self.lab)
        self.users.value = frame_html(users, "vidjil-users-table")
        names = list(users["name"])
        chosen, audited = self.account.value, self.audit_user.value
        self.account.options = names
        self.account.value = chosen if chosen in names else (names[0] if names else None)
        self.audit_user.options = [EVERYONE, *names]
        self.audit_user.value = audited if audited in names else EVERYONE
        self.groups.value = frame_html(groups_frame(self.lab), "vidjil-groups-table")
        status = self.lab.status()
        self.server.value = server_html(status)
        self.workers.value = frame_html(workers_frame(status), "vidjil-workers-table")
        self.queue.value = frame_html(queue_frame(self.lab), "vidjil-queue-table")
        self.refresh_audit()

    def refresh_audit(self) -> None:
        user = None if self.audit_user.value in (None, EVERYONE) else self.audit_user.value
        self.audit.value = frame_html(audit_frame(self.lab, user), "vidjil-audit-table")

    def set_active(self, active: bool) -> None:
        name = self.account.value
        if not name:
            return
        try:
            self.lab.set_user(name, active=active)
        except VidjilError as error:
            self.message.value = error_html(explain(error))
            return
        self.message.value = (f'<span class="vidjil-done">{escape(name)} '
                              f'{"enabled" if active else "disabled"}.</span>')
        self.refresh()

    def widget(self):
        import ipywidgets as widgets

        hub = os.environ.get("JUPYTERHUB_BASE_URL", "/").rstrip("/") + "/hub/authorize"
        return widgets.VBox([
            self.refresh_button,
            widgets.HTML("<h2>Accounts</h2><p>New sign-ups are authorised on the "
                         f'<a class="vidjil-authorize" href="{escape(hub)}" target="_blank">'
                         "hub's authorisation page</a>.</p>"),
            self.users, widgets.HBox([self.account, self.enable, self.disable]), self.message,
            widgets.HTML("<h2>Groups and rights</h2>"), self.groups,
            widgets.HTML("<h2>Server, workers and queue</h2>"), self.server, self.workers,
            self.queue,
            widgets.HTML(f"<h2>Audit log</h2><p>The latest {AUDIT_ENTRIES} entries.</p>"),
            self.audit_user, self.audit,
        ])


def show_admin() -> None:
    """The dashboard for lab admins; a message for anyone else (never a traceback)."""
    from IPython.display import HTML, display

    from vidjil_kernel.client import Lab

    try:
        lab = Lab()
        me = lab.whoami()
        if not me["admin"]:
            display(HTML(error_html(f"This page is for the lab's administrators; {me['name']} "
                                    "is not one. Ask an administrator if you need it.")))
            return
        display(AdminDashboard(lab).widget())
    except VidjilError as error:
        display(HTML(error_html(explain(error))))
