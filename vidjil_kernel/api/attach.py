"""The sequence files of a new sample: a finished upload, or a file of the mounted file source.

Every file is checked with the reads module before the sample is accepted
(``storage.sample_files``), R2 against R1.  Uploaded files move into the
sample store (``<data_dir>/samples/<upload id>/``) and move back if the sample
cannot be created; file-source files are used in place.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vidjil_kernel.api.state import LabState
from vidjil_kernel.db.models import User
from vidjil_kernel.exceptions import Conflict, PermissionDenied, UsageError
from vidjil_kernel.storage.sample_files import (
    ReadsCheck,
    as_stored,
    check_pair,
    check_reads,
    sample_file_path,
)
from vidjil_kernel.storage.uploads import Upload


class FileRef(BaseModel):
    """One sequence file: ``upload`` (id of a finished upload of yours) or ``source`` (path
    of a file in the lab's file source, see ``GET /files``)."""

    model_config = ConfigDict(extra="forbid")

    upload: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")
    source: str | None = Field(None, min_length=1, max_length=1024)

    @model_validator(mode="after")
    def _one_of(self) -> FileRef:
        if (self.upload is None) == (self.source is None):
            raise ValueError("give either 'upload' or 'source'")
        return self


@dataclasses.dataclass
class _File:
    original_name: str
    path: Path
    size: int
    sha256: str | None
    check: ReadsCheck
    upload: Upload | None = None
    placed: Path | None = None


def owned_upload(lab: LabState, actor: User, upload_id: str) -> Upload:
    """An upload of the actor's (lab admins may handle anyone's)."""
    upload = lab.uploads.get(upload_id)
    if upload.owner_id != actor.id and not actor.is_admin:
        raise PermissionDenied("owner", f"upload {upload_id} (started by {upload.owner})",
                               actor.name)
    return upload


class SampleFiles:
    """The R1 (and R2) files of one sample being created."""

    def __init__(self, lab: LabState, r1: FileRef | None, r2: FileRef | None) -> None:
        self.lab = lab
        self.refs = [ref for ref in (r1, r2) if ref is not None]
        if r2 is not None and r1 is None:
            raise UsageError("an R2 file ('file_r2') needs its R1 file ('file')")
        self.files: list[_File] = []

    def resolve(self, actor: User) -> None:
        """Find and check every file (``InputFormatError`` names the file at fault)."""
        for ref in self.refs:
            if ref.upload is not None:
                upload = owned_upload(self.lab, actor, ref.upload)
                if not upload.complete:
                    raise Conflict(f"upload {upload.id} ({upload.filename}) is not finished: "
                                   "send its remaining bytes, then finish it with its sha256")
                path = self.lab.uploads.part_path(upload)
                self.files.append(_File(upload.filename, path, upload.size, upload.sha256,
                                        check_reads(path, upload.filename), upload))
            else:
                assert ref.source is not None
                path = self.lab.file_source.resolve(ref.source)
                self.files.append(_File(path.name, path, path.stat().st_size, None,
                                        check_reads(path, ref.source)))
        if len(self.files) == 2:
            check_pair(self.files[0].check, self.files[1].check, self.files[1].original_name)

    @property
    def from_file_source(self) -> bool:
        return any(item.upload is None for item in self.files)

    def place(self) -> None:
        """Move uploaded files into the sample store."""
        for item in self.files:
            if item.upload is not None:
                target = sample_file_path(self.lab.config.data_dir, item.upload.id,
                                          item.original_name)
                self.lab.uploads.move_data(item.upload, target)
                item.placed = target

    def sample_fields(self) -> dict[str, Any]:
        """The sample's file columns."""
        if not self.files:
            return {}
        data_dir = self.lab.config.data_dir
        fields: dict[str, Any] = {
            "original_name": self.files[0].original_name,
            "stored_path": as_stored(data_dir, self.files[0].placed or self.files[0].path),
            "size": sum(item.size for item in self.files),
            "sha256": self.files[0].sha256,
        }
        if len(self.files) == 2:
            fields["original_name_r2"] = self.files[1].original_name
            fields["stored_path_r2"] = as_stored(data_dir,
                                                 self.files[1].placed or self.files[1].path)
        return fields

    def undo(self) -> None:
        """The sample was not created: uploads get their files back."""
        for item in self.files:
            if item.upload is not None and item.placed is not None:
                self.lab.uploads.put_back(item.upload, item.placed)
                item.placed = None

    def done(self) -> None:
        """The sample exists: used uploads are forgotten."""
        for item in self.files:
            if item.upload is not None:
                self.lab.uploads.discard(item.upload)
