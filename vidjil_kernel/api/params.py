"""Parameter types shared by the routes, with the bounds the database can hold."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, StringConstraints

from vidjil_kernel.db.views import SampleView, SetView

#: record ids are positive 32-bit integers on every backend (MariaDB's INT)
MAX_ID = 2**31 - 1

SetId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of a patient, run or generic set")]
SampleId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of a sample")]
ConfigId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of an analysis config")]
PreProcessId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of a pre-process")]
ResultId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of a result")]
FusedId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of a fused result")]
JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of a job")]
NotificationId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of a notification")]
GroupName = Annotated[str, Path(min_length=1, max_length=255, description="Name of a group")]
UserName = Annotated[str, Path(min_length=1, max_length=255, description="Name of an account")]
UploadId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="Id of an upload")]

Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Records to skip")]
Limit = Annotated[int | None, Query(ge=1, le=10_000, description="Records to return (all: omit)")]
Search = Annotated[str | None, Query(max_length=200, description="Text to find")]
Tag = Annotated[str | None, Query(max_length=64, description="A #tag the records carry")]

#: names of groups created through the API (they appear in URLs)
NewGroupName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")]


class SetPage(BaseModel):
    """A page of a listing of sets, and the listing's size."""

    items: list[SetView]
    total: int
    offset: int
    limit: int | None


class SamplePage(BaseModel):
    """A page of a listing of samples, and the listing's size."""

    items: list[SampleView]
    total: int
    offset: int
    limit: int | None
