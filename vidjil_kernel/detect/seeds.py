"""Spaced seeds: which positions of a k-mer window count.

A seed shape such as ``######-######`` (alias ``12s``) covers ``span`` nucleotides
and keeps ``weight`` of them.  A k-mer is encoded 2 bits per kept base, first
base in the high bits, so a shape of weight w indexes a table of 4**w entries.
The shape is applied to the read as it is: germline k-mers are indexed in both
orientations instead, so a read is scanned once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Vidjil's seed aliases, with the same meaning
SEED_ALIASES = {
    "9c": "#########",
    "10s": "#####-#####",
    "12s": "######-######",
    "13s": "#######-######",
}

MAX_SPAN = 31  # the rolling code of the whole span must fit in 62 bits


@dataclass(frozen=True)
class Seed:
    """A parsed seed shape, with the runs of kept positions the kernels need."""

    shape: str

    @classmethod
    def parse(cls, text: str) -> Seed:
        shape = SEED_ALIASES.get(text, text)
        if not shape or set(shape) - {"#", "-"} or shape[0] != "#" or shape[-1] != "#":
            raise ValueError(
                f"seed {text!r}: expected an alias ({', '.join(SEED_ALIASES)}) "
                "or a shape of '#' (kept) and '-' (ignored) starting and ending with '#'"
            )
        if len(shape) > MAX_SPAN or shape.count("#") > 13:
            raise ValueError(f"seed {text!r}: at most {MAX_SPAN} positions and 13 kept ones")
        return cls(shape)

    @property
    def span(self) -> int:
        return len(self.shape)

    @property
    def weight(self) -> int:
        return self.shape.count("#")

    @property
    def table_size(self) -> int:
        return 4**self.weight

    def runs(self) -> np.ndarray:
        """Runs of kept positions as rows (shift, mask, shift_out) for ``seed_codes``.

        For a rolling code of the whole span (2 bits per base, first base high),
        run r contributes ``((code >> shift) & mask) << shift_out``.
        """
        rows = []
        kept_after = 0
        position = self.span
        for piece in reversed(self.shape.replace("-", " ").split(" ")):
            position -= len(piece)
            if piece:
                shift = 2 * (self.span - position - len(piece))
                rows.append((shift, (1 << (2 * len(piece))) - 1, 2 * kept_after))
                kept_after += len(piece)
            position -= 1
        return np.array(rows, dtype=np.int64)
