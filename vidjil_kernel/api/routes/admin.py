"""Administration of the lab (admins only)."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from vidjil_kernel.api.auth import AdminUser

router = APIRouter(prefix="/admin", tags=["admin"])


class ServerSettings(BaseModel):
    data_dir: str
    db_url: str
    dask_scheduler: str
    disk_free_bytes: int


@router.get("/settings", response_model=ServerSettings,
            summary="Where the lab keeps its data and runs its jobs (password hidden)")
def settings(request: Request, user: AdminUser) -> ServerSettings:
    config = request.app.state.config
    return ServerSettings(
        data_dir=str(config.data_dir),
        db_url=make_url(config.db_url).render_as_string(hide_password=True),
        dask_scheduler=config.dask_scheduler or "local cluster",
        disk_free_bytes=shutil.disk_usage(config.data_dir).free,
    )
