"""How the lab's errors become HTTP answers: the status says what kind, ``detail`` says why.

The database layer's messages name the missing right or the record, so they
are passed on as they are: ``PermissionDenied`` 403, ``NotFound`` 404,
``Conflict`` 409, ``DiskFull`` 507, ``SchemaMismatch`` 503, and every other
``VidjilError`` (bad field, bad file, bad option) 422.  The database's own
refusals (a unique name taken by a concurrent request) are 409, a database
that cannot be reached (or stays locked) 503.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, OperationalError

from vidjil_kernel.exceptions import (
    Conflict,
    DiskFull,
    NotFound,
    PermissionDenied,
    SchemaMismatch,
    VidjilError,
)

STATUS_OF: tuple[tuple[type[VidjilError], int], ...] = (
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (DiskFull, 507),
    (SchemaMismatch, 503),
    (VidjilError, 422),
)


class ErrorDetail(BaseModel):
    """Why the request was refused."""

    detail: str


class InvalidRequest(BaseModel):
    """Why the request is invalid: a message, or FastAPI's list of fields at fault."""

    detail: str | list[dict[str, Any]]


#: error answers every route may give (routes add their own, e.g. 507 for uploads)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorDetail, "description": "No token, or an invalid or expired one"},
    403: {"model": ErrorDetail, "description": "The caller lacks the right (named in detail)"},
    404: {"model": ErrorDetail, "description": "No such record, or no such route"},
    409: {"model": ErrorDetail, "description": "The record's state does not allow it"},
    422: {"model": InvalidRequest, "description": "A field, a file or a value is not valid"},
}
DISK_RESPONSE: dict[int | str, dict[str, Any]] = {
    507: {"model": ErrorDetail, "description": "The disk is below its free-space threshold"},
}


def status_of(error: VidjilError) -> int:
    return next(status for kind, status in STATUS_OF if isinstance(error, kind))


async def _vidjil_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, VidjilError)
    return JSONResponse({"detail": str(error)}, status_code=status_of(error))


async def _integrity_error(request: Request, error: Exception) -> JSONResponse:
    # the services check names and links first; this is the database's last word
    # (two requests at once, or MariaDB's case-insensitive comparison of names)
    return JSONResponse({"detail": "the change conflicts with a record that exists (a name "
                                   "already taken?): nothing was changed"}, status_code=409)


async def _database_unavailable(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": "the lab's database is busy or unreachable: try again "
                                   "in a moment"}, status_code=503)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VidjilError, _vidjil_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
