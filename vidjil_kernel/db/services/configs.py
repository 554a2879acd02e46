"""Analysis configs and pre-processes, each shared with chosen groups.

| operation                          | right                                  |
|------------------------------------|----------------------------------------|
| create one, shared with a group    | ``create_config`` into that group      |
| see one                            | ``read`` on it                         |
| run an analysis with a config      | ``run`` on it (see ``analyses``)       |
| edit, delete, share one            | ``admin`` on it                        |
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import (
    Analysis,
    Config,
    ConfigAccess,
    FusedResult,
    Group,
    PreProcess,
    PreProcessAccess,
    Result,
    Right,
    Sample,
    User,
)
from vidjil_kernel.db.rights import Actor, audit, require_group_right, require_record_right
from vidjil_kernel.db.rights.listings import config_view, preprocess_view
from vidjil_kernel.db.services.accounts import get_group
from vidjil_kernel.db.services.fields import coerce_fields
from vidjil_kernel.db.views import ConfigView, PreProcessView
from vidjil_kernel.exceptions import Conflict, NotFound, UsageError

CONFIG_FIELDS = ("name", "program", "parameters", "fuse_parameters", "description",
                 "classification")
PREPROCESS_FIELDS = ("name", "command", "description")

#: record type -> (model, access model, access column to the record, editable fields)
_KINDS: dict[str, tuple[type, type, str, tuple[str, ...]]] = {
    "config": (Config, ConfigAccess, "config_id", CONFIG_FIELDS),
    "preprocess": (PreProcess, PreProcessAccess, "preprocess_id", PREPROCESS_FIELDS),
}


def _groups(session: Session, record_type: str, record_id: int) -> list[str]:
    _, access, column, _ = _KINDS[record_type]
    return list(session.scalars(
        select(Group.name).join(access, access.group_id == Group.id)  # type: ignore[attr-defined]
        .where(getattr(access, column) == record_id).order_by(Group.name)))


def _view(session: Session, record: Any, record_type: str) -> ConfigView | PreProcessView:
    groups = _groups(session, record_type, record.id)
    return config_view(record, groups) if record_type == "config" else preprocess_view(
        record, groups)


def _create(session: Session, actor: Actor, record_type: str, group: str, origin: str,
            fields: dict[str, Any]) -> Any:
    model, access, column, allowed = _KINDS[record_type]
    target = get_group(session, group)
    require_group_right(session, actor, Right.CREATE_CONFIG, target, origin=origin)
    values = coerce_fields(model, fields, allowed, f"new {record_type}")
    name = (values.get("name") or "").strip()
    if not name:
        raise UsageError(f"a {record_type} needs a non-empty 'name'")
    if session.scalar(select(model.id).where(model.name == name)) is not None:  # type: ignore[attr-defined]
        raise Conflict(f"{record_type} {name!r} exists: choose another name")
    values["name"] = name
    record = model(creator_id=actor.id if isinstance(actor, User) else None, **values)
    session.add(record)
    session.flush()
    session.add(access(**{column: record.id, "group_id": target.id}))
    audit(session, actor, "create", record_type, record.id, origin=origin,
          details={"group": target.name, "fields": sorted(values)})
    session.flush()
    return record


def _update(session: Session, actor: Actor, record_type: str, record_id: int, origin: str,
            changes: dict[str, Any]) -> Any:
    model, _, _, allowed = _KINDS[record_type]
    record = require_record_right(session, record_type, actor, Right.ADMIN, record_id,
                                  origin=origin)
    values = coerce_fields(model, changes, allowed, f"{record_type} {record_id}")
    if "name" in values:
        clash = session.scalar(select(model.id).where(  # type: ignore[attr-defined]
            model.name == values["name"], model.id != record_id))  # type: ignore[attr-defined]
        if not (values["name"] or "").strip() or clash is not None:
            raise UsageError(f"{record_type} {record_id}: name {values['name']!r} is empty "
                             "or taken")
    for name, value in values.items():
        setattr(record, name, value)
    audit(session, actor, "update", record_type, record_id, origin=origin,
          details={"fields": sorted(values)})
    session.flush()
    return record


def _share(session: Session, actor: Actor, record_type: str, record_id: int, group: str,
           origin: str, *, share: bool) -> None:
    _, access, column, _ = _KINDS[record_type]
    require_record_right(session, record_type, actor, Right.ADMIN, record_id, origin=origin)
    target = get_group(session, group)
    key = (record_id, target.id)
    present = session.get(access, key) is not None
    if share and not present:
        session.add(access(**{column: record_id, "group_id": target.id}))
    elif not share:
        if not present:
            raise NotFound("access", group, f"{record_type} {record_id} is not shared with it")
        session.execute(delete(access).where(getattr(access, column) == record_id,
                                             access.group_id == target.id))  # type: ignore[attr-defined]
    audit(session, actor, "share" if share else "unshare", record_type, record_id,
          origin=origin, details={"group": group})
    session.flush()


def create_config(session: Session, actor: Actor, group: str, *, origin: str,
                  **fields: Any) -> ConfigView:
    """A new analysis config shared with ``group`` (needs ``create_config`` into it)."""
    return _view(session, _create(session, actor, "config", group, origin, fields), "config")


def update_config(session: Session, actor: Actor, config_id: int, *, origin: str,
                  **changes: Any) -> ConfigView:
    """Change a config's fields (needs ``admin`` on it)."""
    record = _update(session, actor, "config", config_id, origin, changes)
    return _view(session, record, "config")


def get_config(session: Session, actor: Actor, config_id: int, *,
               origin: str = "") -> ConfigView:
    """One config (needs ``read`` on it)."""
    record = require_record_right(session, "config", actor, Right.READ, config_id, origin=origin)
    return _view(session, record, "config")


def delete_config(session: Session, actor: Actor, config_id: int, *, origin: str) -> None:
    """Delete a config no result or analysis uses (needs ``admin`` on it)."""
    record = require_record_right(session, "config", actor, Right.ADMIN, config_id,
                                  origin=origin)
    uses = sum(session.scalar(select(func.count()).where(model.config_id == config_id)) or 0
               for model in (Result, FusedResult, Analysis))
    if uses:
        raise Conflict(f"config {config_id} is used by {uses} result(s) or analyses: "
                       "unshare it instead of deleting it")
    session.delete(record)
    audit(session, actor, "delete", "config", config_id, origin=origin)
    session.flush()


def share_config(session: Session, actor: Actor, config_id: int, group: str, *,
                 origin: str) -> ConfigView:
    """Let ``group`` (and its child groups) use a config (needs ``admin`` on it)."""
    _share(session, actor, "config", config_id, group, origin, share=True)
    return _view(session, session.get(Config, config_id), "config")


def unshare_config(session: Session, actor: Actor, config_id: int, group: str, *,
                   origin: str) -> None:
    _share(session, actor, "config", config_id, group, origin, share=False)


def create_preprocess(session: Session, actor: Actor, group: str, *, origin: str,
                      **fields: Any) -> PreProcessView:
    """A new pre-process shared with ``group`` (needs ``create_config`` into it)."""
    if not (fields.get("command") or "").strip():
        raise UsageError("a pre-process needs a 'command' template")
    record = _create(session, actor, "preprocess", group, origin, fields)
    return _view(session, record, "preprocess")


def update_preprocess(session: Session, actor: Actor, preprocess_id: int, *, origin: str,
                      **changes: Any) -> PreProcessView:
    record = _update(session, actor, "preprocess", preprocess_id, origin, changes)
    return _view(session, record, "preprocess")


def get_preprocess(session: Session, actor: Actor, preprocess_id: int, *,
                   origin: str = "") -> PreProcessView:
    record = require_record_right(session, "preprocess", actor, Right.READ, preprocess_id,
                                  origin=origin)
    return _view(session, record, "preprocess")


def delete_preprocess(session: Session, actor: Actor, preprocess_id: int, *,
                      origin: str) -> None:
    """Delete a pre-process no sample uses (needs ``admin`` on it)."""
    record = require_record_right(session, "preprocess", actor, Right.ADMIN, preprocess_id,
                                  origin=origin)
    uses = session.scalar(select(func.count()).where(Sample.preprocess_id == preprocess_id))
    if uses:
        raise Conflict(f"pre-process {preprocess_id} is used by {uses} sample(s): "
                       "unshare it instead of deleting it")
    session.delete(record)
    audit(session, actor, "delete", "preprocess", preprocess_id, origin=origin)
    session.flush()


def share_preprocess(session: Session, actor: Actor, preprocess_id: int, group: str, *,
                     origin: str) -> PreProcessView:
    _share(session, actor, "preprocess", preprocess_id, group, origin, share=True)
    return _view(session, session.get(PreProcess, preprocess_id), "preprocess")


def unshare_preprocess(session: Session, actor: Actor, preprocess_id: int, group: str, *,
                       origin: str) -> None:
    _share(session, actor, "preprocess", preprocess_id, group, origin, share=False)
