"""The first start of a lab: public rights, default configs and the demo patient, made once."""

from __future__ import annotations

from sqlalchemy import func, select

from vidjil_kernel.api.seed import seed_demo, seed_lab
from vidjil_kernel.db import new_session_factory, session_scope
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.models import Config, Job, Sample, SampleSet
from vidjil_kernel.settings import load_settings


def _counts(sessions) -> tuple[int, ...]:
    with session_scope(sessions) as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (SampleSet, Sample, Job, Config))


def test_first_start_seeds_once_and_keeps_admins_changes(tmp_path, germline_dir):
    settings = load_settings(data_dir=tmp_path / "data", db_url="", disk_min_free_gb=0.001)
    sessions = new_session_factory(settings)
    seed_lab(sessions)
    set_id = seed_demo(settings, sessions)
    with session_scope(sessions) as session:
        public = svc.group_view(session, svc.public_group(session))
        assert public.rights == ["read", "run"]
        demo = svc.list_samples(session, svc.ensure_account(session, "visitor"), set_id=set_id)
        assert [s.original_name for s in sorted(demo.items, key=lambda s: s.sampling_date)] == [
            f"demo-patient-t{i}.fastq.gz" for i in (1, 2, 3)]
        assert all((settings.data_dir / s.stored_path).is_file() for s in demo.items)
        jobs = session.scalars(select(Job).where(Job.set_id == set_id)).all()
        assert len(jobs) == 3 and {job.state for job in jobs} == {"pending"}
        # an admin takes `run` back from everyone: a restart does not give it again
        svc.revoke_right(session, svc.ensure_account(session, "boss", admin=True), "public",
                         "run", origin="test")
    before = _counts(sessions)
    seed_lab(sessions)
    assert seed_demo(settings, sessions) is None
    assert _counts(sessions) == before
    with session_scope(sessions) as session:
        assert svc.group_view(session, svc.public_group(session)).rights == ["read"]


def test_vidjil_up_creates_the_database_and_refuses_an_old_one(tmp_path):
    import pytest

    from vidjil_kernel.db import migrate
    from vidjil_kernel.db.engine import make_engine
    from vidjil_kernel.exceptions import SchemaMismatch
    from vidjil_kernel.server.lab import prepare_database

    said: list[str] = []
    settings = load_settings(data_dir=tmp_path / "new", db_url="")
    prepare_database(settings, echo=said.append)
    assert said == ["created the lab database"]
    prepare_database(settings, echo=said.append)  # a second start: nothing to do
    assert said == ["created the lab database"]

    old = load_settings(data_dir=tmp_path / "old", db_url="")
    engine = make_engine(old.database_url)
    migrate.upgrade(engine, "0002", backup=False)
    engine.dispose()
    with pytest.raises(SchemaMismatch, match="vidjil db upgrade"):
        prepare_database(old, echo=said.append)
    prepare_database(old, upgrade=True, echo=said.append)
    assert said[-1].startswith("upgraded the lab database (backup: ")
