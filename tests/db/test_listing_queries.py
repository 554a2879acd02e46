"""Issue 3: listings filter by rights in SQL, in one query whatever the number of records."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from vidjil_kernel.db import SYSTEM, rights
from vidjil_kernel.db import services as svc


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """Collect the SQL statements the session's connection runs inside the block."""
    seen: list[str] = []
    connection = session.connection()

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def _fill(session: Session, lab, count: int) -> None:
    for n in range(count):
        patient = svc.create_set(session, SYSTEM, "patient", "hemato", first_name=f"F{n}",
                                 last_name=f"Name{n}", birth_date="1980-01-01", origin="test")
        svc.share_set(session, SYSTEM, patient.id, "virology", origin="test")
        svc.add_sample(session, SYSTEM, [patient.id], original_name=f"s{n}.fq", origin="test")


@pytest.mark.parametrize("count", [3, 30])
def test_listing_sets_is_one_query(session: Session, lab, count: int) -> None:
    _fill(session, lab, count)
    session.flush()
    for actor in (lab.student, lab.clinician, lab.boss, None):
        with statements(session) as seen:
            page = rights.readable_sets(session, actor, search="nam")
        assert len(seen) == 1, seen
        assert page.total == (0 if actor is None else count)


@pytest.mark.parametrize("count", [3, 30])
def test_listing_samples_is_two_queries(session: Session, lab, count: int) -> None:
    """The samples, then the sets they are in (for their anonymised labels)."""
    _fill(session, lab, count)
    session.flush()
    with statements(session) as seen:
        page = rights.readable_samples(session, lab.student)
    assert len(seen) == 2, seen
    assert page.total == count and all(len(item.sets) == 1 for item in page.items)


def test_the_rights_filter_is_in_the_sql(session: Session, lab) -> None:
    _fill(session, lab, 2)
    session.flush()
    with statements(session) as seen:
        rights.readable_sets(session, lab.student, limit=1)
    assert "set_access" in seen[0] and "group_right" in seen[0] and "LIMIT" in seen[0].upper()


def test_pages_report_the_whole_listing(session: Session, lab) -> None:
    _fill(session, lab, 5)
    session.flush()
    first = rights.readable_sets(session, lab.student, limit=2)
    past_the_end = rights.readable_sets(session, lab.student, offset=10, limit=2)
    assert (len(first.items), first.total) == (2, 5)
    assert (len(past_the_end.items), past_the_end.total) == (0, 5)
    everything = rights.readable_sets(session, lab.student, offset=0, limit=10).items
    assert [view.id for view in everything[2:4]] == [
        view.id for view in rights.readable_sets(session, lab.student, offset=2, limit=2).items]


def test_group_and_user_listings_take_a_fixed_number_of_queries(session: Session, lab) -> None:
    counts = []
    for extra in (0, 10):
        for n in range(extra):
            svc.ensure_account(session, f"extra-{len(counts)}-{n}")
            svc.create_group(session, SYSTEM, f"team-{len(counts)}-{n}", parent="virology",
                             origin="test")
        session.flush()
        with statements(session) as seen:
            groups = svc.list_groups(session, SYSTEM)
            users = svc.list_users(session, SYSTEM)
        counts.append(len(seen))
    assert counts[0] == counts[1] <= 6
    assert next(g for g in groups if g.name == "hemato-students").parent == "hemato"
    assert next(u for u in users if u.name == "student").groups == [
        "hemato-students", "public", "user:student"]
