"""Administration of the lab (lab admins only)."""

from __future__ import annotations

import shutil

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from vidjil_kernel.api.context import CallerDep
from vidjil_kernel.db import rights

router = APIRouter(prefix="/admin", tags=["admin"])


class ServerSettings(BaseModel):
    data_dir: str
    db_url: str
    dask_scheduler: str
    disk_free_bytes: int
    disk_min_free_gb: float
    file_source: str


@router.get("/settings", response_model=ServerSettings,
            summary="Where the lab keeps its data and runs its jobs (password hidden)")
def settings(caller: CallerDep) -> ServerSettings:
    with caller.session() as (session, actor):
        rights.require_lab_admin(actor, "the server settings")
    config = caller.lab.config
    return ServerSettings(
        data_dir=str(config.data_dir),
        db_url=make_url(config.db_url).render_as_string(hide_password=True),
        dask_scheduler=config.dask_scheduler or "local cluster",
        disk_free_bytes=shutil.disk_usage(config.data_dir).free,
        disk_min_free_gb=config.settings.disk_min_free_gb,
        file_source=config.settings.file_source,
    )
