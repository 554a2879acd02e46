"""Accounts and groups: what the hub sync, the admin CLI and the admin dashboard call.

Services check rights, change rows, write the audit log and return views;
the caller owns the transaction (``session_scope``).  ``origin`` says where the
request came from (an IP address, "cli", "hub-sync").
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vidjil_kernel.db.base import utcnow
from vidjil_kernel.db.models import (
    PUBLIC_GROUP,
    Group,
    GroupKind,
    GroupRight,
    Membership,
    Right,
    User,
)
from vidjil_kernel.db.rights import (
    SYSTEM,
    Actor,
    audit,
    is_admin,
    require_group_right,
    require_impersonation,
    require_lab_admin,
)
from vidjil_kernel.db.views import GroupView, UserView
from vidjil_kernel.exceptions import Conflict, NotFound, UsageError


def personal_group_name(user_name: str) -> str:
    return f"user:{user_name}"


def parse_right(name: str) -> Right:
    """The right called ``name``, or a UsageError listing the valid ones."""
    try:
        return Right(name)
    except ValueError:
        raise UsageError(f"unknown right {name!r}: use one of "
                         f"{', '.join(right.value for right in Right)}") from None


def get_account(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound("user", name, "create it with `vidjil user add`")
    return user


def get_group(session: Session, name: str) -> Group:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        raise NotFound("group", name, "create it with `vidjil group add`")
    return group


def public_group(session: Session) -> Group:
    group = session.scalar(select(Group).where(Group.kind == GroupKind.PUBLIC))
    if group is None:
        raise NotFound("group", PUBLIC_GROUP, "the database was not made by `vidjil db upgrade`")
    return group


def _add_membership(session: Session, user: User, group: Group) -> bool:
    exists = session.get(Membership, (user.id, group.id))
    if exists is None:
        session.add(Membership(user_id=user.id, group_id=group.id))
        session.flush()
    return exists is None


def ensure_account(
    session: Session,
    name: str,
    email: str | None = None,
    admin: bool | None = None,
    *,
    origin: str = "hub-sync",
) -> User:
    """The account ``name``, created with its personal group and public membership if new.

    Idempotent, for mirroring JupyterHub users: a given ``email`` or ``admin``
    updates the account, None leaves it as it is.
    """
    name = name.strip()
    if not name:
        raise UsageError("an account needs a non-empty name")
    user = session.scalar(select(User).where(User.name == name))
    changes: dict[str, object] = {}
    if user is None:
        user = User(name=name, email=email, is_admin=bool(admin), active=True)
        session.add(user)
        session.flush()
        changes = {"created": True, "admin": bool(admin)}
    else:
        if email is not None and user.email != email:
            user.email = email
            changes["email"] = True
        if admin is not None and user.is_admin != admin:
            user.is_admin = admin
            changes["admin"] = admin
    personal = session.scalar(select(Group).where(Group.personal_user_id == user.id))
    if personal is None:
        personal = Group(name=personal_group_name(name), kind=GroupKind.PERSONAL,
                         personal_user_id=user.id,
                         description=f"personal group of {name}")
        session.add(personal)
        session.flush()
        session.add_all(GroupRight(group_id=personal.id, name=right.value)
                        for right in _PERSONAL_RIGHTS)
        changes["personal_group"] = personal.name
    _add_membership(session, user, personal)
    if _add_membership(session, user, public_group(session)):
        changes["public_member"] = True
    if changes:
        audit(session, SYSTEM, "ensure_account", "user", user.id, origin=origin,
              details=changes)
    return user


#: a personal group gives its user everything on what they keep to themselves,
#: except seeing other users' identities (there are none) and acting as others
_PERSONAL_RIGHTS = (Right.READ, Right.CREATE, Right.UPLOAD, Right.RUN, Right.SAVE, Right.ANON,
                    Right.ADMIN, Right.CREATE_CONFIG)


def user_views(session: Session, users: list[User]) -> list[UserView]:
    """Views of ``users`` with the names of their groups (one more query)."""
    groups_of: dict[int, list[str]] = defaultdict(list)
    ids = [user.id for user in users]
    if ids:
        for user_id, name in session.execute(
                select(Membership.user_id, Group.name).join(Group, Group.id == Membership.group_id)
                .where(Membership.user_id.in_(ids)).order_by(Group.name)):
            groups_of[user_id].append(name)
    return [UserView(user.id, user.name, user.email, user.is_admin, user.active,
                     user.created_at, user.last_login, groups_of[user.id]) for user in users]


def user_view(session: Session, user: User) -> UserView:
    return user_views(session, [user])[0]


def add_user(
    session: Session, actor: Actor, name: str, *, email: str | None = None, admin: bool = False,
    origin: str,
) -> UserView:
    """Create an account (lab admins only); Conflict if the name is taken."""
    require_lab_admin(actor, "accounts")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"user {name!r} exists (see `vidjil user list`)")
    user = ensure_account(session, name, email=email, admin=admin, origin=origin)
    audit(session, actor, "create", "user", user.id, origin=origin, details={"admin": admin})
    return user_view(session, user)


def set_user_active(session: Session, actor: Actor, name: str, active: bool, *,
                    origin: str) -> UserView:
    """Enable or disable an account (lab admins only); a disabled account may do nothing."""
    require_lab_admin(actor, "accounts")
    user = get_account(session, name)
    if not active and isinstance(actor, User) and actor.id == user.id:
        raise Conflict(f"{name} cannot disable their own account: ask another admin")
    user.active = active
    audit(session, actor, "activate" if active else "deactivate", "user", user.id, origin=origin)
    return user_view(session, user)


def set_user_admin(session: Session, actor: Actor, name: str, admin: bool, *,
                   origin: str) -> UserView:
    """Make an account a lab admin, or not (lab admins only; not one's own flag)."""
    require_lab_admin(actor, "accounts")
    user = get_account(session, name)
    if not admin and isinstance(actor, User) and actor.id == user.id:
        raise Conflict(f"{name} cannot remove their own admin flag: ask another admin")
    if user.is_admin != admin:
        user.is_admin = admin
        audit(session, actor, "grant_admin" if admin else "revoke_admin", "user", user.id,
              origin=origin)
    return user_view(session, user)


def record_login(session: Session, user: User) -> None:
    """Remember when the user last logged in (the hub calls this on each login)."""
    user.last_login = utcnow()


def list_users(session: Session, actor: Actor) -> list[UserView]:
    """Every account (lab admins only), by name."""
    require_lab_admin(actor, "the list of accounts")
    return user_views(session, list(session.scalars(select(User).order_by(User.name))))


def impersonate(session: Session, actor: Actor, name: str, *, origin: str) -> User:
    """The account to act as, if ``actor`` may impersonate it (logged)."""
    target = get_account(session, name)
    require_impersonation(session, actor, target, origin=origin)
    audit(session, actor, "impersonate", "user", target.id, origin=origin)
    return target


def group_views(session: Session, groups: list[Group]) -> list[GroupView]:
    """Views of ``groups`` with their rights, members and parent (three queries in all)."""
    ids = [group.id for group in groups]
    rights_of: dict[int, list[str]] = defaultdict(list)
    members_of: dict[int, list[str]] = defaultdict(list)
    if ids:
        for group_id, name in session.execute(
                select(GroupRight.group_id, GroupRight.name)
                .where(GroupRight.group_id.in_(ids)).order_by(GroupRight.name)):
            rights_of[group_id].append(name)
        for group_id, name in session.execute(
                select(Membership.group_id, User.name).join(User, User.id == Membership.user_id)
                .where(Membership.group_id.in_(ids)).order_by(User.name)):
            members_of[group_id].append(name)
    parent_ids = {group.parent_id for group in groups if group.parent_id is not None}
    parents = dict(session.execute(select(Group.id, Group.name).where(
        Group.id.in_(parent_ids))).all()) if parent_ids else {}
    return [GroupView(group.id, group.name, group.kind, group.description,
                      parents.get(group.parent_id) if group.parent_id else None,
                      rights_of[group.id], members_of[group.id]) for group in groups]


def group_view(session: Session, group: Group) -> GroupView:
    return group_views(session, [group])[0]


def create_group(
    session: Session, actor: Actor, name: str, *, parent: str | None = None,
    description: str = "", origin: str,
) -> GroupView:
    """A new shared group, optionally the child of ``parent`` (lab admins only).

    Groups have one level of parents: a parent cannot itself be a child.
    """
    require_lab_admin(actor, "groups")
    name = name.strip()
    if not name or name.startswith("user:"):
        raise UsageError(f"invalid group name {name!r} (non-empty, not starting with 'user:')")
    if session.scalar(select(Group.id).where(Group.name == name)) is not None:
        raise Conflict(f"group {name!r} exists (see `vidjil group list`)")
    parent_group = get_group(session, parent) if parent else None
    if parent_group is not None and (parent_group.parent_id is not None
                                     or parent_group.kind != GroupKind.SHARED):
        raise UsageError(f"group {parent!r} cannot be a parent: groups have one level of "
                         "parents, and only shared groups have children")
    group = Group(name=name, description=description, kind=GroupKind.SHARED,
                  parent_id=parent_group.id if parent_group else None)
    session.add(group)
    session.flush()
    audit(session, actor, "create", "group", group.id, origin=origin,
          details={"parent": parent})
    return group_view(session, group)


def delete_group(session: Session, actor: Actor, name: str, *, origin: str) -> None:
    """Delete a shared group without children (lab admins only); its records lose that access."""
    require_lab_admin(actor, "groups")
    group = get_group(session, name)
    if group.kind != GroupKind.SHARED:
        raise UsageError(f"group {name!r} is a {group.kind} group and cannot be deleted")
    children = session.scalar(select(func.count()).where(Group.parent_id == group.id))
    if children:
        raise Conflict(f"group {name!r} has {children} child group(s): delete them first")
    session.delete(group)
    audit(session, actor, "delete", "group", group.id, origin=origin, details={"name": name})


def _managed_group(session: Session, actor: Actor, group_name: str, origin: str) -> Group:
    group = get_group(session, group_name)
    if group.kind != GroupKind.SHARED:
        raise UsageError(f"the members of {group.kind} group {group_name!r} are managed by the lab")
    require_group_right(session, actor, Right.ADMIN, group, origin=origin, parent_counts=False)
    return group


def add_member(session: Session, actor: Actor, group_name: str, user_name: str, *,
               origin: str) -> GroupView:
    """Add ``user_name`` to a shared group (lab admins, or holders of ``admin`` in that group)."""
    group = _managed_group(session, actor, group_name, origin)
    user = get_account(session, user_name)
    if _add_membership(session, user, group):
        audit(session, actor, "add_member", "group", group.id, origin=origin,
              details={"user": user.name})
    return group_view(session, group)


def remove_member(session: Session, actor: Actor, group_name: str, user_name: str, *,
                  origin: str) -> GroupView:
    """Remove ``user_name`` from a shared group (same right as ``add_member``)."""
    group = _managed_group(session, actor, group_name, origin)
    user = get_account(session, user_name)
    removed = session.execute(delete(Membership).where(
        Membership.group_id == group.id, Membership.user_id == user.id)).rowcount
    if not removed:
        raise NotFound("member", user_name, f"not in group {group_name!r}")
    audit(session, actor, "remove_member", "group", group.id, origin=origin,
          details={"user": user.name})
    return group_view(session, group)


def grant_right(session: Session, actor: Actor, group_name: str, right: str | Right, *,
                origin: str) -> GroupView:
    """Let ``group_name``'s members do ``right`` (lab admins only)."""
    require_lab_admin(actor, "rights")
    group = get_group(session, group_name)
    right = parse_right(str(right))
    if session.get(GroupRight, (group.id, right.value)) is None:
        session.add(GroupRight(group_id=group.id, name=right.value))
        session.flush()
        audit(session, actor, "grant", "group", group.id, origin=origin,
              details={"right": right.value})
    return group_view(session, group)


def revoke_right(session: Session, actor: Actor, group_name: str, right: str | Right, *,
                 origin: str) -> GroupView:
    """Take ``right`` back from ``group_name`` (lab admins only)."""
    require_lab_admin(actor, "rights")
    group = get_group(session, group_name)
    right = parse_right(str(right))
    held = session.get(GroupRight, (group.id, right.value))
    if held is None:
        raise NotFound("right", right.value, f"group {group_name!r} does not hold it")
    session.delete(held)
    session.flush()
    audit(session, actor, "revoke", "group", group.id, origin=origin,
          details={"right": right.value})
    return group_view(session, group)


def list_groups(session: Session, actor: Actor) -> list[GroupView]:
    """All groups for lab admins; otherwise the actor's groups and their parents."""
    query = select(Group).order_by(Group.name)
    if not is_admin(actor):
        mine = select(Membership.group_id).where(
            Membership.user_id == (actor.id if isinstance(actor, User) else -1))
        parents = select(Group.parent_id).where(Group.id.in_(mine))
        query = query.where(Group.id.in_(mine) | Group.id.in_(parents))
    return group_views(session, list(session.scalars(query)))
