"""How the numba kernels are compiled and loaded.

``kernel`` is for every kernel called from Python: ``njit(cache=True, nogil=True)``,
with machine code loaded from numba's cache without numba's full set-up.  Before
loading a cached kernel, numba refreshes its compiler's tables of typing rules and
implementations: it imports and registers every implementation module it has
(0.2-0.3 s on this project's machines, most of a warm start's fixed cost).  A
cached kernel needs none of them, only numba's runtime (NRT), whose allocation
functions its machine code calls.  A kernel that has to be compiled still gets the
full set-up: numba's compiler refreshes the tables itself.  Nor do these kernels use
numba extensions: they skip numba's search of every installed package for one
(15-35 ms in the lab's environment); other code's kernels still make it.

``inner`` is for a kernel that only other kernels call: it needs no Python (or C)
entry point, nor a cache entry of its own (its machine code is part of its callers'
entries); skipping them makes a cold start's compilation shorter and the import of
the kernel modules quicker.  Such a kernel cannot be called from Python (tests
included).
"""

from __future__ import annotations

from collections.abc import Callable

from numba import njit
from numba.core.caching import FunctionCache
from numba.core.dispatcher import Dispatcher
from numba.core.runtime import rtsys

inner = njit(nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)


class _RuntimeOnlyCache(FunctionCache):
    """numba's on-disk cache of a function, loaded with only the runtime set up."""

    def load_overload(self, sig, target_context):
        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


def kernel(function: Callable) -> Dispatcher:
    """``njit(cache=True, nogil=True)``, loaded from the cache as this module says."""
    dispatcher = njit(nogil=True)(function)
    dispatcher._cache = _RuntimeOnlyCache(function)
    dispatcher._compilation_chain_init_hook = _no_extensions
    return dispatcher


def _no_extensions() -> None:
    """In place of numba's loading of extensions before a kernel's first call."""
