"""The mounted file source: a directory of sequence files read in place instead of uploaded.

Vidjil's ``FILE_SOURCE``: sequencers often write to a share the server mounts;
copying multi-GB files through a browser would be slow and pointless.  Users
browse the directory (setting ``file_source``) and attach files to samples; only
files whose names end with one of ``file_source_types`` are shown or accepted,
hidden entries are skipped, and every path is resolved (symbolic links
included) and must stay inside the directory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

from vidjil_kernel.exceptions import NotFound, UsageError


@dataclasses.dataclass
class SourceEntry:
    """A folder or an accepted file of the file source; ``path`` is relative to its root."""

    name: str
    path: str
    kind: str
    size: int | None
    modified: dt.datetime


class FileSource:
    """The directory ``root`` (empty: the lab has no file source) and its accepted types."""

    def __init__(self, root: str, types: tuple[str, ...]) -> None:
        self.root = Path(root).resolve() if root else None
        self.types = tuple(suffix.lower() for suffix in types)

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def _root(self) -> Path:
        if self.root is None:
            raise NotFound("file source", "", "this lab has none: an administrator sets "
                           "file_source in the settings")
        if not self.root.is_dir():
            raise NotFound("file source", str(self.root), "the directory is not mounted")
        return self.root

    def accepts(self, name: str) -> bool:
        return name.lower().endswith(self.types) and not name.startswith(".")

    def _inside(self, relative: str) -> Path:
        root = self._root()
        if "\x00" in relative:
            raise UsageError(f"file source: {relative!r} is not a path")
        parts = Path(relative.replace("\\", "/").lstrip("/"))
        if any(part.startswith(".") for part in parts.parts):
            raise UsageError(f"file source: {relative!r} names a hidden or parent entry")
        try:
            path = (root / parts).resolve()
        except OSError as error:  # a name too long, a loop of links
            raise UsageError(f"file source: {relative!r}: {error.strerror}") from None
        if not path.is_relative_to(root):
            raise UsageError(f"file source: {relative!r} is outside the file source")
        return path

    def browse(self, relative: str = "") -> list[SourceEntry]:
        """Folders, then accepted files, of a folder of the source, by name."""
        folder = self._inside(relative)
        if not _is(folder, Path.is_dir):
            raise NotFound("folder", relative, "in the file source")
        root = self._root()
        folders, files = [], []
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                target = Path(entry.path).resolve()
                if not target.is_relative_to(root):
                    continue  # a link out of the source
                status = target.stat()
                modified = dt.datetime.fromtimestamp(status.st_mtime, dt.UTC)
                path = str(Path(entry.path).relative_to(root))
                if target.is_dir():
                    folders.append(SourceEntry(entry.name, path, "folder", None, modified))
                elif target.is_file() and self.accepts(entry.name):
                    files.append(SourceEntry(entry.name, path, "file", status.st_size, modified))
        return sorted(folders, key=lambda e: e.name) + sorted(files, key=lambda e: e.name)

    def resolve(self, relative: str) -> Path:
        """The absolute path of an accepted file of the source."""
        path = self._inside(relative)
        if not _is(path, Path.is_file):
            raise NotFound("file", relative, "in the file source")
        if not self.accepts(path.name):
            raise UsageError(f"file source: {relative!r} is not an accepted sequence file "
                             f"(names ending with {', '.join(self.types)})")
        return path


def _is(path: Path, test) -> bool:  # noqa: ANN001 - Path.is_dir or Path.is_file
    """``path.is_dir()``/``is_file()``, False when the name cannot even be looked up."""
    try:
        return test(path)
    except OSError:
        return False
