"""Arrays derived from germline sequences, kept on disk between runs.

The k-mer index of a preset takes 80-110 ms to build, as long as detecting the
clones of a small sample, and 15-20 ms to load; it depends only on the sequences,
the seeds and the code that builds it.  An entry is named by the SHA-256 of
everything it depends on (callers give the code's source among the key's parts),
so that a change to any of them makes a new entry instead of reading a stale one.
Entries live beside numba's compiled kernels (``jit.cache_dir``), written whole
then renamed: concurrent runs (the lab's workers) see an entry complete or not at
all.  A cache that cannot be read or written only costs the build; the oldest
entries go beyond ``MAX_ENTRIES``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from zipfile import BadZipFile

import numpy as np

from vidjil_kernel.fileio import atomic_write
from vidjil_kernel.jit import cache_dir

#: entries kept (an index makes one or two, of up to 1 MB)
MAX_ENTRIES = 100


def source_of(*modules: str) -> bytes:
    """The source files of ``vidjil_kernel`` modules (``"detect/index.py"``), for a key."""
    package = Path(__file__).resolve().parent
    return b"".join((package / module).read_bytes() for module in modules)


def cached_arrays(kind: str, key: Iterable[bytes | str],
                  build: Callable[[], tuple[np.ndarray, ...]],
                  directory: Path | None = None) -> tuple[np.ndarray, ...]:
    """``build()``'s arrays, from the entry of ``kind`` and ``key`` if there is one."""
    digest = hashlib.sha256(kind.encode())
    for part in key:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    directory = directory or cache_dir() / "vidjil-arrays"
    path = directory / f"{kind}-{digest.hexdigest()[:32]}.npz"
    try:
        with np.load(path, allow_pickle=False) as entry:
            return tuple(entry[f"arr_{i}"] for i in range(len(entry.files)))
    except (OSError, ValueError, KeyError, EOFError, BadZipFile):  # none, or damaged: built
        pass
    arrays = build()
    try:
        _save(path, arrays)
    except OSError:
        pass
    return arrays


def _save(path: Path, arrays: tuple[np.ndarray, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as out:
        np.savez(out, *arrays)
    entries = sorted(path.parent.glob("*.npz"), key=_modified)
    for old in entries[:max(len(entries) - MAX_ENTRIES, 0)]:
        old.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
