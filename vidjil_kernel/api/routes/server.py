"""Server status: is the lab up, are its workers there, how long is the queue, is there room."""

from __future__ import annotations

import time

from fastapi import APIRouter
from pydantic import BaseModel, Field

from vidjil_kernel import __version__
from vidjil_kernel.api.context import CallerDep

router = APIRouter(tags=["server"])


class Worker(BaseModel):
    address: str
    name: str
    threads: int | None
    memory_limit: int | None
    jobs: list[int] = Field(description="Jobs it runs now")


class Disk(BaseModel):
    path: str
    free_bytes: int
    total_bytes: int
    threshold_bytes: int
    low: bool = Field(description="Below the threshold: uploads and launches are refused")


class Status(BaseModel):
    version: str
    uptime_seconds: float
    disk_free_bytes: int
    disk_total_bytes: int
    disk: Disk
    starting: bool = Field(description="The job runner (and, on a first start, the demo "
                                       "patient) are still being made")
    runner: bool = Field(description="This API's job runner dispatches jobs")
    runner_problem: str | None = Field(description="Why not, when it does not")
    scheduler: str
    local_cluster: bool
    workers: list[Worker]
    jobs: dict[str, int] = Field(description="Active jobs by state")
    queue_length: int


@router.get("/status", response_model=Status,
            summary="Version, uptime, workers and queue, disk space")
def status(caller: CallerDep) -> Status:
    config = caller.lab.config
    runner = caller.lab.jobs.status()
    disk = Disk(**runner["disk"])
    return Status(
        version=__version__,
        uptime_seconds=round(time.time() - config.started, 3),
        disk_free_bytes=disk.free_bytes,
        disk_total_bytes=disk.total_bytes,
        disk=disk,
        starting=runner["starting"],
        runner=runner["running"],
        runner_problem=runner["problem"],
        scheduler=runner["scheduler"],
        local_cluster=runner["local_cluster"],
        workers=[Worker(**worker) for worker in runner["workers"]],
        jobs=runner["jobs"],
        queue_length=runner["queue_length"],
    )
