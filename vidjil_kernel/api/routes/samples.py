"""Samples: their metadata, their sequence files, the sets they belong to.

| route                                      | right                                  |
|--------------------------------------------|----------------------------------------|
| list, read a sample, download its file     | ``read`` on one of its sets            |
| create a sample (with its files) in sets   | ``upload`` on each set                 |
| edit a sample                              | ``upload`` on one of its sets          |
| put a sample in another set                | ``read`` on it and ``upload`` on the set |
| take a sample out of a set                 | ``upload`` on the set (then deleted if in no set) |
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from vidjil_kernel.api.attach import FileRef, SampleFiles
from vidjil_kernel.api.context import Caller, CallerDep
from vidjil_kernel.api.params import (
    MAX_ID,
    Limit,
    Offset,
    SampleId,
    SamplePage,
    Search,
    SetId,
    Tag,
)
from vidjil_kernel.db import rights
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.models import Right
from vidjil_kernel.db.views import SampleView
from vidjil_kernel.exceptions import NotFound
from vidjil_kernel.storage.sample_files import in_data_dir, remove_sample_files

router = APIRouter(tags=["samples"])


class SampleFields(BaseModel):
    """What is known about how a sample was made (omitted: unchanged or empty).
    ``#words`` in ``info`` are tags."""

    model_config = ConfigDict(extra="forbid")

    original_name: str = Field(None, description="Name shown for the sample "
                               "(default: the R1 file's name)")
    sampling_date: dt.date | None = None
    info: str = Field(None, description="Free text; #words are tags")
    pcr: str = None
    sequencer: str = None
    producer: str = None
    preprocess_id: int | None = Field(None, ge=1, le=MAX_ID,
                                      description="Pre-process to run before analyses")

    def given(self) -> dict:
        return self.model_dump(exclude_unset=True, exclude={"preprocess_id"})


class NewSample(SampleFields):
    sets: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=50,
                            description="Sets the sample belongs to (e.g. its patient and run)")
    file: FileRef | None = Field(None, description="The sequence file (R1 of a pair)")
    file_r2: FileRef | None = Field(None, description="R2 of a pair")

    def given(self) -> dict:
        return self.model_dump(exclude_unset=True,
                               exclude={"preprocess_id", "sets", "file", "file_r2"})


def samples_page(caller: Caller, **filters) -> SamplePage:
    """A page of the samples the caller may read (of one set if ``set_id`` is given)."""
    with caller.session() as (session, actor):
        if filters.get("set_id") is not None:
            svc.get_set(session, actor, filters["set_id"], origin=caller.origin)
        page = svc.list_samples(session, actor, origin=caller.origin, **filters)
        return SamplePage(items=list(page.items), total=page.total, offset=page.offset,
                          limit=page.limit)


@router.get("/samples", response_model=SamplePage, summary="Samples you may read, newest first")
def list_samples(caller: CallerDep, search: Search = None, tag: Tag = None, offset: Offset = 0,
                 limit: Limit = None) -> SamplePage:
    return samples_page(caller, search=search, tag=tag, offset=offset, limit=limit)


@router.post("/samples", response_model=SampleView, status_code=201,
             summary="Create a sample in sets, with its checked sequence file(s)")
def create_sample(new: NewSample, caller: CallerDep) -> SampleView:
    files = SampleFiles(caller.lab, new.file, new.file_r2)
    fields = new.given()
    try:
        with caller.session() as (session, actor):
            for set_id in new.sets:  # before reading any file
                rights.require_set_right(session, actor, Right.UPLOAD, set_id,
                                         origin=caller.origin)
            files.resolve(actor)
            files.place()
            view = svc.add_sample(session, actor, new.sets, origin=caller.origin,
                                  preprocess_id=new.preprocess_id,
                                  from_file_source=files.from_file_source,
                                  **{**files.sample_fields(), **fields})
    except BaseException:
        files.undo()
        raise
    files.done()
    return view


@router.get("/samples/{sample_id}", response_model=SampleView, summary="One sample")
def get_sample(sample_id: SampleId, caller: CallerDep) -> SampleView:
    with caller.session() as (session, actor):
        return svc.get_sample(session, actor, sample_id, origin=caller.origin)


@router.patch("/samples/{sample_id}", response_model=SampleView,
              summary="Change a sample's metadata")
def update_sample(sample_id: SampleId, changes: SampleFields, caller: CallerDep) -> SampleView:
    with caller.session() as (session, actor):
        return svc.update_sample(session, actor, sample_id, origin=caller.origin,
                                 preprocess_id=changes.preprocess_id, **changes.given())


@router.put("/samples/{sample_id}/sets/{set_id}", response_model=SampleView,
            summary="Put a sample in another set")
def link_sample(sample_id: SampleId, set_id: SetId, caller: CallerDep) -> SampleView:
    with caller.session() as (session, actor):
        return svc.link_sample(session, actor, sample_id, set_id, origin=caller.origin)


@router.delete("/samples/{sample_id}/sets/{set_id}", status_code=204, response_class=Response,
               summary="Take a sample out of a set (deleted, with its file, when in no set)")
def remove_sample(sample_id: SampleId, set_id: SetId, caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        paths = svc.remove_sample(session, actor, sample_id, set_id, origin=caller.origin)
    remove_sample_files(caller.lab.config.data_dir, paths)
    return Response(status_code=204)


@router.get("/samples/{sample_id}/file", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The sequence file as uploaded"}},
            summary="Download a sample's sequence file (R1, or R2 of a pair)")
def download_sample_file(sample_id: SampleId, caller: CallerDep,
                         mate: Annotated[int, Query(ge=1, le=2, description="1: R1, 2: R2")] = 1
                         ) -> FileResponse:
    with caller.session() as (session, actor):
        view = svc.get_sample(session, actor, sample_id, origin=caller.origin)
    path, name = ((view.stored_path, view.original_name) if mate == 1
                  else (view.stored_path_r2, view.original_name_r2))
    stored = in_data_dir(caller.lab.config.data_dir, path)
    if stored is None or not stored.is_file():
        raise NotFound("file", f"R{mate} of sample {sample_id}", "none was attached, or it "
                       "is no longer on the server")
    return FileResponse(stored, filename=name or stored.name,
                        media_type="application/octet-stream")
