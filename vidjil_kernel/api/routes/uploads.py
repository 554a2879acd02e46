"""Resumable uploads of sequence files (multi-GB FASTQ), then attached to a sample.

The protocol (``storage.uploads`` keeps the state):

1. ``POST /uploads`` with the file's name, size and the set it is for -> its ``id``;
2. ``PUT /uploads/{id}?offset=N`` with raw bytes (``application/octet-stream``), any
   number of times, each starting at the committed ``offset`` (409 otherwise, naming
   it); a cut connection keeps the bytes that arrived;
3. ``GET /uploads/{id}``: the committed ``offset``, where to resume (once ``receiving``
   is false: a cut request is still committing what arrived);
4. ``POST /uploads/{id}/finish`` with the sha256 of the whole file: checked, then the
   upload is ``complete``;
5. ``POST /samples`` with ``{"file": {"upload": id}}`` checks the reads and makes the sample.

Rights: ``upload`` on the upload's set, at each step; an upload is its starter's
(lab admins may see and cancel others').  Uploads are refused (507) when the disk
is, or would fall, below ``disk_min_free_gb`` (the admins are told when it is).
Unused uploads expire after 7 days.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from vidjil_kernel.api.attach import owned_upload
from vidjil_kernel.api.context import Caller, CallerDep
from vidjil_kernel.api.errors import DISK_RESPONSE
from vidjil_kernel.api.params import MAX_ID, UploadId
from vidjil_kernel.db import rights
from vidjil_kernel.db.models import Right
from vidjil_kernel.jobs import guard_disk
from vidjil_kernel.storage.uploads import Upload

router = APIRouter(tags=["uploads"])

#: bytes gathered from the connection before each write to disk (memory per upload)
WRITE_BYTES = 1 << 20
#: bytes after which a long request commits what it received (see ``ChunkWriter.checkpoint``)
CHECKPOINT_BYTES = 64 << 20
#: the largest upload (1 TiB): well beyond sequencers' files, within every file system
MAX_SIZE = 1 << 40


class NewUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    set_id: int = Field(ge=1, le=MAX_ID, description="Set the sample will belong to")
    filename: str = Field(min_length=1, max_length=255, description="The file's name")
    size: int = Field(ge=1, le=MAX_SIZE, description="The file's size in bytes")


class Finish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$",
                        description="sha256 of the whole file, as the client computed it")


def _checked(caller: Caller, upload_id: str) -> Upload:
    """The caller's upload, whose set they may still upload to."""
    with caller.session() as (session, actor):
        upload = owned_upload(caller.lab, actor, upload_id)
        rights.require_set_right(session, actor, Right.UPLOAD, upload.set_id,
                                 origin=caller.origin)
        return upload


@router.post("/uploads", response_model=Upload, status_code=201, responses=DISK_RESPONSE,
             summary="Start an upload of a file for a set")
def create_upload(new: NewUpload, caller: CallerDep) -> Upload:
    # a disk already low: refused, and the admins told (in a transaction of its own)
    guard_disk(caller.lab.config.settings, caller.lab.sessions, "upload")
    with caller.session() as (session, actor):
        rights.require_set_right(session, actor, Right.UPLOAD, new.set_id, origin=caller.origin)
        return caller.lab.uploads.create(owner_id=actor.id, owner=actor.name, set_id=new.set_id,
                                         filename=new.filename, size=new.size)


@router.get("/uploads", response_model=list[Upload],
            summary="Your uploads not yet attached to a sample, newest first")
def list_uploads(caller: CallerDep) -> list[Upload]:
    with caller.session() as (session, actor):
        return caller.lab.uploads.owned_by(actor.id)


@router.get("/uploads/{upload_id}", response_model=Upload,
            summary="An upload's state: the committed offset to resume from")
def get_upload(upload_id: UploadId, caller: CallerDep) -> Upload:
    return _checked(caller, upload_id)


@router.put("/uploads/{upload_id}", response_model=Upload, responses=DISK_RESPONSE,
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}}},
            summary="Send bytes of the file from the committed offset")
async def send_bytes(upload_id: UploadId, request: Request, caller: CallerDep,
                     offset: Annotated[int, Query(ge=0, le=MAX_SIZE,
                                                  description="The committed offset")]) -> Upload:
    upload = await run_in_threadpool(_checked, caller, upload_id)
    writer = await run_in_threadpool(caller.lab.uploads.open_writer, upload, offset)
    buffer = bytearray()
    try:
        try:
            async for piece in request.stream():
                buffer += piece
                if len(buffer) >= WRITE_BYTES:
                    await run_in_threadpool(writer.write, bytes(buffer))
                    buffer.clear()
                    if writer.uncommitted >= CHECKPOINT_BYTES:
                        await run_in_threadpool(writer.checkpoint)
        except ClientDisconnect:
            pass  # keep what arrived: the client resumes from the committed offset
        if buffer:
            await run_in_threadpool(writer.write, bytes(buffer))
    finally:
        upload = await run_in_threadpool(writer.close)
    return upload


@router.post("/uploads/{upload_id}/finish", response_model=Upload,
             summary="Check the whole file's sha256; the upload is then complete")
def finish_upload(upload_id: UploadId, finish: Finish, caller: CallerDep) -> Upload:
    return caller.lab.uploads.finish(_checked(caller, upload_id), finish.sha256)


@router.delete("/uploads/{upload_id}", status_code=204, response_class=Response,
               summary="Cancel an upload (its bytes are deleted)")
def cancel_upload(upload_id: UploadId, caller: CallerDep) -> Response:
    with caller.session() as (session, actor):
        upload = owned_upload(caller.lab, actor, upload_id)
    caller.lab.uploads.discard(upload)
    return Response(status_code=204)
