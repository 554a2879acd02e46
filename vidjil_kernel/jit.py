"""How the numba kernels are defined, compiled and loaded.

``kernel`` is for every kernel called from Python.  A call for argument types the
kernel was compiled for, in this process or an earlier one, runs its machine code
from the cache without importing numba (``vidjil_kernel.machine_code``: numba's
import and set-up are most of a warm start).  Any other call goes through numba's
``njit(cache=True, nogil=True)`` dispatcher (``vidjil_kernel.numba_cache``), which
loads the kernel from numba's cache or compiles it, and writes the machine-code
entry later processes load.

``inner`` is for a kernel that only other kernels call: it needs no Python (or C)
entry point, no machine code of its own, nor a cache entry (its code is part of its
callers'); skipping them makes a cold start's compilation shorter and the import of
the kernel modules quicker.  Such a kernel cannot be called from Python (tests
included).

numba compiles a kernel from its Python function and the kernels it calls, found
among the function's globals: there, numba takes a ``kernel`` or ``inner`` for its
numba dispatcher (``_numba_type_``), made when numba is first needed in a process
(``numba_dispatchers``), so that any numba code, a researcher's too, can call them.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path

from vidjil_kernel import machine_code

#: the definitions not given their numba dispatcher yet
_PENDING: list[Definition] = []
_LOCK = threading.RLock()
#: what a kernel's machine code is, for argument types it has no entry for
_ABSENT = object()


class Definition:
    """A kernel's Python function, and its numba dispatcher once numba is needed."""

    def __init__(self, function: Callable) -> None:
        self.py_func = function
        self._dispatcher = None
        with _LOCK:
            _PENDING.append(self)

    @property
    def dispatcher(self):
        """numba's dispatcher of this kernel (numba is imported and set up)."""
        if self._dispatcher is None:
            numba_dispatchers()
        return self._dispatcher

    @property
    def _numba_type_(self):
        """What numba types this kernel as where a kernel calls it: its dispatcher."""
        return self.dispatcher._numba_type_


class Kernel(Definition):
    """A kernel called from Python: its machine code from the cache, else numba's."""

    def __init__(self, function: Callable) -> None:
        super().__init__(function)
        functools.update_wrapper(self, function)
        self._by_types: dict[tuple, object] = {}
        self.machine_code_calls = 0

    def __call__(self, *arguments, **keywords):
        types = None if keywords else machine_code.argument_types(arguments)
        if types is not None:
            entry_point = self._by_types.get(types)
            if entry_point is None:
                entry_point = self._load(types)
            if entry_point is not _ABSENT:
                self.machine_code_calls += 1
                return entry_point(*arguments)
        return self.dispatcher(*arguments, **keywords)

    def _load(self, types: tuple) -> object:
        with _LOCK:
            entry_point = self._by_types.get(types)
            if entry_point is None:
                entry_point = machine_code.load(
                    machine_code.entry_path(machine_code_dir(), self.py_func, types),
                    self.py_func) or _ABSENT
                self._by_types[types] = entry_point
        return entry_point

    def __getattr__(self, name: str):
        """numba's dispatcher's attributes (``stats``, ``signatures``...)."""
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher, name)


class Inner(Definition):
    """A kernel only other kernels call."""


def kernel(function: Callable) -> Kernel:
    """A kernel called from Python, compiled with ``njit(cache=True, nogil=True)``."""
    return Kernel(function)


def inner(function: Callable) -> Inner:
    """A kernel only other kernels call (no entry point from Python, no machine code nor
    cache entry of its own)."""
    return Inner(function)


def numba_dispatchers() -> None:
    """Give every kernel defined so far its numba dispatcher."""
    from vidjil_kernel import numba_cache

    with _LOCK:
        for definition in _PENDING:
            make = numba_cache.kernel_dispatcher if isinstance(definition, Kernel) \
                else numba_cache.inner_dispatcher
            definition._dispatcher = make(definition.py_func)
        _PENDING.clear()


def cache_dir() -> Path:
    """Where numba keeps the kernels' machine code (``NUMBA_CACHE_DIR``, else the package's)."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    return Path(configured) if configured else Path(__file__).parent / "__pycache__"


def machine_code_dir() -> Path:
    """Where the machine-code entries (``vidjil_kernel.machine_code``) are."""
    return cache_dir() / "vidjil-machine-code"
