"""Kernels (``vidjil_kernel.jit.kernel``) load from numba's cache, and link when compiled.

Each step runs in a process of its own, as numba's cache is for later processes:
a kernel loaded from the cache, whose LLVM module is parsed only when needed, must
still link into a kernel that calls it and is compiled afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

KERNELS = '''
from vidjil_kernel.jit import kernel


@kernel
def leaf(x):
    return x * 2 + 1


@kernel
def caller(x):
    return leaf(x) + 100
'''

#: calls the named kernels in order, then prints each one's results and cache hits/misses
CALL = """
import json, sys
import kernels

out = {}
for name in sys.argv[1:]:
    dispatcher = getattr(kernels, name)
    out[name] = [dispatcher(3), dispatcher(2.5), sum(dispatcher.stats.cache_hits.values()),
                 sum(dispatcher.stats.cache_misses.values())]
print(json.dumps(out))
"""


def _call(tmp_path: Path, *names: str) -> dict[str, list]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    done = subprocess.run([sys.executable, "-c", CALL, *names], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_loaded_kernel_links_into_a_kernel_compiled_later(tmp_path: Path) -> None:
    (tmp_path / "kernels.py").write_text(KERNELS)
    assert _call(tmp_path, "leaf") == {"leaf": [7, 6.0, 0, 2]}
    assert _call(tmp_path, "leaf", "caller") == {"leaf": [7, 6.0, 2, 0],
                                                 "caller": [107, 106.0, 0, 2]}
    assert _call(tmp_path, "caller", "leaf") == {"caller": [107, 106.0, 2, 0],
                                                 "leaf": [7, 6.0, 2, 0]}
