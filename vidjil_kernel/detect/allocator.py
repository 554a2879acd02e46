"""Give freed arrays back to the system at once, so that peak memory is what is in use.

glibc serves an allocation of 128 KiB or more with its own memory map, returned to the
system when freed, but raises that threshold up to 32 MiB each time such a map is
freed: the next arrays below it come from the heap, which keeps their memory after
they are freed.  A detection frees arrays of a few MiB all along (batches, the merge's
indexes), and its heap so held 150-200 MB it did not use (a 5M-read file: 630 MB peak
against 480 MB).  Setting the threshold fixes it, at MMAP_THRESHOLD.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

#: arrays at least this big are mapped on their own and given back when freed
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h)


@functools.cache
def return_freed_memory() -> bool:
    """Fix glibc's mmap threshold in this process (once); False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
