"""Where the junction starts and ends in a germline allele.

The JUNCTION (IMGT, AIRR) runs from the second-CDR3-anchor codons: Cys104 at the
3' end of a V and Phe/Trp118 of the J ``F/W-G-X-G`` motif.  IMGT's sequences are
ungapped here, so the positions are found from the reading frame and the motifs
around them.  The builder stores the result in the FASTA headers; the loader calls
the same functions for files that lack them, so both always agree.
"""

from __future__ import annotations

import re

_BASES = "TCAG"
_AMINO_ACIDS = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODONS: dict[str, str] = {
    a + b + c: _AMINO_ACIDS[16 * i + 4 * j + k]
    for i, a in enumerate(_BASES)
    for j, b in enumerate(_BASES)
    for k, c in enumerate(_BASES)
}

#: Cys104 lies at most this many nucleotides before the 3' end of a V-REGION
#: (IMGT V-REGIONs keep a few germline CDR3 codons after it, up to ~41 nt in TR genes).
V_TAIL = 48
#: F/W118 usually starts 28-36 nt before the 3' end of a J-REGION.
J_TYPICAL_TAIL = 32
J_TAIL_RANGE = (18, 48)

#: _cys_score of Y-Y-C, Y-F-C, Y-L-C...: enough to trust a Cys outside the expected frame
STRONG_CYS_SCORE = 5


def translate(sequence: str, frame: int = 0) -> str:
    """Amino acids of ``sequence`` read from ``frame``; ``X`` for codons with N or IUPAC codes."""
    return "".join(
        CODONS.get(sequence[i : i + 3], "X") for i in range(frame, len(sequence) - 2, 3)
    )


def _cys_score(protein: str, index: int) -> int:
    """How much the residues before a Cys look like IMGT's 102-103 (``Y-Y-C``, ``Y-F-C``, ...)."""
    score = 1
    before2 = protein[index - 2] if index >= 2 else ""
    before1 = protein[index - 1] if index >= 1 else ""
    if before2 == "Y":
        score += 3
    elif before2 in ("F", "H", "C"):
        score += 1
    if before1 in ("Y", "F"):
        score += 2
    elif before1 in ("L", "H", "I"):
        score += 1
    return score


def _best_cys(sequence: str, frame: int) -> tuple[int, int | None]:
    """(score, position) of the most Cys104-like codon in the 3' tail, read in ``frame``."""
    protein = translate(sequence, frame)
    start = max(0, len(sequence) - V_TAIL)
    best: tuple[int, int | None] = (0, None)
    for index, residue in enumerate(protein):
        position = frame + 3 * index
        if residue != "C" or position < start:
            continue
        score = _cys_score(protein, index)
        if score > best[0]:
            best = (score, position)
    return best


def v_reading_frame(sequence: str) -> int:
    """The frame (0, 1, 2) of a V-REGION whose codon start is unknown.

    V-REGIONs partial in 5' may start inside a codon.  The frame chosen has the
    fewest stop codons, then the most Cys104-like codon near the 3' end, then
    starts earliest; pseudogenes with stops in every frame are decided by the Cys.
    """

    def key(frame: int) -> tuple[int, int]:
        stops = translate(sequence, frame).count("*")
        score, _ = _best_cys(sequence, frame)
        return (score - 3 * stops, -frame)

    return max(range(3), key=key)


def cys104_anchor(sequence: str, frame: int | None = None) -> int | None:
    """0-based start of the Cys104 codon of a V, or None when the V has none.

    ``frame`` is IMGT's codon start minus one when known (GENE-DB headers give it);
    otherwise it is inferred by :func:`v_reading_frame`.  A strong ``Y-Y-C``-like Cys
    in another frame wins over a weak or missing one in that frame: pseudogenes with
    a frameshift keep their conserved 3' end in another frame than their 5' start.
    """
    if frame is None:
        frame = v_reading_frame(sequence)
    score, position = _best_cys(sequence, frame)
    if score >= STRONG_CYS_SCORE:
        return position
    other_score, other_position = max(
        (_best_cys(sequence, other) for other in range(3) if other != frame),
        key=lambda candidate: candidate[0],
    )
    return other_position if other_score >= STRONG_CYS_SCORE else position


_J_MOTIF = re.compile(r"(?=(TT[TC]|TGG)GG[ACGT][ACGT]{3}GG[ACGT])")
_J_RELAXED = re.compile(
    r"(?=(TT[TC]|TGG)(GG[ACGT][ACGT]{3}[ACGT]{3}|[ACGT]{3}[ACGT]{3}GG[ACGT]))"
)
_J_GXG = re.compile(r"(?=[ACGT]{3}GG[ACGT][ACGT]{3}GG[ACGT])")


def _closest_to_typical(positions: list[int], length: int, frame: int | None) -> int | None:
    low, high = J_TAIL_RANGE
    kept = [
        p for p in positions
        if low <= length - p <= high and (frame is None or p % 3 == frame)
    ]
    if not kept:
        return None
    return min(kept, key=lambda p: (abs(length - p - J_TYPICAL_TAIL), p))


def phe_trp118_anchor(sequence: str, frame: int | None = None) -> int | None:
    """0-based start of the Phe/Trp118 codon of a J, or None when it cannot be placed.

    First the conserved ``F/W-G-X-G`` motif in frame; then ``F/W`` with one of its
    two glycines; then codon 118 of a J whose F/W is mutated (``X-G-X-G``), so that
    the junction of an ORF/pseudogene J still ends at the right place.  Among
    several matches the one at the usual distance from the J 3' end wins.
    ``frame`` is IMGT's codon start minus one when known.
    """
    for pattern in (_J_MOTIF, _J_RELAXED, _J_GXG):
        positions = [match.start() for match in pattern.finditer(sequence)]
        found = _closest_to_typical(positions, len(sequence), frame)
        if found is not None:
            return found
    return None


def anchor_for(segment: str, sequence: str, frame: int | None = None) -> int | None:
    """The anchor of an allele of ``segment`` ("V", "D" or "J"); None for D."""
    if segment == "V":
        return cys104_anchor(sequence, frame)
    if segment == "J":
        return phe_trp118_anchor(sequence, frame)
    return None
