"""Sample sets and samples: create, edit, delete, share, with the right each needs.

| operation                       | right                                    |
|---------------------------------|------------------------------------------|
| create a set in a group         | ``create`` into that group               |
| see a set, its samples          | ``read``                                 |
| see a patient's identity        | ``anon`` (otherwise anonymised)          |
| edit, delete, share a set       | ``admin`` on the set                     |
| add, edit, remove a sample      | ``upload`` on the set (on one of its sets to edit) |
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import (
    SET_CLASSES,
    Group,
    PreProcess,
    Right,
    RunState,
    Sample,
    SampleSet,
    SetAccess,
    SetKind,
    SetSample,
    User,
)
from vidjil_kernel.db.rights import (
    Actor,
    audit,
    is_admin,
    readable_samples,
    readable_sets,
    readable_sets_query,
    require_group_right,
    require_record_right,
    require_sample_right,
    require_set_right,
)
from vidjil_kernel.db.rights.listings import SETS, sample_views, set_view
from vidjil_kernel.db.services.accounts import get_group
from vidjil_kernel.db.services.fields import coerce_fields
from vidjil_kernel.db.services.tags import retag
from vidjil_kernel.db.views import Page, SampleView, SetView
from vidjil_kernel.exceptions import Conflict, NotFound, UsageError

#: what a caller may set on each kind of set, and which field must not be empty
SET_FIELDS: dict[str, tuple[str, ...]] = {
    SetKind.PATIENT: ("first_name", "last_name", "birth_date", "info", "id_label"),
    SetKind.RUN: ("name", "run_date", "sequencer", "pcr", "info", "id_label"),
    SetKind.GENERIC: ("name", "info"),
}
REQUIRED_FIELD = {SetKind.PATIENT: "last_name", SetKind.RUN: "name", SetKind.GENERIC: "name"}

SAMPLE_FIELDS = (
    "original_name", "original_name_r2", "stored_path", "stored_path_r2", "size", "sha256",
    "sampling_date", "info", "pcr", "sequencer", "producer", "preprocess_state",
)


def _actor_id(actor: Actor) -> int | None:
    return actor.id if isinstance(actor, User) else None


def _set_kind(kind: str) -> SetKind:
    try:
        return SetKind(kind)
    except ValueError:
        raise UsageError(f"unknown set kind {kind!r}: use one of "
                         f"{', '.join(k.value for k in SetKind)}") from None


def _check_required(kind: SetKind, values: dict[str, Any]) -> None:
    required = REQUIRED_FIELD[kind]
    if not (values.get(required) or "").strip():
        raise UsageError(f"a {kind.value} needs a non-empty {required!r}")


def list_sets(
    session: Session, actor: Actor, *, kind: str | None = None, search: str | None = None,
    tag: str | None = None, offset: int = 0, limit: int | None = None, origin: str = "",
) -> Page[SetView]:
    """``rights.readable_sets``, and an audit entry when a lab admin lists (they see all)."""
    page = readable_sets(session, actor, kind=kind, search=search, tag=tag, offset=offset,
                         limit=limit)
    if is_admin(actor):
        audit(session, actor, "list", "set", None, origin=origin, admin_override=True,
              details={"kind": kind, "search": search, "tag": tag, "shown": len(page.items)})
    return page


def list_samples(
    session: Session, actor: Actor, *, set_id: int | None = None, search: str | None = None,
    tag: str | None = None, offset: int = 0, limit: int | None = None, origin: str = "",
) -> Page[SampleView]:
    """``rights.readable_samples``, and an audit entry when a lab admin lists."""
    page = readable_samples(session, actor, set_id=set_id, search=search, tag=tag,
                            offset=offset, limit=limit)
    if is_admin(actor):
        audit(session, actor, "list", "sample", None, origin=origin, admin_override=True,
              details={"set": set_id, "search": search, "tag": tag, "shown": len(page.items)})
    return page


def get_set(session: Session, actor: Actor, set_id: int, *, origin: str = "") -> SetView:
    """One set as the actor may see it (needs ``read``)."""
    require_set_right(session, actor, Right.READ, set_id, origin=origin)
    return _set_view(session, actor, set_id)


def _set_view(session: Session, actor: Actor, set_id: int) -> SetView:
    """The view of a set whose right the caller has checked (identity still needs ``anon``)."""
    query = readable_sets_query(actor, right=None).where(SETS.id == set_id)
    return set_view(session.execute(query).one())


def create_set(
    session: Session, actor: Actor, kind: str, group: str, *, origin: str, **fields: Any
) -> SetView:
    """A new patient, run or generic set, shared with ``group`` (needs ``create`` into it)."""
    set_kind = _set_kind(kind)
    target = get_group(session, group)
    require_group_right(session, actor, Right.CREATE, target, origin=origin)
    values = coerce_fields(SampleSet, fields, SET_FIELDS[set_kind], f"new {set_kind.value}")
    _check_required(set_kind, values)
    record = SET_CLASSES[set_kind](creator_id=_actor_id(actor), **values)
    session.add(record)
    session.flush()
    session.add(SetAccess(set_id=record.id, group_id=target.id))
    retag(session, "set", record.id, record.info)
    audit(session, actor, "create", "set", record.id, origin=origin,
          details={"kind": set_kind.value, "group": target.name, "fields": sorted(values)})
    session.flush()
    return _set_view(session, actor, record.id)


def update_set(
    session: Session, actor: Actor, set_id: int, *, origin: str, **changes: Any
) -> SetView:
    """Change fields of a set (needs ``admin`` on it)."""
    record = require_set_right(session, actor, Right.ADMIN, set_id, origin=origin)
    kind = _set_kind(record.kind)
    values = coerce_fields(SampleSet, changes, SET_FIELDS[kind], f"{kind.value} {set_id}")
    current = {name: getattr(record, name) for name in SET_FIELDS[kind]}
    _check_required(kind, {**current, **values})
    for name, value in values.items():
        setattr(record, name, value)
    if "info" in values:
        retag(session, "set", set_id, record.info)
    audit(session, actor, "update", "set", set_id, origin=origin,
          details={"fields": sorted(values)})
    session.flush()
    return _set_view(session, actor, set_id)


def delete_set(session: Session, actor: Actor, set_id: int, *, origin: str) -> list[str]:
    """Delete a set (needs ``admin``), with its samples that belong to no other set.

    Returns the stored files of the deleted samples, for the caller to remove.
    """
    record = require_set_right(session, actor, Right.ADMIN, set_id, origin=origin)
    others = select(SetSample.sample_id).where(SetSample.set_id != set_id)
    orphans = session.scalars(
        select(Sample).join(SetSample, SetSample.sample_id == Sample.id)
        .where(SetSample.set_id == set_id, Sample.id.not_in(others))
    ).all()
    paths = _stored_files(orphans)
    for sample in orphans:
        session.delete(sample)
    session.delete(record)
    audit(session, actor, "delete", "set", set_id, origin=origin,
          details={"kind": record.kind, "deleted_samples": [sample.id for sample in orphans]})
    session.flush()
    return paths


def _stored_files(samples: list[Sample]) -> list[str]:
    return [path for sample in samples for path in (sample.stored_path, sample.stored_path_r2)
            if path]


def share_set(session: Session, actor: Actor, set_id: int, group: str, *,
              origin: str) -> SetView:
    """Give ``group`` (and its child groups) access to a set (needs ``admin`` on it)."""
    require_set_right(session, actor, Right.ADMIN, set_id, origin=origin)
    target = get_group(session, group)
    if session.get(SetAccess, (set_id, target.id)) is None:
        session.add(SetAccess(set_id=set_id, group_id=target.id))
        audit(session, actor, "share", "set", set_id, origin=origin, details={"group": group})
        session.flush()
    return _set_view(session, actor, set_id)


def unshare_set(session: Session, actor: Actor, set_id: int, group: str, *,
                origin: str) -> None:
    """Take ``group``'s access away (needs ``admin``); a set keeps at least one group."""
    require_set_right(session, actor, Right.ADMIN, set_id, origin=origin)
    target = get_group(session, group)
    groups = session.scalar(select(func.count()).where(SetAccess.set_id == set_id))
    if session.get(SetAccess, (set_id, target.id)) is None:
        raise NotFound("access", group, f"set {set_id} is not shared with it")
    if groups == 1:
        raise Conflict(f"group {group!r} is the only one with access to set {set_id}: "
                       "share it with another group first")
    session.execute(delete(SetAccess).where(SetAccess.set_id == set_id,
                                            SetAccess.group_id == target.id))
    audit(session, actor, "unshare", "set", set_id, origin=origin, details={"group": group})


def set_groups(session: Session, actor: Actor, set_id: int, *, origin: str = "") -> list[str]:
    """Names of the groups a set is shared with (needs ``admin``: it is sharing information)."""
    require_set_right(session, actor, Right.ADMIN, set_id, origin=origin)
    return list(session.scalars(
        select(Group.name).join(SetAccess, SetAccess.group_id == Group.id)
        .where(SetAccess.set_id == set_id).order_by(Group.name)))


def get_sample(session: Session, actor: Actor, sample_id: int, *, origin: str = "") -> SampleView:
    """One sample and the sets the actor can see it in (needs ``read`` on one of its sets)."""
    require_sample_right(session, actor, Right.READ, sample_id, origin=origin)
    return sample_views(session, actor, [sample_id])[0]


def add_sample(
    session: Session, actor: Actor, set_ids: list[int], *, origin: str,
    preprocess_id: int | None = None, from_file_source: bool = False, **fields: Any,
) -> SampleView:
    """Record a sample in one or more sets (needs ``upload`` on each).

    ``preprocess_id`` names a pre-process the actor may ``read``; the sample
    then waits for it (``preprocess_state`` queued).
    """
    if not set_ids:
        raise UsageError("a sample must belong to at least one set")
    for set_id in set_ids:
        require_set_right(session, actor, Right.UPLOAD, set_id, origin=origin)
    values = coerce_fields(Sample, fields, SAMPLE_FIELDS, "new sample")
    if not (values.get("original_name") or "").strip():
        raise UsageError("a sample needs its 'original_name' (the uploaded file name)")
    if preprocess_id is not None:
        require_record_right(session, "preprocess", actor, Right.READ, preprocess_id,
                             origin=origin)
        values.setdefault("preprocess_state", RunState.QUEUED.value)
    sample = Sample(uploader_id=_actor_id(actor), preprocess_id=preprocess_id,
                    from_file_source=from_file_source, **values)
    session.add(sample)
    session.flush()
    session.add_all(SetSample(set_id=set_id, sample_id=sample.id) for set_id in set(set_ids))
    retag(session, "sample", sample.id, sample.info)
    audit(session, actor, "create", "sample", sample.id, origin=origin,
          details={"sets": sorted(set(set_ids)), "fields": sorted(values)})
    session.flush()
    return sample_views(session, actor, [sample.id])[0]


def update_sample(
    session: Session, actor: Actor, sample_id: int, *, origin: str,
    preprocess_id: int | None = None, **changes: Any,
) -> SampleView:
    """Change a sample's fields (needs ``upload`` on one of its sets)."""
    sample = require_sample_right(session, actor, Right.UPLOAD, sample_id, origin=origin)
    values = coerce_fields(Sample, changes, SAMPLE_FIELDS, f"sample {sample_id}")
    if "original_name" in values and not (values["original_name"] or "").strip():
        raise UsageError(f"sample {sample_id}: 'original_name' cannot be empty")
    if preprocess_id is not None:
        if session.get(PreProcess, preprocess_id) is None:
            raise NotFound("pre-process", preprocess_id)
        require_record_right(session, "preprocess", actor, Right.READ, preprocess_id,
                             origin=origin)
        sample.preprocess_id = preprocess_id
        values.setdefault("preprocess_state", RunState.QUEUED.value)
    for name, value in values.items():
        setattr(sample, name, value)
    if "info" in values:
        retag(session, "sample", sample_id, sample.info)
    audit(session, actor, "update", "sample", sample_id, origin=origin,
          details={"fields": sorted(values) + (["preprocess_id"] if preprocess_id else [])})
    session.flush()
    return sample_views(session, actor, [sample_id])[0]


def link_sample(session: Session, actor: Actor, sample_id: int, set_id: int, *,
                origin: str) -> SampleView:
    """Put a sample the actor can read into another set (needs ``upload`` there)."""
    require_sample_right(session, actor, Right.READ, sample_id, origin=origin)
    require_set_right(session, actor, Right.UPLOAD, set_id, origin=origin)
    if session.get(SetSample, (set_id, sample_id)) is None:
        session.add(SetSample(set_id=set_id, sample_id=sample_id))
        audit(session, actor, "link", "sample", sample_id, origin=origin,
              details={"set": set_id})
        session.flush()
    return sample_views(session, actor, [sample_id])[0]


def remove_sample(session: Session, actor: Actor, sample_id: int, set_id: int, *,
                  origin: str) -> list[str]:
    """Take a sample out of a set (needs ``upload`` on it); delete it if no set is left.

    Returns the stored files of the deleted sample (empty if it lives on), for
    the caller to remove.
    """
    require_set_right(session, actor, Right.UPLOAD, set_id, origin=origin)
    sample = session.get(Sample, sample_id)
    if sample is None or session.get(SetSample, (set_id, sample_id)) is None:
        raise NotFound("sample", sample_id, f"not in set {set_id}")
    session.execute(delete(SetSample).where(SetSample.set_id == set_id,
                                            SetSample.sample_id == sample_id))
    left = session.scalar(select(func.count()).where(SetSample.sample_id == sample_id))
    paths: list[str] = []
    if not left:
        paths = _stored_files([sample])
        session.delete(sample)
    audit(session, actor, "remove" if left else "delete", "sample", sample_id, origin=origin,
          details={"set": set_id})
    session.flush()
    return paths
