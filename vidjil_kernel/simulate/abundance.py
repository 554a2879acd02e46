"""How many reads each clone gets, in each mode and along a follow-up.

- polyclonal: clone sizes follow a power law (Pareto, alpha 1.5): a few clones of a
  few percent, a long tail of clones seen once or twice, as in healthy repertoires;
- diagnosis: per locus, one dominant clone (the leukaemia's rearrangement at that
  locus) with 30-80% of the locus' recombined reads, 2-4 minor clones of 0.5-3%,
  the rest polyclonal;
- mrd: polyclonal, plus a tracer clone at a fixed share of all reads (1e-4 by default);
- follow-up: the diagnosis' dominant clone falls to 1e-2 then 1e-4 (then 1e-6...)
  of its locus' reads; the background keeps its clones with abundances that drift
  (log-normal factor per time point).

Counts of the clones that matter (dominant, minor, tracer) are exact roundings, so
benchmarks know what a detector should report; the background is sampled.
"""

from __future__ import annotations

import numpy as np

PARETO_ALPHA = 1.5
MAX_BACKGROUND_SHARE = 0.05
DOMINANT_RANGE = (0.3, 0.8)
MINOR_CLONES = (2, 4)
MINOR_RANGE = (0.005, 0.03)
#: spread (sigma of a log-normal factor) of background abundances between time points
DRIFT_SIGMA = 0.5
#: background clones per recombined read when the spec does not say, and the bounds
CLONES_PER_READ = 0.1
CLONES_BOUNDS = (10, 30_000)


def allocate(total: int, weights: np.ndarray | list[float]) -> np.ndarray:
    """``total`` split along ``weights`` by largest remainders (exact sum, no sampling)."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    shares = weights / weights.sum() * total
    counts = np.floor(shares).astype(np.int64)
    missing = int(total - counts.sum())
    if missing:
        order = np.argsort(-(shares - counts), kind="stable")
        counts[order[:missing]] += 1
    return counts


def default_clone_count(recombined_reads: int) -> int:
    low, high = CLONES_BOUNDS
    return int(min(high, max(low, round(recombined_reads * CLONES_PER_READ))))


def background_weights(rng: np.random.Generator, count: int) -> np.ndarray:
    """Power-law (Pareto) weights of ``count`` background clones, largest first.

    The tail of a Pareto has no finite variance: now and then one draw outweighs all
    the others.  Weights are capped at MAX_BACKGROUND_SHARE of the total, so that the
    background stays polyclonal (a clonal expansion is the diagnosis mode's job).
    """
    weights = (1.0 - rng.random(count)) ** (-1.0 / PARETO_ALPHA)
    for _ in range(3):
        weights = np.minimum(weights, MAX_BACKGROUND_SHARE * weights.sum())
    return np.sort(weights)[::-1]


def drifted(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Background weights at a later time point: same clones, abundances drifting."""
    return weights * rng.lognormal(0.0, DRIFT_SIGMA, len(weights))


def dominant_fraction(rng: np.random.Generator) -> float:
    low, high = DOMINANT_RANGE
    return float(low + (high - low) * rng.random())


def minor_fractions(rng: np.random.Generator) -> list[float]:
    low, high = MINOR_RANGE
    count = int(rng.integers(MINOR_CLONES[0], MINOR_CLONES[1] + 1))
    return [float(low + (high - low) * rng.random()) for _ in range(count)]


def follow_up_fractions(first: float, timepoints: int) -> list[float]:
    """Dominant clone share at each time point: ``first``, then 1e-2, 1e-4, 1e-6..."""
    return [first] + [10.0 ** (-2 * k) for k in range(1, timepoints)]


def sample_counts(rng: np.random.Generator, reads: int, wanted: list[int],
                  weights: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Reads of the clones with a set count (served in order while reads remain), then
    the rest spread over the background clones along ``weights`` (multinomial)."""
    fixed = []
    remaining = reads
    for count in wanted:
        count = min(remaining, count)
        fixed.append(count)
        remaining -= count
    if remaining and len(weights):
        background = rng.multinomial(remaining, weights / weights.sum())
    else:
        background = np.zeros(len(weights), dtype=np.int64)
    return fixed, background
