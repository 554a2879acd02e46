"""How kernels that only other kernels call are compiled.

Every numba kernel is compiled with ``cache=True, nogil=True``.  A kernel that is
never called from Python needs no Python (or C) entry point: ``inner`` skips
building them, which makes a cold start's compilation shorter.  Such a kernel
cannot be called from Python (tests included).
"""

from numba import njit

inner = njit(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
