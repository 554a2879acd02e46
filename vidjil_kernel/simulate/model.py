"""Parameters of the recombination model, per locus.

The figures are rounded means of what human repertoire studies report for
genomic DNA (e.g. Murugan et al. 2012 for TRB, Elhanati et al. 2015 and
Souto-Carneiro et al. 2004 for IGH, IgoR's default models for the others):
IGH has long N regions and trims its J most, IGK/IGL add almost no N, TRD the
most, TRB/TRG/TRA sit in between.  They give junction lengths close to the real
ones (IGH ~ 50 nt, TRB ~ 42 nt, TRG ~ 40 nt, IGK ~ 33 nt).  Precision beyond this
does not matter for a test set; the shape does: many zero trims, a hump, a tail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Count:
    """A count (deletion or insertion length): negative binomial, capped.

    ``shape`` is the dispersion: 1 is geometric (mode 0, as IGK/IGL N regions),
    2 gives a hump near the mean with a tail (most trims and N regions).
    """

    mean: float
    cap: int
    shape: float = 2.0

    def cdf(self) -> list[float]:
        """Cumulative probabilities of 0..cap (the tail beyond cap folded into cap)."""
        p = self.shape / (self.shape + self.mean)
        pmf = [p**self.shape]
        for k in range(1, self.cap + 1):
            pmf.append(pmf[-1] * (k - 1 + self.shape) / k * (1.0 - p))
        pmf[-1] += max(0.0, 1.0 - sum(pmf))
        total = sum(pmf)
        cumulative = np.cumsum(np.array(pmf) / total).tolist()
        cumulative[-1] = 1.0
        return cumulative


@dataclass(frozen=True)
class LocusModel:
    """How one locus trims and inserts, and how often its clones are productive.

    Deletions: ``v_del`` (3' of V), ``d5_del``/``d3_del`` (each side of a D),
    ``j_del`` (5' of J).  Insertions (N, P included) between V-D, D-D, D-J, V-J.
    ``two_d`` is the chance of a second D (TRD often joins Dd2-Dd3; IGH D-D
    fusions are rare).  ``shm`` turns on somatic hypermutation (IG loci only).
    """

    v_del: Count
    d5_del: Count
    d3_del: Count
    j_del: Count
    n_vd: Count
    n_dd: Count
    n_dj: Count
    n_vj: Count
    two_d: float = 0.0
    shm: bool = False


_TR_D = {"d5_del": Count(4.0, 12), "d3_del": Count(4.0, 12)}

LOCUS_MODELS: dict[str, LocusModel] = {
    "IGH": LocusModel(
        v_del=Count(2.0, 16, 1.0), d5_del=Count(4.5, 14), d3_del=Count(4.5, 14),
        j_del=Count(6.0, 20), n_vd=Count(6.5, 25), n_dd=Count(4.0, 15), n_dj=Count(6.0, 25),
        n_vj=Count(7.0, 25), two_d=0.005, shm=True,
    ),
    "IGK": LocusModel(
        v_del=Count(1.5, 10, 1.0), **_TR_D, j_del=Count(1.5, 10, 1.0), n_vd=Count(1.5, 10, 1.0),
        n_dd=Count(1.5, 10, 1.0), n_dj=Count(1.5, 10, 1.0), n_vj=Count(1.5, 10, 1.0), shm=True,
    ),
    "IGL": LocusModel(
        v_del=Count(2.0, 12, 1.0), **_TR_D, j_del=Count(2.0, 10, 1.0), n_vd=Count(2.0, 12, 1.0),
        n_dd=Count(2.0, 12, 1.0), n_dj=Count(2.0, 12, 1.0), n_vj=Count(2.0, 12, 1.0), shm=True,
    ),
    "TRA": LocusModel(
        v_del=Count(3.0, 14), **_TR_D, j_del=Count(5.0, 18), n_vd=Count(5.0, 20),
        n_dd=Count(4.0, 15), n_dj=Count(5.0, 20), n_vj=Count(5.0, 20),
    ),
    "TRB": LocusModel(
        v_del=Count(3.5, 16), **_TR_D, j_del=Count(4.5, 16), n_vd=Count(4.5, 20),
        n_dd=Count(4.0, 15), n_dj=Count(4.0, 20), n_vj=Count(5.0, 20),
    ),
    "TRG": LocusModel(
        v_del=Count(3.0, 14), **_TR_D, j_del=Count(5.0, 16), n_vd=Count(5.0, 18),
        n_dd=Count(4.0, 15), n_dj=Count(5.0, 18), n_vj=Count(5.0, 18),
    ),
    "TRD": LocusModel(
        v_del=Count(3.0, 14), d5_del=Count(3.0, 8), d3_del=Count(3.0, 8), j_del=Count(5.0, 16),
        n_vd=Count(6.0, 25), n_dd=Count(5.0, 20), n_dj=Count(6.0, 25), n_vj=Count(6.0, 25),
        two_d=0.35,
    ),
}

#: a model for loci of custom germlines (a TR-like middle ground)
DEFAULT_MODEL = LOCUS_MODELS["TRB"]

#: TdT adds G/C slightly more often than A/T (order A, C, G, T)
N_COMPOSITION = (0.2, 0.3, 0.3, 0.2)

#: chance of P nucleotides (1-2 nt, palindromic) at an end left untrimmed
P_NUCLEOTIDE_CHANCE = 0.3

#: share of productive rearrangements: background clones of mature lymphocytes are
#: mostly productive on genomic DNA; leukaemic/minor clones much less selected
PRODUCTIVE_SHARE = {"background": 0.8, "dominant": 0.6, "minor": 0.6, "tracer": 0.6}

#: SHM (IG only): share of unmutated clones, then a per-clone rate uniform in the range
SHM_UNMUTATED = 0.35
SHM_RATE_RANGE = (0.01, 0.10)

#: usage weight of a gene by functionality (pseudogenes are not drawn)
FUNCTIONALITY_WEIGHT = {"F": 1.0, "ORF": 0.25, "": 1.0}

#: a read covers at least this much of the V before Cys104 and of the J after Phe/Trp118
READ_V_MARGIN = 30
READ_J_MARGIN = 12
#: and, without a junction, this much of the 5' and the 3' segment
READ_SEGMENT_MARGIN = 25
