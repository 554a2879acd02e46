"""What Dask runs: one job of any kind, turned into an outcome the runner records.

Errors the job's input or settings cause (``VidjilError``), a timeout, a cancel:
all become an outcome with a status and a message, so that Dask only ever sees
a failure when the worker itself is lost (which the runner retries).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from vidjil_kernel.exceptions import VidjilError
from vidjil_kernel.jobs.context import JobCancelled, JobContext, JobTimedOut


def execute_job(run: Callable[[dict, JobContext], dict], spec: dict) -> dict[str, Any]:
    """Run ``run(spec, context)`` on this worker; returns ``status``, ``log``, ``worker``..."""
    context = JobContext(spec)
    context.announce()
    try:
        outcome = {"status": "ok", **run(spec, context)}
    except JobCancelled:
        outcome = {"status": "cancelled"}
        context.log("stopped: cancelled")
    except JobTimedOut as error:
        outcome = {"status": "failed", "error": str(error)}
    except VidjilError as error:
        outcome = {"status": "failed", "error": str(error)}
    except Exception as error:  # a bug: keep the traceback in the job log
        context.log(traceback.format_exc())
        outcome = {"status": "failed",
                   "error": f"internal error ({type(error).__name__}: {error}); "
                            "the job log has the details"}
    outcome["log"] = "\n".join(context.lines)
    outcome["worker"] = context.worker_name
    return outcome
