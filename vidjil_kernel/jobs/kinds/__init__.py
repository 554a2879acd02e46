"""The kinds of jobs, each in three parts, and the registry the runner dispatches by.

- ``prepare(session, job, paths)`` (runner, database at hand): everything the
  work needs, as a plain dict (the *spec*): paths, parameters, names.  Raising a
  ``VidjilError`` fails the job with its message.
- ``run(spec, context)`` (worker, no database): does the work, writes its files
  durably (temporary name, fsync, rename) and returns a plain dict (the *outcome*).
- ``finish(session, job, outcome, paths)`` (runner): records the outcome (result
  paths, states) and queues the jobs that follow (a fuse after an analysis).

Other issues add kinds with ``register`` (reports will add ``report``); a kind is
offered only once registered, never as a placeholder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vidjil_kernel.db.models import Job
    from vidjil_kernel.jobs.context import JobContext
    from vidjil_kernel.jobs.paths import LabPaths

Spec = dict[str, Any]
Outcome = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """One kind of job; ``timeout_setting`` names its timeout in ``Settings``."""

    name: str
    timeout_setting: str
    prepare: Callable[[Session, Job, LabPaths], Spec]
    run: Callable[[Spec, JobContext], Outcome]
    finish: Callable[[Session, Job, Outcome, LabPaths], None]
    #: its output files belong to its own record only: drop them if the job was cancelled
    owns_files: bool = False


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> Kind:
    _load_builtin()
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(f"no job kind {name!r}; known: {', '.join(sorted(KINDS))}") from None


def _load_builtin() -> None:
    """Import the lab's own kinds (each module registers itself)."""
    from vidjil_kernel.jobs.kinds import analysis, fuse, importing, preprocess  # noqa: F401
