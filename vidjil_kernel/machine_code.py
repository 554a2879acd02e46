"""Cached kernels called without importing numba.

Importing numba and setting up its dispatchers takes 0.3-0.5 s, most of a warm
start, while a cached kernel needs little of it: its machine code (an object file
compiled by LLVM, with the C-callable wrapper numba generates to unbox the Python
arguments), three of numba's C extensions (its runtime's functions, which that
code calls, and the wrapper's Python function type), and llvmlite to link it.
When numba compiles a kernel, or loads it from its own cache,
``vidjil_kernel.numba_cache`` also writes a *machine-code entry* here: the object
code, the wrapper's name, the environments (constants the wrapper reads), the
symbols it needs, and the argument types it was compiled for.  A later process
loads the entry and calls the wrapper for arguments of exactly those types
(``vidjil_kernel.jit.kernel``); any other call goes through numba.

Safety.  The wrapper trusts its arguments' types (numba's dispatcher picked it for
them), so a call is made only for arguments of the recorded types as numba would
type them (``argument_types``): arrays of a plain native dtype (C, F or any
layout; read-only apart), ints, floats and bools.  An entry names the machine
(target, CPU, features) and the numba build it was compiled with, and the sources
of the kernel, of the kernels it calls and of the values they read; an entry that
does not match, needs a symbol that is not there, or cannot be read, is not used.
Entries are written whole then renamed.
"""

from __future__ import annotations

import builtins
import ctypes
import hashlib
import importlib.machinery
import importlib.util
import os
import pickle
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np

from vidjil_kernel.fileio import atomic_write

#: bumped whenever what an entry holds changes
ENTRY_FORMAT = 1

#: numba settings that change the machine code it makes: with any of them set,
#: kernels go through numba
_CODEGEN_SETTINGS = ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "NUMBA_OPT", "NUMBA_ENABLE_AVX",
                     "NUMBA_BOUNDSCHECK", "NUMBA_DISABLE_JIT", "NUMBA_DEBUGINFO",
                     "NUMBA_FASTMATH", "NUMBA_LOOP_VECTORIZE", "NUMBA_SLP_VECTORIZE")

#: what an argument is typed as: a dtype (scalars) or (dtype, ndim, layout, read-only)
ArgumentType = np.dtype | tuple[np.dtype, int, str, bool]

_INT64 = np.dtype(np.int64)
_SCALARS: dict[type, np.dtype] = {bool: np.dtype(np.bool_), float: np.dtype(np.float64)}


def argument_types(arguments: Sequence[object]) -> tuple[ArgumentType, ...] | None:
    """The types numba gives these arguments, when this module can tell them apart."""
    types: list[ArgumentType] = []
    for value in arguments:
        kind = type(value)
        if kind is np.ndarray:
            dtype = value.dtype
            flags = value.flags
            if dtype.kind not in "biuf" or not dtype.isnative or not flags.aligned:
                return None
            layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"
            types.append((dtype, value.ndim, layout, not flags.writeable))
        elif kind is int:
            if not -2 ** 63 <= value < 2 ** 63:
                return None
            types.append(_INT64)
        elif kind in _SCALARS:
            types.append(_SCALARS[kind])
        elif isinstance(value, np.generic) and value.dtype.kind in "biuf" \
                and value.dtype.isnative:
            types.append(value.dtype)
        else:
            return None
    return tuple(types)


@dataclass(frozen=True)
class Environment:
    """A numba environment of the machine code: the global it lives in, its constants."""

    name: str
    module: str
    consts: list


@dataclass(frozen=True)
class Entry:
    """What a process needs to call a kernel compiled for some argument types."""

    format: int
    build: tuple
    source: str
    wrapper: str
    object_code: bytes
    environments: tuple[Environment, ...]
    needed: tuple[str, ...]


def entry_path(directory: Path, function: Callable, types: tuple[ArgumentType, ...]) -> Path:
    """The entry of ``function`` for ``types``, its source and this machine and numba."""
    key = hashlib.sha256(repr((source_digest(function), build_key())).encode()).hexdigest()
    return _kernel_entries(directory, function, types) / f"{key[:16]}.vkm"


def _kernel_entries(directory: Path, function: Callable, types: tuple) -> Path:
    digest = hashlib.sha256(repr(types).encode()).hexdigest()[:16]
    return directory / f"{function.__module__}.{function.__qualname__}-{digest}"


def source_digest(function: Callable) -> str | None:
    """The SHA-256 of the files defining ``function`` and the kernels it calls (an entry
    is for those sources only); None for a function without a source file.

    A kernel's machine code holds the code of the kernels it calls: they are found
    among its globals (objects with a ``py_func``: kernels and numba dispatchers), then
    among theirs.  It also holds the values of the globals they read, frozen when
    compiled: the files defining those imported from other modules count too.  numba's
    own cache looks at the kernel's file only.
    """
    files: set[str] = set()
    seen: set[str] = set()
    pending = [function]
    while pending:
        current = pending.pop()
        if current.__code__.co_filename in seen:
            continue
        seen.add(current.__code__.co_filename)
        files.add(current.__code__.co_filename)
        files.update(_constant_files(current))
        pending += [called.py_func for called in current.__globals__.values()
                    if callable(getattr(called, "py_func", None))
                    and hasattr(called.py_func, "__code__")]
    digests = [_file_digest(file) for file in sorted(files)]
    if None in digests:
        return None
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def _constant_files(function: Callable) -> set[str]:
    """The files of the other modules defining the values that ``function`` reads as
    globals (not modules, classes or functions)."""
    own = function.__code__.co_filename
    files: set[str] = set()
    for name in function.__code__.co_names:
        value = function.__globals__.get(name)
        if value is None or callable(value) or hasattr(value, "py_func") \
                or isinstance(value, ModuleType) or name in _assigned_names(own):
            continue
        files.update(_defining_files(function.__module__, name))
    return files


@cache
def _defining_files(module_name: str, name: str) -> tuple[str, ...]:
    """The files of the modules binding the object that ``module_name`` imported as
    ``name`` and assigning it at their top level, else of every module binding it.

    Those of ``module_name``'s own package come first, alone: a small integer is one
    object wherever it is assigned, and a module loaded in one process only (numba's,
    which assign an ``EMPTY = -1`` too) would make the digest differ between processes.
    """
    value = vars(sys.modules[module_name])[name]
    binding = [(module.__name__, module.__file__) for module in list(sys.modules.values())
               if getattr(module, "__file__", None)
               and getattr(module, "__dict__", {}).get(name) is value]
    defining = [(module, file) for module, file in binding if name in _assigned_names(file)]
    package = module_name.partition(".")[0]
    own = [(module, file) for module, file in defining if module.partition(".")[0] == package]
    return tuple(file for _, file in own or defining or binding)


_ASSIGNED = re.compile(r"^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=\n]*)?=(?!=)",
                       re.MULTILINE)


@cache
def _assigned_names(filename: str) -> frozenset[str]:
    """Names a module's source assigns at its top level (``NAME = ...``, ``NAME: T = ...``,
    ``A, B = ...``)."""
    try:
        source = Path(filename).read_text(errors="replace")
    except OSError:
        return frozenset()
    return frozenset(name.strip() for names in _ASSIGNED.findall(source)
                     for name in names.split(","))


@cache
def _file_digest(filename: str) -> str | None:
    try:
        return hashlib.sha256(Path(filename).read_bytes()).hexdigest()
    except OSError:
        return None


@cache
def build_key() -> tuple | None:
    """The machine and numba build machine code is for; None when numba is set to make
    other code (``_CODEGEN_SETTINGS``)."""
    if any(setting in os.environ for setting in _CODEGEN_SETTINGS):
        return None
    llvm = _llvm()
    version = _numba_directory() / "_version.py"
    return (ENTRY_FORMAT, hashlib.sha256(version.read_bytes()).hexdigest(),
            llvm.get_process_triple(), llvm.get_host_cpu_name(),
            llvm.get_host_cpu_features().flatten())


def write_entry(path: Path, entry: Entry) -> None:
    """Write ``entry`` whole then rename it (concurrent workers see it complete or not),
    in place of the entries of the kernel's other sources or builds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as out:
        pickle.dump(entry, out, protocol=pickle.HIGHEST_PROTOCOL)
    for other in path.parent.glob("*.vkm"):
        if other != path:
            other.unlink(missing_ok=True)


def load(path: Path, function: Callable) -> Callable | None:
    """The kernel's machine code from the entry at ``path``, callable from Python; None
    when there is no entry for this source, machine and numba build."""
    try:
        with open(path, "rb") as data:
            entry = pickle.load(data)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
            IndexError, TypeError, ValueError):
        return None
    if not isinstance(entry, Entry) or entry.format != ENTRY_FORMAT or entry.source is None \
            or entry.source != source_digest(function) or entry.build != build_key():
        return None
    with _LOCK:
        set_up_runtime()
        if not all(_resolvable(symbol) for symbol in entry.needed):
            return None
        return _link(entry, function)


_LOCK = threading.Lock()


def _link(entry: Entry, function: Callable) -> Callable:
    llvm = _llvm()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""),  # owns the target machine
                                        target.create_target_machine())
    engine.add_object_file(llvm.ObjectFileRef.from_data(entry.object_code))
    engine.finalize_object()
    dynfunc = _extension("numba._dynfunc", "_dynfunc")
    environments = []
    for described in entry.environments:
        module = sys.modules.get(described.module)
        environment = dynfunc.Environment(module.__dict__ if module else
                                          {"__name__": described.module})
        environment.consts[:] = described.consts
        address = engine.get_global_value_address(described.name)
        if address:  # else this code does not read it
            (ctypes.c_void_p * 1).from_address(address)[0] = ctypes.c_void_p(id(environment))
        environments.append(environment)
    _LINKED.append(engine)
    return dynfunc.make_function(sys.modules[function.__module__], function.__name__,
                                 function.__doc__ or "", engine.get_function_address(
                                     entry.wrapper), environments[0], tuple(environments))


#: every machine code linked, never unloaded (as numba's): the addresses of its
#: constants name them for good
_LINKED: list = []


@cache
def set_up_runtime() -> None:
    """Give LLVM the addresses numba gives it of its C helpers and Python objects.

    All that cached machine code needs of numba's set-up, which also compiles its
    runtime's LLVM functions (~45 ms: each kernel's machine code holds its own copy
    of those); ``vidjil_kernel.numba_cache`` loads numba's cache with it too.
    """
    llvm = _llvm()
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    llvm.add_symbol("_Py_NoneStruct", id(None))
    for module, name in (("numba._helperlib", "_helperlib"), ("numba._dynfunc", "_dynfunc")):
        for helper, address in _extension(module, name).c_helpers.items():
            llvm.add_symbol("numba_" + helper, address)
    runtime = _extension("numba.core.runtime._nrt_python", "core/runtime/_nrt_python")
    for helper, address in runtime.c_helpers.items():
        llvm.add_symbol(helper if helper.startswith("_") else "NRT_" + helper, address)
    for value in vars(builtins).values():
        if isinstance(value, type) and issubclass(value, BaseException):
            llvm.add_symbol(f"PyExc_{value.__name__}", id(value))
    if "numba.core.serialize" not in sys.modules:  # else numba's own is there to use
        llvm.add_symbol("numba_unpickle", ctypes.cast(_UNPICKLE, ctypes.c_void_p).value)


_unpickled: dict[int, object] = {}


@ctypes.CFUNCTYPE(ctypes.py_object, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
def _UNPICKLE(data: int, size: int, digest: int) -> object:  # noqa: N802 (a C function)
    """numba's ``numba_unpickle`` (the wrapper's constants, e.g. the array class, at each
    call) without numba's serialisation module, memoised by the constant's address."""
    found = _unpickled.get(data)
    if found is None:
        found = _unpickled[data] = pickle.loads(ctypes.string_at(data, size))
    return found


def _resolvable(symbol: str) -> bool:
    """Whether LLVM will find ``symbol``: one given to it, or one of this process."""
    return bool(_llvm().address_of_symbol(symbol)) or hasattr(_PROCESS, symbol)


_PROCESS = ctypes.CDLL(None)


@cache
def _llvm() -> ModuleType:
    from llvmlite import binding

    return binding


@cache
def _numba_directory() -> Path:
    spec = importlib.util.find_spec("numba")
    if spec is None or spec.origin is None:
        raise ImportError("numba is not installed")
    return Path(spec.origin).parent


def _extension(name: str, relative: str) -> ModuleType:
    """numba's C extension ``name``, without importing numba (the same module numba
    uses if it is imported later)."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    path = _numba_directory() / f"{relative}{suffix}"
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules[name] = module
    return module
