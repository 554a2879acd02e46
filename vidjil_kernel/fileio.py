"""Write files atomically: readers see the old file or the new one, never a half-written one.

Everything goes to a temporary name in the target's directory, is flushed
and fsynced, then renamed over the target (and the directory fsynced), so a
crash, a full disk or an exception while writing leaves the previous file
intact and no partial file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class AtomicFile:
    """A file written under a temporary name until ``commit`` renames it to ``path``.

    Use it as a context manager (commit on success, discard on error), or
    call ``commit``/``discard`` when the file outlives one block of code,
    e.g. a writer fed while reads stream by.
    """

    def __init__(self, path: str | os.PathLike, mode: str = "w", *,
                 encoding: str | None = "utf-8", newline: str | None = None) -> None:
        if mode not in ("w", "wb"):
            raise ValueError("AtomicFile writes new files: mode must be 'w' or 'wb'")
        self.path = Path(path)
        self.temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(self.temporary, flags, _mode_for(self.path))
        binary = mode == "wb"
        self.handle: IO = os.fdopen(descriptor, mode, encoding=None if binary else encoding,
                                    newline=None if binary else newline)
        self.done = False

    def commit(self) -> Path:
        """Flush, fsync and rename over ``path``; returns ``path``."""
        if self.done:
            raise ValueError(f"{self.path}: already committed or discarded")
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.replace(self.temporary, self.path)
        except BaseException:
            self.discard()
            raise
        self.done = True
        _fsync_directory(self.path.parent)
        return self.path

    def discard(self) -> None:
        """Drop what was written; the file at ``path`` (if any) is untouched."""
        self.done = True
        self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temporary)

    def __enter__(self) -> IO:
        return self.handle

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        if exc_type is None:
            self.commit()
        elif not self.done:
            self.discard()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *, encoding: str | None = "utf-8",
                 newline: str | None = None) -> Iterator[IO]:
    """Open ``path`` for writing; the content replaces it only if the block succeeds."""
    with AtomicFile(path, mode, encoding=encoding, newline=newline) as handle:
        yield handle


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    with atomic_write(path) as handle:
        handle.write(text)
    return Path(path)


def move_durably(temporary: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Make a file another program wrote durable (fsync), then rename it over ``path``."""
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_directory(Path(path).parent)
    return Path(path)


def _mode_for(path: Path) -> int:
    """Keep the permissions of the file being replaced; else the umask's default."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (not supported everywhere, hence best effort)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
