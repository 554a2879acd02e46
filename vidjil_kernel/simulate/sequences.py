"""Nucleotide helpers shared by the simulator's modules (ACGT codes 0-3)."""

from __future__ import annotations

import numpy as np

_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")
_CODES = np.full(256, 255, dtype=np.uint8)
for _code, _base in enumerate(b"ACGT"):
    _CODES[_base] = _code


def reverse_complement(sequence: str) -> str:
    return sequence.translate(_COMPLEMENT)[::-1]


def encode(sequence: str) -> np.ndarray:
    """ACGT -> uint8 codes 0-3 (the simulator's molecules hold nothing else)."""
    codes = _CODES[np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)]
    if (codes == 255).any():
        raise ValueError("a simulated molecule holds a base other than A, C, G, T")
    return codes
