"""The free-space guard: refuse uploads (and launches) before the disk fills up."""

from __future__ import annotations

import shutil
from pathlib import Path

from vidjil_kernel.exceptions import DiskFull


def format_size(size: float) -> str:
    """``1536`` -> ``"1.5 KiB"``: sizes in messages people read."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def require_free_space(directory: Path, min_free: int, needed: int = 0, *,
                       what: str = "this upload") -> None:
    """Raise ``DiskFull`` unless ``needed`` more bytes leave ``min_free`` bytes free."""
    free = shutil.disk_usage(directory).free
    if free - needed < min_free:
        raise DiskFull(
            f"not enough disk space for {what}: {format_size(free)} free, "
            f"{format_size(needed)} needed and {format_size(min_free)} kept free "
            "(setting disk_min_free_gb); ask an administrator to free space")
