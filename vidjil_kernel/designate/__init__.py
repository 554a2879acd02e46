"""V(D)J designation of clone sequences: segments, N regions, junction, productivity.

Typical use (the engine calls it on the representative sequence of each clone,
given on the forward strand of its recombination)::

    from vidjil_kernel.designate import designate
    designation = designate(sequence, preset, "IGH")
    designation.name            # 'IGHV3-9*01 7/CCCGGA/17 IGHD1-1*01 2//5 IGHJ6*02'
    designation.junction.aa     # 'CAKDIRG...'

See :mod:`vidjil_kernel.designate.chain` for the model and its conventions.
"""

from vidjil_kernel.designate.scoring import DEFAULT_SCORING, Scoring
from vidjil_kernel.designate.vdj import (
    UNEXPECTED,
    designate,
    designate_best,
    designate_files,
    designate_unexpected,
)

__all__ = [
    "DEFAULT_SCORING",
    "UNEXPECTED",
    "Scoring",
    "designate",
    "designate_best",
    "designate_files",
    "designate_unexpected",
]
