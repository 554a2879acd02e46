"""Candidate alleles for the dynamic programming, chosen by shared k-mers.

Aligning a read against every IGHV allele costs ~35 M cells; most alleles are
obviously worse than a few others.  The pre-filter counts, for each allele, the
read k-mers it holds and keeps the best ``keep`` alleles *plus every allele
tied with the last one kept* and every allele within ``slack`` k-mers of the
best.  An allele as good as the best one aligns the same read bases, so it shares
(nearly) the same k-mers: ties are never cut off.
"""

from __future__ import annotations

import numpy as np

from vidjil_kernel.designate.bank import SegmentBank, kmer_codes

#: banks with at most this many alleles are aligned in full
FULL_BANK = 16
#: alleles kept by the pre-filter (before ties)
KEEP = 12
#: alleles this close to the best k-mer count are kept too
SLACK = 3


def shared_kmers(bank: SegmentBank, read: np.ndarray) -> np.ndarray:
    """For each allele of ``bank``, how many distinct k-mers of ``read`` it holds."""
    kmers = np.unique(kmer_codes(read))
    kmers = kmers[kmers >= 0]
    if kmers.size == 0 or bank.kmer_keys.size == 0:
        return np.zeros(len(bank), dtype=np.int64)
    left = np.searchsorted(bank.kmer_keys, kmers, side="left")
    right = np.searchsorted(bank.kmer_keys, kmers, side="right")
    lengths = right - left
    # every index of the ranges [left, right), concatenated
    index = np.repeat(left - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    return np.bincount(bank.kmer_alleles[index], minlength=len(bank))


def candidate_alleles(bank: SegmentBank, read: np.ndarray, keep: int = KEEP,
                      slack: int = SLACK) -> np.ndarray:
    """Indices of the alleles worth aligning (all of them for small banks)."""
    if len(bank) <= FULL_BANK or keep <= 0:
        return np.arange(len(bank), dtype=np.int64)
    counts = shared_kmers(bank, read)
    if counts.max() == 0:
        return np.arange(len(bank), dtype=np.int64)
    order = np.argsort(-counts, kind="stable")
    threshold = min(counts[order[min(keep, len(order)) - 1]], counts[order[0]] - slack)
    threshold = max(threshold, 1)
    return np.flatnonzero(counts >= threshold).astype(np.int64)
