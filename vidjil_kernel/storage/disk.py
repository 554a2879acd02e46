"""The free-space guard of uploads: refuse one that would leave the disk below its threshold.

The jobs layer's guard (``vidjil_kernel.jobs.disk``) refuses work once the disk
*is* low and tells the admins; an upload also announces its size, so it is
refused before it starts when it would *make* the disk low.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from vidjil_kernel.exceptions import DiskFull

GB = 1e9


def require_free_space(directory: Path, min_free: int, needed: int = 0, *,
                       what: str = "this upload") -> None:
    """Raise ``DiskFull`` unless ``needed`` more bytes leave ``min_free`` bytes free."""
    free = shutil.disk_usage(directory).free
    if free - needed < min_free:
        raise DiskFull(
            f"{what} refused: {free / GB:.1f} GB free, {needed / GB:.1f} GB needed and "
            f"{min_free / GB:g} GB kept free (setting disk_min_free_gb); ask the lab's "
            "admins to free space, then try again")
