"""Germline alleles as arrays for the kernels, built once per set of files.

A :class:`SegmentBank` concatenates the alleles of one side of a recombination
(the 5' V files, the D files or the 3' J files) into one uint8 array, keeps a
reversed copy (3' segments are aligned from their 5' start, i.e. reversed), and
a k-mer index that the pre-filter uses to pick candidate alleles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidjil_kernel.germline import Allele, Preset
from vidjil_kernel.germline.alleles import segment_of

#: k-mer length of the candidate pre-filter index
KMER = 9

_CODES = np.full(256, 4, dtype=np.uint8)
for _code, _base in enumerate("ACGT"):
    _CODES[ord(_base)] = _code
    _CODES[ord(_base.lower())] = _code


def encode(sequence: str) -> np.ndarray:
    """Bases as codes 0-3 (ACGT, any case); anything else is 4 (N)."""
    return _CODES[np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)]


def kmer_codes(codes: np.ndarray, k: int = KMER) -> np.ndarray:
    """Integer code of every k-mer of ``codes`` (-1 for k-mers with an N)."""
    n = codes.shape[0] - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    values = np.zeros(n, dtype=np.int64)
    for i in range(k):  # base by base over all k-mers at once
        values <<= 2
        values |= codes[i:i + n] & 3
    unknown = np.concatenate(([0], np.cumsum(codes > 3)))
    values[unknown[k:] - unknown[:n] > 0] = -1
    return values


@dataclass(frozen=True)
class SegmentBank:
    """The alleles of some germline files, concatenated for the kernels.

    ``offsets[a]:offsets[a + 1]`` is allele ``a`` in ``forward`` and in ``reverse``
    (each allele reversed in place).  ``kmer_keys``/``kmer_alleles`` list, sorted
    by k-mer, which allele holds which k-mer (once per allele).
    """

    alleles: tuple[Allele, ...]
    files: tuple[str, ...]
    forward: np.ndarray
    reverse: np.ndarray
    offsets: np.ndarray
    kmer_keys: np.ndarray
    kmer_alleles: np.ndarray

    def __len__(self) -> int:
        return len(self.alleles)

    def length(self, index: int) -> int:
        return int(self.offsets[index + 1] - self.offsets[index])

    @property
    def segment(self) -> str:
        """V, D or J when all alleles agree (from their IMGT names), else ''."""
        segments = {segment_of(a.name) for a in self.alleles}
        return segments.pop() if len(segments) == 1 else ""


def bank_from_alleles(alleles: list[Allele], files: tuple[str, ...] = ()) -> SegmentBank:
    """A bank of ``alleles`` (in this order)."""
    codes = [encode(a.sequence) for a in alleles]
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([c.shape[0] for c in codes])
    forward = np.concatenate(codes) if codes else np.empty(0, np.uint8)
    reverse = np.concatenate([c[::-1] for c in codes]) if codes else np.empty(0, np.uint8)
    keys, owners = _kmer_owners(forward, offsets)
    return SegmentBank(tuple(alleles), files, forward, reverse, offsets, keys, owners)


def _kmer_owners(forward: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each (k-mer, allele) pair of the concatenated alleles once, sorted by k-mer then allele.

    One pass over the concatenation, dropping the k-mers that straddle two alleles.
    Pairs are sorted as one integer each, 32-bit when they fit (twice as fast).
    """
    kmers = kmer_codes(forward)
    count = max(offsets.shape[0] - 1, 1)
    lengths = np.diff(offsets)
    owner = np.repeat(np.arange(lengths.shape[0]), lengths)[:kmers.shape[0]]
    position = np.arange(kmers.shape[0]) - offsets[owner]
    inside = (kmers >= 0) & (position + KMER <= lengths[owner])
    dtype = np.uint32 if 4 ** KMER * count < 2 ** 32 else np.int64
    pairs = np.sort((kmers[inside] * count + owner[inside]).astype(dtype))
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if pairs.size else pairs
    return (pairs // count).astype(np.int64), (pairs % count).astype(np.int32)


def reverse_complement(sequence: str) -> str:
    return sequence[::-1].translate(_COMPLEMENT)


_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def bank_of_files(preset: Preset, files: list[str], inverted: bool = False) -> SegmentBank:
    """The bank of ``files`` of ``preset``, built once per set of files (and rebuilt
    when a file changes).

    Alleles are read through the preset, so custom germlines (absolute paths,
    validated when the preset was made) and preset files work the same way; an
    allele present in two files (TRAV/DV genes) is kept once.  ``inverted`` banks
    hold the reverse complements (segments joined in inverted orientation; they
    have no anchor).
    """
    paths = tuple(str(preset.path(f)) for f in files)
    key = (inverted, *((path, _mtime(path)) for path in paths))
    bank = _BANKS.get(key)
    if bank is None:
        alleles: dict[str, Allele] = {}
        for file in files:
            for allele in preset.alleles(file):
                if inverted:
                    allele = Allele(allele.name, reverse_complement(allele.sequence),
                                    allele.functionality, None)
                alleles.setdefault(allele.name, allele)
        bank = bank_from_alleles(list(alleles.values()), paths)
        _BANKS[key] = bank
    return bank


def _mtime(path: str) -> int:
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return 0


_BANKS: dict[tuple, SegmentBank] = {}
