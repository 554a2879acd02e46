"""Germline sequences (IMGT-derived, built locally) and the presets that group them.

Typical use::

    from vidjil_kernel.germline import load_preset
    from vidjil_kernel.settings import load_settings

    preset = load_preset("homo-sapiens:IGH,TRG", load_settings().germline_dir)
    for system in preset.systems.values():
        for recombination in system.recombinations:
            v_alleles = [a for f in recombination.five for a in preset.alleles(f)]
"""

from vidjil_kernel.germline.alleles import Allele, read_germline_fasta, write_germline_fasta
from vidjil_kernel.germline.anchors import cys104_anchor, phe_trp118_anchor, translate
from vidjil_kernel.germline.presets import (
    Preset,
    Recombination,
    System,
    available_presets,
    custom_preset,
    load_preset,
    preset_from_spec,
)

__all__ = [
    "Allele",
    "Preset",
    "Recombination",
    "System",
    "available_presets",
    "custom_preset",
    "cys104_anchor",
    "load_preset",
    "phe_trp118_anchor",
    "preset_from_spec",
    "read_germline_fasta",
    "translate",
    "write_germline_fasta",
]
