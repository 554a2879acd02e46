"""Where jobs read and write, under the data directory.

The database stores paths relative to the data directory (the lab can move);
``LabPaths.stored`` turns them back into real paths.  Workers on other machines
must see the data directory at the same path (shared storage).

    <results_dir>/samples/<sample id>/<result id>/<stem>.vidjil, .airr.tsv
    <results_dir>/sets/<set id>/config-<config id>.vidjil        (fused)
    <results_dir>/preprocessed/<sample id>/<stem>.preprocessed.fastq
    <results_dir>/work/job-<job id>/                             (scratch, cancel flags)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from vidjil_kernel.settings import Settings

CANCEL_FLAG = "cancel"
_SUFFIXES = re.compile(r"(\.(fastq|fq|fasta|fa|fna|txt))?(\.gz)?$", re.IGNORECASE)


class LabPaths:
    """The layout of one lab's files (and the settings the jobs read with it)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = Path(settings.data_dir).resolve()
        results = Path(settings.results_dir)
        self.results = results if results.is_absolute() else self.data_dir / results

    def result_dir(self, sample_id: int, result_id: int) -> Path:
        return self.results / "samples" / str(sample_id) / str(result_id)

    def fused_file(self, set_id: int, config_id: int) -> Path:
        return self.results / "sets" / str(set_id) / f"config-{config_id}.vidjil"

    def preprocessed_dir(self, sample_id: int) -> Path:
        return self.results / "preprocessed" / str(sample_id)

    def work_dir(self, job_id: int) -> Path:
        return self.results / "work" / f"job-{job_id}"

    def cancel_flag(self, job_id: int, key: str) -> Path:
        """A file whose presence tells one start (``key``) of a job to stop (shared storage)."""
        return self.work_dir(job_id) / f"{CANCEL_FLAG}-{key}"

    def stored(self, path: str | os.PathLike) -> Path:
        """A path from the database as a real path (relative ones are in the data directory)."""
        path = Path(path)
        return path if path.is_absolute() else self.data_dir / path

    def relative(self, path: str | os.PathLike) -> str:
        """``path`` as the database keeps it: relative to the data directory when inside it."""
        path = Path(path).resolve()
        try:
            return str(path.relative_to(self.data_dir))
        except ValueError:
            return str(path)


def file_stem(name: str) -> str:
    """``patient-t1.fastq.gz`` -> ``patient-t1`` (a name safe for result files)."""
    stem = _SUFFIXES.sub("", Path(name).name) or "sample"
    return re.sub(r"[^A-Za-z0-9._+-]", "_", stem)
