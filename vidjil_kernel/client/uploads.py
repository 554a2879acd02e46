"""Resumable uploads from the client: chunks at the committed offset, retries, sha256 at the end.

``send_file`` speaks the API's upload protocol (see ``vidjil_kernel.api.routes.uploads``).
The file is read in pieces and never held in memory; each chunk is one request
whose body streams from the file.  When the connection is cut (or the lab
restarts), the client asks the upload's committed offset and goes on from there;
calling it again for the same file and set after the notebook itself stopped
finds the unfinished upload and resumes it.  The sha256 is computed while the
bytes go (re-read from the disk only after a cut in the middle of a chunk).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vidjil_kernel.client.transport import TRANSIENT, Transport
from vidjil_kernel.exceptions import ApiError, UsageError

#: bytes per request: big enough for throughput, small enough to lose little on a cut
CHUNK_SIZE = 64 << 20
#: bytes read from the file at a time
PIECE_SIZE = 1 << 20


class PrefixHash:
    """The sha256 of the first ``covered`` bytes of a file, extended or restarted as needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.covered = 0
        self._hash = hashlib.sha256()

    def update(self, position: int, data: bytes) -> None:
        """Bytes read at ``position`` while sending: hashed if they extend the prefix."""
        if position == self.covered:
            self._hash.update(data)
            self.covered += len(data)

    def advance_to(self, offset: int) -> None:
        """Make the hash cover exactly the first ``offset`` bytes (the committed ones)."""
        if self.covered > offset:
            self.covered, self._hash = 0, hashlib.sha256()
        with self.path.open("rb") as handle:
            handle.seek(self.covered)
            while self.covered < offset:
                data = handle.read(min(PIECE_SIZE, offset - self.covered))
                if not data:
                    raise UsageError(f"{self.path}: the file became shorter during the upload")
                self.update(self.covered, data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _pieces(path: Path, start: int, length: int, digest: PrefixHash) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        position, end = start, start + length
        while position < end:
            data = handle.read(min(PIECE_SIZE, end - position))
            if not data:
                raise UsageError(f"{path}: the file became shorter during the upload")
            digest.update(position, data)
            position += len(data)
            yield data


def _unfinished(transport: Transport, name: str, size: int, set_id: int) -> dict | None:
    for upload in transport.json("GET", "/uploads"):
        if (upload["filename"], upload["size"], upload["set_id"]) == (name, size, set_id):
            return upload
    return None


def _settled(transport: Transport, route: str, timeout: float = 120.0) -> dict[str, Any]:
    """The upload's state once no request is sending it bytes (a cut one commits first)."""
    deadline = time.monotonic() + timeout
    upload = transport.json("GET", route)
    while upload.get("receiving") and time.monotonic() < deadline:
        time.sleep(0.5)
        upload = transport.json("GET", route)
    return upload


def send_file(transport: Transport, path: str | Path, set_id: int, *,
              chunk_size: int = CHUNK_SIZE, resume: bool = True, retries: int = 8,
              on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Upload ``path`` for set ``set_id``; the finished upload (``id``, ``sha256``...).

    ``resume``: continue an unfinished upload of the same file name, size and set.
    ``retries``: consecutive failed chunks tolerated (waiting longer each time).
    ``on_progress(sent, size)`` is called after each chunk.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file to upload")
    size = path.stat().st_size
    upload = _unfinished(transport, path.name, size, set_id) if resume else None
    if upload is None:
        upload = transport.json("POST", "/uploads", json={
            "set_id": set_id, "filename": path.name, "size": size})
    digest = PrefixHash(path)
    digest.advance_to(upload["offset"])
    failures = 0
    route = f"/uploads/{upload['id']}"
    while upload["offset"] < size:
        start = upload["offset"]
        try:
            reply = transport.send(
                "PUT", route, params={"offset": start},
                data=_pieces(path, start, min(chunk_size, size - start), digest),
                headers={"Content-Type": "application/octet-stream"})
            upload, failures = reply.json(), 0
        except (*TRANSIENT, ApiError) as error:
            if isinstance(error, ApiError) and error.status not in (None, 409, 502, 503, 504):
                raise
            failures += 1
            if failures > retries:
                raise ApiError("PUT", route, getattr(error, "status", None),
                               f"the upload of {path.name} failed {failures} times in a row "
                               f"({error}); call upload() again to resume it") from None
            time.sleep(min(2.0 ** failures, 30.0))
            upload = _settled(transport, route)
        digest.advance_to(upload["offset"])
        if on_progress is not None:
            on_progress(upload["offset"], size)
    if upload["complete"]:
        if upload["sha256"] != digest.hexdigest():
            raise ApiError("GET", route, None, f"{path.name}: the lab holds a finished upload "
                           "of this name and size with other contents; pass resume=False")
        return upload
    return transport.json("POST", f"{route}/finish", json={"sha256": digest.hexdigest()})
