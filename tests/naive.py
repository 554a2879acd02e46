"""Plain-Python references for the detection kernels, written for clarity, not speed."""

from __future__ import annotations

import math

COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def reverse_complement(sequence: str) -> str:
    return sequence.translate(COMPLEMENT)[::-1]


def seed_code(kmer: str, shape: str) -> int | None:
    """Code of the kept bases of ``kmer`` (2 bits each, first base high), None with an N."""
    code = 0
    for base, mark in zip(kmer, shape, strict=True):
        if mark != "#":
            continue
        if base not in "ACGT":
            return None
        code = code * 4 + "ACGT".index(base)
    if any(b not in "ACGT" for b in kmer):
        return None
    return code


def seed_codes(sequence: str, shape: str) -> list[int | None]:
    return [seed_code(sequence[i:i + len(shape)], shape)
            for i in range(len(sequence) - len(shape) + 1)]


def log_poisson_tail(n: int, lam: float) -> float:
    """ln P(X >= n), X ~ Poisson(lam), summing the terms of the tail (in log space)."""
    if n <= 0:
        return 0.0
    terms = [-lam + k * math.log(lam) - math.lgamma(k + 1) for k in range(n, n + 400)]
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def best_split(hits: list[tuple[int, bool, bool]]) -> tuple[int, int, int]:
    """(5' hits left, 3' hits right, index of the last hit left of the split) by brute force.

    ``hits`` are (position, is 5', is 3') in oriented order; the first best split wins.
    """
    best = (-1, 0, 0, -1)
    for split in range(-1, len(hits)):
        five = sum(1 for h in hits[:split + 1] if h[1])
        three = sum(1 for h in hits[split + 1:] if h[2])
        if five + three > best[0]:
            best = (five + three, five, three, split)
    return best[1], best[2], best[3]


def edit_distance_inside(parent: str, read: str) -> int:
    """Fewest edits to place the whole of ``parent`` somewhere in ``read`` (ends of read free)."""
    previous = [0] * (len(read) + 1)
    for i in range(1, len(parent) + 1):
        current = [i] + [0] * len(read)
        for j in range(1, len(read) + 1):
            current[j] = min(previous[j - 1] + (parent[i - 1] != read[j - 1]),
                             previous[j] + 1, current[j - 1] + 1)
        previous = current
    return min(previous)
