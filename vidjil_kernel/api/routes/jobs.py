"""Jobs: launch analyses (one sample or all samples of a set), cancel, re-run, states and logs.

| route                                        | right                                   |
|----------------------------------------------|-----------------------------------------|
| launch a config on a set's samples           | ``run`` on the set and on the config    |
| import a result file (an upload) for a sample | ``upload`` on the set, ``run`` on the config |
| cancel, re-run a job                         | ``run`` on the job's set                |
| list jobs, read a job and its log            | ``read`` on the job's set               |

Launches are refused (507) when the disk is low, and (409) while the same
sample has an analysis with the same config under way.  Jobs are rows of the
database: their state, progress and log come from there, whichever runner runs them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from vidjil_kernel import jobs
from vidjil_kernel.api.attach import owned_upload
from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.api.errors import DISK_RESPONSE
from vidjil_kernel.api.params import MAX_ID, JobId, SampleId, SetId
from vidjil_kernel.db import rights
from vidjil_kernel.db.models import Right
from vidjil_kernel.db.views import ResultView
from vidjil_kernel.jobs import JobKind, JobState, JobView
from vidjil_kernel.storage.sample_files import as_stored

router = APIRouter(tags=["jobs"])

StateName = Literal[tuple(state.value for state in JobState)]  # type: ignore[valid-type]
KindName = Literal[tuple(kind.value for kind in JobKind)]  # type: ignore[valid-type]


class Launch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config_id: int = Field(ge=1, le=MAX_ID, description="The analysis config to run")
    sample_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=10_000, description="Samples of the set (all of them if omitted)")


class Import(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config_id: int = Field(ge=1, le=MAX_ID, description="The config the result is filed under")
    upload: str = Field(pattern=r"^[0-9a-f]{32}$",
                        description="A finished upload of a .vidjil or AIRR (.tsv) file")
    format: Literal["vidjil", "airr"] | None = Field(None, description="Guessed from the "
                                                     "file name if omitted")


class JobLog(BaseModel):
    id: int
    log: str


@router.post("/sets/{set_id}/launch", response_model=list[ResultView], status_code=201,
             responses=DISK_RESPONSE, summary="Analyse samples of a set with a config")
def launch(set_id: SetId, request: Launch, caller: CallerDep) -> list[ResultView]:
    with caller.session() as (session, actor):
        results = jobs.launch(session, actor, set_id, request.config_id, request.sample_ids,
                              settings=caller.lab.config.settings, origin=caller.origin)
    caller.lab.jobs.wake()
    return results


@router.post("/sets/{set_id}/samples/{sample_id}/import", response_model=ResultView,
             status_code=201, responses=DISK_RESPONSE,
             summary="File an uploaded result (.vidjil or AIRR) as a sample's result")
def import_result(set_id: SetId, sample_id: SampleId, request: Import,
                  caller: CallerDep) -> ResultView:
    lab = caller.lab
    with caller.session() as (session, actor):
        rights.require_set_right(session, actor, Right.UPLOAD, set_id, origin=caller.origin)
        upload = owned_upload(lab, actor, request.upload)
        target = lab.config.data_dir / "imports" / upload.id / upload.filename
        lab.uploads.move_data(upload, target)
        try:
            result = jobs.import_result(session, actor, set_id, sample_id, request.config_id,
                                        as_stored(lab.config.data_dir, target),
                                        settings=lab.config.settings, origin=caller.origin,
                                        result_format=request.format)
        except BaseException:
            lab.uploads.put_back(upload, target)
            raise
    lab.uploads.discard(upload)
    lab.jobs.wake()
    return result


@router.get("/jobs", response_model=list[JobView],
            summary="Jobs on sets you may read, newest first")
def list_jobs(caller: CallerDep, state: StateName | None = None, kind: KindName | None = None,
              set_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> list[JobView]:
    with caller.session() as (session, actor):
        return jobs.list_jobs(session, actor, state=state, kind=kind, set_id=set_id,
                              limit=limit)


@router.get("/jobs/{job_id}", response_model=JobView, summary="One job: state and progress")
def get_job(job_id: JobId, caller: CallerDep) -> JobView:
    with caller.session() as (session, actor):
        return jobs.get_job(session, actor, job_id, origin=caller.origin)


@router.get("/jobs/{job_id}/log", response_model=JobLog,
            summary="What a job printed, attempt after attempt")
def job_log(job_id: JobId, caller: CallerDep) -> JobLog:
    with caller.session() as (session, actor):
        return JobLog(id=job_id, log=jobs.job_log(session, actor, job_id, origin=caller.origin))


@router.post("/jobs/{job_id}/cancel", response_model=JobView, summary="Cancel an active job")
def cancel(job_id: JobId, caller: CallerDep) -> JobView:
    with caller.session() as (session, actor):
        view = jobs.cancel(session, actor, job_id, origin=caller.origin)
    caller.lab.jobs.wake()
    return view


@router.post("/jobs/{job_id}/rerun", response_model=JobView, responses=DISK_RESPONSE,
             summary="Run a failed or cancelled job again")
def rerun(job_id: JobId, caller: CallerDep) -> JobView:
    with caller.session() as (session, actor):
        view = jobs.rerun(session, actor, job_id, settings=caller.lab.config.settings,
                          origin=caller.origin)
    caller.lab.jobs.wake()
    return view
