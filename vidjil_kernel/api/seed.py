"""What a new lab starts with, made once (the audit log remembers it; a restart adds nothing).

- ``public`` holds ``read`` and ``run``: every account may read what is shared
  with everyone (the default configs, the demo patient) and run the default
  configs on its own sets.  An admin may revoke them; they are not given back.
- The default analysis configs (``jobs.ensure_default_configs``, shared with ``public``).
- A demo patient with three simulated time points (a diagnosis and two follow-ups
  of the same clones), shared with ``public`` and analysed by the job runner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vidjil_kernel.db import SYSTEM, session_scope
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.models import PUBLIC_GROUP, AuditEntry, Config, Right
from vidjil_kernel.db.rights import audit
from vidjil_kernel.jobs import ensure_default_configs, launch
from vidjil_kernel.settings import Settings
from vidjil_kernel.storage.sample_files import as_stored, sample_file_path

log = logging.getLogger("vidjil_kernel.api")

PUBLIC_SEEDED = "seed_public_rights"
DEMO_SEEDED = "seed_demo"
PUBLIC_RIGHTS = (Right.READ, Right.RUN)
DEMO_CONFIG = "multi-locus"
DEMO_TIMEPOINTS = 3
DEMO_READS = 20_000
#: sampling dates of the demo's time points: diagnosis, then follow-ups
DEMO_DAYS = (0, 35, 120)


def _seeded(session: Session, action: str) -> bool:
    return session.scalar(select(AuditEntry.id).where(AuditEntry.action == action)
                          .limit(1)) is not None


def seed_lab(sessions: sessionmaker[Session]) -> None:
    """The public group's rights (once) and the default configs (those missing)."""
    with session_scope(sessions) as session:
        if not _seeded(session, PUBLIC_SEEDED):
            for right in PUBLIC_RIGHTS:
                svc.grant_right(session, SYSTEM, PUBLIC_GROUP, right, origin="first start")
            audit(session, SYSTEM, PUBLIC_SEEDED, "group", svc.public_group(session).id,
                  origin="first start", details={"rights": [r.value for r in PUBLIC_RIGHTS]})
        created = ensure_default_configs(session)
    if created:
        log.info("created the default analysis configs: %s", ", ".join(created))


def demo_seeded(sessions: sessionmaker[Session]) -> bool:
    with session_scope(sessions) as session:
        return _seeded(session, DEMO_SEEDED)


def demo_spec(germline_dir: Path):
    """The simulation of the demo patient (seeded: the same clones at every first start)."""
    from vidjil_kernel.simulate import SimulationSpec

    return SimulationSpec(loci=(("IGH", 0.5), ("TRG", 0.3), ("IGK", 0.2)), reads=DEMO_READS,
                          mode="diagnosis", name="demo-patient", seed=2024,
                          germline_dir=germline_dir)


def seed_demo(settings: Settings, sessions: sessionmaker[Session]) -> int | None:
    """Create and launch the demo patient unless it was made before; its set id (or None).

    The reads are simulated (a few seconds) before the one transaction that
    records the patient, its samples, the launch and the mark, so that an
    interrupted first start simply makes the demo again at the next one.
    """
    if demo_seeded(sessions):
        return None
    from vidjil_kernel.simulate import simulate_follow_up

    data_dir = settings.data_dir.resolve()
    spec = demo_spec(settings.germline_dir)
    scratch = Path(tempfile.mkdtemp(prefix="demo-", dir=data_dir))
    try:
        simulated = simulate_follow_up(spec, scratch, DEMO_TIMEPOINTS)
        stored = []
        for sample in simulated:
            target = sample_file_path(data_dir, "demo", sample.reads.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(sample.reads, target)
            stored.append((sample, target))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    first_day = dt.date.today() - dt.timedelta(days=DEMO_DAYS[-1])
    with session_scope(sessions) as session:
        if _seeded(session, DEMO_SEEDED):
            return None
        patient = svc.create_set(
            session, SYSTEM, "patient", PUBLIC_GROUP, first_name="Demo", last_name="Patient",
            birth_date="1961-06-15", id_label="DEMO-1", origin="first start",
            info="Simulated follow-up: a diagnosis and two time points under treatment #demo")
        for day, (sample, path) in zip(DEMO_DAYS, stored, strict=True):
            svc.add_sample(session, SYSTEM, [patient.id], origin="first start",
                           original_name=path.name, stored_path=as_stored(data_dir, path),
                           size=path.stat().st_size, sha256=_sha256(path),
                           sampling_date=first_day + dt.timedelta(days=day),
                           producer="vidjil simulate", info=f"{sample.total_reads} reads #demo")
        config = session.scalar(select(Config).where(Config.name == DEMO_CONFIG))
        if config is not None:
            launch(session, SYSTEM, patient.id, config.id, settings=settings,
                   origin="first start")
        audit(session, SYSTEM, DEMO_SEEDED, "set", patient.id, origin="first start")
    return patient.id


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
