"""Results of analyses: per sample (``.vidjil``, AIRR) and fused per set, as files or clone tables.

Every route needs ``read`` on the sample (one of its sets) or on the set.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from vidjil_kernel.api.clone_tables import CloneTable, clone_table
from vidjil_kernel.api.context import Caller, CallerDep
from vidjil_kernel.api.params import FusedId, Limit, Offset, ResultId, SampleId, Search, SetId
from vidjil_kernel.api.repertoire import Repertoire, repertoire
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.views import FusedResultView, ResultView
from vidjil_kernel.exceptions import Conflict, NotFound
from vidjil_kernel.formats import read_vidjil, write_airr

router = APIRouter(tags=["results"])

Locus = Annotated[str | None, Query(max_length=16, description="Only clones of this locus "
                                                               "(IGH, TRG, IGH+...)")]
DOWNLOAD = {200: {"content": {"application/octet-stream": {}}, "description": "The file"}}


def _stored(caller: Caller, path: str | None, what: str, state: str) -> Path:
    """The file of a result, which must exist (results are written when analyses complete)."""
    if not path:
        raise Conflict(f"{what} is {state}: its file is written when it completes")
    stored = Path(path) if Path(path).is_absolute() else caller.lab.config.data_dir / path
    if not stored.is_file():
        raise NotFound("file", str(stored.name), f"of {what}: no longer on the server")
    return stored


def _result_file(caller: Caller, result_id: int) -> tuple[ResultView, Path]:
    with caller.session() as (session, actor):
        view = svc.get_result(session, actor, result_id, origin=caller.origin)
    return view, _stored(caller, view.result_path, f"result {result_id}", view.state)


def _fused_file(caller: Caller, fused_id: int) -> Path:
    with caller.session() as (session, actor):
        view = svc.get_fused_result(session, actor, fused_id, origin=caller.origin)
    return _stored(caller, view.fused_path, f"fused result {fused_id}", view.state)


@router.get("/samples/{sample_id}/results", response_model=list[ResultView],
            summary="A sample's results, newest first")
def sample_results(sample_id: SampleId, caller: CallerDep) -> list[ResultView]:
    with caller.session() as (session, actor):
        return svc.list_results(session, actor, sample_id, origin=caller.origin)


@router.get("/results/{result_id}", response_model=ResultView, summary="One result")
def get_result(result_id: ResultId, caller: CallerDep) -> ResultView:
    with caller.session() as (session, actor):
        return svc.get_result(session, actor, result_id, origin=caller.origin)


@router.get("/results/{result_id}/clones", response_model=CloneTable,
            summary="The clones of a result, biggest first, a page at a time")
def result_clones(result_id: ResultId, caller: CallerDep, locus: Locus = None,
                  search: Search = None, offset: Offset = 0, limit: Limit = 100) -> CloneTable:
    _, path = _result_file(caller, result_id)
    return clone_table(path, locus=locus, search=search, offset=offset, limit=limit)


@router.get("/results/{result_id}/repertoire", response_model=Repertoire,
            summary="QC, diversity, V x J usage and read lengths of a result")
def result_repertoire(result_id: ResultId, caller: CallerDep) -> Repertoire:
    _, path = _result_file(caller, result_id)
    return repertoire(path)


@router.get("/results/{result_id}/vidjil", response_class=FileResponse, responses=DOWNLOAD,
            summary="Download a result as .vidjil (the Vidjil web client's format)")
def result_vidjil(result_id: ResultId, caller: CallerDep) -> FileResponse:
    _, path = _result_file(caller, result_id)
    return FileResponse(path, filename=f"result-{result_id}.vidjil",
                        media_type="application/json")


@router.get("/results/{result_id}/airr", response_class=FileResponse, responses=DOWNLOAD,
            summary="Download a result as an AIRR rearrangement table (one row per clone)")
def result_airr(result_id: ResultId, caller: CallerDep) -> FileResponse:
    _, path = _result_file(caller, result_id)
    name = f"result-{result_id}.airr.tsv"
    written = path.with_name(path.name.removesuffix(".vidjil") + ".airr.tsv")
    if written.is_file():
        return FileResponse(written, filename=name, media_type="text/tab-separated-values")
    scratch = caller.lab.config.data_dir / "tmp"
    scratch.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=scratch, suffix=".airr.tsv", delete=False) as handle:
        converted = Path(handle.name)
    write_airr(read_vidjil(path), converted)
    return FileResponse(converted, filename=name, media_type="text/tab-separated-values",
                        background=BackgroundTask(converted.unlink, missing_ok=True))


@router.get("/sets/{set_id}/fused", response_model=list[FusedResultView],
            summary="A set's fused results (its samples' clones side by side), newest first")
def set_fused(set_id: SetId, caller: CallerDep) -> list[FusedResultView]:
    with caller.session() as (session, actor):
        return svc.list_fused_results(session, actor, set_id, origin=caller.origin)


@router.get("/fused/{fused_id}", response_model=FusedResultView, summary="One fused result")
def get_fused(fused_id: FusedId, caller: CallerDep) -> FusedResultView:
    with caller.session() as (session, actor):
        return svc.get_fused_result(session, actor, fused_id, origin=caller.origin)


@router.get("/fused/{fused_id}/clones", response_model=CloneTable,
            summary="The clones of a set across its samples, biggest first, a page at a time")
def fused_clones(fused_id: FusedId, caller: CallerDep, locus: Locus = None,
                 search: Search = None, offset: Offset = 0, limit: Limit = 100) -> CloneTable:
    return clone_table(_fused_file(caller, fused_id), locus=locus, search=search,
                       offset=offset, limit=limit)


@router.get("/fused/{fused_id}/repertoire", response_model=Repertoire,
            summary="QC, diversity, V x J usage and read lengths of each sample of a set")
def fused_repertoire(fused_id: FusedId, caller: CallerDep) -> Repertoire:
    return repertoire(_fused_file(caller, fused_id))


@router.get("/fused/{fused_id}/vidjil", response_class=FileResponse, responses=DOWNLOAD,
            summary="Download a fused result as .vidjil")
def fused_vidjil(fused_id: FusedId, caller: CallerDep) -> FileResponse:
    return FileResponse(_fused_file(caller, fused_id), filename=f"fused-{fused_id}.vidjil",
                        media_type="application/json")
