"""Server status: what a dashboard shows to say that the lab is up."""

from __future__ import annotations

import shutil
import time

from fastapi import APIRouter, Request
from pydantic import BaseModel

from vidjil_kernel import __version__
from vidjil_kernel.api.auth import CurrentUser

router = APIRouter(tags=["server"])


class Status(BaseModel):
    version: str
    uptime_seconds: float
    disk_free_bytes: int
    disk_total_bytes: int


@router.get("/status", response_model=Status, summary="Version, uptime and free disk space")
def status(request: Request, user: CurrentUser) -> Status:
    config = request.app.state.config
    usage = shutil.disk_usage(config.data_dir)
    return Status(
        version=__version__,
        uptime_seconds=round(time.time() - config.started, 3),
        disk_free_bytes=usage.free,
        disk_total_bytes=usage.total,
    )
