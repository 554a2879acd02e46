"""Simulate samples: a patient's clones, reads per clone, read files and their truth."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from vidjil_kernel import __version__
from vidjil_kernel.exceptions import UsageError
from vidjil_kernel.germline import Preset, load_preset
from vidjil_kernel.settings import load_settings
from vidjil_kernel.simulate import abundance
from vidjil_kernel.simulate.clones import Clone
from vidjil_kernel.simulate.layout import place_reads, read_lengths
from vidjil_kernel.simulate.noise import NOISE_KINDS, noise_templates
from vidjil_kernel.simulate.recombine import Repertoire
from vidjil_kernel.simulate.sequences import encode
from vidjil_kernel.simulate.spec import SimulationSpec, resolve_loci
from vidjil_kernel.simulate.writer import (
    chunk_count,
    write_clones_truth,
    write_reads,
    write_reads_truth,
    write_summary,
)


@dataclass(frozen=True)
class SimulatedSample:
    """The files of one simulated sample and a few figures about it."""

    name: str
    reads: Path
    reads_truth: Path
    clones_truth: Path
    summary: Path
    total_reads: int
    noise_reads: int
    clones: int
    reads_by_system: dict[str, int] = field(default_factory=dict)
    error_rate: float = 0.0


@dataclass
class _SystemClones:
    """A patient's clones at one system: those with a set share, then the background."""

    fixed: list[Clone]
    background: list[Clone]
    weights: np.ndarray


class _Patient:
    """The clones a patient carries, shared by the samples of a follow-up."""

    def __init__(self, spec: SimulationSpec, preset: Preset, loci: list[tuple[str, float]],
                 rng: np.random.Generator, diagnosis: bool) -> None:
        self.loci = loci
        self.repertoire = Repertoire(preset, [name for name, _ in loci], rng, shm=spec.shm,
                                     p_nucleotides=spec.p_nucleotides)
        recombined = spec.reads - round(spec.noise * spec.reads)
        total_clones = spec.clones or abundance.default_clone_count(recombined)
        self.dominant_share = (spec.dominant_fraction if spec.dominant_fraction is not None
                               else abundance.dominant_fraction(rng))
        self.tracer_system = max(loci, key=lambda pair: pair[1])[0]
        self.systems: dict[str, _SystemClones] = {}
        self.minor_shares: dict[str, list[float]] = {}
        for name, weight in loci:
            fixed = []
            if diagnosis:
                fixed += self.repertoire.draw_clones(name, "dominant", 1)
                self.minor_shares[name] = abundance.minor_fractions(rng)
                fixed += self.repertoire.draw_clones(name, "minor", len(self.minor_shares[name]))
            elif spec.mode == "mrd" and name == self.tracer_system:
                fixed += self.repertoire.draw_clones(name, "tracer", 1)
            count = max(1, round(total_clones * weight))
            background = self.repertoire.draw_clones(name, "background", count)
            self.systems[name] = _SystemClones(fixed, background,
                                               abundance.background_weights(rng, count))


def _germline(spec: SimulationSpec) -> tuple[Preset, list[tuple[str, float]]]:
    spec.check()
    germline_dir = spec.germline_dir or load_settings().germline_dir
    preset = load_preset(spec.germline, germline_dir)
    return preset, resolve_loci(spec, preset)


def _seeds(spec: SimulationSpec, samples: int) -> list[np.random.Generator]:
    """The patient's generator, then one per sample (independent streams of one seed)."""
    children = np.random.SeedSequence(spec.seed).spawn(1 + samples)
    return [np.random.default_rng(child) for child in children]


def simulate(spec: SimulationSpec, out_dir: str | Path) -> SimulatedSample:
    """Simulate one sample into ``out_dir``: ``<name>.fastq.gz`` (or .fasta, plain),
    ``<name>.reads.tsv``, ``<name>.clones.tsv`` and ``<name>.simulation.json``.

    Raises :class:`~vidjil_kernel.exceptions.UsageError` for options out of range or
    unknown loci, :class:`~vidjil_kernel.exceptions.GermlineError` when the germline
    is not built.
    """
    preset, loci = _germline(spec)
    patient_rng, sample_rng = _seeds(spec, 1)
    patient = _Patient(spec, preset, loci, patient_rng, diagnosis=spec.mode == "diagnosis")
    return _write_sample(spec, patient, Path(out_dir), spec.name, sample_rng,
                         patient.dominant_share, timepoint=None)


def simulate_follow_up(spec: SimulationSpec, out_dir: str | Path,
                       timepoints: int) -> list[SimulatedSample]:
    """Samples ``<name>-t1`` ... ``<name>-tN`` of one patient sharing their clones.

    The first is a diagnosis; the dominant clone then falls to 1e-2, 1e-4, ... of its
    locus' reads, while background clones persist with drifting abundances.
    """
    if timepoints < 1:
        raise UsageError(f"--timepoints must be at least 1 (got {timepoints})")
    if spec.mode != "diagnosis":
        raise UsageError(
            f"a follow-up starts with a diagnosis: use mode 'diagnosis', not {spec.mode!r}"
        )
    preset, loci = _germline(spec)
    patient_rng, *sample_rngs = _seeds(spec, timepoints)
    patient = _Patient(spec, preset, loci, patient_rng, diagnosis=True)
    shares = abundance.follow_up_fractions(patient.dominant_share, timepoints)
    return [
        _write_sample(spec, patient, Path(out_dir), f"{spec.name}-t{index + 1}", rng, share,
                      timepoint=index)
        for index, (rng, share) in enumerate(zip(sample_rngs, shares, strict=True))
    ]


def _counts(spec: SimulationSpec, patient: _Patient, rng: np.random.Generator,
            recombined: int, dominant_share: float,
            timepoint: int | None) -> tuple[list[Clone], list[int]]:
    """Every clone of the patient with its reads in this sample (zeros left out)."""
    shares = abundance.allocate(recombined, [weight for _, weight in patient.loci])
    clones: list[Clone] = []
    counts: list[int] = []
    for (name, _), reads in zip(patient.loci, shares.tolist(), strict=True):
        system = patient.systems[name]
        minor_shares = iter(patient.minor_shares.get(name, []))
        wanted = []
        for clone in system.fixed:
            if clone.role == "dominant":
                wanted.append(round(dominant_share * reads))
            elif clone.role == "minor":
                wanted.append(round(next(minor_shares) * reads))
            else:  # the MRD tracer: a share of all the reads of the sample
                wanted.append(round(spec.tracer_fraction * spec.reads))
        weights = system.weights
        if timepoint:
            weights = abundance.drifted(rng, weights)
        fixed, background = abundance.sample_counts(rng, reads, wanted, weights)
        for clone, count in zip(system.fixed + system.background,
                                fixed + background.tolist(), strict=True):
            if count:
                clones.append(clone)
                counts.append(count)
    return clones, counts


@dataclass
class _Reads:
    """Every read of a sample, in file order: its template and where it lies on it.

    ``templates[i]`` below the number of clones is the read's clone; above, the read
    is noise, of kind ``noise_kinds[templates[i] - clones]``.  ``offsets`` locate each
    read's template in ``pool``; ``starts``/``lengths`` place the read on it.
    """

    pool: np.ndarray
    templates: np.ndarray
    offsets: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    reverse: np.ndarray
    noise_kinds: np.ndarray


def _lay_out_reads(spec: SimulationSpec, patient: _Patient, rng: np.random.Generator,
                   clones: list[Clone], counts: list[int], noise_reads: int) -> _Reads:
    """Reads of the clones (grouped), then noise reads, then shuffled into file order."""
    recombined = spec.reads - noise_reads
    molecules = [encode(clone.sequence) for clone in clones]
    molecule_lengths = np.array([len(m) for m in molecules], dtype=np.int64)
    molecule_offsets = np.concatenate([[0], np.cumsum(molecule_lengths)[:-1]]).astype(np.int64)
    clone_of_read = np.repeat(np.arange(len(clones)), counts)
    lengths = read_lengths(rng, spec.reads, spec.read_length)
    starts = np.zeros(spec.reads, dtype=np.int64)
    templates = np.concatenate([clone_of_read,
                                len(clones) + np.arange(noise_reads)]).astype(np.int64)
    start_max = np.array([c.read_start_max for c in clones], dtype=np.int64)
    end_min = np.array([c.read_end_min for c in clones], dtype=np.int64)
    starts[:recombined], lengths[:recombined] = place_reads(
        rng, lengths[:recombined], molecule_lengths[clone_of_read], start_max[clone_of_read],
        end_min[clone_of_read])
    kinds, noise_pool, noise_offsets = noise_templates(
        rng, lengths[recombined:], patient.repertoire.germline_alleles("V"),
        patient.repertoire.germline_alleles("J"))
    pool = np.concatenate(molecules + [noise_pool]) if molecules else noise_pool
    offsets = np.concatenate([molecule_offsets[clone_of_read],
                              int(molecule_lengths.sum()) + noise_offsets]).astype(np.int64)
    reverse = rng.random(spec.reads) < 0.5
    order = rng.permutation(spec.reads)
    return _Reads(pool, templates[order], offsets[order], starts[order], lengths[order],
                  reverse[order], kinds)


def _write_sample(spec: SimulationSpec, patient: _Patient, out_dir: Path, name: str,
                  rng: np.random.Generator, dominant_share: float,
                  timepoint: int | None) -> SimulatedSample:
    noise_reads = round(spec.noise * spec.reads)
    clones, counts = _counts(spec, patient, rng, spec.reads - noise_reads, dominant_share,
                             timepoint)
    reads = _lay_out_reads(spec, patient, rng, clones, counts, noise_reads)

    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = (".fasta" if spec.fasta else ".fastq") + (".gz" if spec.gzip else "")
    paths = {key: out_dir / f"{name}{ext}" for key, ext in (
        ("reads", suffix), ("reads_truth", ".reads.tsv"), ("clones_truth", ".clones.tsv"),
        ("summary", ".simulation.json"))}
    prefix = f"{name}-"
    seeds = rng.integers(0, 2**31 - 1, chunk_count(spec.reads))
    with tqdm(total=spec.reads, unit=" reads", unit_scale=True, desc=name,
              disable=not spec.progress, leave=False) as bar:
        errors = write_reads(paths["reads"], pool=reads.pool, offsets=reads.offsets,
                             starts=reads.starts, lengths=reads.lengths, reverse=reads.reverse,
                             prefix=prefix, errors=spec.errors, fasta=spec.fasta,
                             compress=spec.gzip, seeds=seeds, progress=bar.update)
    write_reads_truth(paths["reads_truth"], prefix=prefix, templates=reads.templates,
                      clones=clones, noise_kinds=reads.noise_kinds, reverse=reads.reverse,
                      errors=errors, starts=reads.starts, lengths=reads.lengths)
    write_clones_truth(paths["clones_truth"], clones, counts)

    reads_by_system = {system: 0 for system, _ in patient.loci}
    for clone, count in zip(clones, counts, strict=True):
        reads_by_system[clone.system] += count
    error_rate = float(errors.sum() / max(1, reads.lengths.sum()))
    noise_by_kind = {kind: int((reads.noise_kinds == index).sum())
                     for index, kind in enumerate(NOISE_KINDS)}
    settings = {key: (str(value) if isinstance(value, Path) else value)
                for key, value in dataclasses.asdict(spec).items() if key != "progress"}
    write_summary(paths["summary"], {
        "producer": f"vidjil simulate {__version__}", "spec": settings, "sample": name,
        "timepoint": None if timepoint is None else timepoint + 1,
        "dominant_share": dominant_share if any(c.role == "dominant" for c in clones) else None,
        "reads": spec.reads, "noise_reads": noise_by_kind, "reads_by_system": reads_by_system,
        "clones": len(clones), "error_rate": round(error_rate, 6),
        "files": {key: path.name for key, path in paths.items()},
    })
    return SimulatedSample(
        name=name, reads=paths["reads"], reads_truth=paths["reads_truth"],
        clones_truth=paths["clones_truth"], summary=paths["summary"], total_reads=spec.reads,
        noise_reads=noise_reads, clones=len(clones), reads_by_system=reads_by_system,
        error_rate=error_rate,
    )
