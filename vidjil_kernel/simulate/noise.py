"""Reads that hold no recombination, which a detector must not call.

Three kinds: random sequence (other DNA of the sample), and germline V or J
fragments inside random flanks (unrearranged loci, PCR by-products): these share
k-mers with one side of a system only, so they test that a detector asks for both.
"""

from __future__ import annotations

import numpy as np

from vidjil_kernel.germline import Allele
from vidjil_kernel.simulate.sequences import encode

NOISE_KINDS = ("random", "v_germline", "j_germline")
NOISE_SHARES = (0.4, 0.3, 0.3)
#: a germline fragment covers this share of the read (uniform), at least MIN_FRAGMENT nt
FRAGMENT_SHARE = (0.3, 0.9)
MIN_FRAGMENT = 20


def noise_templates(rng: np.random.Generator, lengths: np.ndarray, v_alleles: list[Allele],
                    j_alleles: list[Allele]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One template per noise read, as long as the read.

    Returns the kind of each read (index in NOISE_KINDS), the templates (codes 0-3,
    concatenated) and the offset of each in it.  A kind without alleles (no V in an
    IGH+ simulation) falls back to random sequence.
    """
    count = len(lengths)
    kinds = rng.choice(len(NOISE_KINDS), size=count, p=NOISE_SHARES)
    offsets = np.zeros(count, dtype=np.int64)
    if count:
        offsets[1:] = np.cumsum(lengths)[:-1]
    pool = rng.integers(0, 4, int(lengths.sum()), dtype=np.uint8)
    germlines = {1: [encode(a.sequence) for a in v_alleles],
                 2: [encode(a.sequence) for a in j_alleles]}
    low, high = FRAGMENT_SHARE
    for kind, sources in germlines.items():
        reads = np.flatnonzero(kinds == kind)
        if not sources:
            kinds[reads] = 0
            continue
        choices = rng.integers(0, len(sources), len(reads))
        shares = rng.uniform(low, high, len(reads))
        at_segment_end = rng.random(len(reads)) < 0.5
        places = rng.random(len(reads))
        origins = rng.random(len(reads))
        for read, source_index, share, at_end, place, origin in zip(
            reads.tolist(), choices.tolist(), shares.tolist(), at_segment_end.tolist(),
            places.tolist(), origins.tolist(), strict=True
        ):
            source = sources[source_index]
            length = int(lengths[read])
            size = min(len(source), length, max(MIN_FRAGMENT, int(share * length)))
            if at_end:  # the V 3' end / the J 5' end, where a junction would be
                first = len(source) - size if kind == 1 else 0
            else:
                first = int(origin * (len(source) - size + 1))
            target = offsets[read] + int(place * (length - size + 1))
            pool[target : target + size] = source[first : first + size]
    return kinds, pool, offsets
