"""Score designations against the curated expectations of a should-vdj collection.

An expectation is *right* when one of its alternatives matches the designation:

- segments in order, the first and last ones being our 5' and 3' segments; where
  the header gives no N region between two segments, our designation may hold
  extra D segments there (the header says nothing about them); where it gives
  one, the two segments must be adjacent and the deletions and the insert (its
  bases, or its length) must be the same;
- a name with an allele (``IGKJ1*01``) must be one of our equal-best alleles, a gene
  name (``IGKJ1``) the gene of one of them, a bare ``IGHV`` any V;
- the junction amino acids, when the header gives them (any of them).

The locus is scored apart.  Expectations that need germline sequences we do not
have (``KDE``, ``Intron``, D/J flanks: a deletion longer than our allele, genes
absent from the preset) are counted as *germline missing*, not as errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vidjil_kernel.designate.expectations import (
    ANY_SEGMENT,
    Expectation,
    ExpectedDesignation,
    Link,
    collection_files,
    read_expectations,
)
from vidjil_kernel.results import Designation, SegmentCall

#: fewer bases of a 5'/3' segment cannot tell it from chance without its flank
MIN_VISIBLE = 5

RIGHT = "right"
WRONG = "wrong"
MISSING = "germline-missing"


@dataclass
class Outcome:
    """How one designation compares with its expectation."""

    name: str
    header: str
    tagged: bool
    status: str
    designation: str
    locus_expected: str | None
    locus_found: str | None
    junction_expected: list[str]
    junction_found: str | None
    genes_right: bool = False
    segments_right: bool = False
    links_right: bool = False
    junction_right: bool | None = None
    locus_right: bool | None = None
    reason: str = ""


def _allele_matches(expected: str, call: SegmentCall) -> bool:
    if ANY_SEGMENT.match(expected):
        return any(a.startswith(expected) for a in call.alleles)
    if "*" in expected:
        return expected in call.alleles
    return any(a.split("*", 1)[0] == expected for a in call.alleles)


def _gene_matches(expected: str, call: SegmentCall) -> bool:
    gene = expected.split("*", 1)[0]
    if ANY_SEGMENT.match(gene):
        return any(a.startswith(gene) for a in call.alleles)
    return any(a.split("*", 1)[0] == gene for a in call.alleles)


def _link_matches(link: Link, left: SegmentCall, insert: str, right: SegmentCall) -> bool:
    if (left.del_right or 0) != link.del_right or (right.del_left or 0) != link.del_left:
        return False
    if isinstance(link.insert, int):
        return len(insert) == link.insert
    return insert.upper() == link.insert


def _match(expected: ExpectedDesignation, designation: Designation,
           compare: Callable[[str, SegmentCall], bool], with_links: bool) -> bool:
    """Whether ``designation`` fits ``expected`` (segments mapped in order)."""
    calls = designation.segments()
    inserts = designation.inserts
    segments = expected.segments

    def walk(e: int, c: int) -> bool:
        # expected segment e is matched to our segment c
        if segments[e] and not compare(segments[e], calls[c]):
            return False
        if e == len(segments) - 1:
            return c == len(calls) - 1
        link = expected.links[e]
        if link is not None:
            if c + 1 >= len(calls):
                return False
            if with_links and not _link_matches(link, calls[c], inserts[c], calls[c + 1]):
                return False
            return walk(e + 1, c + 1)
        # no N region given: extra segments of ours may sit in between
        return any(walk(e + 1, nxt) for nxt in range(c + 1, len(calls)))

    return bool(calls) and walk(0, 0)


def known_names(alleles: list[str]) -> set[str]:
    """Allele and gene names a germline holds."""
    names = set(alleles)
    names.update(a.split("*", 1)[0] for a in alleles)
    return names


def needs_missing_germline(expectation: Expectation, names: set[str],
                           lengths: dict[str, int]) -> str:
    """Why ``expectation`` cannot be designated with our germline ('' when it can).

    Every alternative must need something missing: a segment we do not have,
    or a 5'/3' segment of which fewer than ``MIN_VISIBLE`` bases are left (Vidjil
    finds it through the genomic flank that our germline lacks).
    """
    reasons = []
    for alternative in expectation.alternatives:
        reason = ""
        for index, segment in enumerate(alternative.segments):
            if segment and not ANY_SEGMENT.match(segment) and segment not in names:
                reason = f"no {segment} in the germline"
                break
            length = lengths.get(segment if "*" in segment else f"{segment}*01")
            if length is None:
                continue
            deleted = 0
            if index > 0 and alternative.links[index - 1] is not None:
                deleted += alternative.links[index - 1].del_left
            if index < len(alternative.links) and alternative.links[index] is not None:
                deleted += alternative.links[index].del_right
            at_end = index in (0, len(alternative.segments) - 1)
            if deleted >= length or (at_end and length - deleted < MIN_VISIBLE):
                left = max(length - deleted, 0)
                reason = f"{segment}: {left} of {length} nt left (needs its flank)"
                break
        if not reason:
            return ""
        reasons.append(reason)
    return reasons[0] if reasons else ""


def score_expectation(expectation: Expectation, designation: Designation | None,
                      names: set[str], lengths: dict[str, int]) -> Outcome:
    """Compare one designation (None or no segment: nothing found) with its expectation."""
    if designation is not None and not designation.segments():
        designation = None
    found_junction = designation.junction.aa if designation and designation.junction else None
    outcome = Outcome(
        name=expectation.name, header=expectation.header, tagged=expectation.tagged,
        status=WRONG, designation=designation.name if designation else "",
        locus_expected=expectation.locus,
        locus_found=designation.locus if designation else None,
        junction_expected=expectation.junctions, junction_found=found_junction)
    if expectation.locus is not None:
        expected_locus = "xxx" if expectation.locus == "unexpected" else expectation.locus
        outcome.locus_right = designation is not None and designation.locus == expected_locus
    if expectation.junctions:
        outcome.junction_right = found_junction is not None and any(
            found_junction.upper() == j for j in expectation.junctions)
    missing = needs_missing_germline(expectation, names, lengths)
    if designation is not None:
        alternatives = expectation.alternatives
        outcome.segments_right = any(
            _match(a, designation, _allele_matches, False) for a in alternatives)
        outcome.links_right = any(
            _match(a, designation, _allele_matches, True) for a in alternatives)
        outcome.genes_right = any(
            _match(a, designation, _gene_matches, False) for a in alternatives)
        if outcome.links_right and outcome.junction_right is not False:
            outcome.status = RIGHT
        elif not outcome.genes_right:
            outcome.reason = "genes"
        elif not outcome.segments_right:
            outcome.reason = "alleles"
        elif not outcome.links_right:
            outcome.reason = "deletions/inserts"
        else:
            outcome.reason = "junction"
    else:
        outcome.reason = "no designation"
    if outcome.status != RIGHT and missing:
        outcome.status = MISSING
        outcome.reason = missing
    return outcome


@dataclass
class Tally:
    """Counts over a set of outcomes."""

    total: int = 0
    right: int = 0
    wrong: int = 0
    missing: int = 0
    tagless: int = 0
    tagless_right: int = 0
    tagless_missing: int = 0
    genes_right: int = 0
    alleles_right: int = 0
    links_right: int = 0
    locus_tested: int = 0
    locus_right: int = 0
    junction_tested: int = 0
    junction_right: int = 0

    def add(self, outcome: Outcome) -> None:
        self.total += 1
        self.right += outcome.status == RIGHT
        self.wrong += outcome.status == WRONG
        self.missing += outcome.status == MISSING
        self.genes_right += outcome.genes_right
        self.alleles_right += outcome.segments_right
        self.links_right += outcome.links_right
        if not outcome.tagged:
            self.tagless += 1
            self.tagless_right += outcome.status == RIGHT
            self.tagless_missing += outcome.status == MISSING
        if outcome.locus_right is not None:
            self.locus_tested += 1
            self.locus_right += outcome.locus_right
        if outcome.junction_right is not None:
            self.junction_tested += 1
            self.junction_right += outcome.junction_right


@dataclass
class Report:
    """Outcomes per file and the tallies the baseline keeps."""

    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)

    def tally(self, file: str | None = None) -> Tally:
        tally = Tally()
        for name, outcomes in self.outcomes.items():
            if file is None or name == file:
                for outcome in outcomes:
                    tally.add(outcome)
        return tally

    def counts(self) -> dict:
        """Per-file and overall counts (what the baseline file stores)."""
        files = {name: asdict(self.tally(name)) for name in self.outcomes}
        return {"overall": asdict(self.tally()), "files": files}

    def table(self) -> str:
        """A text table: per file, right / wrong / germline missing, how many have the
        genes, the alleles, the deletions and inserts, the locus and the junction right,
        then the totals."""
        lines = [f"{'file':44} {'n':>4} {'right':>6} {'wrong':>6} {'missing':>8} "
                 f"{'genes':>6} {'allele':>6} {'N':>4} {'locus':>7} {'junction':>9}"]
        for name in self.outcomes:
            lines.append(_row(name, self.tally(name)))
        overall = self.tally()
        lines.append(_row("overall", overall))
        usable = overall.total - overall.missing
        tagless_usable = overall.tagless - overall.tagless_missing
        lines.append(
            f"right: {overall.right}/{overall.total} ({_percent(overall.right, overall.total)}), "
            f"without missing germline {overall.right}/{usable} "
            f"({_percent(overall.right, usable)}); "
            f"tag-less: {overall.tagless_right}/{overall.tagless} "
            f"({_percent(overall.tagless_right, overall.tagless)}), without missing germline "
            f"{overall.tagless_right}/{tagless_usable} "
            f"({_percent(overall.tagless_right, tagless_usable)})")
        return "\n".join(lines)

    def failures(self) -> list[Outcome]:
        return [o for outcomes in self.outcomes.values() for o in outcomes if o.status == WRONG]

    def write_json(self, path: Path) -> None:
        data = {"counts": self.counts(),
                "outcomes": {name: [asdict(o) for o in outcomes]
                             for name, outcomes in self.outcomes.items()}}
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        temporary.replace(path)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _row(name: str, tally: Tally) -> str:
    locus = f"{tally.locus_right}/{tally.locus_tested}"
    junction = f"{tally.junction_right}/{tally.junction_tested}"
    return (f"{name:44} {tally.total:>4} {tally.right:>6} {tally.wrong:>6} {tally.missing:>8} "
            f"{tally.genes_right:>6} {tally.alleles_right:>6} {tally.links_right:>4} "
            f"{locus:>7} {junction:>9}")


def run_collection(folder: Path, designate: Callable[[str], Designation | None],
                   names: set[str], lengths: dict[str, int]) -> Report:
    """Designate every sequence of the collection in ``folder`` and score it."""
    report = Report()
    for path in collection_files(folder):
        outcomes = []
        for expectation in read_expectations(path):
            outcomes.append(score_expectation(
                expectation, designate(expectation.sequence), names, lengths))
        report.outcomes[path.name] = outcomes
    return report
