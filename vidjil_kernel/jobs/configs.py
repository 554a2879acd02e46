"""Analysis configs as the jobs layer reads them, and the configs a fresh lab starts with.

A config's ``program`` says what runs:

- ``vidjil``: the engine; ``parameters`` are `vidjil detect` options (``-g``,
  ``-w``, ``-e``, ``-z``, ``-r``, ``-2``, ``--per-read``, ``-V/-D/-J``), parsed by
  the very options of that command, so a config means what the command means;
- ``external-vidjil`` / ``external-airr``: ``parameters`` is a command template
  run on the worker (``{file1}``, ``{file2}``: the sample's files; ``{result}``: the
  file it must write, in that format), whose output is validated and stored.

``fuse_parameters`` are ``-t/--top N`` (clones of each sample kept, default 100)
and ``--per-locus N`` (at least that many clones of each locus of each sample,
default 10).  Errors name the config and the option.
"""

from __future__ import annotations

import shlex
import string
from dataclasses import dataclass

import click
from click.core import ParameterSource
from sqlalchemy import select
from sqlalchemy.orm import Session

from vidjil_kernel.db.models import Config, ConfigAccess, Group, GroupKind
from vidjil_kernel.detect.pipeline import DetectOptions
from vidjil_kernel.exceptions import ConfigError, VidjilError

ENGINE = "vidjil"
EXTERNAL = {"external-vidjil": "vidjil", "external-airr": "airr"}
PLACEHOLDERS = ("file1", "file2", "result")
#: `vidjil detect` options a config may not set: the lab decides them
LAB_OPTIONS = ("out_dir", "germline_dir", "quiet")


@dataclass(frozen=True)
class EngineParameters:
    """What a ``vidjil`` config asks of the engine."""

    preset: str | None
    v_files: tuple[str, ...]
    d_files: tuple[str, ...]
    j_files: tuple[str, ...]
    options: DetectOptions
    per_read: bool


@dataclass(frozen=True)
class FuseParameters:
    top: int = 100
    per_locus: int = 10


@dataclass(frozen=True)
class DefaultConfig:
    name: str
    parameters: str
    description: str
    classification: str
    fuse_parameters: str = "--top 100 --per-locus 10"
    program: str = ENGINE


#: what a fresh lab offers (created once, shared with the public group; admins may change them)
DEFAULT_CONFIGS = (
    DefaultConfig("multi-locus", "-g homo-sapiens",
                  "Every human IG and TR system, incomplete rearrangements included "
                  "(IGH D-J, TRB D-J, TRD, TRA+D).", "multi-locus"),
    DefaultConfig("multi-locus + unexpected", "-g homo-sapiens -2",
                  "Every human system, and unexpected recombinations between loci "
                  "(a V of one locus with a J of another; -2).", "multi-locus"),
    DefaultConfig("IGH", "-g homo-sapiens:IGH,IGH+",
                  "Human IGH: V-D-J and incomplete D-J.", "locus"),
    DefaultConfig("IGK + IGL", "-g homo-sapiens:IGK,IGL", "Human light chains.", "locus"),
    DefaultConfig("TRB", "-g homo-sapiens:TRB,TRB+",
                  "Human TRB: V-D-J and incomplete D-J.", "locus"),
    DefaultConfig("TRG", "-g homo-sapiens:TRG", "Human TRG.", "locus"),
    DefaultConfig("TRA + TRD", "-g homo-sapiens:TRA,TRD,TRA+D,TRD+",
                  "Human TRA and TRD, with Vd/Dd-Ja and incomplete TRD.", "locus"),
    DefaultConfig("mouse multi-locus", "-g mus-musculus",
                  "Every mouse IG and TR system.", "multi-locus"),
)


def _detect_command() -> click.Command:
    from vidjil_kernel.cli.detect import detect

    return detect


def parse_engine_parameters(config_name: str, text: str) -> EngineParameters:
    """The engine options of a ``vidjil`` config; ``ConfigError`` names the config and option."""
    from vidjil_kernel.cli.detect import detect_options

    where = f"config {config_name!r} (parameters {text!r})"
    try:
        args = shlex.split(text)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None
    command = _detect_command()
    try:
        context = command.make_context("vidjil detect", [*args, "--", "READS"],
                                       resilient_parsing=False)
    except click.exceptions.Exit:
        raise ConfigError(f"{where}: --help is not a parameter") from None
    except click.ClickException as error:
        raise ConfigError(f"{where}: {error.format_message()}") from None
    params = context.params
    for name in LAB_OPTIONS:
        if context.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            option = next(p for p in command.params if p.name == name)
            raise ConfigError(f"{where}: option {'/'.join(option.opts)} is set by the lab, "
                              "not by a config")
    if params["reads"] != ("READS",):
        extra = [r for r in params["reads"] if r != "READS"]
        raise ConfigError(f"{where}: unexpected argument(s) {' '.join(extra)}: a config gives "
                          "options only (the lab gives the reads)")
    if params["preset_spec"] and (params["v_files"] or params["d_files"] or params["j_files"]):
        raise ConfigError(f"{where}: give either -g PRESET or custom germline files "
                          "-V/-D/-J, not both")
    try:
        options = detect_options(params["window"], params["evalue"], params["min_reads"],
                                 params["max_designations"], params["unexpected"])
    except VidjilError as error:
        raise ConfigError(f"{where}: option -w: {error}") from None
    return EngineParameters(params["preset_spec"], tuple(params["v_files"]),
                            tuple(params["d_files"]), tuple(params["j_files"]), options,
                            bool(params["per_read"]))


def check_command_template(what: str, template: str) -> None:
    """Refuse a command template that is empty, unbalanced or has unknown placeholders."""
    if not template.strip():
        raise ConfigError(f"{what}: the command is empty")
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as error:
        raise ConfigError(f"{what}: bad placeholder in {template!r}: {error} "
                          "(write {{ and }} for literal braces)") from None
    unknown = sorted({name for name in fields if name not in PLACEHOLDERS})
    if unknown:
        shown = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ConfigError(f"{what}: unknown placeholder(s) {shown} in {template!r}; "
                          f"known: {known}")


def check_config(config: Config) -> None:
    """Raise ``ConfigError`` if ``config`` cannot be run as written."""
    if config.program == ENGINE:
        parse_engine_parameters(config.name, config.parameters)
    elif config.program in EXTERNAL:
        check_command_template(f"config {config.name!r}", config.parameters)
        if "{result}" not in config.parameters:
            raise ConfigError(f"config {config.name!r}: the command must write {{result}} "
                              f"(a {EXTERNAL[config.program]} file)")
    else:
        known = ", ".join([ENGINE, *EXTERNAL])
        raise ConfigError(f"config {config.name!r}: unknown program {config.program!r}; "
                          f"use one of {known}")
    parse_fuse_parameters(config.name, config.fuse_parameters)


def parse_fuse_parameters(config_name: str, text: str) -> FuseParameters:
    """``-t/--top N`` and ``--per-locus N`` of a config's fuse parameters."""
    where = f"config {config_name!r} (fuse parameters {text!r})"
    try:
        args = shlex.split(text or "")
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None
    values = {"top": FuseParameters.top, "per_locus": FuseParameters.per_locus}
    names = {"-t": "top", "--top": "top", "--per-locus": "per_locus"}
    i = 0
    while i < len(args):
        option, _, inline = args[i].partition("=")
        if option not in names:
            raise ConfigError(f"{where}: unknown option {args[i]!r}; use -t/--top N or "
                              "--per-locus N")
        if inline:
            value = inline
        elif i + 1 < len(args):
            i += 1
            value = args[i]
        else:
            raise ConfigError(f"{where}: option {option} needs a number")
        if not value.isdigit():
            raise ConfigError(f"{where}: option {option}: {value!r} is not a whole number")
        values[names[option]] = int(value)
        i += 1
    return FuseParameters(**values)


def ensure_default_configs(session: Session) -> list[str]:
    """Create the default configs that do not exist yet (by name); returns the names created.

    Existing configs are never changed: an admin may have edited them.
    """
    existing = set(session.scalars(select(Config.name)))
    public = session.scalar(select(Group.id).where(Group.kind == GroupKind.PUBLIC))
    created = []
    for default in DEFAULT_CONFIGS:
        if default.name in existing:
            continue
        config = Config(name=default.name, program=default.program,
                        parameters=default.parameters, fuse_parameters=default.fuse_parameters,
                        description=default.description, classification=default.classification)
        check_config(config)
        session.add(config)
        session.flush()
        if public is not None:
            session.add(ConfigAccess(config_id=config.id, group_id=public))
        created.append(default.name)
    session.flush()
    return created
