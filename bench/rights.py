"""Benchmark: list 10,000 sets for a user in 200 groups (issue 3 target: under 200 ms).

A realistic lab: 300 shared groups (150 labs, each with one child team), 400
users in 5 groups each, 40,000 sets (patients, runs, generic) with about
one sample each, every set shared with one to three groups; every group
holds read/upload/run/save, a third of them ``anon``.  The measured user
belongs to 200 groups (the 150 labs and 50 teams) through which exactly
10,000 sets are readable; 30,000 sets are shared only with the other teams.

Prints the SQL of ``readable_sets`` (it must be one statement) and the
median and best times of listing all 10,000 sets as anonymised views, of a
first page of 50, and of a search, then the "floor": fetching the same
columns of 10,000 sets with no rights filter and no views (what the driver
alone costs: PyMySQL decodes rows in pure Python); wall-clock time, and this process's CPU
time, which is what to compare on a busy machine (it includes SQLite's work,
not a MariaDB server's).  Also prints the load average.

    python bench/rights.py                 # SQLite in a temporary directory
    python bench/rights.py --mariadb       # and on a private MariaDB (mariadbd)
    python bench/rights.py --db-url URL    # on an empty database of your own
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from vidjil_kernel.db import SYSTEM, open_engine, rights
from vidjil_kernel.db.models import (
    Group,
    GroupRight,
    Membership,
    Sample,
    SampleSet,
    SetAccess,
    SetSample,
    User,
)
from vidjil_kernel.db.rights.listings import readable_sets_query
from vidjil_kernel.db.services import ensure_account

TOTAL_SETS = 40_000
READABLE_SETS = 10_000
USER_GROUPS = 200
GROUPS = 300
USERS = 400
BATCH = 5_000


def _insert(session: Session, model: type, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start:start + BATCH])


def populate(session: Session, seed: int = 1) -> User:
    """Fill an empty lab; returns the user whose listing is measured."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    users = [ensure_account(session, f"user{n:03d}", origin="bench") for n in range(USERS)]
    measured = users[0]
    _insert(session, Group, [{"name": f"lab{n:03d}", "kind": "shared", "description": "",
                              "created_at": now} for n in range(GROUPS // 2)])
    parents = list(session.scalars(select(Group.id).where(Group.name.like("lab%"))))
    _insert(session, Group, [{"name": f"team{n:03d}", "kind": "shared", "description": "",
                              "created_at": now, "parent_id": parent}
                             for n, parent in enumerate(parents)])
    shared = list(session.scalars(select(Group.id).where(Group.kind == "shared")
                                  .order_by(Group.id)))
    children = [group for group in shared if group not in set(parents)]
    rng.shuffle(children)
    # the user is in every parent group and 50 children; the 100 other children's
    # records stay hidden (a parent does not see its children's records)
    mine = parents + children[:USER_GROUPS - len(parents)]
    others = children[USER_GROUPS - len(parents):]
    _insert(session, Membership, [{"user_id": measured.id, "group_id": group, "created_at": now}
                                  for group in mine])
    _insert(session, Membership, [{"user_id": user.id, "group_id": group, "created_at": now}
                                  for user in users[1:] for group in rng.sample(shared, 5)])
    _insert(session, GroupRight, [
        {"group_id": group, "name": right} for group in shared
        for right in ("read", "upload", "run", "save") + (("anon",) if group % 3 == 0 else ())])
    _insert(session, SampleSet, [
        {"kind": ("patient", "run", "generic")[n % 3], "name": f"set {n}",
         "first_name": f"First{n}", "last_name": f"Last{n}",
         "birth_date": dt.date(1940 + n % 70, 1 + n % 12, 1 + n % 28), "id_label": f"L{n}",
         "info": f"#cohort{n % 50}", "created_at": now - dt.timedelta(minutes=n)}
        for n in range(TOTAL_SETS)])
    set_ids = list(session.scalars(select(SampleSet.id).order_by(SampleSet.id)))
    _insert(session, SetAccess, [
        {"set_id": set_id, "group_id": group} for index, set_id in enumerate(set_ids)
        for group in rng.sample(mine if index < READABLE_SETS else others, rng.randint(1, 3))])
    _insert(session, Sample, [{"original_name": f"s{n}.fastq.gz", "info": "", "pcr": "",
                               "sequencer": "", "producer": "", "uploaded_at": now,
                               "from_file_source": False} for n in range(TOTAL_SETS)])
    sample_ids = list(session.scalars(select(Sample.id).order_by(Sample.id)))
    _insert(session, SetSample, [{"set_id": set_id, "sample_id": sample_id}
                                 for set_id, sample_id in zip(set_ids, sample_ids, strict=True)])
    session.commit()
    return measured


def _time(session: Session, user: User, repeats: int,
          **options: object) -> tuple[list[float], list[float], object]:
    """Wall-clock and CPU times (this process: all of SQLite's work, none of MariaDB's)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        page = rights.readable_sets(session, user, **options)  # type: ignore[arg-type]
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu, page


def run(url: str, repeats: int) -> None:
    engine = open_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        start = time.perf_counter()
        user = populate(session)
        print(f"\nload average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"== {engine.dialect.name} {engine.dialect.server_version_info or ''}: "
              f"lab filled in {time.perf_counter() - start:.1f} s")
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            if statement != "BEGIN":  # SQLite's explicit transaction start
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        page = rights.readable_sets(session, user)
        event.remove(engine, "before_cursor_execute", record)
        assert page.total == READABLE_SETS == len(page.items), page.total
        print(f"statements per listing: {len(statements)}\nSQL:\n{statements[0]}\n")
        for label, options in (("all 10,000 sets", {}), ("first page of 50", {"limit": 50}),
                               ("search, page of 50", {"search": "cohort7", "limit": 50})):
            wall, cpu, page = _time(session, user, repeats, **options)
            print(f"{label:20} wall median {statistics.median(wall) * 1000:6.1f} ms, "
                  f"best {min(wall) * 1000:6.1f} ms; cpu median "
                  f"{statistics.median(cpu) * 1000:6.1f} ms   "
                  f"({len(page.items)} of {page.total})")  # type: ignore[attr-defined]
        floor = readable_sets_query(SYSTEM).limit(READABLE_SETS)
        wall, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            session.connection().execute(floor).all()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        print(f"{'floor (no rights)':20} wall median {statistics.median(wall) * 1000:6.1f} ms, "
              f"best {min(wall) * 1000:6.1f} ms; cpu median "
              f"{statistics.median(cpu) * 1000:6.1f} ms   (the same columns of 10,000 sets, "
              "no filter, no views: the driver's share)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", help="an empty database to fill (default: SQLite)")
    parser.add_argument("--mariadb", action="store_true",
                        help="also start a private MariaDB (needs mariadbd) and measure there")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vj-bench-") as scratch:
        run(args.db_url or f"sqlite:///{scratch}/bench.sqlite", args.repeats)
    if args.mariadb:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from mariadb_server import private_mariadb

        with private_mariadb() as server:
            run(server.create_database("bench"), args.repeats)


if __name__ == "__main__":
    main()
