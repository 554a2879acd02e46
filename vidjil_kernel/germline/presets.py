"""Germline presets: Vidjil's ``.g`` JSON files, and custom germlines from -V/-D/-J files.

A preset lists *systems* (IGH, TRG, IGH+ for incomplete D-J, ...).  Each system has
one or more *recombinations* naming the FASTA files of its 5' (V, or D for incomplete
rearrangements), 4 (D) and 3' (J) sides, plus the seed of its k-mer index.  Our ``.g``
files add ``unavailable``: systems of Vidjil's presets whose sequences no package ships.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from vidjil_kernel.exceptions import GermlineError, InputFormatError, UsageError
from vidjil_kernel.germline.alleles import LOCI, Allele, read_germline_fasta

#: seed of a custom germline's index (Vidjil's default seed)
CUSTOM_SEED = "10s"
CUSTOM_COLOR = "#839496"

_SIDES = (("5", "five", "V"), ("4", "four", "D"), ("3", "three", "J"))


@dataclass(frozen=True)
class Recombination:
    """FASTA files of each side of one kind of recombination (``five`` = 5', ...)."""

    five: list[str]
    four: list[str] = field(default_factory=list)
    three: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return [*self.five, *self.four, *self.three]


@dataclass(frozen=True)
class System:
    """A germline system (a locus, or incomplete recombinations of one)."""

    name: str
    shortcut: str
    color: str
    description: str
    recombinations: list[Recombination]
    seed: str
    follows: str | None = None

    @property
    def files(self) -> list[str]:
        """Every FASTA file of the system, once, in recombination order."""
        return list(dict.fromkeys(f for r in self.recombinations for f in r.files))


@dataclass
class Preset:
    """A species' systems and the directory of their FASTA files.

    ``alleles(file_name)`` reads a file once and keeps it (files of custom presets are
    absolute paths; preset files are relative to ``directory``).
    """

    species: str
    directory: Path
    systems: dict[str, System]
    unavailable: dict[str, str] = field(default_factory=dict)
    species_taxon_id: int | None = None
    source: Path | None = None
    notes: str = ""
    _cache: dict[str, list[Allele]] = field(default_factory=dict, repr=False)

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(f for s in self.systems.values() for f in s.files))

    def path(self, file_name: str) -> Path:
        return self.directory / file_name

    def alleles(self, file_name: str) -> list[Allele]:
        if file_name not in self._cache:
            segment = _segment_of_file(self, file_name)
            self._cache[file_name] = read_germline_fasta(self.path(file_name), segment)
        return self._cache[file_name]


def _segment_of_file(preset: Preset, file_name: str) -> str | None:
    """V/D/J of a file from its name (``IGHV.fa``) or the side it sits on in a custom preset."""
    stem = Path(file_name).name[:4]
    if stem[:3] in LOCI and stem[3:] in ("V", "D", "J"):
        return stem[3]
    for system in preset.systems.values():
        for recombination in system.recombinations:
            for _, attribute, segment in _SIDES:
                if file_name in getattr(recombination, attribute):
                    return segment
    return None


def _load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise GermlineError(f"cannot read preset {path}: {error.strerror}",
                            build_hint=False) from None
    except ValueError as error:
        raise InputFormatError(str(path), f"not valid JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("systems"), dict):
        raise InputFormatError(str(path), "a germline preset needs an object 'systems'",
                               field="systems")
    return data


def _files_list(path: Path, system: str, value: object, side: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputFormatError(str(path), "a list of FASTA file names is expected",
                               field=f"systems.{system}.recombinations.{side}")
    return list(value)


def _system(path: Path, name: str, raw: object) -> System:
    if not isinstance(raw, dict):
        raise InputFormatError(str(path), "a system must be an object", field=f"systems.{name}")
    recombinations = []
    for item in raw.get("recombinations") or []:
        if not isinstance(item, dict):
            raise InputFormatError(str(path), "a recombination must be an object",
                                   field=f"systems.{name}.recombinations")
        five, four, three = (_files_list(path, name, item.get(key), key) for key, _, _ in _SIDES)
        if not five or not three:
            raise InputFormatError(str(path), "a recombination needs 5' and 3' files",
                                   field=f"systems.{name}.recombinations")
        recombinations.append(Recombination(five, four, three))
    if not recombinations:
        raise InputFormatError(str(path), "no recombination",
                               field=f"systems.{name}.recombinations")
    parameters = raw.get("parameters") or {}
    return System(
        name=name,
        shortcut=str(raw.get("shortcut", "")),
        color=str(raw.get("color", "")),
        description=str(raw.get("description", "")),
        recombinations=recombinations,
        seed=str(parameters.get("seed", CUSTOM_SEED)),
        follows=raw.get("follows"),
    )


def read_preset(path: Path, germline_dir: Path | None = None) -> Preset:
    """Every system of a ``.g`` file; its FASTA files are in ``<dir of .g>/<path>``."""
    data = _load_json(path)
    systems = {name: _system(path, name, raw) for name, raw in data["systems"].items()}
    unavailable = data.get("unavailable") or {}
    if not isinstance(unavailable, dict):
        raise InputFormatError(str(path), "an object system -> reason is expected",
                               field="unavailable")
    base = germline_dir if germline_dir is not None else path.parent
    return Preset(
        species=str(data.get("species", path.stem)),
        directory=base / str(data.get("path", path.stem)),
        systems=systems,
        unavailable={str(k): str(v) for k, v in unavailable.items()},
        species_taxon_id=data.get("species_taxon_id"),
        source=path,
        notes=str(data.get("notes", "")),
    )


def available_presets(germline_dir: Path) -> list[str]:
    """Names of the presets (``*.g``) in ``germline_dir``."""
    return sorted(p.stem for p in germline_dir.glob("*.g"))


def _split_spec(spec: str) -> tuple[str, list[str] | None]:
    name, colon, selection = spec.rpartition(":")
    if not colon or "/" in selection or selection.endswith(".g"):
        return spec, None
    return name, [s.strip() for s in selection.split(",") if s.strip()]


def select_systems(preset: Preset, wanted: list[str]) -> Preset:
    """The preset restricted to ``wanted`` systems, in the order given."""
    systems: dict[str, System] = {}
    for name in wanted:
        if name in preset.systems:
            systems[name] = preset.systems[name]
        elif name in preset.unavailable:
            raise GermlineError(
                f"system {name} of {preset.species} cannot be built: {preset.unavailable[name]}",
                build_hint=False,
            )
        else:
            raise GermlineError(
                f"no system {name!r} in preset {preset.source or preset.species}; "
                f"systems: {', '.join(preset.systems)}",
                build_hint=False,
            )
    return dataclasses.replace(preset, systems=systems, _cache={})


def check_built(preset: Preset) -> None:
    """Raise :class:`GermlineError` naming the FASTA files of ``preset`` that do not exist."""
    missing = [str(preset.path(f)) for f in preset.files if not preset.path(f).is_file()]
    if missing:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4
                                          else "")
        raise GermlineError(f"germline sequences not built: {shown} missing")


def preset_from_spec(spec: str, germline_dir: Path) -> Preset:
    """The preset ``spec`` names, whether or not its sequences are built (see load_preset)."""
    name, selection = _split_spec(spec)
    as_path = Path(name)
    if name.endswith(".g") or as_path.is_file():
        if not as_path.is_file():
            raise GermlineError(f"preset file {as_path} does not exist", build_hint=False)
        preset = read_preset(as_path)
    else:
        path = germline_dir / f"{name}.g"
        if not path.is_file():
            known = ", ".join(available_presets(germline_dir)) or "none"
            raise GermlineError(
                f"no germline preset {name!r} in {germline_dir}; presets: {known}",
                build_hint=False,
            )
        preset = read_preset(path, germline_dir)
    if selection is not None:
        if not selection:
            raise UsageError(f"no system after ':' in germline preset {spec!r}")
        preset = select_systems(preset, selection)
    return preset


def load_preset(spec: str, germline_dir: Path) -> Preset:
    """The preset ``spec`` names: ``homo-sapiens``, ``homo-sapiens:IGH,TRG``, or a ``.g`` path.

    Named presets are ``<germline_dir>/<name>.g`` and their sequences are under
    ``germline_dir``; a ``.g`` path (optionally ``path.g:IGH``) finds its sequences next
    to it.  Raises :class:`GermlineError` for an unknown preset or system, a system
    listed as unavailable, or sequences not built yet.
    """
    preset = preset_from_spec(spec, germline_dir)
    check_built(preset)
    return preset


def custom_preset(v_files: list[str | Path], d_files: list[str | Path],
                  j_files: list[str | Path]) -> Preset:
    """One system from user FASTA files (``vidjil detect -V/-D/-J``).

    The system is named after the locus of the alleles (``IGH``...) when they all
    share one, else ``custom``.  Files are read (and validated) here.
    """
    if not v_files or not j_files:
        raise UsageError("a custom germline needs at least one V (-V) and one J (-J) file")
    sides: dict[str, list[str]] = {}
    alleles: dict[str, list[Allele]] = {}
    for segment, files in (("V", v_files), ("D", d_files), ("J", j_files)):
        sides[segment] = []
        for file in files:
            path = Path(file).resolve()
            if not path.is_file():
                raise InputFormatError(str(file), "germline file does not exist")
            sides[segment].append(str(path))
            alleles[str(path)] = read_germline_fasta(path, segment)
    loci = {allele.locus for group in alleles.values() for allele in group}
    name = loci.pop() if len(loci) == 1 and "" not in loci else "custom"
    recombination = Recombination(sides["V"], sides["D"], sides["J"])
    description = "Custom germline: " + ", ".join(Path(f).name for f in alleles)
    system = System(name, "x", CUSTOM_COLOR, description, [recombination], CUSTOM_SEED)
    preset = Preset("custom", Path("/"), {name: system})
    preset._cache.update(alleles)
    return preset
