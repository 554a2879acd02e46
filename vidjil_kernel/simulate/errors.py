"""Sequencing error models (numba): qualities, and errors that follow them.

``illumina``: per-base Phred qualities from a profile that declines along the read
(about Q36 at the start, Q27 at cycle 250, more spread and more low-quality dips
towards the 3' end, a few bad reads), and a substitution at each base with
probability exactly 10^(-Q/10): the qualities are honest, so a detector may trust
them.  ``iontorrent``: homopolymer runs gain or lose a base with a chance that grows
with their length, plus rare substitutions; each base's quality is the chance that
it is wrong.  ``none``: the template, all Q40.

Kernels take codes 0-3 (ACGT) and write ASCII bases and Phred+33 qualities.  They
draw from splitmix64, a tiny generator whose 64-bit state the caller seeds and the
kernels thread through (returned with their results): one draw per base costs about
2 ns, against ~20 ns for numba's ``np.random``, and a seed gives the same bytes.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numba import njit

from vidjil_kernel.jit import kernel

ERROR_MODELS = {"none": 0, "illumina": 1, "iontorrent": 2}
#: upper bound of (bases written) / (template bases) for each model
GROWTH = {0: 1, 1: 1, 2: 2}

ASCII_BASES = np.frombuffer(b"ACGT", dtype=np.uint8).copy()
#: error probability of each Phred score 0..41
PHRED_ERROR = 10.0 ** (-np.arange(42) / 10.0)

Q_MIN, Q_MAX, Q_PERFECT = 2, 41, 40
#: cycle at which the Illumina profile reaches its stated end quality
CYCLES = 250.0
Q_START, Q_DECLINE = 36.5, 9.5
#: spread of qualities around the profile: base level, and growth along the read
Q_SPREAD, Q_SPREAD_GROWTH = 1.5, 3.0
#: per-read quality shift (sd), and share of bad reads shifted down by BAD_READ_SHIFT
READ_SHIFT, BAD_READ_SHARE, BAD_READ_SHIFT = 1.5, 0.03, 8
#: resolution of the quality tables (2^10 quantiles per cycle)
QUANTILE_BITS = 10
QUANTILES = 1 << QUANTILE_BITS
#: chance of a low-quality dip (Q2-Q15) at a base: at the start, and added by cycle 250
DIP_START, DIP_GROWTH = 0.003, 0.04
#: Ion Torrent: indel chance of a homopolymer run of length h is min(cap, base + k h^2)
HOMOPOLYMER_BASE, HOMOPOLYMER_K, HOMOPOLYMER_CAP = 0.001, 0.0015, 0.35
SUBSTITUTION_START, SUBSTITUTION_GROWTH = 0.0004, 0.0015


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53


@njit(cache=True, nogil=True, inline="always")
def next_random(state):
    """splitmix64: (new state, 64 random bits)."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return state, z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True, inline="always")
def next_uniform(state):
    """(new state, a uniform float in [0, 1))."""
    state, bits = next_random(state)
    return state, (bits >> np.uint64(11)) * _TO_UNIT


@kernel
def _normal(state):
    """(new state, a standard normal draw) by Box-Muller."""
    state, u1 = next_uniform(state)
    state, u2 = next_uniform(state)
    return state, np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)


@kernel
def _substitute(code, state):
    """(new state, one of the three other bases, uniformly)."""
    state, bits = next_random(state)
    return state, (code + 1 + int(bits % np.uint64(3))) % 4


@kernel
def _phred(probability: float) -> int:
    q = int(-10.0 * np.log10(probability) + 0.5)
    return min(max(q, Q_MIN), Q_MAX)


@kernel
def exact_read(template, length, bases_out, qualities_out, state):
    """Copy ``template[:length]``, all qualities Q40.  Returns (bases written, errors, state)."""
    for i in range(length):
        bases_out[i] = ASCII_BASES[template[i]]
        qualities_out[i] = Q_PERFECT + 33
    return length, 0, state


def illumina_quality_table(length: int) -> np.ndarray:
    """Phred scores of the Illumina profile (before the per-read shift), by quantile.

    ``table[i, k]`` is the score of cycle ``i`` at quantile ``(k + 0.5) / QUANTILES``:
    a uniform draw picks a column, so one random number gives a score with the
    profile's distribution at that cycle (a low-quality dip with chance DIP_START +
    DIP_GROWTH x^2, else a normal around the declining mean).  The decline stops
    at cycle 300, the longest Illumina reads.
    """
    cycles = np.minimum(np.arange(max(1, length)), 300) / CYCLES
    levels = (np.arange(QUANTILES) + 0.5) / QUANTILES
    dip = (DIP_START + DIP_GROWTH * cycles**2)[:, None]
    mean = (Q_START - Q_DECLINE * cycles**2 - np.where(np.arange(len(cycles)) < 3, 2.0, 0.0))
    spread = Q_SPREAD + Q_SPREAD_GROWTH * cycles
    normal_level = np.clip((levels[None, :] - dip) / (1.0 - dip), 1e-6, 1 - 1e-6)
    grid = np.linspace(1e-6, 1 - 1e-6, 8193)
    z = np.interp(normal_level, grid, [NormalDist().inv_cdf(g) for g in grid])
    normal = mean[:, None] + spread[:, None] * z
    dips = Q_MIN + levels[None, :] / dip * 14.0
    scores = np.where(levels[None, :] < dip, np.floor(dips), np.rint(normal))
    return np.clip(scores, -20, 60).astype(np.int8)


@kernel
def illumina_read(template, length, bases_out, qualities_out, table, state):
    """Illumina-like qualities and substitutions.  Returns (bases written, errors, state).

    One draw per base: its top 10 bits pick the score's column in ``table`` (see
    :func:`illumina_quality_table`), the next 53 (uniform and independent of them)
    decide the substitution, with probability 10^(-Q/10) of the final score.
    """
    state, z = _normal(state)
    shift = int(np.rint(z * READ_SHIFT))
    state, u = next_uniform(state)
    if u < BAD_READ_SHARE:
        shift -= BAD_READ_SHIFT
    errors = 0
    for i in range(length):
        state, bits = next_random(state)
        column = int(bits >> np.uint64(64 - QUANTILE_BITS))
        rest = ((bits << np.uint64(QUANTILE_BITS)) >> np.uint64(11)) * _TO_UNIT
        q = min(max(table[i, column] + shift, Q_MIN), Q_MAX)
        code = template[i]
        if rest < PHRED_ERROR[q]:
            state, code = _substitute(code, state)
            errors += 1
        bases_out[i] = ASCII_BASES[code]
        qualities_out[i] = q + 33
    return length, errors, state


@kernel
def iontorrent_read(template, length, bases_out, qualities_out, state):
    """Homopolymer indels and rare substitutions.  Returns (bases written, errors, state)."""
    errors = 0
    written = 0
    i = 0
    while i < length:
        code = template[i]
        run = 1
        while i + run < length and template[i + run] == code:
            run += 1
        indel = min(HOMOPOLYMER_CAP, HOMOPOLYMER_BASE + HOMOPOLYMER_K * run * run)
        emitted = run
        state, draw = next_uniform(state)
        if draw < indel / 2.0:
            emitted = run + 1
            errors += 1
        elif draw < indel:
            emitted = run - 1
            errors += 1
        substitution = SUBSTITUTION_START + SUBSTITUTION_GROWTH * written / CYCLES
        quality = _phred(indel / run + substitution) + 33
        for _ in range(emitted):
            out = code
            state, draw = next_uniform(state)
            if draw < substitution:
                state, out = _substitute(code, state)
                errors += 1
            bases_out[written] = ASCII_BASES[out]
            qualities_out[written] = quality
            written += 1
        i += run
    return written, errors, state
