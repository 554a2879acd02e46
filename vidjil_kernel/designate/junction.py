"""JUNCTION, CDR3 and productivity (AIRR definitions) of a designated sequence.

The JUNCTION runs from the first base of the V's Cys104 codon to the last base
of the J's Phe/Trp118 codon; the CDR3 is the junction without those codons.
Their positions in the sequence come from the germline anchors carried through
the V and J alignments (the last bases of a V and the first of a J align without
indels in practice; the anchor is placed by its distance to the aligned end).

Productivity follows Vidjil and the ERIC guidelines: a recombination is
productive when the junction keeps the reading frame of the V in the J, the
sequence from the V start to the J end has no stop codon in that frame, and the
conserved residues are there (Cys104, Phe/Trp118, and for IGH the ``W-G-x-G``
start of FR4).  Bases outside the V..J span (leader, intron, constant) are not
read.  Out-of-frame junctions are written as Vidjil does (see
:func:`out_of_frame_aa`).
"""

from __future__ import annotations

from vidjil_kernel.germline import translate
from vidjil_kernel.results import Junction

OUT_OF_FRAME = "out-of-frame"
STOP_CODON = "stop-codon"
NO_MOTIF = "no-conserved-motif"


def out_of_frame_aa(nt: str, j_start: int) -> str:
    """Amino acids of an out-of-frame junction, written as Vidjil does.

    The J side keeps every whole codon from ``j_start`` (the first J base, relative
    to the junction) to the end, read backwards in the J frame; the V side keeps
    the rest of the ``len(nt) // 3`` codons, read from the start in the V frame;
    ``!`` stands for the bases of the frame shift between them.
    """
    j_codons = max(0, len(nt) - max(j_start, 0)) // 3
    v_codons = len(nt) // 3 - j_codons
    tail = nt[len(nt) - 3 * j_codons:] if j_codons else ""
    return f"{translate(nt[:3 * v_codons])}!{translate(tail)}"


def junction_of(sequence: str, cys: int, phe_trp: int, j_start: int, v_start: int,
                j_end: int, igh: bool) -> Junction | None:
    """The junction from the Cys104 codon at ``cys`` to the Phe/Trp118 codon at
    ``phe_trp`` (0-based starts in ``sequence``).

    ``j_start`` is the first J base (for the out-of-frame notation);
    ``v_start``..``j_end`` is the span read for stop codons.  None when
    the codons fall outside the sequence or in the wrong order.
    """
    end = phe_trp + 3
    if cys < 0 or end > len(sequence) or end - cys < 6:
        return None
    nt = sequence[cys:end]
    in_frame = len(nt) % 3 == 0
    if in_frame:
        aa = translate(nt)
        first = v_start + (cys - v_start) % 3
        last = j_end - (j_end - first) % 3
        stop = "*" in translate(sequence[first:last])
    else:
        aa = out_of_frame_aa(nt, j_start - cys)
        stop = None
    cys_aa = translate(sequence[cys:cys + 3])
    fw_aa = translate(sequence[phe_trp:end])
    motif = cys_aa == "C" and fw_aa in ("F", "W")
    if igh:
        fr4 = translate(sequence[phe_trp:phe_trp + 12])
        motif = motif and len(fr4) == 4 and fr4[0] == "W" and fr4[1] == "G" and fr4[3] == "G"
    if not in_frame:
        reason = OUT_OF_FRAME
    elif stop:
        reason = STOP_CODON
    elif not motif:
        reason = NO_MOTIF
    else:
        reason = None
    return Junction(start=cys, end=end, nt=nt, aa=aa, productive=reason is None,
                    unproductive=reason, in_frame=in_frame, stop_codon=stop)
