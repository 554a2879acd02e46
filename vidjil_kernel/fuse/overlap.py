"""How much two repertoires share: Morisita-Horn and Jaccard indices over clones.

Both take the clones of each sample as {clone id: reads}.  Morisita-Horn weighs
clones by abundance (1: same clones in the same proportions, 0: nothing shared):

    MH = 2 sum(x_i y_i) / ((Dx + Dy) X Y),  Dx = sum(x_i^2) / X^2,  Dy likewise,

with X, Y the samples' read totals over their clones.  Jaccard counts clones only:
|A and B| / |A or B|.  Two empty repertoires share nothing (0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def morisita_horn(a: Mapping[str, int], b: Mapping[str, int]) -> float:
    total_a, total_b = sum(a.values()), sum(b.values())
    if not total_a or not total_b:
        return 0.0
    shared = sum(reads * b[clone] for clone, reads in a.items() if clone in b)
    dominance_a = sum(reads * reads for reads in a.values()) / total_a ** 2
    dominance_b = sum(reads * reads for reads in b.values()) / total_b ** 2
    return 2.0 * shared / ((dominance_a + dominance_b) * total_a * total_b)


def jaccard(a: Mapping[str, int], b: Mapping[str, int]) -> float:
    union = len(a.keys() | b.keys())
    return len(a.keys() & b.keys()) / union if union else 0.0


def overlap_matrices(repertoires: Sequence[Mapping[str, int]]) -> dict[str, list[list[float]]]:
    """Both indices for every pair of samples (symmetric matrices, in sample order)."""
    count = len(repertoires)
    matrices: dict[str, list[list[float]]] = {"morisita_horn": [], "jaccard": []}
    for i in range(count):
        matrices["morisita_horn"].append([
            round(morisita_horn(repertoires[i], repertoires[j]), 6) for j in range(count)])
        matrices["jaccard"].append([
            round(jaccard(repertoires[i], repertoires[j]), 6) for j in range(count)])
    return matrices
