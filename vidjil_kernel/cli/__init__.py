"""The `vidjil` command.

Each subcommand lives in its own module of this package and is imported only
when it runs, so that `vidjil detect` does not pay for the database or the hub.

Exit codes: 0 success; 1 bad input or failed analysis (message on stderr, no
traceback); 2 usage error; 4 the lab database needs `vidjil db upgrade`; other
codes are documented by the subcommand.  Lab commands share `--data-dir` and
`--db-url` (``cli/options.py``).
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading

import click

from vidjil_kernel import __version__
from vidjil_kernel.exceptions import VidjilError

#: subcommand name -> "module:attribute" of its click command
COMMANDS: dict[str, str] = {
    "config": "vidjil_kernel.cli.configs:config",
    "db": "vidjil_kernel.cli.db:db",
    "designate": "vidjil_kernel.cli.designate:designate",
    "detect": "vidjil_kernel.cli.detect:detect",
    "germline": "vidjil_kernel.cli.germline:germline",
    "group": "vidjil_kernel.cli.groups:group",
    "job": "vidjil_kernel.cli.jobs:job",
    "runner": "vidjil_kernel.cli.runner:runner",
    "set": "vidjil_kernel.cli.sets:set_",
    "simulate": "vidjil_kernel.cli.simulate:simulate",
    "up": "vidjil_kernel.cli.up:up",
    "user": "vidjil_kernel.cli.users:user",
    "worker": "vidjil_kernel.cli.workers:worker",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vidjil")
def cli() -> None:
    """Vidjil Lab: V(D)J clone detection and the immune-repertoire lab server."""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors become a one-line message and a non-zero exit."""
    try:
        cli.main(args=argv, prog_name="vidjil", standalone_mode=False)
    except VidjilError as error:
        click.echo(f"vidjil: error: {error}", err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("vidjil: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except BrokenPipeError:
        sys.exit(1)


#: commands whose process holds numba's compiled kernels, which the interpreter's
#: teardown frees piece by piece (0.3-0.4 s after a detection)
QUICK_EXIT = frozenset({"designate", "detect", "simulate"})


def run() -> None:
    """The `vidjil` program (console script and ``python -m vidjil_kernel``): ``main``.

    After a ``QUICK_EXIT`` command, the other (non-daemon) threads end, the exit handlers
    run and the standard streams are flushed, then the process ends without the
    interpreter's teardown: the operating system frees its memory at once.  Not under a
    profiler or a tracer (they write their results at the end of the program), and
    tests call ``main``, which returns.
    """
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in QUICK_EXIT or sys.getprofile() or sys.gettrace():
        main()
        return
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
    for thread in threading.enumerate():  # as the interpreter would: wait for them first
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
