"""`vidjil designate`: V(D)J designation of single sequences (no clustering).

Like ``vidjil-algo -c designations``: every sequence (FASTA files or sequences
given on the command line) is designated on its own against every system of the
preset, on both strands, and printed as a TSV row.  With ``--should-vdj DIR``
it scores a collection of curated ``.should-vdj.fa`` files instead and prints
the conformance table.
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
    """(name, sequence) of FASTA files and of sequences given as arguments."""
    for number, source in enumerate(sources, start=1):
        if _BASES.fullmatch(source):
            yield f"sequence_{number}", source.upper()
            continue
        path = Path(source)
        if not path.is_file():
            raise InputFormatError(source, "neither a file nor a nucleotide sequence")
        name, chunks, line_of_name = None, [], 0
        try:
            lines = path.read_text(encoding="ascii").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise InputFormatError(source, f"cannot read as a FASTA text file ({error})") from None
        for line_number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if line.startswith(">"):
                if name is not None:
                    yield name, "".join(chunks)
                name, chunks, line_of_name = line[1:].split(" ", 1)[0], [], line_number
            elif line and not line.startswith("#"):
                if name is None:
                    raise InputFormatError(source, "sequence before the first '>' header",
                                           line=line_number)
                if not _BASES.fullmatch(line):
                    raise InputFormatError(source, "characters other than A, C, G, T, N",
                                           line=line_number)
                chunks.append(line.upper())
        if name is not None:
            if not chunks:
                raise InputFormatError(source, f"record {name} has no sequence",
                                       line=line_of_name)
            yield name, "".join(chunks)


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
    """Designate SOURCES (FASTA files or sequences): one TSV row per sequence."""
    from vidjil_kernel.designate import designate_best
    from vidjil_kernel.designate.bank import reverse_complement
    from vidjil_kernel.germline import load_preset

    preset = load_preset(spec, load_settings().germline_dir)
    if should_vdj is not None:
        _conformance(should_vdj, preset, unexpected)
        return
    if not sources:
        raise UsageError("give FASTA files or sequences to designate (or --should-vdj DIR)")
    click.echo("\t".join(COLUMNS))
    for name, sequence in _records(sources):
        forward = designate_best(sequence, preset, unexpected=unexpected)
        backward = designate_best(reverse_complement(sequence), preset, unexpected=unexpected)
        reverse = _score(backward) > _score(forward)
        chosen = backward if reverse else forward
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


def _score(designation) -> float:
    return sum(call.score or 0.0 for call in designation.segments())


def _conformance(folder: Path, preset, unexpected: bool) -> None:
    from vidjil_kernel.designate import designate_best
    from vidjil_kernel.designate.conformance import known_names, run_collection

    if not folder.is_dir():
        raise UsageError(f"--should-vdj: {folder} is not a folder")
    alleles = [a for file in preset.files for a in preset.alleles(file)]
    report = run_collection(folder, lambda s: designate_best(s, preset, unexpected=unexpected),
                            known_names([a.name for a in alleles]),
                            {a.name: len(a.sequence) for a in alleles})
    click.echo(report.table())
    for failure in report.failures():
        click.echo(f"wrong {failure.name} [{failure.reason}]: expected {failure.header}; "
                   f"found {failure.designation} [{failure.locus_found}]")
