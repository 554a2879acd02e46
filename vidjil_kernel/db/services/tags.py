"""Tags: ``#words`` of info fields, kept as links so that listings can filter by them.

``retag`` runs whenever a set's or a sample's info changes; ``tag_vocabulary``
offers the words in use on what the actor may read (for completion in the
dashboards), so tags of hidden records do not leak.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, func, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Right, Sample, SampleSet, SampleTag, SetTag, Tag
from vidjil_kernel.db.models.tags import TAG_LENGTH
from vidjil_kernel.db.rights import Actor, sample_filter, set_filter
from vidjil_kernel.db.rights.listings import TAG_LINKS

TAG_PATTERN = re.compile(r"#(\w[\w-]*)")



def extract_tags(text: str | None) -> list[str]:
    """The tags written in ``text`` (``#MRD #relapse`` -> ``["mrd", "relapse"]``), sorted."""
    return sorted({match.lower()[:TAG_LENGTH] for match in TAG_PATTERN.findall(text or "")})


def _tag_ids(session: Session, names: list[str]) -> list[int]:
    """Ids of the named tags, adding the missing ones to the vocabulary."""
    known = dict(session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(names))).all())
    for name in names:
        if name not in known:
            try:
                with session.begin_nested():  # another request may add it at the same time
                    tag = Tag(name=name)
                    session.add(tag)
                known[name] = tag.id
            except IntegrityError:
                known[name] = session.scalar(select(Tag.id).where(Tag.name == name))
    return [known[name] for name in names]


def retag(session: Session, record_type: str, record_id: int, text: str | None) -> list[str]:
    """Make the record's tag links those written in ``text``; returns the tags."""
    link, column = TAG_LINKS[record_type]
    names = extract_tags(text)
    session.execute(delete(link).where(column == record_id))
    if names:
        session.add_all(link(**{column.key: record_id, "tag_id": tag_id})
                        for tag_id in _tag_ids(session, names))
    session.flush()
    return names


def tag_vocabulary(session: Session, actor: Actor, *, prefix: str = "",
                   limit: int = 50) -> list[tuple[str, int]]:
    """Tags used on sets and samples the actor may read, most used first, with their counts."""
    on_sets = (select(SetTag.tag_id.label("tag_id"), literal(1).label("one"))
               .join(SampleSet, SampleSet.id == SetTag.set_id)
               .where(set_filter(actor, Right.READ)))
    on_samples = (select(SampleTag.tag_id.label("tag_id"), literal(1).label("one"))
                  .join(Sample, Sample.id == SampleTag.sample_id)
                  .where(sample_filter(actor, Right.READ)))
    uses = union_all(on_sets, on_samples).subquery()
    query = (
        select(Tag.name, func.count().label("uses"))
        .join(uses, uses.c.tag_id == Tag.id)
        .group_by(Tag.name)
        .order_by(func.count().desc(), Tag.name)
        .limit(limit)
    )
    if prefix:
        query = query.where(Tag.name.like(prefix.lstrip("#").lower().replace("%", "")
                                          .replace("_", "") + "%"))
    return [(name, count) for name, count in session.execute(query)]
