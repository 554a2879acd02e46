"""numba's side of the kernels: their dispatchers and numba's on-disk cache of them.

A kernel that has no machine-code entry for its arguments (``vidjil_kernel.machine_code``)
is compiled, or loaded from numba's cache, here.  Before loading a cached kernel, numba
refreshes its compiler's tables of typing rules and implementations: it imports and
registers every implementation module it has (0.2-0.3 s on this project's machines).  A
cached kernel needs none of them, only the addresses of the C functions of numba's
runtime (NRT) that its machine code calls.  A kernel that has to be compiled still
gets the full set-up: numba's compiler refreshes the tables itself.  Nor do these
kernels use numba extensions: they skip numba's search of every installed package
for one (15-35 ms in the lab's environment); other code's kernels still make it.

A cache entry also lists the symbols its machine code defines.  numba's own entry
holds the kernel's LLVM module (to link it into kernels compiled later) and, on
loading, parses that module only to learn those symbols (~90 ms for the kernels of
a detection run); here the module is parsed only when a kernel being compiled
links it.  Nor does a load import the modules of its environments' globals (numba's
array implementations, ~40 ms): only object-mode code reads those globals, and
numba never caches object-mode code.  Entries are keyed by this format too: a
kernel cached by numba's own format is compiled again, once.

Whenever numba compiles or loads a kernel for some argument types, the kernel's
machine-code entry for them is written if it is missing, for later processes.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from itertools import chain

from llvmlite import binding as llvm
from numba import _dynfunc, njit, types
from numba.core.caching import CompileResultCacheImpl, FunctionCache
from numba.core.codegen import JITCodeLibrary
from numba.core.compiler import Compiler, CompileResult
from numba.core.compiler_lock import require_global_compiler_lock
from numba.core.dispatcher import Dispatcher
from numba.core.environment import Environment, lookup_environment
from numba.core.errors import NumbaNotImplementedError
from numba.np.numpy_support import as_dtype

from vidjil_kernel import machine_code
from vidjil_kernel.jit import machine_code_dir

#: the kind of a cached library serialised with its symbols (numba's own kind: "object");
#: a new one whenever the entries' pickled references change (here: this module's name)
_WITH_SYMBOLS = "vidjil-object-with-symbols-2"


class _LoadedLibrary(JITCodeLibrary):
    """A kernel's machine code from the cache; its LLVM module is parsed on first link."""

    def __init__(self, codegen, name: str, object_code: bytes, bitcode: bytes,
                 symbols: tuple[str, ...]) -> None:
        super().__init__(codegen, name)
        self._bitcode = bitcode
        self.object_code = object_code  # numba lets go of it once linked
        self.enable_object_caching()
        self._set_compiled_object(object_code)
        self._finalize_final_module()
        codegen._engine._defined_symbols.update(symbols)

    def _get_module_for_linking(self):
        if self._shared_module is None:
            self._shared_module = llvm.parse_bitcode(self._bitcode)
        return self._shared_module


def _environment(module: str, consts: list, name: str) -> Environment:
    """numba's ``_rebuild_env``, with the globals of ``module`` only if it is imported."""
    environment = lookup_environment(name)
    if environment is None:
        imported = sys.modules.get(module)
        environment = Environment(imported.__dict__ if imported else {"__name__": module})
        environment.consts[:] = consts
        environment.env_name = name
        Environment._memo[name] = environment
    return environment


class _PickledEnvironment:
    """An environment in a cache entry, unpickled by ``_environment``."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment

    def __reduce__(self):
        environment = self.environment
        return _environment, (environment.globals.get("__name__"), environment.consts,
                              environment.env_name)


class _SymbolsCacheImpl(CompileResultCacheImpl):
    """numba's cache entry of a compiled kernel, with the symbols its machine code defines."""

    def reduce(self, cres):
        (name, kind, (object_code, bitcode)), fndesc, env, *rest, referenced_envs = \
            cres._reduce()
        module = cres.library._get_module_for_linking()
        symbols = tuple(value.name for value in chain(module.functions, module.global_variables)
                        if not value.is_declaration)
        return ((name, _WITH_SYMBOLS, (object_code, bitcode, symbols)), fndesc,
                _PickledEnvironment(env), *rest,
                tuple(_PickledEnvironment(referenced) for referenced in referenced_envs))

    def rebuild(self, target_context, payload):
        """What ``CompileResult._rebuild`` does, with a ``_LoadedLibrary``."""
        (name, _, data), fndesc, env, signature, objectmode, lifted, typeann, reload_init, \
            referenced_envs = payload
        for function in reload_init:
            function()
        library = _LoadedLibrary(target_context.codegen(), name, *data)
        result = CompileResult(
            target_context=target_context, typing_context=target_context.typing_context,
            library=library, environment=env,
            entry_point=target_context.get_executable(library, fndesc, env), fndesc=fndesc,
            type_annotation=typeann, signature=signature, objectmode=objectmode,
            lifted=lifted, typing_error=None, call_helper=None, metadata=None,
            reload_init=reload_init, referenced_envs=referenced_envs)
        for referenced in referenced_envs:
            library.codegen.set_env(referenced.env_name, referenced)
        return result


class _RuntimeOnlyCache(FunctionCache):
    """numba's on-disk cache of a function, loaded with only the runtime set up."""

    _impl_class = _SymbolsCacheImpl

    def _index_key(self, sig, codegen):
        """numba's key, with this format and the sources of the kernels the kernel calls
        (numba's key has only the kernel's own code)."""
        return (*super()._index_key(sig, codegen), _WITH_SYMBOLS,
                machine_code.source_digest(self._py_func))

    def load_overload(self, sig, target_context):
        machine_code.set_up_runtime()
        with self._guard_against_spurious_io_errors():
            result = self._load_overload(sig, target_context)
        if result is not None:
            _save_machine_code(self._py_func, result, result.library.object_code)
        return result

    def save_overload(self, sig, data):
        super().save_overload(sig, data)
        _save_machine_code(self._py_func, data, data.library._get_compiled_object())


def _save_machine_code(function: Callable, result: CompileResult, object_code: bytes) -> None:
    """Write the machine-code entry of ``result`` unless it is there (or cannot be made:
    argument types or constants ``machine_code`` does not handle, numba set to make other
    code, an unwritable cache)."""
    argument_types = _machine_code_types(result.signature.args)
    build = machine_code.build_key()
    source = machine_code.source_digest(function)
    if argument_types is None or build is None or source is None:
        return
    path = machine_code.entry_path(machine_code_dir(), function, argument_types)
    if path.exists():
        return
    environments = (result.environment, *(result.referenced_envs or ()))
    described = tuple(machine_code.Environment(e.env_name, e.globals.get("__name__", ""),
                                               list(e.consts)) for e in environments)
    try:
        if b"numba" in pickle.dumps([e.consts for e in described]):
            return  # constants only numba can unpickle
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    module = result.library._get_module_for_linking()
    needed = tuple(value.name for value in chain(module.functions, module.global_variables)
                   if value.is_declaration and not value.name.startswith("llvm."))
    entry = machine_code.Entry(
        format=machine_code.ENTRY_FORMAT, build=build, source=source,
        wrapper=result.fndesc.llvm_cpython_wrapper_name,
        object_code=object_code, environments=described,
        needed=needed)
    try:
        machine_code.write_entry(path, entry)
    except OSError:
        pass


def _machine_code_types(signature: tuple) -> tuple[machine_code.ArgumentType, ...] | None:
    """numba's argument types as ``machine_code.argument_types`` tells them."""
    described: list[machine_code.ArgumentType] = []
    for argument in signature:
        try:
            if isinstance(argument, types.Array) and argument.aligned:
                dtype = as_dtype(argument.dtype)
                described.append((dtype, argument.ndim, argument.layout, not argument.mutable))
            elif isinstance(argument, types.Integer | types.Float | types.Boolean):
                dtype = as_dtype(argument)
                described.append(dtype)
            else:
                return None
        except NumbaNotImplementedError:
            return None
        if dtype.kind not in "biuf":
            return None
    return tuple(described)


class _LinkOnlyLibrary(JITCodeLibrary):
    """The code of a kernel only other kernels call, kept as LLVM IR for its callers.

    numba optimises each library's module with its callees' code linked in, then makes
    machine code of it; every caller does both again over its own module.  An inner
    kernel's machine code is never run, and its callers' optimisation covers its code:
    its library only links its callees (its functions got numba's function-level
    passes when they were added).  Nor is its environment bound (numba does that
    when it makes machine code): only code calling back into Python reads one.
    """

    def finalize(self) -> None:
        require_global_compiler_lock()
        self._raise_if_finalized()
        for library in dict.fromkeys(self._linking_libraries):
            self._reload_init.update(library._reload_init)
            self._final_module.link_in(library._get_module_for_linking(), preserve=True)
        self._final_module.verify()
        self._finalized = True


class _InnerCompiler(Compiler):
    """numba's compiler, making a ``_LinkOnlyLibrary`` and no machine code."""

    def compile_extra(self, func):
        self.state.library = _LinkOnlyLibrary(self.state.targetctx.codegen(), func.__qualname__)
        self.state.flags.no_compile = True
        result = super().compile_extra(func)
        fndesc = result.fndesc
        # numba's dispatcher keeps a function object per signature, and the lowering of a
        # call looks the kernel up by it: one without code (Python never calls an inner)
        entry_point = _dynfunc.make_function(fndesc.lookup_module(), fndesc.qualname, "", 0,
                                             result.environment, (result.library,))
        self.state.targetctx.insert_user_function(entry_point, fndesc, [result.library])
        return result._replace(entry_point=entry_point)


def inner_dispatcher(function: Callable) -> Dispatcher:
    """numba's dispatcher of a kernel only other kernels call (``vidjil_kernel.jit.inner``)."""
    return njit(nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True,
                pipeline_class=_InnerCompiler)(function)


def kernel_dispatcher(function: Callable) -> Dispatcher:
    """``njit(cache=True, nogil=True)``, loaded from the cache as this module says."""
    dispatcher = njit(nogil=True)(function)
    dispatcher._cache = _RuntimeOnlyCache(function)
    dispatcher._compilation_chain_init_hook = _no_extensions
    return dispatcher


def _no_extensions() -> None:
    """In place of numba's loading of extensions before a kernel's first call."""
