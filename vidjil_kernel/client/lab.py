"""``Lab``: the lab's API as Python methods, tables as pandas DataFrames."""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vidjil_kernel.client.transport import Transport, locate_api
from vidjil_kernel.client.uploads import CHUNK_SIZE, send_file
from vidjil_kernel.exceptions import ApiError, UsageError

#: job states after which a job does not change by itself
FINAL_STATES = ("completed", "failed", "cancelled")
#: rows asked per request when a method gathers a whole table
PAGE = 1000


def _id(record: Any) -> int:
    """An id, from an int or from a record (dict or DataFrame row) that has one."""
    if isinstance(record, numbers.Integral):  # numpy's integers too (a DataFrame's index)
        return int(record)
    try:
        return int(record["id"])
    except (TypeError, KeyError, ValueError, IndexError):
        raise UsageError(f"expected an id or a record with an 'id', got {record!r}") from None


def _frame(rows: list[dict], columns: list[str] | None = None):
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns) if rows or columns else pd.DataFrame()
    return frame.set_index("id", drop=False) if "id" in frame.columns else frame


def _given(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


class Lab:
    """A connection to the lab's API as one user.

    Parameters
    ----------
    hub_url
        The lab's address (``http://127.0.0.1:8000``); default: the lab this server runs in.
    token
        A JupyterHub API token; default ``$JUPYTERHUB_API_TOKEN``.
    api_url
        The API's own address, when it is not ``<hub_url>/services/vidjil-api``.
    timeout
        Seconds to wait for each answer.

    Methods that return tables (sets, samples, jobs, clones...) return pandas
    DataFrames indexed by ``id``; others return the API's JSON as dicts.  Refusals
    raise ``ApiAuthError`` (401), ``ApiForbidden`` (403), ``ApiNotFound`` (404) or
    ``ApiError``, whose message is the API's reason.
    """

    def __init__(self, hub_url: str | None = None, token: str | None = None, *,
                 api_url: str | None = None, timeout: float = 30.0) -> None:
        url = locate_api(hub_url, api_url)
        token = token or os.environ.get("JUPYTERHUB_API_TOKEN")
        if not token:
            raise UsageError("no token: pass Lab(token=...) (make one on the hub's token page)")
        self._api = Transport(url, token, timeout)
        self.url = self._api.url
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Lab({self.url!r})"

    def _request(self, method: str, route: str, **kwargs: Any) -> Any:
        return self._api.json(method, route, **kwargs)

    # --- the server and the caller -----------------------------------------------------

    def status(self) -> dict:
        """Version, uptime, workers and queue, disk space."""
        return self._request("GET", "/status")

    def whoami(self) -> dict:
        """The user this connection acts as: name, lab admin flag, hub and lab groups."""
        return self._request("GET", "/whoami")

    # --- sets ------------------------------------------------------------------------------

    def sets(self, kind: str | None = None, *, search: str | None = None,
             tag: str | None = None):
        """Patients, runs and generic sets you may read (anonymised without ``anon``)."""
        return _frame(self._pages("/sets", _given(kind=kind, search=search, tag=tag)))

    def set(self, set_id: Any) -> dict:
        return self._request("GET", f"/sets/{_id(set_id)}")

    def create_set(self, kind: str, *, group: str | None = None, **fields: Any) -> dict:
        """A new ``patient``, ``run`` or ``generic`` set (in your personal group by default)."""
        return self._request("POST", "/sets", json={"kind": kind, **_given(group=group),
                                                    **fields})

    def create_sets(self, kind: str, rows: Any, *, group: str | None = None):
        """Many sets of one kind from a list of dicts or a DataFrame (all or none)."""
        import pandas as pd

        if isinstance(rows, pd.DataFrame):
            rows = [{key: value for key, value in row.items() if pd.notna(value)}
                    for row in rows.to_dict("records")]
        items = [{key: str(value) if hasattr(value, "isoformat") else value
                  for key, value in row.items()} for row in rows]
        return _frame(self._request("POST", "/sets/batch", json={
            "kind": kind, "items": items, **_given(group=group)}))

    def update_set(self, set_id: Any, **fields: Any) -> dict:
        return self._request("PATCH", f"/sets/{_id(set_id)}", json=fields)

    def delete_set(self, set_id: Any) -> None:
        """Delete a set, with its samples that are in no other set."""
        self._request("DELETE", f"/sets/{_id(set_id)}")

    def share_set(self, set_id: Any, group: str) -> dict:
        return self._request("PUT", f"/sets/{_id(set_id)}/groups/{group}")

    def unshare_set(self, set_id: Any, group: str) -> None:
        self._request("DELETE", f"/sets/{_id(set_id)}/groups/{group}")

    # --- samples and their files -------------------------------------------------------------

    def samples(self, set: Any = None, *, search: str | None = None,  # noqa: A002
                tag: str | None = None):
        """Samples you may read (of one set if given), newest first."""
        route = f"/sets/{_id(set)}/samples" if set is not None else "/samples"
        return _frame(self._pages(route, _given(search=search, tag=tag)))

    def sample(self, sample_id: Any) -> dict:
        return self._request("GET", f"/samples/{_id(sample_id)}")

    def upload(self, path: str | Path, set: Any, *, resume: bool = True,  # noqa: A002
               chunk_size: int = CHUNK_SIZE, progress: bool = False,
               on_progress: Callable[[int, int], None] | None = None) -> dict:
        """Upload a file for a set, in chunks; an interrupted upload resumes where it stopped.

        Returns the finished upload (its ``id`` goes to ``add_sample``); calling it
        again after a failure (or a restart of the notebook) resumes the upload.
        ``progress`` shows a bar; ``on_progress(sent, size)`` is called after each chunk
        (a dashboard's own bar).
        """
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=Path(path).stat().st_size, unit="B", unit_scale=True,
                       desc=Path(path).name)

        def advance(sent: int, size: int) -> None:
            if bar is not None:
                bar.update(sent - bar.n)
            if on_progress is not None:
                on_progress(sent, size)

        try:
            return send_file(self._api, path, _id(set), chunk_size=chunk_size, resume=resume,
                             on_progress=advance)
        finally:
            if bar is not None:
                bar.close()

    def add_sample(self, set: Any, file: str | Path | None = None,  # noqa: A002
                   file_r2: str | Path | None = None, *, source: str | None = None,
                   source_r2: str | None = None, sets: list[Any] | None = None,
                   progress: bool = False, chunk_size: int = CHUNK_SIZE,
                   on_progress: Callable[[int, int], None] | None = None,
                   **fields: Any) -> dict:
        """A new sample of ``set`` (and of ``sets``): its file(s) uploaded from here
        (``file``, ``file_r2``) or taken from the lab's file source (``source``,
        ``source_r2``); the lab checks the reads before accepting them.
        ``progress``, ``chunk_size``, ``on_progress``: as for ``upload``."""
        refs: dict[str, Any] = {}
        for key, local, mounted in (("file", file, source), ("file_r2", file_r2, source_r2)):
            if local is not None:
                refs[key] = {"upload": self.upload(local, set, progress=progress,
                                                   chunk_size=chunk_size,
                                                   on_progress=on_progress)["id"]}
            elif mounted is not None:
                refs[key] = {"source": mounted}
        all_sets = [_id(set), *(_id(other) for other in sets or [])]
        body = {"sets": all_sets, **refs, **{key: str(value) if hasattr(value, "isoformat")
                                             else value for key, value in fields.items()}}
        return self._request("POST", "/samples", json=body)

    def update_sample(self, sample_id: Any, **fields: Any) -> dict:
        return self._request("PATCH", f"/samples/{_id(sample_id)}", json=fields)

    def link_sample(self, sample_id: Any, set: Any) -> dict:  # noqa: A002
        """Put a sample in another set too (e.g. its sequencing run)."""
        return self._request("PUT", f"/samples/{_id(sample_id)}/sets/{_id(set)}")

    def remove_sample(self, sample_id: Any, set: Any) -> None:  # noqa: A002
        """Take a sample out of a set (deleted, with its file, when in no set)."""
        self._request("DELETE", f"/samples/{_id(sample_id)}/sets/{_id(set)}")

    def uploads(self):
        """Your uploads not yet attached to a sample."""
        return _frame(self._request("GET", "/uploads"))

    def files(self, path: str = ""):
        """A folder of the lab's file source: sub-folders and sequence files."""
        return _frame(self._request("GET", "/files", params={"path": path}))

    def download_sample_file(self, sample_id: Any, to: str | Path, *, mate: int = 1) -> Path:
        return self._download(f"/samples/{_id(sample_id)}/file", to, params={"mate": mate})

    # --- configs and jobs ------------------------------------------------------------------

    def configs(self):
        """Analysis configs you may use."""
        return _frame(self._request("GET", "/configs"))

    def create_config(self, name: str, parameters: str, *, group: str | None = None,
                      **fields: Any) -> dict:
        """A config of the engine: ``parameters`` are `vidjil detect` options."""
        return self._request("POST", "/configs", json={
            "name": name, "parameters": parameters, **_given(group=group), **fields})

    def share_config(self, config_id: Any, group: str) -> dict:
        return self._request("PUT", f"/configs/{_id(config_id)}/groups/{group}")

    def preprocesses(self):
        return _frame(self._request("GET", "/preprocesses"))

    def launch(self, set: Any, config: Any, samples: list[Any] | None = None):  # noqa: A002
        """Analyse the samples of a set (all of them unless ``samples``) with a config.

        ``config`` is an id or a config's name.  Returns the queued results.
        """
        body: dict[str, Any] = {"config_id": self._config_id(config)}
        if samples is not None:
            body["sample_ids"] = [_id(sample) for sample in samples]
        return _frame(self._request("POST", f"/sets/{_id(set)}/launch", json=body))

    def _config_id(self, config: Any) -> int:
        if isinstance(config, str):
            configs = self._request("GET", "/configs")
            matches = [item["id"] for item in configs if item["name"] == config]
            if not matches:
                raise UsageError(f"no config named {config!r} that you may use")
            return matches[0]
        return _id(config)

    def jobs(self, *, state: str | None = None, kind: str | None = None,
             set: Any = None, limit: int = 200):  # noqa: A002
        """Jobs on sets you may read, newest first."""
        params = _given(state=state, kind=kind, limit=limit,
                        set_id=_id(set) if set is not None else None)
        return _frame(self._request("GET", "/jobs", params=params))

    def job(self, job_id: Any) -> dict:
        return self._request("GET", f"/jobs/{_id(job_id)}")

    def job_log(self, job_id: Any) -> str:
        return self._request("GET", f"/jobs/{_id(job_id)}/log")["log"]

    def cancel(self, job_id: Any) -> dict:
        return self._request("POST", f"/jobs/{_id(job_id)}/cancel")

    def rerun(self, job_id: Any) -> dict:
        return self._request("POST", f"/jobs/{_id(job_id)}/rerun")

    def wait(self, set: Any, *, timeout: float = 3600.0, poll: float = 2.0):  # noqa: A002
        """Wait until every job of a set has finished; its jobs."""
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.jobs(set=set)
            if len(jobs) and jobs["state"].isin(FINAL_STATES).all():
                return jobs
            if time.monotonic() > deadline:
                raise ApiError("GET", "/jobs", None, f"jobs of set {_id(set)} still running "
                               f"after {timeout:.0f} s")
            time.sleep(poll)

    # --- results ---------------------------------------------------------------------------

    def results(self, sample: Any):
        """A sample's results (one per launch), newest first."""
        return _frame(self._request("GET", f"/samples/{_id(sample)}/results"))

    def fused(self, set: Any):  # noqa: A002
        """A set's fused results (its samples side by side, per config)."""
        frame = _frame(self._request("GET", f"/sets/{_id(set)}/fused"))
        if "set" in frame.columns:
            frame = frame.drop(columns="set")
        return frame

    def clones(self, result: Any = None, *, fused: Any = None, locus: str | None = None,
               search: str | None = None, limit: int | None = None):
        """The clone table of a result (or of a fused result: reads per sample), biggest first.

        One row per clone; for a fused result, ``reads`` and ``percent`` hold one
        value per sample, in the order of ``frame.attrs["samples"]``.
        """
        if (result is None) == (fused is None):
            raise UsageError("give either a result or fused=")
        route = f"/results/{_id(result)}/clones" if fused is None \
            else f"/fused/{_id(fused)}/clones"
        rows: list[dict] = []
        samples: list[dict] = []
        while limit is None or len(rows) < limit:
            size = PAGE if limit is None else min(PAGE, limit - len(rows))
            page = self._request("GET", route, params=_given(
                locus=locus, search=search, offset=len(rows), limit=size))
            samples = page["samples"]
            rows += page["items"]
            if len(rows) >= page["total"] or not page["items"]:
                break
        frame = _frame(rows)
        frame.attrs["samples"] = samples
        return frame

    def repertoire(self, result: Any = None, *, fused: Any = None) -> dict:
        """Per sample: reads analysed and why not, diversity, V x J usage, read lengths."""
        if (result is None) == (fused is None):
            raise UsageError("give either a result or fused=")
        route = f"/results/{_id(result)}/repertoire" if fused is None \
            else f"/fused/{_id(fused)}/repertoire"
        return self._request("GET", route)

    def download(self, result: Any = None, *, fused: Any = None, to: str | Path = ".",
                 format: str = "vidjil") -> Path:  # noqa: A002
        """Save a result as ``.vidjil`` or ``airr`` (TSV), or a fused result as ``.vidjil``."""
        if (result is None) == (fused is None):
            raise UsageError("give either a result or fused=")
        if format not in ("vidjil", "airr") or (fused is not None and format != "vidjil"):
            raise UsageError(f"format {format!r}: results are 'vidjil' or 'airr', fused "
                             "results 'vidjil'")
        route = f"/results/{_id(result)}/{format}" if fused is None \
            else f"/fused/{_id(fused)}/vidjil"
        return self._download(route, to)

    def _download(self, route: str, to: str | Path, **kwargs: Any) -> Path:
        reply = self._api.send("GET", route, stream=True, **kwargs)
        target = Path(to)
        if target.is_dir():
            name = reply.headers.get("content-disposition", "").rpartition("filename=")[2]
            target = target / (name.strip('"') or route.rsplit("/", 1)[-1])
        with target.open("wb") as handle:
            for block in reply.iter_content(1 << 20):
                handle.write(block)
        return target

    def analysis(self, set: Any, config: Any, *, version: int | None = None) -> dict:  # noqa: A002
        """The annotations of a set's clones for a config (latest version, or ``version``)."""
        return self._request("GET", f"/sets/{_id(set)}/analyses/{self._config_id(config)}",
                             params=_given(version=version))

    def save_analysis(self, set: Any, config: Any, data: dict) -> dict:  # noqa: A002
        """Save a new version of the annotations (clone names, tags, clusters, sample order)."""
        return self._request("POST", f"/sets/{_id(set)}/analyses/{self._config_id(config)}",
                             json=data)

    # --- the rest of the lab --------------------------------------------------------------

    def tags(self, prefix: str = ""):
        return _frame(self._request("GET", "/tags", params={"prefix": prefix}))

    def groups(self):
        return _frame(self._request("GET", "/groups"))

    def users(self):
        """Every account (lab admins)."""
        return _frame(self._request("GET", "/users"))

    def audit(self, record_type: str | None = None, record_id: int | None = None,
              limit: int = 100, *, user: str | None = None):
        """Audit entries, newest first (of one record, or made by ``user``)."""
        return _frame(self._request("GET", "/audit", params=_given(
            record_type=record_type, record_id=record_id, user=user, limit=limit)))

    def set_user(self, name: str, *, active: bool | None = None,
                 admin: bool | None = None) -> dict:
        """Enable or disable an account, make it a lab admin or not (lab admins)."""
        return self._request("PATCH", f"/users/{name}", json=_given(active=active, admin=admin))

    def notifications(self):
        return _frame(self._request("GET", "/notifications"))

    def _pages(self, route: str, params: dict[str, Any]) -> list[dict]:
        rows: list[dict] = []
        while True:
            page = self._request("GET", route, params={**params, "offset": len(rows),
                                                       "limit": PAGE})
            rows += page["items"]
            if len(rows) >= page["total"] or not page["items"]:
                return rows

