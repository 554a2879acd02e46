"""Listings filtered by rights in SQL, handed out as anonymised views.

Each listing is one query (plus, for samples, one more for the sets they are
in, whatever their number): the rights filter (a join on the ids reachable
through the actor's groups), the identity column (``anon``) and, for a page,
the total count (a window function) are computed by the database, never by
loading records and filtering them in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from operator import itemgetter

from sqlalchemy import ColumnElement, Row, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from vidjil_kernel.db.anonymise import patient_identity
from vidjil_kernel.db.models import (
    Config,
    ConfigAccess,
    Group,
    PreProcess,
    PreProcessAccess,
    Right,
    Sample,
    SampleSet,
    SampleTag,
    SetKind,
    SetSample,
    SetTag,
    Tag,
    User,
)
from vidjil_kernel.db.rights.core import (
    CONFIG_ACCESS,
    PREPROCESS_ACCESS,
    SET_ACCESS,
    Actor,
    identity_filter,
    is_account,
    is_admin,
    reachable_ids,
    record_filter,
    sample_filter,
)
from vidjil_kernel.db.views import (
    ConfigView,
    Page,
    PreProcessView,
    SampleView,
    SetRef,
    SetView,
)
from vidjil_kernel.exceptions import UsageError

SETS = SampleSet.__table__.c


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column: ColumnElement[str | None], pattern: str) -> ColumnElement[bool]:
    return func.lower(column).like(pattern, escape="\\")


TAG_LINKS = {"set": (SetTag, SetTag.set_id), "sample": (SampleTag, SampleTag.sample_id)}


def tagged_filter(record_type: str, tag: str) -> ColumnElement[bool]:
    """WHERE clause on ``SampleSet`` or ``Sample``: the record carries ``tag`` (``#`` optional)."""
    link, column = TAG_LINKS[record_type]
    model = SampleSet if record_type == "set" else Sample
    return model.id.in_(select(column).join(Tag, Tag.id == link.tag_id)
                        .where(Tag.name == tag.lstrip("#").lower()))


def set_search_filter(actor: Actor, search: str) -> ColumnElement[bool]:
    """Sets matching ``search``; patient names count only where the actor may see them."""
    pattern = like_pattern(search)
    label = func.substr(SETS.last_name, 1, 3)  # what an anonymised patient shows
    plain = or_(*(_contains(column, pattern)
                  for column in (SETS.name, SETS.id_label, SETS.info, label)))
    named = or_(_contains(SETS.first_name, pattern), _contains(SETS.last_name, pattern))
    return or_(plain, and_(named, identity_filter(actor)))


def readable_sets_query(
    actor: Actor,
    *,
    kind: str | None = None,
    search: str | None = None,
    tag: str | None = None,
    right: Right | None = Right.READ,
) -> Select:
    """The SELECT behind ``readable_sets`` (sets the actor may do ``right`` on), unpaged.

    ``right=None`` drops the rights filter (but keeps the identity column): for
    views of a set whose rights the caller has already checked.
    """
    members = aliased(SetSample)  # callers may join set_sample themselves
    sample_count = (
        select(func.count()).select_from(members)
        .where(members.set_id == SETS.id).scalar_subquery()
    )
    query = select(
        SETS.id, SETS.kind, SETS.name, SETS.id_label, SETS.info, SETS.created_at,
        SETS.first_name, SETS.last_name, SETS.birth_date, SETS.run_date, SETS.sequencer,
        SETS.pcr,
        identity_filter(actor).label("identity_visible"),
        sample_count.label("sample_count"),
    )
    if right is not None and not is_admin(actor):
        if is_account(actor):
            reachable = reachable_ids(SET_ACCESS, actor, right).subquery()
            query = query.join_from(SampleSet.__table__, reachable,
                                    reachable.c.set_id == SETS.id)
        else:
            query = query.where(false())
    if kind is not None:
        if kind not in tuple(SetKind):
            raise UsageError(f"unknown set kind {kind!r}: use one of "
                             f"{', '.join(k.value for k in SetKind)}")
        query = query.where(SETS.kind == kind)
    if search:
        query = query.where(set_search_filter(actor, search))
    if tag:
        query = query.where(tagged_filter("set", tag))
    return query


def set_view(row: Row, today: dt.date | None = None) -> SetView:
    """A view of one row of ``readable_sets_query`` (anonymised unless identity is visible)."""
    (set_id, kind, name, id_label, info, created_at, first_name, last_name, birth_date,
     run_date, sequencer, pcr, visible, sample_count) = row[:14]
    if kind == SetKind.PATIENT:
        label, first_name, last_name, birth_date, age = patient_identity(
            first_name, last_name, birth_date, visible=bool(visible),
            today=today or dt.date.today())
        return SetView(set_id, kind, label, bool(visible), id_label, info, created_at,
                       sample_count, None, first_name, last_name, birth_date, age)
    if kind == SetKind.RUN:
        return SetView(set_id, kind, name or "", bool(visible), id_label, info, created_at,
                       sample_count, name, run_date=run_date, sequencer=sequencer, pcr=pcr)
    return SetView(set_id, kind, name or "", bool(visible), id_label, info, created_at,
                   sample_count, name)


def readable_sets(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    search: str | None = None,
    tag: str | None = None,
    right: Right = Right.READ,
    offset: int = 0,
    limit: int | None = None,
) -> Page[SetView]:
    """Sets the actor may read (or do ``right`` on), newest first, in one query.

    ``search`` matches names, id labels and info (patient names only where the
    actor holds ``anon``); ``kind`` is patient, run or generic; ``tag`` a
    ``#word`` of the info.
    """
    filters = dict(kind=kind, search=search, tag=tag, right=right)
    query = readable_sets_query(actor, **filters)  # type: ignore[arg-type]
    paged = bool(offset) or limit is not None
    if paged:  # the listing's size, computed by the same query
        query = query.add_columns(func.count().over().label("total")).order_by(
            SETS.created_at.desc(), SETS.id.desc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    # Core execution on the session's connection: these are columns, not ORM
    # entities, and skipping the ORM's row loading saves a third of the time
    rows = session.connection().execute(query).all()
    today = dt.date.today()
    if not paged:
        # the whole listing is sorted here: MariaDB's sort of wide rows (with TEXT
        # columns) costs more than the query itself (bench/rights.py)
        rows.sort(key=_newest_first, reverse=True)
        total = len(rows)
    elif rows:
        total = rows[0].total
    elif offset:  # an empty page past the end still reports the listing's size
        total = _count(session, readable_sets_query(actor, **filters))  # type: ignore[arg-type]
    else:
        total = 0
    return Page([set_view(row, today) for row in rows], total, offset, limit)


#: sort key of rows of ``readable_sets_query``: (created_at, id), by position (fast)
_newest_first = itemgetter(5, 0)


def _count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def set_refs(
    session: Session, actor: Actor, set_ids: Iterable[int]
) -> dict[int, SetRef]:
    """Anonymised labels of the given sets the actor may read (one query)."""
    ids = list(set(set_ids))
    if not ids:
        return {}
    rows = session.execute(
        readable_sets_query(actor).where(SETS.id.in_(ids))
    ).all()
    today = dt.date.today()
    return {row.id: SetRef(row.id, row.kind, set_view(row, today).label) for row in rows}


def set_ref(session: Session, actor: Actor, set_id: int) -> SetRef:
    """The label of a set whose right the caller has checked (anonymised without ``anon``)."""
    row = session.execute(readable_sets_query(actor, right=None).where(SETS.id == set_id)).one()
    return SetRef(row.id, row.kind, set_view(row).label)


def _sample_views(session: Session, actor: Actor, samples: Sequence[Row]) -> list[SampleView]:
    """Views of sample rows, each with the readable sets it belongs to (one more query)."""
    ids = [row.Sample.id for row in samples]
    links = session.execute(
        readable_sets_query(actor)
        .add_columns(SetSample.sample_id)
        .join(SetSample, SetSample.set_id == SETS.id)
        .where(SetSample.sample_id.in_(ids))
        .order_by(SETS.id)
    ).all() if ids else []
    today = dt.date.today()
    sets_of: dict[int, list[SetRef]] = defaultdict(list)
    for link in links:
        sets_of[link.sample_id].append(SetRef(link.id, link.kind, set_view(link, today).label))
    views = []
    for row in samples:
        sample: Sample = row.Sample
        views.append(SampleView(
            id=sample.id, original_name=sample.original_name,
            original_name_r2=sample.original_name_r2, stored_path=sample.stored_path,
            stored_path_r2=sample.stored_path_r2, size=sample.size, sha256=sample.sha256,
            sampling_date=sample.sampling_date, info=sample.info, pcr=sample.pcr,
            sequencer=sample.sequencer, producer=sample.producer, uploader=row.uploader,
            uploaded_at=sample.uploaded_at, preprocess_id=sample.preprocess_id,
            preprocess_state=sample.preprocess_state, from_file_source=sample.from_file_source,
            sets=sets_of[sample.id],
        ))
    return views


def readable_samples(
    session: Session,
    actor: Actor,
    *,
    set_id: int | None = None,
    search: str | None = None,
    tag: str | None = None,
    right: Right = Right.READ,
    offset: int = 0,
    limit: int | None = None,
) -> Page[SampleView]:
    """Samples the actor may read (those of ``set_id`` only, if given), newest first."""
    query = (
        select(Sample, User.name.label("uploader"), func.count().over().label("total"))
        .outerjoin(User, User.id == Sample.uploader_id)
        .where(sample_filter(actor, right))
        .order_by(Sample.uploaded_at.desc(), Sample.id.desc())
    )
    if offset:
        query = query.offset(offset)
    if set_id is not None:
        query = query.where(Sample.id.in_(
            select(SetSample.sample_id).where(SetSample.set_id == set_id)))
    if search:
        pattern = like_pattern(search)
        query = query.where(or_(*(_contains(column, pattern) for column in (
            Sample.original_name, Sample.info, Sample.producer, Sample.sequencer, Sample.pcr))))
    if tag:
        query = query.where(tagged_filter("sample", tag))
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    return Page(_sample_views(session, actor, rows), rows[0].total if rows else 0, offset, limit)


def sample_views(session: Session, actor: Actor, sample_ids: Sequence[int]) -> list[SampleView]:
    """Views of the given samples (the caller has checked the actor may read them)."""
    rows = session.execute(
        select(Sample, User.name.label("uploader"))
        .outerjoin(User, User.id == Sample.uploader_id)
        .where(Sample.id.in_(sample_ids)).order_by(Sample.id)
    ).all()
    return _sample_views(session, actor, rows)


def _shared_with(session: Session, access_column, group_column, ids: list[int]) -> dict:
    groups: dict[int, list[str]] = defaultdict(list)
    if ids:
        for record_id, name in session.execute(
            select(access_column, Group.name).join(Group, Group.id == group_column)
            .where(access_column.in_(ids)).order_by(Group.name)
        ):
            groups[record_id].append(name)
    return groups


def readable_configs(
    session: Session, actor: Actor, *, right: Right = Right.READ
) -> list[ConfigView]:
    """Analysis configs the actor may read (or do ``right`` with), by name."""
    configs = session.scalars(
        select(Config).where(record_filter(CONFIG_ACCESS, actor, right)).order_by(Config.name)
    ).all()
    groups = _shared_with(session, ConfigAccess.config_id, ConfigAccess.group_id,
                          [config.id for config in configs])
    return [config_view(config, groups[config.id]) for config in configs]


def config_view(config: Config, groups: list[str]) -> ConfigView:
    return ConfigView(config.id, config.name, config.program, config.parameters,
                      config.fuse_parameters, config.description, config.classification, groups)


def readable_preprocesses(
    session: Session, actor: Actor, *, right: Right = Right.READ
) -> list[PreProcessView]:
    """Pre-processes the actor may read (or do ``right`` with), by name."""
    preprocesses = session.scalars(
        select(PreProcess).where(record_filter(PREPROCESS_ACCESS, actor, right))
        .order_by(PreProcess.name)
    ).all()
    groups = _shared_with(session, PreProcessAccess.preprocess_id, PreProcessAccess.group_id,
                          [item.id for item in preprocesses])
    return [preprocess_view(item, groups[item.id]) for item in preprocesses]


def preprocess_view(preprocess: PreProcess, groups: list[str]) -> PreProcessView:
    return PreProcessView(preprocess.id, preprocess.name, preprocess.command,
                          preprocess.description, groups)
