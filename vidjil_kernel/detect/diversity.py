"""Diversity indices of a clone-size distribution (Vidjil's H, E and Ds)."""

from __future__ import annotations

import numpy as np

from vidjil_kernel.results import Diversity


def diversity(counts: np.ndarray) -> Diversity:
    """Shannon entropy H (natural log), Pielou's equitability E = H / ln(S), Simpson's Ds.

    E and Ds are 0 for one clone gathering every read and 1 when each read is its own clone.
    """
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    total = counts.sum()
    if total == 0:
        return Diversity(0.0, 0.0, 0.0)
    frequencies = counts / total
    shannon = float(-(frequencies * np.log(frequencies)).sum())
    equitability = shannon / float(np.log(len(counts))) if len(counts) > 1 else 0.0
    simpson = 1.0 - float((counts * (counts - 1)).sum() / (total * (total - 1))) \
        if total > 1 else 0.0
    return Diversity(shannon, equitability, simpson)
