"""`python -m vidjil_kernel` is the `vidjil` command."""

from vidjil_kernel.cli import run

run()
