"""`vidjil designate`: V(D)J designation of single sequences (no clustering).

Like ``vidjil-algo -c designations``: every sequence (reads files or sequences
given on the command line) is designated on its own, and printed as a TSV row.
With ``--should-vdj DIR`` it scores a collection of curated ``.should-vdj.fa``
files instead and prints the conformance table.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from vidjil_kernel.exceptions import InputFormatError, UsageError
from vidjil_kernel.settings import load_settings

COLUMNS = ("sequence_id", "rev_comp", "locus", "designation", "v_call", "d_call", "j_call",
           "junction", "junction_aa", "productive", "unproductive", "evalue", "warnings")
_BASES = re.compile(r"[ACGTNacgtn]+")


def _records(sources: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(name, sequence) of reads files (FASTA/FASTQ) and of sequences given as arguments."""
    from vidjil_kernel.reads import read_batches

    for number, source in enumerate(sources, start=1):
        if _BASES.fullmatch(source) and (len(source) > 255 or not Path(source).exists()):
            yield f"sequence_{number}", source.upper()
            continue
        if not Path(source).is_file():
            raise InputFormatError(source, "neither a file nor a nucleotide sequence")
        for batch in read_batches(source):
            for i in range(batch.n):
                yield batch.name(i), batch.sequence(i)


@click.command()
@click.argument("sources", nargs=-1)
@click.option("-g", "--germline", "spec", default="homo-sapiens", show_default=True,
              metavar="PRESET[:SYSTEMS]", help="Germline preset (name or .g file).")
@click.option("-2", "unexpected", is_flag=True,
              help="Also try unexpected recombinations between loci (xxx).")
@click.option("--should-vdj", "should_vdj", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Score the curated .should-vdj.fa files of this folder.")
def designate(sources: tuple[str, ...], spec: str, unexpected: bool,
              should_vdj: Path | None) -> None:
    """Designate SOURCES (FASTA/FASTQ files or sequences): one TSV row per sequence.

    The system and strand of each sequence come from the k-mer detection of `vidjil
    detect`; sequences it cannot place are compared with every system.
    """
    from vidjil_kernel.detect.pipeline import DetectOptions, Detector
    from vidjil_kernel.germline import load_preset

    preset = load_preset(spec, load_settings().germline_dir)
    detector = Detector(preset, DetectOptions(unexpected=unexpected))
    if should_vdj is not None:
        _conformance(should_vdj, preset, detector)
        return
    if not sources:
        raise UsageError("give FASTA files or sequences to designate (or --should-vdj DIR)")
    click.echo("\t".join(COLUMNS))
    for name, sequence in _records(sources):
        reverse, chosen = detector.designate_sequences([sequence])[0]
        junction = chosen.junction
        row = [name, str(reverse), chosen.locus, chosen.name,
               chosen.v.call if chosen.v else "",
               ",".join(d.name for d in chosen.d),
               chosen.j.call if chosen.j else "",
               junction.nt if junction else "", junction.aa if junction else "",
               "" if junction is None else str(junction.productive),
               (junction.unproductive or "") if junction else "",
               "" if chosen.evalue is None else f"{chosen.evalue:.3g}",
               "; ".join(chosen.warnings)]
        click.echo("\t".join(row))
    sys.stdout.flush()


def _conformance(folder: Path, preset, detector) -> None:
    from vidjil_kernel.designate.conformance import known_names, run_collection

    if not folder.is_dir():
        raise UsageError(f"--should-vdj: {folder} is not a folder")
    alleles = [a for file in preset.files for a in preset.alleles(file)]
    report = run_collection(folder, lambda s: detector.designate_sequences([s])[0][1],
                            known_names([a.name for a in alleles]),
                            {a.name: len(a.sequence) for a in alleles})
    click.echo(report.table())
    for failure in report.failures():
        click.echo(f"wrong {failure.name} [{failure.reason}]: expected {failure.header}; "
                   f"found {failure.designation} [{failure.locus_found}]")
