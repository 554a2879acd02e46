"""How kernels that only other kernels call are compiled.

Every numba kernel called from Python is compiled with ``cache=True, nogil=True``.
A kernel that only other kernels call needs no Python (or C) entry point, nor a
cache entry of its own (its machine code is part of its callers' entries):
``inner`` skips building them, which makes a cold start's compilation shorter and
the import of the kernel modules quicker.  Such a kernel cannot be called from
Python (tests included).
"""

from numba import njit

inner = njit(nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
