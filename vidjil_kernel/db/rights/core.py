"""Who may do what: the one place that decides every right of the lab.

The rule (issue 3): a user may do X on record R if one of their groups holds
the right X **and** that group, or its parent, has access to R.  Rights are
never inherited from a parent group; a child group only *sees* its parent's
records.  Admins may do everything, and what they do without holding the
right is written to the audit log.  No account (``None``) may do nothing.

Records with access lists are sets, configs and pre-processes; a sample has
the rights of the sets it belongs to (any of them).  Group-level actions
(``create`` a set in a group, ``create_config``) follow the same rule with the
target group in place of the record.  Managing a group's members needs
``admin`` held by that very group (a child's admins cannot add themselves to
the parent); granting rights is for lab admins only.  ``impersonate`` held by
a group lets its members act as the group's other (non-admin) members.

Every check here is SQL: ``*_filter`` functions give WHERE clauses that
listings put in their one query, ``has_*`` functions ask one EXISTS.
"""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from vidjil_kernel.db.models import (
    AuditEntry,
    Config,
    ConfigAccess,
    Group,
    GroupRight,
    Membership,
    PreProcess,
    PreProcessAccess,
    Right,
    Sample,
    SampleSet,
    SetAccess,
    SetSample,
    User,
)
from vidjil_kernel.exceptions import NotFound, PermissionDenied


@dataclasses.dataclass(frozen=True)
class SystemActor:
    """The lab itself acting for its administrator (CLI on the server, migrations).

    It may do everything, like an admin account; audit entries name it.
    """

    name: str = "system"
    id: None = None
    is_admin: bool = True
    active: bool = True


SYSTEM = SystemActor()

#: who asks: an account, the system, or nobody (no account)
Actor = User | SystemActor | None


@dataclasses.dataclass(frozen=True)
class _AccessTable:
    """How records of one type are shared with groups."""

    record_type: str
    model: type
    access: type
    record_column: InstrumentedAttribute[int]
    access_group: InstrumentedAttribute[int]


SET_ACCESS = _AccessTable("set", SampleSet, SetAccess, SetAccess.set_id, SetAccess.group_id)
CONFIG_ACCESS = _AccessTable(
    "config", Config, ConfigAccess, ConfigAccess.config_id, ConfigAccess.group_id
)
PREPROCESS_ACCESS = _AccessTable(
    "preprocess", PreProcess, PreProcessAccess, PreProcessAccess.preprocess_id,
    PreProcessAccess.group_id,
)
ACCESS_TABLES = {table.record_type: table for table in (SET_ACCESS, CONFIG_ACCESS,
                                                         PREPROCESS_ACCESS)}


def actor_name(actor: Actor) -> str:
    return "no account" if actor is None else actor.name


def is_admin(actor: Actor) -> bool:
    """Lab admins (and the system) may do everything; inactive accounts nothing."""
    return actor is not None and actor.active and actor.is_admin


def is_account(actor: Actor) -> bool:
    return isinstance(actor, User) and actor.active


def groups_holding(actor: Actor, right: Right) -> Select[tuple[int]]:
    """Ids of the actor's groups that hold ``right``."""
    user_id = actor.id if isinstance(actor, User) else -1
    return (
        select(Membership.group_id)
        .join(GroupRight, and_(GroupRight.group_id == Membership.group_id,
                               GroupRight.name == right.value))
        .where(Membership.user_id == user_id)
    )


def acting_groups(actor: Actor, right: Right) -> Select[tuple[int]]:
    """Ids of the groups whose records the actor may do ``right`` on.

    The groups holding the right, and the parents of those groups.
    """
    holding = groups_holding(actor, right)
    parents = select(Group.parent_id).where(
        Group.id.in_(holding.scalar_subquery()), Group.parent_id.is_not(None)
    )
    return union(holding, parents).subquery().select()


def record_filter(table: _AccessTable, actor: Actor, right: Right) -> ColumnElement[bool]:
    """WHERE clause: the record of ``table`` (its model's ``id``) allows ``right``."""
    if is_admin(actor):
        return true()
    if not is_account(actor):
        return false()
    # "id IN (ids reachable through the groups)" rather than a correlated EXISTS: the
    # database builds the reachable ids once from the (group_id, record) index instead
    # of probing the access table for every record (issue 3 benchmark, bench/rights.py)
    return table.model.id.in_(reachable_ids(table, actor, right))  # type: ignore[attr-defined]


def reachable_ids(table: _AccessTable, actor: Actor, right: Right) -> Select[tuple[int]]:
    """Distinct ids of the records of ``table`` the actor (not an admin) may do ``right`` on.

    Listings join this instead of filtering every record: the database starts
    from the actor's groups and reaches only their records (bench/rights.py).
    """
    return (select(table.record_column)
            .where(table.access_group.in_(acting_groups(actor, right).scalar_subquery()))
            .distinct())


def set_filter(actor: Actor, right: Right) -> ColumnElement[bool]:
    """WHERE clause on ``SampleSet``: the actor may do ``right`` on the set."""
    return record_filter(SET_ACCESS, actor, right)


def identity_filter(actor: Actor) -> ColumnElement[bool]:
    """WHERE/column on ``SampleSet``: the actor may see the patient's names and birth date."""
    return set_filter(actor, Right.ANON)


def sample_filter(actor: Actor, right: Right) -> ColumnElement[bool]:
    """WHERE clause on ``Sample``: one of the sample's sets allows ``right``."""
    if is_admin(actor):
        return true()
    if not is_account(actor):
        return false()
    return Sample.id.in_(
        select(SetSample.sample_id)
        .join(SetAccess, SetAccess.set_id == SetSample.set_id)
        .where(SetAccess.group_id.in_(acting_groups(actor, right).scalar_subquery()))
    )


def _holds_by_groups(
    session: Session, table: _AccessTable, actor: Actor, right: Right, record_id: int
) -> bool:
    if not is_account(actor):
        return False
    query = select(literal(1)).select_from(table.access).where(
        table.record_column == record_id,
        table.access_group.in_(acting_groups(actor, right).scalar_subquery()),
    )
    return session.scalar(select(exists(query))) or False


def _sample_holds_by_groups(session: Session, actor: Actor, right: Right, sample_id: int) -> bool:
    if not is_account(actor):
        return False
    query = (
        select(literal(1)).select_from(SetSample)
        .join(SetAccess, SetAccess.set_id == SetSample.set_id)
        .where(SetSample.sample_id == sample_id,
               SetAccess.group_id.in_(acting_groups(actor, right).scalar_subquery()))
    )
    return session.scalar(select(exists(query))) or False


def _group_holds_by_groups(
    session: Session, actor: Actor, right: Right, group_id: int, *, parent_counts: bool
) -> bool:
    if not is_account(actor):
        return False
    holding = groups_holding(actor, right).scalar_subquery()
    targets = [Group.id == group_id]
    if parent_counts:
        targets.append(Group.parent_id == group_id)
    query = select(literal(1)).select_from(Group).where(Group.id.in_(holding), or_(*targets))
    return session.scalar(select(exists(query))) or False


def _impersonates_by_groups(session: Session, actor: Actor, target: User) -> bool:
    if not is_account(actor) or target.is_admin:
        return False
    query = select(literal(1)).select_from(Membership).where(
        Membership.user_id == target.id,
        Membership.group_id.in_(groups_holding(actor, Right.IMPERSONATE).scalar_subquery()),
    )
    return session.scalar(select(exists(query))) or False


def has_record_right(
    session: Session, record_type: str, actor: Actor, right: Right, record_id: int
) -> bool:
    """Whether the actor may do ``right`` on the set/config/pre-process ``record_id``."""
    return is_admin(actor) or _holds_by_groups(
        session, ACCESS_TABLES[record_type], actor, right, record_id)


def has_set_right(session: Session, actor: Actor, right: Right, set_id: int) -> bool:
    return has_record_right(session, "set", actor, right, set_id)


def has_sample_right(session: Session, actor: Actor, right: Right, sample_id: int) -> bool:
    return is_admin(actor) or _sample_holds_by_groups(session, actor, right, sample_id)


def has_group_right(
    session: Session, actor: Actor, right: Right, group_id: int, *, parent_counts: bool = True
) -> bool:
    """Whether the actor may use ``right`` *into* group ``group_id`` (e.g. create a set there).

    ``parent_counts``: a group's right also works into its parent group (the
    general rule); False for managing the group itself.
    """
    return is_admin(actor) or _group_holds_by_groups(
        session, actor, right, group_id, parent_counts=parent_counts)


def can_impersonate(session: Session, actor: Actor, target: User) -> bool:
    return is_admin(actor) or _impersonates_by_groups(session, actor, target)


def audit(
    session: Session,
    actor: Actor,
    action: str,
    record_type: str,
    record_id: int | None,
    *,
    origin: str,
    details: dict | None = None,
    admin_override: bool = False,
) -> None:
    """Write who did what to which record, when and from where."""
    session.add(AuditEntry(
        user_id=actor.id if isinstance(actor, User) else None,
        user_name=actor_name(actor),
        action=action,
        record_type=record_type,
        record_id=record_id,
        origin=origin,
        details=json.dumps(details or {}, sort_keys=True, default=str),
        admin_override=admin_override,
    ))


def _describe(record_type: str, record_id: int) -> str:
    return f"{record_type} {record_id}"


def _require(
    session: Session, actor: Actor, right: Right, target: str, by_groups: bool, *, origin: str,
    record_type: str, record_id: int | None,
) -> None:
    """Pass if the groups allow it; admins pass too (logged); otherwise raise."""
    if by_groups:
        return
    if is_admin(actor):
        audit(session, actor, f"override:{right.value}", record_type, record_id, origin=origin,
              admin_override=True)
        return
    raise PermissionDenied(right.value, target, actor_name(actor))


def require_record_right(
    session: Session, record_type: str, actor: Actor, right: Right, record_id: int, *,
    origin: str,
) -> object:
    """The set/config/pre-process ``record_id`` if the actor may do ``right`` on it.

    Raises ``NotFound`` for a missing record and ``PermissionDenied`` naming
    the right otherwise.
    """
    table = ACCESS_TABLES[record_type]
    record = session.get(table.model, record_id)
    if record is None:
        raise NotFound(record_type, record_id)
    _require(session, actor, right, _describe(record_type, record_id),
             _holds_by_groups(session, table, actor, right, record_id), origin=origin,
             record_type=record_type, record_id=record_id)
    return record


def require_set_right(
    session: Session, actor: Actor, right: Right, set_id: int, *, origin: str
) -> SampleSet:
    record = require_record_right(session, "set", actor, right, set_id, origin=origin)
    assert isinstance(record, SampleSet)
    return record


def require_sample_right(
    session: Session, actor: Actor, right: Right, sample_id: int, *, origin: str
) -> Sample:
    sample = session.get(Sample, sample_id)
    if sample is None:
        raise NotFound("sample", sample_id)
    _require(session, actor, right, _describe("sample", sample_id),
             _sample_holds_by_groups(session, actor, right, sample_id), origin=origin,
             record_type="sample", record_id=sample_id)
    return sample


def require_group_right(
    session: Session, actor: Actor, right: Right, group: Group, *, origin: str,
    parent_counts: bool = True,
) -> None:
    """Raise unless the actor may use ``right`` into ``group`` (see ``has_group_right``)."""
    _require(session, actor, right, f"group {group.name!r}",
             _group_holds_by_groups(session, actor, right, group.id,
                                    parent_counts=parent_counts),
             origin=origin, record_type="group", record_id=group.id)


def _holds_somewhere_by_groups(session: Session, actor: Actor, right: Right) -> bool:
    if not is_account(actor):
        return False
    return session.scalar(select(exists(groups_holding(actor, right)))) or False


def holds_right_somewhere(session: Session, actor: Actor, right: Right) -> bool:
    """Whether one of the actor's groups holds ``right`` at all (admins: always)."""
    return is_admin(actor) or _holds_somewhere_by_groups(session, actor, right)


def require_right_somewhere(
    session: Session, actor: Actor, right: Right, what: str, *, origin: str
) -> None:
    """Raise unless one of the actor's groups holds ``right``: for actions on no record yet,
    such as browsing the mounted file source before attaching a file to a set."""
    _require(session, actor, right, what, _holds_somewhere_by_groups(session, actor, right),
             origin=origin, record_type="lab", record_id=None)


def require_lab_admin(actor: Actor, what: str) -> None:
    """Raise unless the actor is a lab admin (for actions no group right allows)."""
    if not is_admin(actor):
        raise PermissionDenied("lab admin", what, actor_name(actor))


def require_impersonation(session: Session, actor: Actor, target: User, *, origin: str) -> None:
    _require(session, actor, Right.IMPERSONATE, f"user {target.name!r}",
             _impersonates_by_groups(session, actor, target), origin=origin,
             record_type="user", record_id=target.id)
