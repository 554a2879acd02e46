"""Server status: what a dashboard shows to say that the lab is up and has room."""

from __future__ import annotations

import shutil
import time

from fastapi import APIRouter
from pydantic import BaseModel

from vidjil_kernel import __version__
from vidjil_kernel.api.context import CallerDep

router = APIRouter(tags=["server"])


class Status(BaseModel):
    version: str
    uptime_seconds: float
    disk_free_bytes: int
    disk_total_bytes: int
    disk_min_free_bytes: int
    disk_ok: bool


@router.get("/status", response_model=Status, summary="Version, uptime and disk space")
def status(caller: CallerDep) -> Status:
    config = caller.lab.config
    usage = shutil.disk_usage(config.data_dir)
    return Status(
        version=__version__,
        uptime_seconds=round(time.time() - config.started, 3),
        disk_free_bytes=usage.free,
        disk_total_bytes=usage.total,
        disk_min_free_bytes=config.settings.disk_min_free_bytes,
        disk_ok=usage.free >= config.settings.disk_min_free_bytes,
    )
