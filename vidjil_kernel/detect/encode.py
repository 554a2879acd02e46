"""Nucleotides as 2-bit codes, and spaced-seed k-mer codes (numba kernels)."""

from __future__ import annotations

import numpy as np

from vidjil_kernel.jit import kernel

#: ASCII byte -> 0..3 for A C G T (either case), 4 for anything else (N breaks k-mers)
NUCLEOTIDE_CODE = np.full(256, 4, dtype=np.uint8)
for _code, _letters in enumerate(("Aa", "Cc", "Gg", "Tt")):
    for _letter in _letters:
        NUCLEOTIDE_CODE[ord(_letter)] = _code
# read-only, as kernels see a global array: Python callers then share their compiled kernels
NUCLEOTIDE_CODE.flags.writeable = False

#: 2-bit code (4: N) -> ASCII byte
LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)

#: ASCII byte -> ASCII byte of the complement (N and unknown stay N)
COMPLEMENT = np.full(256, ord("N"), dtype=np.uint8)
for _a, _b in ("AT", "TA", "CG", "GC"):
    COMPLEMENT[ord(_a)] = ord(_b)
    COMPLEMENT[ord(_a.lower())] = ord(_b)


def encode(sequence: str) -> np.ndarray:
    """ASCII bytes of a sequence (for germline and tests; reads come as byte arrays)."""
    return np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)


@kernel
def seed_codes(sequence, start, stop, runs, span, lookup, out, scratch):
    """Seed codes of every k-mer of ``sequence[start:stop]`` into ``out`` (-1: has an N).

    The rolling codes of the whole span first (into ``scratch``, as long as ``out``),
    then the kept positions run by run (``Seed.runs``) over all k-mers at once: loops
    the compiler vectorises.  Returns the number of k-mer positions,
    ``stop - start - span + 1`` (0 if too short).
    """
    count = stop - start - span + 1
    if count <= 0:
        return 0
    span_mask = (1 << (2 * span)) - 1
    code = 0
    last_n = -1
    for i in range(start, stop):
        c = lookup[sequence[i]]
        if c > 3:
            last_n = i
            c = 0
        code = ((code << 2) | c) & span_mask
        k = i - span + 1
        if k >= start:
            scratch[k - start] = code if last_n < k else -1
    for k in range(count):
        out[k] = 0
    for r in range(runs.shape[0]):
        shift, mask, shift_out = runs[r, 0], runs[r, 1], runs[r, 2]
        for k in range(count):
            out[k] |= ((scratch[k] >> shift) & mask) << shift_out
    for k in range(count):
        out[k] = out[k] if scratch[k] >= 0 else -1
    return count

