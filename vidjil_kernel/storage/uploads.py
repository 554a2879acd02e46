"""Resumable uploads of big sequence files, written to disk as they arrive.

The protocol (the HTTP routes are ``api.routes.uploads``):

1. **create**: the file's name, its size and the set it is for -> an upload id;
2. **send** chunks: bytes at ``offset``, which must be the committed offset (anything
   else is refused with the committed offset, so a confused client re-synchronises);
   a chunk may be any size, and a cut connection commits the bytes that arrived;
3. **status**: the committed offset, where to resume after a cut or a restart;
4. **finish** with the sha256 the client computed: checked against the received
   bytes, then the file is complete and may become a sample's file.

On disk, ``<root>/<id>/`` holds ``upload.json`` (the state), ``data.part`` while
bytes arrive and ``data`` once complete.  The committed offset is written to
``upload.json`` only after the data is fsynced, so after a crash the part file is
cut back to it: a resumed upload never contains bytes that were not acknowledged.
Memory stays flat: bytes go to disk in the chunk sizes the caller hands over, and
the sha256 is computed as they pass (or re-read from disk after a restart).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
from pathlib import Path
from typing import Any

from vidjil_kernel.exceptions import Conflict, InputFormatError, NotFound, UsageError
from vidjil_kernel.fileio import write_text_atomic
from vidjil_kernel.storage.disk import require_free_space

UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
SHA256 = re.compile(r"[0-9a-f]{64}")
#: uploads untouched for this long are removed (a dashboard left open over a holiday resumes)
MAX_AGE = dt.timedelta(days=7)
#: block size when the sha256 must be computed again from the disk
HASH_BLOCK = 8 << 20


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclasses.dataclass
class Upload:
    """The state of one upload, as stored in its ``upload.json``."""

    id: str
    owner_id: int
    owner: str
    set_id: int
    filename: str
    size: int
    offset: int
    complete: bool
    sha256: str | None
    created_at: str
    updated_at: str
    #: a request is sending bytes right now (wait for it to end before resuming)
    receiving: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ChunkWriter:
    """Receives the bytes of one chunk; ``close`` commits them (see ``UploadStore.open_writer``)."""

    def __init__(self, store: UploadStore, upload: Upload, handle: Any, hasher: Any) -> None:
        self.store = store
        self.upload = upload
        self.offset = upload.offset
        self._handle = handle
        self._hasher = hasher
        self._closed = False

    @property
    def uncommitted(self) -> int:
        return self.offset - self.upload.offset

    def checkpoint(self) -> None:
        """Make the bytes received so far durable and committed, and go on receiving.

        A long request commits as it goes, so that the status shows progress and a
        crash of the server loses at most the bytes since the last checkpoint.
        """
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.upload.offset = self.offset
        self.upload.updated_at = _now()
        self.store._save(self.upload)

    def write(self, data: bytes) -> None:
        """Append ``data``; refused beyond the declared size (what came before is kept)."""
        if self.offset + len(data) > self.upload.size:
            raise UsageError(
                f"upload {self.upload.id} ({self.upload.filename}): more bytes than the "
                f"declared size of {self.upload.size} (got {self.offset + len(data)}); "
                "create a new upload with the right size")
        self._handle.write(data)
        if self._hasher is not None:
            self._hasher.update(data)
        self.offset += len(data)

    def close(self) -> Upload:
        """Make the received bytes durable, then commit the new offset; release the upload."""
        if self._closed:
            return self.upload
        self._closed = True
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self.upload.offset = self.offset
            self.upload.updated_at = _now()
            self.store._save(self.upload)
            self.store._remember_hash(self.upload, self._hasher)
        finally:
            if not self._handle.closed:
                self._handle.close()
            self.store._release(self.upload.id)
        return self.upload


class UploadStore:
    """Uploads in progress under ``root`` (a folder of the data directory)."""

    def __init__(self, root: Path, min_free_space: int) -> None:
        self.root = root
        self.min_free_space = min_free_space
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        #: upload id -> (offset the running sha256 covers, the hash object)
        self._hashes: dict[str, tuple[int, Any]] = {}

    # --- state files -------------------------------------------------------------------

    def _dir(self, upload_id: str) -> Path:
        if not UPLOAD_ID.fullmatch(upload_id):
            raise NotFound("upload", upload_id, "upload ids are 32 hexadecimal digits")
        return self.root / upload_id

    def _save(self, upload: Upload) -> None:
        state = upload.to_dict()
        del state["receiving"]
        write_text_atomic(self._dir(upload.id) / "upload.json", json.dumps(state, sort_keys=True))

    def get(self, upload_id: str) -> Upload:
        """The upload ``upload_id`` (``NotFound`` if it never existed, finished or expired)."""
        try:
            text = (self._dir(upload_id) / "upload.json").read_text()
        except FileNotFoundError:
            raise NotFound("upload", upload_id, "it was finished and used, cancelled, or it "
                           f"expired after {MAX_AGE.days} days") from None
        upload = Upload(**json.loads(text))
        with self._lock:
            upload.receiving = upload_id in self._busy
        return upload

    def part_path(self, upload: Upload) -> Path:
        return self._dir(upload.id) / ("data" if upload.complete else "data.part")

    def owned_by(self, owner_id: int) -> list[Upload]:
        """The uploads of one account, newest first (to resume them after a page reload)."""
        uploads = []
        for folder in self.root.iterdir():
            if UPLOAD_ID.fullmatch(folder.name):
                with contextlib.suppress(NotFound, ValueError, TypeError):
                    upload = self.get(folder.name)
                    if upload.owner_id == owner_id:
                        uploads.append(upload)
        return sorted(uploads, key=lambda upload: upload.created_at, reverse=True)

    # --- one writer at a time per upload ------------------------------------------------

    def _acquire(self, upload_id: str) -> None:
        with self._lock:
            if upload_id in self._busy:
                raise Conflict(f"upload {upload_id} is receiving another chunk right now: wait "
                               "for it to end, then ask the upload's status for its offset")
            self._busy.add(upload_id)

    def _release(self, upload_id: str) -> None:
        with self._lock:
            self._busy.discard(upload_id)

    def _remember_hash(self, upload: Upload, hasher: Any) -> None:
        with self._lock:
            if hasher is None:
                self._hashes.pop(upload.id, None)
            else:
                self._hashes[upload.id] = (upload.offset, hasher)

    def _take_running_hash(self, upload: Upload) -> Any:
        """The sha256 of the committed bytes if it was followed from the start, else None.

        The caller owns it (it is updated with bytes not yet committed) until
        ``_remember_hash`` gives it back with the new committed offset.
        """
        with self._lock:
            offset, hasher = self._hashes.pop(upload.id, (-1, None))
        if upload.offset == 0:
            return hashlib.sha256()
        return hasher if offset == upload.offset else None

    # --- the protocol --------------------------------------------------------------------

    def create(self, *, owner_id: int, owner: str, set_id: int, filename: str,
               size: int) -> Upload:
        """A new upload of ``size`` bytes (refused when the disk would fall below the guard)."""
        name = Path(filename.replace("\\", "/")).name.strip()
        if not name or name in (".", ".."):
            raise UsageError(f"upload: {filename!r} is not a file name")
        if size < 1:
            raise UsageError(f"upload of {name}: the size must be at least 1 byte (got {size})")
        self.expire()
        require_free_space(self.root, self.min_free_space, size, what=f"the upload of {name}")
        upload_id = secrets.token_hex(16)
        now = _now()
        upload = Upload(id=upload_id, owner_id=owner_id, owner=owner, set_id=set_id,
                        filename=name, size=size, offset=0, complete=False, sha256=None,
                        created_at=now, updated_at=now)
        self._dir(upload_id).mkdir(mode=0o700)
        (self._dir(upload_id) / "data.part").touch(mode=0o600)
        self._save(upload)
        return upload

    def open_writer(self, upload: Upload, offset: int) -> ChunkWriter:
        """Start receiving bytes at ``offset`` (the committed offset) of an open upload."""
        self._acquire(upload.id)
        try:
            upload = self.get(upload.id)
            if upload.complete:
                raise Conflict(f"upload {upload.id} ({upload.filename}) is complete: "
                               "attach it to a sample")
            if offset != upload.offset:
                raise Conflict(f"upload {upload.id} ({upload.filename}): the next chunk starts "
                               f"at offset {upload.offset}, not {offset}")
            require_free_space(self.root, self.min_free_space, upload.size - upload.offset,
                               what=f"the upload of {upload.filename}")
            handle = open(self.part_path(upload), "r+b")  # noqa: SIM115 - closed by the writer
            # bytes past the committed offset were never acknowledged
            handle.truncate(upload.offset)
            handle.seek(upload.offset)
            return ChunkWriter(self, upload, handle, self._take_running_hash(upload))
        except BaseException:
            self._release(upload.id)
            raise

    def finish(self, upload: Upload, sha256: str) -> Upload:
        """Check the whole file against ``sha256``, then mark the upload complete.

        A mismatch discards the upload: the bytes are not the client's file.
        """
        expected = sha256.strip().lower()
        if not SHA256.fullmatch(expected):
            raise UsageError(f"upload {upload.id}: {sha256!r} is not a sha256 (64 hex digits)")
        self._acquire(upload.id)
        try:
            upload = self.get(upload.id)
            if upload.complete:
                if upload.sha256 != expected:
                    raise InputFormatError(upload.filename, f"the upload is complete with sha256 "
                                           f"{upload.sha256}, not {expected}")
                return upload
            if upload.offset != upload.size:
                raise Conflict(f"upload {upload.id} ({upload.filename}) has {upload.offset} of "
                               f"{upload.size} bytes: send the rest from offset {upload.offset}")
            hasher = self._take_running_hash(upload)
            actual = hasher.hexdigest() if hasher is not None else _hash_file(
                self.part_path(upload))
            if actual != expected:
                self._remove(upload.id)
                raise InputFormatError(
                    upload.filename, f"the received bytes have sha256 {actual}, not {expected}: "
                    "the file changed during the upload or was damaged on the way; upload it "
                    "again")
            os.replace(self.part_path(upload), self._dir(upload.id) / "data")
            upload.complete, upload.sha256, upload.updated_at = True, actual, _now()
            self._save(upload)
            return upload
        finally:
            self._release(upload.id)

    def move_data(self, upload: Upload, target: Path) -> None:
        """Move a complete upload's file to ``target`` (same file system: a rename)."""
        if not upload.complete:
            raise Conflict(f"upload {upload.id} ({upload.filename}) is not finished: send its "
                           "remaining bytes, then finish it with its sha256")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.part_path(upload), target)

    def put_back(self, upload: Upload, moved_to: Path) -> None:
        """Undo ``move_data`` (the sample that was to hold the file was not created)."""
        if moved_to.exists():
            os.replace(moved_to, self.part_path(upload))

    def discard(self, upload: Upload) -> None:
        """Cancel an upload, or forget a used one: its folder goes."""
        self._acquire(upload.id)
        try:
            self._remove(upload.id)
        finally:
            self._release(upload.id)

    def _remove(self, upload_id: str) -> None:
        with self._lock:
            self._hashes.pop(upload_id, None)
        shutil.rmtree(self._dir(upload_id), ignore_errors=True)

    def expire(self, now: dt.datetime | None = None) -> list[str]:
        """Remove uploads untouched for ``MAX_AGE``; returns their ids."""
        limit = (now or dt.datetime.now(dt.UTC)) - MAX_AGE
        removed = []
        for folder in self.root.iterdir():
            if not UPLOAD_ID.fullmatch(folder.name) or folder.name in self._busy:
                continue
            try:
                touched = dt.datetime.fromisoformat(self.get(folder.name).updated_at)
            except (NotFound, ValueError, TypeError):
                touched = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
            if touched < limit:
                self._remove(folder.name)
                removed.append(folder.name)
        return removed


def _hash_file(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            hasher.update(block)
    return hasher.hexdigest()
