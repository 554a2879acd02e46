"""Synthetic repertoires with ground truth, for tests, benchmarks and demos.

Typical use::

    from vidjil_kernel.simulate import SimulationSpec, simulate

    sample = simulate(SimulationSpec(loci=(("IGH", 0.5), ("TRG", 0.5)), reads=10_000,
                                     mode="diagnosis", seed=1), "sim/")
    sample.reads, sample.reads_truth, sample.clones_truth

Modules: ``model`` (locus parameters), ``genotype`` (a patient's alleles),
``recombine`` (clones), ``abundance`` (reads per clone), ``layout`` (reads on
molecules), ``noise`` (non-recombined reads), ``errors`` and ``records`` (numba
kernels: sequencing errors, FASTQ records), ``writer`` (files), ``sample`` (the run).
"""

from vidjil_kernel.simulate.clones import Clone, PlacedSegment
from vidjil_kernel.simulate.sample import SimulatedSample, simulate, simulate_follow_up
from vidjil_kernel.simulate.spec import MODES, SimulationSpec, parse_loci

__all__ = [
    "MODES",
    "Clone",
    "PlacedSegment",
    "SimulatedSample",
    "SimulationSpec",
    "parse_loci",
    "simulate",
    "simulate_follow_up",
]
