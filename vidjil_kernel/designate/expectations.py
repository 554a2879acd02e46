"""Curated V(D)J designations written in FASTA headers (Vidjil's ``.should-vdj.fa``).

A header reads ``>V-GENE del/INS/del [D-GENE del/INS/del] J-GENE [LOCUS] {JUNCTION_AA}
TAGS # comment``.  Gene names may omit the allele (``IGKJ1``) or even the gene
(``IGHV``: any V); N regions are optional, the insert given as its sequence or
its length; ``(a, b)`` lists equally good alternatives, each one or several
terms (``(9/4/1 IGKJ1*01, 9/7/4 IGKJ4*02)``); ``{...}`` is the junction in amino
acids (``!`` marks a frame shift) unless it holds N regions, an older way of
writing alternatives.  Older headers put ``_`` for spaces and the locus after
two of them (``TRDV1*01_5//3_TRAJ29*01__TRA+D``).  ``BUG``/``TODO`` tags mark cases
Vidjil itself gets wrong.  A designation may start with an N region: the 5'
segment is then not given.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

#: a gene name that means "any segment of this kind" (``IGHV``)
ANY_SEGMENT = re.compile(r"^(IG[HKL]|TR[ABGD])[VDJ]$")
_LINK = re.compile(r"^(\d+)/([ACGTNacgtn]*|\d+)/(\d+)$")
_TAG = re.compile(r"^(BUG|TODO)(-[A-Z]+)?$")
_LOCUS = re.compile(r"^(IG[HKL]|TR[ABGD])(\+|\+D)?$|^unexpected$|^xxx$")
#: file names of the collection
SUFFIXES = (".should-vdj.fa", ".should-get.fa", ".should-vdj")


@dataclass(frozen=True)
class Link:
    """Between two segments: 3' deletion of the left one, insert (bases or length),
    5' deletion of the right one."""

    del_right: int
    insert: str | int
    del_left: int

    @property
    def insert_length(self) -> int:
        return self.insert if isinstance(self.insert, int) else len(self.insert)


@dataclass(frozen=True)
class ExpectedDesignation:
    """One acceptable designation: segment names ("" = not given) and the links
    between consecutive ones (None where the header says nothing)."""

    segments: tuple[str, ...]
    links: tuple[Link | None, ...]

    def __str__(self) -> str:
        parts = [self.segments[0] or "?"]
        for link, segment in zip(self.links, self.segments[1:], strict=True):
            if link is not None:
                parts.append(f"{link.del_right}/{link.insert}/{link.del_left}")
            parts.append(segment or "?")
        return " ".join(parts)


@dataclass
class Expectation:
    """A curated sequence: where it is, its sequence, what it should be designated."""

    file: str
    index: int
    line: int
    header: str
    sequence: str
    alternatives: list[ExpectedDesignation]
    locus: str | None = None
    junctions: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    comment: str = ""

    @property
    def tagged(self) -> bool:
        return bool(self.tags)

    @property
    def name(self) -> str:
        return f"{self.file}#{self.index}"


class HeaderError(ValueError):
    """A header that does not follow the syntax (the message says where)."""


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses and braces."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _tokens(text: str) -> list[str]:
    """Words, keeping ``(...)`` and ``{...}`` groups whole."""
    tokens, depth, current = [], 0, []
    for char in text:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char.isspace() and depth == 0:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if depth:
        raise HeaderError(f"unbalanced brackets in {text!r}")
    if current:
        tokens.append("".join(current))
    return tokens


def _is_link(token: str) -> bool:
    return bool(_LINK.match(token))


def _link(token: str) -> Link:
    match = _LINK.match(token)
    assert match is not None
    insert = match.group(2)
    return Link(int(match.group(1)), int(insert) if insert.isdigit() else insert.upper(),
                int(match.group(3)))


def _is_junction_group(token: str) -> bool:
    """``{CASS...}`` or ``({...}, {...})``: junctions, not segments or links."""
    inner = token[1:-1] if token.startswith("(") else token
    choices = _split_top_level(inner) if token.startswith("(") else [token]
    return all(c.startswith("{") and c.endswith("}") and "/" not in c for c in choices)


def _alternatives(tokens: list[str]) -> list[list[str]]:
    """Expand ``(a, b)`` groups into every flat sequence of terms."""
    options: list[list[list[str]]] = []
    for token in tokens:
        if (token.startswith("(") and token.endswith(")")) or (
                token.startswith("{") and token.endswith("}")):
            choices = []
            for choice in _split_top_level(token[1:-1]):
                choices.extend(_alternatives(_tokens(choice)))
            options.append(choices)
        else:
            options.append([[token]])
    return [list(itertools.chain.from_iterable(combo)) for combo in itertools.product(*options)]


def _designation(terms: list[str]) -> ExpectedDesignation:
    segments: list[str] = []
    links: list[Link | None] = []
    pending: Link | None = None
    for term in terms:
        if _is_link(term):
            if pending is not None:
                raise HeaderError(f"two N regions in a row near {term!r}")
            if not segments:
                segments.append("")
            pending = _link(term)
        else:
            if segments:
                links.append(pending)
            pending = None
            segments.append(term)
    if pending is not None:
        raise HeaderError("a designation cannot end with an N region")
    return ExpectedDesignation(tuple(segments), tuple(links))


def parse_header(header: str) -> tuple[list[ExpectedDesignation], str | None, list[str],
                                       list[str], str]:
    """(alternatives, locus, junctions, tags, comment) of a header (without ``>``)."""
    text, _, comment = header.partition("#")
    locus = None
    bracket = re.search(r"\[([^\]]+)\]", text)
    if bracket:
        locus = bracket.group(1).strip()
        text = text[:bracket.start()] + " " + text[bracket.end():]
    if " " not in text.strip() and "_" in text:
        words = text.strip().split("__")
        if locus is None and len(words) == 2 and _LOCUS.match(words[1].strip("_")):
            locus = words[1].strip("_")
            text = words[0]
        text = text.replace("_", " ")
    tokens = _tokens(text)
    tags = [t for t in tokens if _TAG.match(t)]
    tokens = [t for t in tokens if not _TAG.match(t)]
    junctions: list[str] = []
    terms: list[str] = []
    for token in tokens:
        if _is_junction_group(token):
            inner = token[1:-1] if token.startswith("(") else token
            junctions.extend(c.strip()[1:-1].upper()
                             for c in (_split_top_level(inner) if token.startswith("(")
                                       else [token]))
        else:
            terms.append(token)
    alternatives = [_designation(flat) for flat in _alternatives(terms)] if terms else []
    return alternatives, locus, junctions, tags, comment.strip()


def read_expectations(path: Path) -> list[Expectation]:
    """Every record of a ``.should-vdj.fa`` file (text before the first header is ignored)."""
    expectations: list[Expectation] = []
    header: str | None = None
    header_line = 0
    chunks: list[str] = []

    def finish() -> None:
        if header is None:
            return
        try:
            alternatives, locus, junctions, tags, comment = parse_header(header)
        except HeaderError as error:
            raise HeaderError(f"{path}, line {header_line}: {error}") from None
        expectations.append(Expectation(
            path.name, len(expectations) + 1, header_line, header, "".join(chunks).upper(),
            alternatives, locus, junctions, tags, comment))

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith(">"):
            finish()
            header, header_line, chunks = line[1:], number, []
        elif line.startswith("#") or not line or header is None:
            continue
        else:
            chunks.append(re.sub(r"\s+", "", line))
    finish()
    return expectations


def collection_files(folder: Path) -> list[Path]:
    """The files of a should-vdj folder, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIXES))
