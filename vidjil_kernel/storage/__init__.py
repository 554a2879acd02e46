"""The lab's files outside the database: uploads in progress, samples' sequence files,
the mounted file source, and the free-space guard.

Only the vidjil-api service uses this package (it alone holds the data directory):

- ``uploads``: resumable uploads (chunks at offsets, committed offset, sha256 at the end);
- ``file_source``: the mounted directory of sequence files, browsed and attached in place;
- ``sample_files``: checking a sequence file with the reads module and storing it for a sample;
- ``disk``: refusing work that would leave the disk below ``disk_min_free_gb``.
"""
