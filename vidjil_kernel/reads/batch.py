"""A batch of reads laid out as flat numpy arrays, the shape numba kernels take."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, eq=False)
class ReadBatch:
    """Consecutive reads of one input, concatenated.

    Read ``i`` has bases ``seq[offsets[i]:offsets[i + 1]]`` (upper-case ASCII
    ``A C G T N`` only), Phred scores ``qual[offsets[i]:offsets[i + 1]]``
    (None for FASTA) and id ``names[name_offsets[i]:name_offsets[i + 1]]``
    (the header up to its first space or tab).  ``first_record`` is the
    1-based record number of read 0 in its file.
    """

    seq: npt.NDArray[np.uint8]
    offsets: npt.NDArray[np.int64]
    qual: npt.NDArray[np.uint8] | None
    names: npt.NDArray[np.uint8]
    name_offsets: npt.NDArray[np.int64]
    first_record: int

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    def __len__(self) -> int:
        return self.n

    @property
    def lengths(self) -> npt.NDArray[np.int64]:
        return np.diff(self.offsets)

    def name(self, i: int) -> str:
        return self.names[self.name_offsets[i]:self.name_offsets[i + 1]].tobytes().decode(
            "utf-8", "replace")

    def sequence(self, i: int) -> str:
        return self.seq[self.offsets[i]:self.offsets[i + 1]].tobytes().decode("ascii")

    def quality(self, i: int) -> str | None:
        """Phred+33 quality string of read ``i``, None for FASTA."""
        if self.qual is None:
            return None
        return (self.qual[self.offsets[i]:self.offsets[i + 1]] + 33).tobytes().decode("ascii")
