"""`vidjil detect`: find V(D)J recombinations and clones in reads files."""

from __future__ import annotations

import math
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vidjil_kernel.exceptions import UsageError
from vidjil_kernel.settings import load_settings

if TYPE_CHECKING:
    from vidjil_kernel.detect.pipeline import DetectOptions
    from vidjil_kernel.germline import Preset

READS_SUFFIXES = (".fastq", ".fq", ".fasta", ".fa", ".fna", ".txt")


class AllOr(click.ParamType):
    """A number, or ``all`` meaning no limit."""

    def __init__(self, kind: type) -> None:
        self.kind = kind
        self.name = f"{kind.__name__}|all"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None):
        if value is None or isinstance(value, self.kind):
            return value
        if str(value).lower() == "all":
            return "all"
        try:
            number = self.kind(value)
        except ValueError:
            self.fail(f"{value!r} is neither a {self.kind.__name__} nor 'all'", param, ctx)
        if number < 0:
            self.fail(f"{value!r} is negative", param, ctx)
        return number


def output_stem(source: str) -> str:
    """``sample.fastq.gz`` -> ``sample``; standard input -> ``stdin``."""
    if source == "-":
        return "stdin"
    name = Path(source).name
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix in READS_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


@click.command(context_settings={"show_default": True})
@click.argument("reads", nargs=-1, required=True)
@click.option("-g", "--germline", "preset_spec", metavar="PRESET[:SYSTEMS]",
              help="Germline preset, e.g. homo-sapiens or homo-sapiens:IGH,TRG "
                   "(default: homo-sapiens unless -V/-J are given).")
@click.option("-V", "v_files", multiple=True, metavar="FILE", help="Custom V germline FASTA.")
@click.option("-D", "d_files", multiple=True, metavar="FILE", help="Custom D germline FASTA.")
@click.option("-J", "j_files", multiple=True, metavar="FILE", help="Custom J germline FASTA.")
@click.option("-o", "--out-dir", default="out", type=click.Path(file_okay=False, path_type=Path),
              help="Directory of the outputs <name>.vidjil and <name>.airr.tsv.")
@click.option("-w", "--window", default="50", type=AllOr(int),
              help="Window length (nt) centred on the junction; reads with the same window "
                   "form a clone; 'all': the whole read.")
@click.option("-e", "--e-value", "evalue", default="1", type=AllOr(float),
              help="Maximal e-value to analyse a read (expected chance detections in the "
                   "file; 'all': no threshold).")
@click.option("-z", "--max-designations", default="100", type=AllOr(int),
              help="Clones (by read count) given a full V(D)J designation; 'all' for every one.")
@click.option("-r", "--min-reads", default=5, type=click.IntRange(min=1),
              help="Reads a clone needs to be reported.")
@click.option("-2", "unexpected", is_flag=True,
              help="Also detect unexpected recombinations (a V of one locus with a J of "
                   "another), reported as locus 'xxx'.")
@click.option("-t", "--threads", type=click.IntRange(min=1), metavar="N",
              help="Threads for the V(D)J designations (most useful with -z all; "
                   "default: the CPUs this process may use).")
@click.option("--per-read", is_flag=True,
              help="Also write <name>.reads.airr.tsv: one row per analysed read with its clone.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar nor summary.")
@click.option("--germline-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory of presets and germline sequences (setting germline_dir).")
def detect(reads: tuple[str, ...], preset_spec: str | None, v_files: tuple[str, ...],
           d_files: tuple[str, ...], j_files: tuple[str, ...], out_dir: Path,
           window: int | str, evalue: float | str, max_designations: int | str,
           min_reads: int, unexpected: bool, threads: int | None, per_read: bool, quiet: bool,
           germline_dir: Path | None) -> None:
    """Detect V(D)J recombinations in READS (FASTA/FASTQ, gzipped or not; '-' for stdin).

    Writes, per input, OUT_DIR/<name>.vidjil (Vidjil web client format) and
    OUT_DIR/<name>.airr.tsv (AIRR rearrangements, one row per clone).
    """
    from vidjil_kernel.detect.pipeline import Detector
    from vidjil_kernel.detect.run import analyse_file
    from vidjil_kernel.detect.warmup import ensure_compiled

    if reads.count("-") > 1:
        raise UsageError("standard input ('-') can be read only once")
    stems = [output_stem(r) for r in reads]
    if len(set(stems)) != len(stems):
        raise UsageError("two inputs would write the same outputs: "
                         + ", ".join(sorted({s for s in stems if stems.count(s) > 1})))
    options = detect_options(window, evalue, min_reads, max_designations, unexpected,
                             threads or len(os.sched_getaffinity(0)))
    preset = detect_preset(preset_spec, v_files, d_files, j_files,
                           germline_dir or load_settings().germline_dir)
    ensure_compiled(preset)
    detector = Detector(preset, options)
    commandline = shlex.join(["vidjil", *sys.argv[1:]])
    for source, stem in zip(reads, stems, strict=True):
        started = time.monotonic()
        result = analyse_file(detector, source, out_dir, stem, per_read=per_read,
                              quiet=quiet, commandline=commandline)
        if not quiet:
            share = 100.0 * result.analysed_reads / max(result.total_reads, 1)
            rate = result.total_reads / max(time.monotonic() - started, 1e-9)
            top = result.clones[0] if result.clones else None
            click.echo(f"{source}: {result.total_reads} reads ({rate:,.0f} reads/s), "
                       f"{result.analysed_reads} analysed ({share:.1f}%), "
                       f"{len(result.clones)} clones"
                       + (f"; top: {top.reads} reads {top.locus} {top.name}" if top else "")
                       + f" -> {out_dir / stem}.vidjil", err=True)


def detect_options(window: int | str, evalue: float | str, min_reads: int,
                   max_designations: int | str, unexpected: bool,
                   threads: int = 1) -> DetectOptions:
    """The engine's options from this command's option values (analysis configs use it too)."""
    from vidjil_kernel.detect.pipeline import DetectOptions

    if window != "all" and 0 < int(window) < 10:
        raise UsageError(f"window {window} is too short (at least 10 nt, or 'all')")
    return DetectOptions(
        window=0 if window == "all" else int(window),
        evalue=math.inf if evalue == "all" else float(evalue),
        min_reads=min_reads,
        max_designations=None if max_designations == "all" else int(max_designations),
        unexpected=unexpected,
        threads=threads,
    )


def detect_preset(preset_spec: str | None, v_files: Sequence[str], d_files: Sequence[str],
                  j_files: Sequence[str], germline_dir: Path) -> Preset:
    """The germline of ``-g`` or of ``-V/-D/-J`` (built sequences required)."""
    from vidjil_kernel.germline import custom_preset, load_preset

    if preset_spec and (v_files or j_files or d_files):
        raise UsageError("give either -g PRESET or custom germline files -V/-D/-J, not both")
    if v_files or j_files or d_files:
        return custom_preset(list(v_files), list(d_files), list(j_files))
    return load_preset(preset_spec or "homo-sapiens", germline_dir)
