"""`python -m vidjil_kernel` is the `vidjil` command."""

from vidjil_kernel.cli import main

main()
