"""FASTA/FASTQ reads, plain or gzipped, streamed as numpy batches for the numba kernels.

``read_batches(path_or_dash)`` is the entry point; see ``reader.BatchReader``
for progress figures and ``batch.ReadBatch`` for the array layout.
"""

from vidjil_kernel.reads.batch import ReadBatch
from vidjil_kernel.reads.reader import BatchReader, read_batches

__all__ = ["BatchReader", "ReadBatch", "read_batches"]
