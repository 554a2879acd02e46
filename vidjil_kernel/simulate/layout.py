"""Where each read lies on its molecule: length, start, strand."""

from __future__ import annotations

import numpy as np

#: read lengths spread around the asked length (sd as a share of it), within 4 sd
READ_LENGTH_SPREAD = 0.02


def read_lengths(rng: np.random.Generator, count: int, read_length: int) -> np.ndarray:
    """Lengths around ``read_length`` (trimmed and merged reads vary by a few nt)."""
    spread = max(1.0, READ_LENGTH_SPREAD * read_length)
    lengths = np.rint(rng.normal(read_length, spread, count))
    return np.clip(lengths, max(1, read_length - 4 * spread),
                   read_length + 4 * spread).astype(np.int64)


def place_reads(rng: np.random.Generator, lengths: np.ndarray, molecule_lengths: np.ndarray,
                start_max: np.ndarray, end_min: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each read on its molecule (arrays are per read).

    A read starts at a uniform point such that it begins at or before ``start_max``
    (enough V before the junction) and ends at or after ``end_min`` (enough J after
    it), keeping its length; a read longer than its molecule is the whole molecule;
    when the read is too short to hold both margins it is centred between them.
    """
    lengths = np.minimum(lengths, molecule_lengths)
    low = np.maximum(0, end_min - lengths)
    high = np.minimum(molecule_lengths - lengths, start_max)
    fits = low <= high
    span = np.where(fits, high - low + 1, 1)
    starts = np.where(fits, low + np.floor(rng.random(len(lengths)) * span).astype(np.int64),
                      (low + high) // 2)
    starts = np.clip(starts, 0, molecule_lengths - lengths)
    return starts.astype(np.int64), lengths.astype(np.int64)
