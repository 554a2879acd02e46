"""Scores of the designation and the chance levels that decide what is reported.

Scores are local-alignment scores (match +1, mismatch -2, gap -4 by default, N
bases 0), integers so that the V/J kernel runs on integers.  Their chance level
follows Karlin-Altschul statistics on uniform bases: the e-value of a score
``S`` found in a query of length ``m`` against a germline file of total length
``n`` is ``m n exp(-lambda S)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=16)
def karlin_lambda(match: float, mismatch: float) -> float:
    """Solve 1/4 e^(l*match) + 3/4 e^(l*mismatch) = 1 for l > 0 (bisection)."""
    low, high = 1e-6, 10.0
    for _ in range(100):
        middle = (low + high) / 2
        value = 0.25 * math.exp(middle * match) + 0.75 * math.exp(middle * mismatch) - 1
        if value > 0:
            high = middle
        else:
            low = middle
    return (low + high) / 2


@dataclass(frozen=True)
class Scoring:
    """Alignment scores, costs and thresholds of the designation.

    Why these values (checked on the curated designations of should-vdj, where
    they sit on a plateau): mismatch -2 lets a segment run over a mismatch when
    at least two matches follow it (with the N bases it saves), and a single
    matching base after a mismatch stays N region, as curators read them; gap -4
    keeps indels for real indels; ``n_cost`` is a weak prior against long N
    regions, enough to prefer the explanation with more germline; a D costs the
    score a chance match reaches in its N region (``d_evalue`` 1); a 5'/3'
    segment match that starts (ends) inside both the sequence and the segment
    costs ``clip``.
    """

    match: int = 1
    mismatch: int = -2
    gap: int = -4
    #: cost of each N base (a geometric prior on N-region lengths)
    n_cost: float = 0.1
    #: a D is reported when a chance match in its N region is less likely than this
    d_evalue: float = 1.0
    #: a 5'/3' segment is reported when its e-value is at most this
    vj_evalue: float = 1.0
    #: cost of a 5' segment starting inside both the sequence and the segment
    clip: int = 4
    #: bases both neighbours match go to the 5' segment (else to the 3' one)
    five_prime_greedy: bool = True

    @property
    def lambda_(self) -> float:
        """Karlin-Altschul lambda of the match/mismatch scores on uniform bases."""
        return karlin_lambda(self.match, self.mismatch)

    def evalue(self, score: float, query_length: int, bank_length: int) -> float:
        """Expected number of chance alignments scoring ``score`` or more."""
        return float(max(query_length, 1) * max(bank_length, 1)
                     * math.exp(-self.lambda_ * score))

    def chance_score(self, query_length: int, bank_length: int, evalue: float = 1.0) -> float:
        """The score a chance alignment reaches with e-value ``evalue``."""
        return math.log(max(query_length, 1) * max(bank_length, 1) / evalue) / self.lambda_


DEFAULT_SCORING = Scoring()
