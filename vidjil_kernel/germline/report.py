"""Plain-text description of a preset, for `vidjil germline list`."""

from __future__ import annotations

import textwrap

from vidjil_kernel.germline.build import read_provenance
from vidjil_kernel.germline.licence import CITATION, LICENCE_NAME, LICENCE_URL
from vidjil_kernel.germline.presets import Preset


def _side(preset: Preset, files: list[str]) -> str:
    parts = []
    for name in files:
        if preset.path(name).is_file():
            parts.append(f"{name} ({len(preset.alleles(name))})")
        else:
            parts.append(f"{name} (not built)")
    return " + ".join(parts)


def _provenance_lines(preset: Preset) -> list[str]:
    provenance = read_provenance(preset.directory)
    if provenance is None:
        return [f"  sequences: not built in {preset.directory} "
                "(run `vidjil germline build --accept-imgt-licence`)"]
    lines = [f"  sequences: {preset.directory}, built {provenance.get('built', '?')}"]
    for source in provenance.get("sources", []):
        imgt = source.get("imgt", {})
        release = imgt.get("release", "")
        date = f" ({imgt['date']})" if imgt.get("date") else ""
        lines.append(f"    {source['package']} {source['version']}: {imgt.get('database', '')}"
                     f" release {release}{date}")
    anchors = provenance.get("anchors", {})
    lines.append(f"    V alleles without Cys104: {len(anchors.get('v_without_cys104', []))}, "
                 f"J alleles without Phe/Trp118: {len(anchors.get('j_without_phe_trp118', []))}")
    return lines


def describe_preset(preset: Preset) -> str:
    """Systems with their files and allele counts, unavailable systems, provenance, licence."""
    where = f", {preset.source}" if preset.source else ""
    lines = [f"{preset.species}{where}"]
    for system in preset.systems.values():
        follows = f", follows {system.follows}" if system.follows else ""
        lines.append(f"  {system.name:6} {system.shortcut}  {system.description} "
                     f"(seed {system.seed}{follows})")
        for recombination in system.recombinations:
            sides = [_side(preset, recombination.five)]
            if recombination.four:
                sides.append(_side(preset, recombination.four))
            sides.append(_side(preset, recombination.three))
            lines.append("           " + "  >  ".join(sides))
    if preset.unavailable:
        lines.append("  unavailable:")
        for name, why in preset.unavailable.items():
            wrapped = textwrap.wrap(why, 88, initial_indent=f"    {name:6} ",
                                    subsequent_indent=" " * 11)
            lines.extend(wrapped)
    if preset.notes:
        lines.extend(textwrap.wrap(preset.notes, 92, initial_indent="  note: ",
                                   subsequent_indent="        "))
    lines.extend(_provenance_lines(preset))
    lines.append(f"  licence: {LICENCE_NAME}, {LICENCE_URL}")
    lines.extend(textwrap.wrap(CITATION, 92, initial_indent="  cite: ",
                               subsequent_indent="        "))
    return "\n".join(lines)
