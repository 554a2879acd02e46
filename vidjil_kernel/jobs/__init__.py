"""The lab's job queue: pre-process -> analysis -> fuse (and imports) on a Dask cluster.

What the API (and the CLI) call:

- ``JobRunner(settings, session_factory)`` with ``start()``, ``wake()``,
  ``status() -> dict``, ``cancel(job_id)``, ``rerun(job_id)`` (as the lab itself),
  ``stop()``: one per database (a lease guards it).  See ``runner``.
- Services, in the caller's transaction, rights checked for ``actor``:
  ``launch(session, actor, set_id, config_id, sample_ids=None, *, settings, origin)``,
  ``import_result(session, actor, set_id, sample_id, config_id, path, *, settings, origin)``,
  ``cancel(session, actor, job_id, *, origin)``,
  ``rerun(session, actor, job_id, *, settings, origin)``,
  ``list_jobs(session, actor, *, state=None, kind=None, set_id=None, limit=200)``,
  ``get_job(session, actor, job_id)``, ``job_log(session, actor, job_id)``;
  after the commit, call ``runner.wake()``.
- ``guard_disk(settings, session_factory, what)`` before an upload: refuses it
  (``DiskFull``) below the free-space threshold, after telling the admins.
- ``check_config(config)`` when a config is created or changed (``ConfigError``
  names the config and the option); ``ensure_default_configs(session)``.
- ``LabPaths(settings).stored(result.result_path)``: where a result file is.

States and transitions: ``states``; kinds of jobs and how to add one: ``kinds``.
"""

from vidjil_kernel.jobs.configs import check_config, ensure_default_configs
from vidjil_kernel.jobs.disk import disk_status, guard_disk, require_free_space
from vidjil_kernel.jobs.paths import LabPaths
from vidjil_kernel.jobs.runner import JobRunner
from vidjil_kernel.jobs.services import (
    cancel,
    get_job,
    import_result,
    job_log,
    launch,
    list_jobs,
    rerun,
)
from vidjil_kernel.jobs.states import JobKind, JobState
from vidjil_kernel.jobs.views import JobView

__all__ = [
    "JobKind", "JobRunner", "JobState", "JobView", "LabPaths", "cancel", "check_config",
    "disk_status", "ensure_default_configs", "get_job", "guard_disk", "import_result",
    "job_log", "launch", "list_jobs", "require_free_space", "rerun",
]
