"""The mounted file source: browse it, then attach its files to samples (``POST /samples``).

Browsing needs the ``upload`` right in one of your groups (file names may say a lot);
attaching a file to a sample needs ``upload`` on the sample's sets.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.db import rights
from vidjil_kernel.db.models import Right
from vidjil_kernel.storage.file_source import SourceEntry

router = APIRouter(tags=["files"])


@router.get("/files", response_model=list[SourceEntry],
            summary="Folders and sequence files of a folder of the file source")
def browse(caller: CallerDep, path: Annotated[str, Query(
        max_length=1024, description="Folder, relative to the file source")] = "",
           ) -> list[SourceEntry]:
    with caller.session() as (session, actor):
        rights.require_right_somewhere(session, actor, Right.UPLOAD, "the file source",
                                       origin=caller.origin)
    return caller.lab.file_source.browse(path)
