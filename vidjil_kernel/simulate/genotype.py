"""A simulated patient's genotype: which alleles each germline file offers, and how often.

Real repertoires use genes unevenly (IGHV3-23 and IGHV4-34 are frequent, many genes
rare) and a person carries one or two alleles of each gene.  A patient here gets a
random usage weight per gene (log-normal) and one or two alleles per gene, so that
samples of one patient (follow-up) share their genotype and different seeds give
different patients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidjil_kernel.exceptions import GermlineError
from vidjil_kernel.germline import Allele, Preset
from vidjil_kernel.simulate.model import FUNCTIONALITY_WEIGHT

#: spread of gene usage (sigma of the log-normal weight of each gene): V genes vary
#: more than the few D and J genes (IGHJ4 ~ half of IGH, yet every J is seen)
GENE_USAGE_SIGMA = {"V": 1.0, "D": 0.5, "J": 0.5}
#: chance that a patient is heterozygous for a gene with several alleles
HETEROZYGOUS = 0.4
#: alleles shorter than this share of the longest allele of their gene are 5'-partial
#: IMGT entries; they are drawn only when the gene has nothing longer
PARTIAL_LENGTH = 0.9


@dataclass(frozen=True, eq=False)
class AllelePool:
    """The alleles of one side of a recombination that a patient draws from.

    ``lengths`` and ``anchors`` (-1 for none) are per allele, for vectorised draws.
    """

    kind: str
    alleles: tuple[Allele, ...]
    weights: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(a.sequence) for a in self.alleles], dtype=np.int64)

    @property
    def anchors(self) -> np.ndarray:
        return np.array([-1 if a.anchor is None else a.anchor for a in self.alleles],
                        dtype=np.int64)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Indices of ``size`` alleles drawn along the weights."""
        cumulative = np.cumsum(self.weights)
        picks = np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")
        return np.minimum(picks, len(self.alleles) - 1)


def is_drawable(allele: Allele, kind: str) -> bool:
    """Whether the simulator may use an allele as a recombined segment of ``kind``.

    Pseudogenes are left out (F and ORF are kept); V and J need their junction
    anchor with a whole codon (the truth junction is computed from it); sequences
    with undetermined bases (N) are left out so that reads hold only ACGT; orphons
    (``IGHV1/OR15-1``: copies outside the locus) never rearrange.
    """
    if allele.functionality not in FUNCTIONALITY_WEIGHT or "N" in allele.sequence:
        return False
    if "/OR" in allele.name:
        return False
    if kind in ("V", "J"):
        return allele.anchor is not None and allele.anchor + 3 <= len(allele.sequence)
    return len(allele.sequence) >= 4


def segment_kind(allele: Allele, side: str) -> str:
    """V/D/J of an allele: from its IMGT name, else from the side of the recombination."""
    return allele.segment or {"five": "V", "four": "D", "three": "J"}[side]


def _genes(alleles: list[Allele]) -> dict[str, list[Allele]]:
    genes: dict[str, list[Allele]] = {}
    for allele in alleles:
        genes.setdefault(allele.gene, []).append(allele)
    return genes


def build_pool(preset: Preset, files: list[str], side: str,
               rng: np.random.Generator) -> AllelePool:
    """A patient's allele pool for the germline files of one side (see the module docstring)."""
    all_alleles = list({a.name: a for f in files for a in preset.alleles(f)}.values())
    kind = segment_kind(all_alleles[0], side)
    usable = [a for a in all_alleles if is_drawable(a, kind)]
    if not usable:
        raise GermlineError(
            f"{', '.join(str(preset.path(f)) for f in files)}: no allele can be simulated "
            f"(functional or ORF, "
            f"with its {'Cys104/Phe-Trp118 anchor' if kind in 'VJ' else 'sequence'})",
            build_hint=False,
        )
    chosen: list[Allele] = []
    weights: list[float] = []
    for gene_alleles in _genes(usable).values():
        longest = max(len(a.sequence) for a in gene_alleles)
        candidates = [a for a in gene_alleles if len(a.sequence) >= PARTIAL_LENGTH * longest]
        gene_weight = float(rng.lognormal(0.0, GENE_USAGE_SIGMA[kind]))
        count = 2 if len(candidates) > 1 and rng.random() < HETEROZYGOUS else 1
        # *01 (listed first) is the most common allele of most genes
        preference = np.array([2.0] + [1.0] * (len(candidates) - 1))
        picked = rng.choice(len(candidates), size=count, replace=False,
                            p=preference / preference.sum())
        for index in sorted(picked):
            allele = candidates[index]
            chosen.append(allele)
            weights.append(gene_weight * FUNCTIONALITY_WEIGHT[allele.functionality] / count)
    return AllelePool(kind, tuple(chosen), np.array(weights))
