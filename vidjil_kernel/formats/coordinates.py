"""Coordinate conventions between result objects and files.

Result objects use 0-based half-open intervals (Python slices): ``[start, end)``.
Both file formats use 1-based closed intervals: ``start..stop`` with both ends
included.  The same nucleotides ``sequence[start:end]`` are ``start + 1 .. end``.
"""

from __future__ import annotations


def to_closed(start: int, end: int) -> tuple[int, int]:
    """0-based half-open ``[start, end)`` -> 1-based closed ``(first, last)``."""
    return start + 1, end


def from_closed(first: int, last: int) -> tuple[int, int]:
    """1-based closed ``(first, last)`` -> 0-based half-open ``[start, end)``."""
    return first - 1, last
