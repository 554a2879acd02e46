"""V(D)J designation of one sequence against a germline preset (the public entry points).

- :func:`designate`: the best designation within one system (IGH, TRD+, ...),
  over all its recombinations;
- :func:`designate_files`: with arbitrary 5'/D/3' files (custom germlines);
- :func:`designate_unexpected`: ``-2`` unexpected recombinations, a V of one
  locus joined to a J of another, or to an inverted V (system ``xxx``);
- :func:`designate_best`: the best system of a preset (and ``xxx`` on demand),
  for sequences whose system is not known.

Sequences are given on the forward strand of the recombination (V before J), in
any case; bases other than ACGT count as N.  Positions in the results are 0-based
in that sequence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidjil_kernel.designate.align import map_position
from vidjil_kernel.designate.bank import SegmentBank, bank_of_files, encode
from vidjil_kernel.designate.chain import Candidate, Hit, RowCache, designate_recombination
from vidjil_kernel.designate.junction import junction_of
from vidjil_kernel.designate.scoring import DEFAULT_SCORING, Scoring
from vidjil_kernel.germline import Allele, Preset, translate
from vidjil_kernel.germline.alleles import LOCI
from vidjil_kernel.results import Designation, SegmentCall

#: system name of unexpected recombinations (Vidjil's)
UNEXPECTED = "xxx"


def _call(hit: Hit, side: str, scoring: Scoring) -> SegmentCall:
    """The SegmentCall of a placed segment; ``side`` is "5", "4" or "3"."""
    length = hit.bank.length(hit.alleles[0])
    names = [hit.bank.alleles[a].name for a in hit.alleles]
    del_left = hit.germ_start if side in ("4", "3") else None
    del_right = length - hit.germ_end if side in ("5", "4") else None
    evalue = scoring.evalue(hit.score, hit.searched, hit.bank.forward.shape[0])
    return SegmentCall(names, hit.start, hit.end, del_left=del_left, del_right=del_right,
                       score=hit.score, evalue=evalue)


def _anchored(hit: Hit, sequence: str, read: np.ndarray, scoring: Scoring,
              residues: tuple[str, ...]) -> tuple[Allele | None, int]:
    """The first equal-best allele with an anchor, preferring one whose codon in the
    sequence is the conserved residue (the anchor of a few alleles is off), and where
    that anchor falls in the sequence, following the alignment (indels included)."""
    found: tuple[Allele | None, int] = (None, -1)
    for rank, index in enumerate(hit.alleles):
        allele = hit.bank.alleles[index]
        if allele.anchor is None:
            continue
        start, end, germ_start, germ_end = hit.placement(rank)
        offset = hit.bank.offsets[index]
        germline = hit.bank.forward[offset + germ_start:offset + germ_end]
        position = start + int(map_position(read[start:end], germline, scoring.match,
                                            scoring.mismatch, scoring.gap,
                                            allele.anchor - germ_start))
        if position >= 0 and translate(sequence[position:position + 3]) in residues:
            return allele, position
        if found[0] is None:
            found = (allele, position)
    return found


def _add_junction(candidate: Candidate, sequence: str, designation: Designation,
                  scoring: Scoring) -> None:
    five, three = candidate.five, candidate.three
    v = five.bank.alleles[five.alleles[0]]
    j = three.bank.alleles[three.alleles[0]]
    if v.segment != "V" or j.segment != "J":
        return
    read = encode(sequence)
    v_allele, cys = _anchored(five, sequence, read, scoring, ("C",))
    j_allele, phe_trp = _anchored(three, sequence, read, scoring, ("F", "W"))
    for allele, hit, codon in ((v_allele, five, "Cys104"), (j_allele, three, "Phe/Trp118")):
        if allele is None:
            name = hit.bank.alleles[hit.alleles[0]].name
            designation.warnings.append(f"no junction: {name} has no {codon} codon")
            return
    designation.junction = junction_of(sequence, cys, phe_trp, three.start, five.start,
                                       three.end, j.locus == "IGH")
    if designation.junction is None:
        designation.warnings.append("no junction: the Cys104 and Phe/Trp118 codons of "
                                    f"{v.name} and {j.name} fall outside the sequence")


def to_designation(candidate: Candidate, sequence: str, locus: str,
                   scoring: Scoring = DEFAULT_SCORING) -> Designation:
    """A Designation (segments, N regions, junction, e-values) from a chain."""
    hits = candidate.hits()
    calls = [_call(candidate.five, "5", scoring)]
    calls += [_call(d, "4", scoring) for d in candidate.ds]
    calls.append(_call(candidate.three, "3", scoring))
    designation = Designation(
        locus=locus, v=calls[0], j=calls[-1], d=calls[1:-1],
        inserts=[sequence[a.end:b.start] for a, b in zip(hits, hits[1:], strict=False)],
        evalue=calls[0].evalue + calls[-1].evalue)
    _add_junction(candidate, sequence, designation, scoring)
    return designation


def _nothing(locus: str, why: str) -> Designation:
    return Designation(locus=locus, v=None, j=None, warnings=[why])


def _bank(preset: Preset, files: list[str]) -> SegmentBank | None:
    return bank_of_files(preset, files) if files else None


def _best_of_system(cache: RowCache, preset: Preset, system: str) -> Candidate | None:
    best: Candidate | None = None
    for recombination in preset.systems[system].recombinations:
        candidate = designate_recombination(
            cache, bank_of_files(preset, recombination.five), _bank(preset, recombination.four),
            bank_of_files(preset, recombination.three))
        if candidate is not None and (best is None or candidate.score > best.score):
            best = candidate
    return best


def designate(sequence: str, preset: Preset, system: str, *,
              scoring: Scoring = DEFAULT_SCORING, prefilter: bool = True) -> Designation:
    """The best designation of ``sequence`` in ``system`` of ``preset``.

    Without a significant 5' and 3' segment the Designation has no segment and a
    warning says so.  ``prefilter=False`` aligns every allele (slower, same result
    unless the k-mer pre-filter missed the best allele).
    """
    sequence = sequence.upper()
    cache = RowCache(encode(sequence), scoring, prefilter)
    best = _best_of_system(cache, preset, system)
    if best is None:
        return _nothing(system, f"no significant 5' and 3' segments of {system}")
    return to_designation(best, sequence, system, scoring)


def designate_files(sequence: str, preset: Preset, five: list[str], four: list[str],
                    three: list[str], locus: str = UNEXPECTED, *,
                    scoring: Scoring = DEFAULT_SCORING, prefilter: bool = True) -> Designation:
    """The best designation of ``sequence`` with arbitrary 5'/D/3' files of ``preset``."""
    sequence = sequence.upper()
    cache = RowCache(encode(sequence), scoring, prefilter)
    candidate = designate_recombination(cache, bank_of_files(preset, five),
                                        _bank(preset, four), bank_of_files(preset, three))
    if candidate is None:
        return _nothing(locus, "no significant 5' and 3' segments")
    return to_designation(candidate, sequence, locus, scoring)


def _file_locus(preset: Preset, file: str) -> str:
    """The locus a germline file belongs to: its IMGT name (TRDV.fa) or its alleles'."""
    prefix = Path(file).name[:3]
    if prefix in LOCI:
        return prefix
    loci = {a.locus for a in preset.alleles(file)}
    return loci.pop() if len(loci) == 1 else ""


def _unexpected_pairs(preset: Preset) -> list[tuple[str, str, bool]]:
    """(V file, 3' file, inverted) that no recombination of the preset joins: a V with
    a J of another locus, or a V with a V in inverted orientation (IGK inversions)."""
    known = {(f, t) for s in preset.systems.values() for r in s.recombinations
             for f in r.five for t in r.three}
    v_files = sorted({f for s in preset.systems.values() for r in s.recombinations
                      for f in r.five if bank_of_files(preset, [f]).segment == "V"})
    j_files = sorted({t for s in preset.systems.values() for r in s.recombinations
                      for t in r.three if bank_of_files(preset, [t]).segment == "J"})
    pairs = [(v, j, False) for v in v_files for j in j_files
             if (v, j) not in known and _file_locus(preset, v) != _file_locus(preset, j)]
    pairs += [(v, w, True) for v in v_files for w in v_files
              if _file_locus(preset, v) == _file_locus(preset, w)]
    return pairs


def _best_unexpected(cache: RowCache, preset: Preset) -> Candidate | None:
    """The best unexpected pair; each pair tried is one more chance of a chance match,
    so segments must be significant after a Bonferroni correction over the pairs."""
    best: Candidate | None = None
    pairs = _unexpected_pairs(preset)
    evalue = cache.scoring.vj_evalue / max(len(pairs), 1)
    for five_file, three_file, inverted in pairs:
        candidate = designate_recombination(
            cache, bank_of_files(preset, [five_file]), None,
            bank_of_files(preset, [three_file], inverted), evalue=evalue)
        if candidate is not None and (best is None or candidate.score > best.score):
            best = candidate
    return best


def designate_unexpected(sequence: str, preset: Preset, *, scoring: Scoring = DEFAULT_SCORING,
                         prefilter: bool = True) -> Designation:
    """``-2``: the best V of one locus joined to a J of another, or to an inverted V of
    its locus (system ``xxx``)."""
    sequence = sequence.upper()
    cache = RowCache(encode(sequence), scoring, prefilter)
    best = _best_unexpected(cache, preset)
    if best is None:
        return _nothing(UNEXPECTED, "no significant V and J of different loci")
    return to_designation(best, sequence, UNEXPECTED, scoring)


def _same_segments(one: Candidate, other: Candidate) -> bool:
    """Whether two chains place the same alleles at the same positions."""
    def key(candidate: Candidate) -> list[tuple]:
        return [(tuple(h.bank.alleles[a].name for a in h.alleles), h.start, h.end)
                for h in candidate.hits()]
    return key(one) == key(other)


def designate_best(sequence: str, preset: Preset, *, systems: list[str] | None = None,
                   unexpected: bool = False, scoring: Scoring = DEFAULT_SCORING,
                   prefilter: bool = True) -> Designation:
    """The best designation over ``systems`` (default: all of the preset), by net score.

    A system that only finds what an earlier one (in preset order) found does not
    replace it: TRAV/DV genes are in TRAV.fa and TRDV.fa, a TRAV/DV-TRAJ join is TRA.
    With ``unexpected`` (``-2``), recombinations across loci (``xxx``) are tried for
    sequences that no system explains, as Vidjil does.
    """
    sequence = sequence.upper()
    cache = RowCache(encode(sequence), scoring, prefilter)
    best: Candidate | None = None
    best_system = ""
    for system in systems or list(preset.systems):
        candidate = _best_of_system(cache, preset, system)
        if candidate is None:
            continue
        if best is None or (candidate.score > best.score
                            and not _same_segments(candidate, best)):
            best, best_system = candidate, system
    if best is None and unexpected:
        best, best_system = _best_unexpected(cache, preset), UNEXPECTED
    if best is None:
        return _nothing("", "no significant 5' and 3' segments in any system")
    return to_designation(best, sequence, best_system, scoring)
