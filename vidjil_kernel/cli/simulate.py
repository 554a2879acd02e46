"""`vidjil simulate`: synthetic reads of V(D)J recombinations with their ground truth."""

from __future__ import annotations

from pathlib import Path

import click

from vidjil_kernel.exceptions import UsageError


@click.command()
@click.option("-g", "--germline", default="homo-sapiens", show_default=True, metavar="PRESET",
              help="Germline preset (name or .g file).")
@click.option("--loci", default=None, metavar="LOCUS:WEIGHT,...",
              help="Systems and their share of the recombined reads, e.g. IGH:0.5,TRG:0.5 "
                   "(a bare LOCUS weighs 1). Incomplete systems (IGH+, TRB+, TRD+, TRA+D) may "
                   "be named: without genomic flanks, their reads start in the D. "
                   "[default: every complete locus, equally]")
@click.option("--reads", type=int, default=100_000, show_default=True, help="Reads to write.")
@click.option("--read-length", type=int, default=250, show_default=True,
              help="Mean read length (nt); reads of shorter molecules are shorter.")
@click.option("--mode", type=click.Choice(["polyclonal", "diagnosis", "mrd"]), default=None,
              help="polyclonal: power-law clone sizes; diagnosis: a dominant clone per locus "
                   "(30-80%), minor clones, polyclonal background; mrd: background plus a "
                   "tracer clone at --tracer-fraction. [default: polyclonal, or diagnosis "
                   "with --timepoints]")
@click.option("--tracer-fraction", type=float, default=1e-4, show_default=True,
              help="Share of all reads of the MRD tracer clone.")
@click.option("--dominant-fraction", type=float, default=None,
              help="Share of its locus' reads of the dominant clone (diagnosis) "
                   "[default: random in 0.3-0.8].")
@click.option("--noise", type=float, default=0.05, show_default=True,
              help="Share of reads without recombination (random, germline V or J fragments).")
@click.option("--errors", type=click.Choice(["illumina", "iontorrent", "none"]),
              default="illumina", show_default=True, help="Sequencing error model.")
@click.option("--clones", type=int, default=None,
              help="Background clones [default: one per 10 recombined reads, 10-30,000].")
@click.option("--timepoints", type=int, default=1, show_default=True,
              help="Write N samples of one patient (<name>-t1 ... -tN): diagnosis, then the "
                   "dominant clone at 1e-2, 1e-4, ... of its locus.")
@click.option("--name", default="sample", show_default=True, help="Sample name (file stem).")
@click.option("--fasta", is_flag=True, help="Write FASTA instead of FASTQ.")
@click.option("--gzip/--no-gzip", "compress", default=True, show_default=True,
              help="Gzip the reads.")
@click.option("--shm/--no-shm", default=True, show_default=True,
              help="Somatic hypermutation of IG V genes.")
@click.option("--p-nucleotides/--no-p-nucleotides", default=True, show_default=True,
              help="Palindromic nucleotides at untrimmed segment ends.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Random seed: the same seed gives the same files, byte for byte.")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Output directory.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def simulate(germline: str, loci: str | None, reads: int, read_length: int, mode: str | None,
             tracer_fraction: float, dominant_fraction: float | None, noise: float,
             errors: str, clones: int | None, timepoints: int, name: str, fasta: bool,
             compress: bool, shm: bool, p_nucleotides: bool, seed: int, out_dir: Path,
             quiet: bool) -> None:
    """Simulate reads of V(D)J recombinations, with the truth per read and per clone.

    Writes OUT/NAME.fastq.gz, NAME.reads.tsv (clone, locus, strand, noise kind and
    errors of each read), NAME.clones.tsv (AIRR-style: calls, deletions, N regions,
    junction, productivity, reads) and NAME.simulation.json.
    """
    from vidjil_kernel.simulate import SimulationSpec, parse_loci, simulate, simulate_follow_up

    if timepoints < 1:
        raise UsageError(f"--timepoints must be at least 1 (got {timepoints})")
    if mode is None:
        mode = "diagnosis" if timepoints > 1 else "polyclonal"
    spec = SimulationSpec(
        germline=germline, loci=parse_loci(loci) if loci is not None else (), reads=reads,
        read_length=read_length, mode=mode, tracer_fraction=tracer_fraction,
        dominant_fraction=dominant_fraction, noise=noise, errors=errors, clones=clones,
        name=name, fasta=fasta, gzip=compress, seed=seed, shm=shm, p_nucleotides=p_nucleotides,
        progress=not quiet,
    )
    if timepoints > 1:
        samples = simulate_follow_up(spec, out_dir, timepoints)
    else:
        samples = [simulate(spec, out_dir)]
    for sample in samples:
        systems = ", ".join(f"{system} {count}" for system, count in
                            sample.reads_by_system.items())
        click.echo(f"{sample.reads}: {sample.total_reads} reads ({systems}; "
                   f"{sample.noise_reads} noise), {sample.clones} clones, "
                   f"{sample.error_rate:.2%} errors")
        click.echo(f"  truth: {sample.reads_truth}, {sample.clones_truth}")
