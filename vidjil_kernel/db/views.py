"""What this layer hands out: plain views, never ORM rows.

Views are built only from rows the rights module let through, and patient
views only through ``anonymise.patient_identity``; ``to_dict`` gives the
JSON the API and ``--json`` print.  Views are slotted, not frozen: a listing
builds thousands of them, and frozen dataclasses are eight times slower to
build (bench/rights.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any, Generic, TypeVar


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


class View:
    """Base of the views: a dict for JSON."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]


T = TypeVar("T", bound=View)


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    """A slice of a listing and how many records the whole listing has."""

    items: Sequence[T]
    total: int
    offset: int = 0
    limit: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"items": [item.to_dict() for item in self.items], "total": self.total,
                "offset": self.offset, "limit": self.limit}


@dataclasses.dataclass(slots=True)
class SetRef(View):
    """A set named as its viewer may see it (patients anonymised without ``anon``)."""

    id: int
    kind: str
    label: str


@dataclasses.dataclass(slots=True)
class SetView(View):
    """A patient, run or generic set; fields of other kinds are None."""

    id: int
    kind: str
    label: str
    identity_visible: bool
    id_label: str
    info: str
    created_at: dt.datetime
    sample_count: int
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    birth_date: dt.date | None = None
    age: int | None = None
    run_date: dt.date | None = None
    sequencer: str | None = None
    pcr: str | None = None


@dataclasses.dataclass(slots=True)
class SampleView(View):
    id: int
    original_name: str
    original_name_r2: str | None
    stored_path: str | None
    stored_path_r2: str | None
    size: int | None
    sha256: str | None
    sampling_date: dt.date | None
    info: str
    pcr: str
    sequencer: str
    producer: str
    uploader: str | None
    uploaded_at: dt.datetime
    preprocess_id: int | None
    preprocess_state: str | None
    from_file_source: bool
    sets: list[SetRef]


@dataclasses.dataclass(slots=True)
class ConfigView(View):
    id: int
    name: str
    program: str
    parameters: str
    fuse_parameters: str
    description: str
    classification: str
    groups: list[str]


@dataclasses.dataclass(slots=True)
class PreProcessView(View):
    id: int
    name: str
    command: str
    description: str
    groups: list[str]


@dataclasses.dataclass(slots=True)
class UserView(View):
    id: int
    name: str
    email: str | None
    is_admin: bool
    active: bool
    created_at: dt.datetime
    last_login: dt.datetime | None
    groups: list[str]


@dataclasses.dataclass(slots=True)
class GroupView(View):
    id: int
    name: str
    kind: str
    description: str
    parent: str | None
    rights: list[str]
    members: list[str]


@dataclasses.dataclass(slots=True)
class ResultView(View):
    id: int
    sample_id: int
    config_id: int
    config: str
    state: str
    launched_at: dt.datetime
    finished_at: dt.datetime | None
    result_path: str | None
    job_id: int | None = None


@dataclasses.dataclass(slots=True)
class FusedResultView(View):
    id: int
    set: SetRef
    config_id: int
    state: str
    fused_at: dt.datetime
    fused_path: str | None


@dataclasses.dataclass(slots=True)
class AnalysisView(View):
    id: int
    set: SetRef
    config_id: int
    version: int
    data: dict[str, Any]
    author: str | None
    saved_at: dt.datetime


@dataclasses.dataclass(slots=True)
class NotificationView(View):
    id: int
    title: str
    message: str
    priority: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    group: str | None


@dataclasses.dataclass(slots=True)
class AuditView(View):
    id: int
    at: dt.datetime
    user: str
    action: str
    record_type: str
    record_id: int | None
    origin: str
    details: dict[str, Any]
    admin_override: bool
