"""Errors a user can cause, each saying what to do next.

The CLI prints ``VidjilError`` messages without a traceback and exits with
``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class VidjilError(Exception):
    """Base of every error caused by input, settings or rights (never raised directly)."""

    exit_code = 1


class InputFormatError(VidjilError, ValueError):
    """A reads, germline or result file does not follow its format.

    The message names the file, the record number and the line, so that the
    user can open the file at the right place.
    """

    def __init__(
        self,
        path: str,
        message: str,
        *,
        record: int | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.record = record
        self.line = line
        self.field = field
        self.reason = message
        where = [path]
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(f"record {record}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {message}")


class GermlineError(VidjilError, LookupError):
    """A germline preset, system or sequence file is missing or invalid."""

    def __init__(self, message: str, *, build_hint: bool = True) -> None:
        hint = " (run `vidjil germline build --accept-imgt-licence`)" if build_hint else ""
        super().__init__(f"{message}{hint}")


class UsageError(VidjilError):
    """Options that do not fit together or values out of range."""

    exit_code = 2


class ApiError(VidjilError):
    """The lab's API refused a request; the message names the route and the API's reason."""

    def __init__(self, method: str, route: str, status: int | None, detail: str) -> None:
        self.method = method
        self.route = route
        self.status = status
        self.detail = detail
        code = f" ({status})" if status is not None else ""
        super().__init__(f"{method} {route}{code}: {detail}")


class ApiAuthError(ApiError):
    """401: no token or an invalid one (log in again, or pass ``token=``)."""


class ApiForbidden(ApiError):
    """403: the user lacks the right for this route."""


class ApiNotFound(ApiError):
    """404: no such record or route."""


class NotFound(VidjilError, LookupError):
    """A user, group, set, sample or config named by the user does not exist (or is hidden)."""

    def __init__(self, kind: str, key: object, hint: str = "") -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r}" + (f" ({hint})" if hint else ""))


class Conflict(VidjilError):
    """The record cannot be created or changed as asked (duplicate name, still in use...)."""


class PermissionDenied(VidjilError, PermissionError):
    """The user lacks a right; the message names the right and the record."""

    def __init__(self, right: str, target: str, user: str) -> None:
        self.right = right
        self.target = target
        self.user = user
        super().__init__(
            f"{user} lacks the '{right}' right on {target} "
            "(ask an administrator to grant it to a group of yours that can access it)"
        )


class SchemaMismatch(VidjilError):
    """The database was made by another version of the lab."""

    exit_code = 4


class ConfigError(VidjilError):
    """An analysis config (or a pre-process) cannot be used as written; names it and the option."""


class DiskFull(VidjilError):
    """The data directory is below its free-space threshold: uploads and launches wait."""


class LeaseHeld(VidjilError):
    """Another job runner dispatches this lab's jobs (one runner per database)."""
