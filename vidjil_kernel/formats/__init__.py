"""Result files: ``.vidjil`` JSON (Vidjil web client, format 2016b) and AIRR rearrangement TSV.

Writers take a ``vidjil_kernel.results.SampleResult`` (0-based half-open
coordinates) and write 1-based closed coordinates, atomically; readers turn
files back into result objects and raise ``InputFormatError`` on bad input.
"""

from vidjil_kernel.formats.airr import ReadAirrWriter, read_airr, write_airr
from vidjil_kernel.formats.vidjil import read_vidjil, read_vidjil_samples, write_vidjil

__all__ = ["ReadAirrWriter", "read_airr", "read_vidjil", "read_vidjil_samples", "write_airr",
           "write_vidjil"]
