"""V(D)J recombination: draw a patient's clones from the germline and the locus models.

One clone is: a recombination of the system (V-D-J, V-J, or an incomplete D-J /
V-D), an allele per segment from the patient's genotype, 3' V / both D / 5' J
trimming, P nucleotides at untrimmed ends, N regions, somatic hypermutation of IG V
genes, and the junction of the molecule.  Trimming keeps the Cys104 and Phe/Trp118
codons whole, so that the truth junction is always where the anchors say.

Candidates are drawn by numpy batches (alleles, trims, insertion lengths, and so the
junction length and frame) and only those a clone needs are assembled as strings.
Each clone is asked to be productive or not (the share its role should have); the
first candidate that fits is taken, which samples the model conditioned on that.
Segments out of genomic order (TRBD2 then TRBJ1, TRDD3 then TRDD2) are rejected.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidjil_kernel.germline import Allele, Preset
from vidjil_kernel.simulate.clones import Clone, PlacedSegment
from vidjil_kernel.simulate.genotype import AllelePool, build_pool
from vidjil_kernel.simulate.model import (
    DEFAULT_MODEL,
    LOCUS_MODELS,
    N_COMPOSITION,
    P_NUCLEOTIDE_CHANCE,
    PRODUCTIVE_SHARE,
    READ_J_MARGIN,
    READ_SEGMENT_MARGIN,
    READ_V_MARGIN,
    SHM_RATE_RANGE,
    SHM_UNMUTATED,
    Count,
    LocusModel,
)
from vidjil_kernel.simulate.sequences import reverse_complement

#: candidate batches tried before clones are accepted whatever their productivity
MAX_BATCHES = 100
BATCH_MIN = 64
#: draws of a second D that must follow the first on the chromosome (TRDD2 after TRDD1...)
SECOND_D_TRIES = 8
#: a D keeps at least this many nucleotides (a D trimmed away is not a D-containing clone)
MIN_D_KEPT = 2

_ASCII = np.frombuffer(b"ACGT", dtype=np.uint8)
_STOP_IN_FRAME = re.compile(r"(?:...)*?(?:TAA|TAG|TGA)")
_STOPS = frozenset((b"TAA", b"TAG", b"TGA"))
_TRANSITION = {ord(a): ord(b) for a, b in ("AG", "GA", "CT", "TC")}
_TRANSVERSIONS = {ord(a): b for a, b in (("A", b"CT"), ("G", b"CT"), ("C", b"AG"), ("T", b"AG"))}


def model_for_system(system: str, alleles: Sequence[Allele]) -> LocusModel:
    """The locus model of a system: its own (IGH+ uses IGH's), TRD's for TRA+D."""
    if system == "TRA+D":
        return LOCUS_MODELS["TRD"]
    base = system.rstrip("+")
    if base in LOCUS_MODELS:
        return LOCUS_MODELS[base]
    loci = {a.locus for a in alleles}
    return LOCUS_MODELS.get(loci.pop(), DEFAULT_MODEL) if len(loci) == 1 else DEFAULT_MODEL


def _gene_number(gene: str) -> int | None:
    digits = re.search(r"(\d+)$", gene)
    return int(digits.group(1)) if digits else None


def genes_in_order(left: str, right: str) -> bool:
    """TR D genes join downstream segments only (TRBD2 never reaches TRBJ1, TRDD3 not TRDD2)."""
    if left.startswith("TRBD") and right.startswith("TRBJ"):
        return not (left == "TRBD2" and right.startswith("TRBJ1"))
    if left.startswith("TRDD") and right.startswith("TRDD"):
        first, second = _gene_number(left), _gene_number(right)
        return first is not None and second is not None and first < second
    return True


def _order_matrix(left: AllelePool, right: AllelePool) -> np.ndarray:
    return np.array([[genes_in_order(a.gene, b.gene) for b in right.alleles]
                     for a in left.alleles], dtype=bool)


def productivity(sequence: str, junction_start: int,
                 junction_end: int) -> tuple[bool, bool, bool]:
    """(in frame, stop codon, productive) as AIRR defines them, read in the V's frame.

    Productive: V and J in frame, no stop codon from the V start to the J end, and the
    conserved Cys104 and Phe/Trp118 codons.
    """
    in_frame = (junction_end - junction_start) % 3 == 0
    stop = _STOP_IN_FRAME.match(sequence, junction_start % 3) is not None
    junction = sequence[junction_start:junction_end]
    conserved = junction[:3] in ("TGT", "TGC") and junction[-3:] in ("TTT", "TTC", "TGG")
    return in_frame, stop, in_frame and not stop and conserved


@dataclass
class _Batch:
    """Candidate recombinations, one per index; -1 for an absent D.

    ``p_left``, ``n`` and ``p_right`` have one column per gap (0: after the 5'
    segment, 1: after the first D, 2: after the second D): P nucleotides after the
    left segment, N nucleotides, P nucleotides before the right segment; ``n_start``
    locates each gap's N bases in ``n_bases``.
    """

    five: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    three: np.ndarray
    del3_five: np.ndarray
    d1_trims: tuple[np.ndarray, np.ndarray]
    d2_trims: tuple[np.ndarray, np.ndarray]
    del5_three: np.ndarray
    p_left: np.ndarray
    n: np.ndarray
    p_right: np.ndarray
    n_start: np.ndarray
    n_bases: str
    in_frame: np.ndarray

    @property
    def size(self) -> int:
        return len(self.five)


class _Sampler:
    """Candidates of one recombination of a system (V-D-J, D-J, ...), drawn by batches."""

    def __init__(self, five: AllelePool, four: AllelePool | None, three: AllelePool,
                 model: LocusModel, p_nucleotides: bool) -> None:
        self.five, self.four, self.three = five, four, three
        self.model = model
        self.p_nucleotides = p_nucleotides
        self.has_junction = five.kind == "V" and three.kind == "J"
        self._lengths = {side: pool.lengths for side, pool in
                         (("five", five), ("four", four), ("three", three)) if pool is not None}
        self._anchors = {side: pool.anchors for side, pool in (("five", five), ("three", three))}
        self._cdfs: dict[Count, np.ndarray] = {}
        self._order_five_three = _order_matrix(five, three)
        if four is not None:
            self._order_five_four = _order_matrix(five, four)
            self._order_four_four = _order_matrix(four, four)
            self._order_four_three = _order_matrix(four, three)
            genes = [a.gene for a in four.alleles]
            self._same_gene = np.array([[g == h for h in genes] for g in genes], dtype=bool)

    def _count(self, rng: np.random.Generator, count: Count, size: int) -> np.ndarray:
        cdf = self._cdfs.get(count)
        if cdf is None:
            cdf = self._cdfs[count] = np.array(count.cdf())
        return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int64)

    def _n_count(self, left: str, right: str) -> Count:
        model = self.model
        return {("V", "D"): model.n_vd, ("D", "D"): model.n_dd, ("D", "J"): model.n_dj,
                ("V", "J"): model.n_vj}.get((left, right), model.n_vj)

    def _d_trims(self, rng: np.random.Generator, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert self.four is not None
        size = len(d)
        del5 = self._count(rng, self.model.d5_del, size)
        del3 = self._count(rng, self.model.d3_del, size)
        length = self._lengths["four"][np.maximum(d, 0)]
        excess = np.maximum(0, del5 + del3 - (length - MIN_D_KEPT))
        cut5 = np.minimum(del5, (excess + 1) // 2)
        del5, del3 = del5 - cut5, del3 - (excess - cut5)
        absent = d < 0
        return np.where(absent, 0, del5), np.where(absent, 0, del3)

    def draw(self, rng: np.random.Generator, size: int) -> _Batch:
        """Up to ``size`` candidates (those out of genomic order are dropped)."""
        five_pool, four, three_pool = self.five, self.four, self.three
        five = five_pool.draw(rng, size)
        three = three_pool.draw(rng, size)
        none = np.full(size, -1, dtype=np.int64)
        if four is not None:
            d1 = four.draw(rng, size)
            # the second D: the first of a few draws that can follow the first D
            seconds = four.draw(rng, size * SECOND_D_TRIES).reshape(size, SECOND_D_TRIES)
            fits = ~self._same_gene[d1[:, None], seconds] & self._order_four_four[d1[:, None],
                                                                                  seconds]
            second = seconds[np.arange(size), fits.argmax(axis=1)]
            two = (rng.random(size) < self.model.two_d) & fits.any(axis=1)
            d2 = np.where(two, second, none)
            last_d = np.where(two, d2, d1)
            keep = self._order_five_four[five, d1] & self._order_four_three[last_d, three]
        else:
            d1 = d2 = none
            keep = self._order_five_three[five, three]
        five, three, d1, d2 = five[keep], three[keep], d1[keep], d2[keep]
        size = len(five)

        five_lengths = self._lengths["five"][five]
        five_anchors = self._anchors["five"][five]
        three_lengths = self._lengths["three"][three]
        three_anchors = self._anchors["three"][three]
        if five_pool.kind == "V":
            del3_five = np.minimum(self._count(rng, self.model.v_del, size),
                                   five_lengths - five_anchors - 3)
        else:
            del3_five = np.minimum(self._count(rng, self.model.d3_del, size),
                                   five_lengths - MIN_D_KEPT)
        if three_pool.kind == "J":
            del5_three = np.minimum(self._count(rng, self.model.j_del, size), three_anchors)
        else:
            del5_three = np.minimum(self._count(rng, self.model.d5_del, size),
                                    three_lengths - MIN_D_KEPT)
        zeros = np.zeros(size, dtype=np.int64)
        d1_trims = self._d_trims(rng, d1) if four is not None else (zeros, zeros)
        d2_trims = self._d_trims(rng, d2) if four is not None else (zeros, zeros)

        has_d1, has_d2 = d1 >= 0, d2 >= 0
        five_kind, three_kind = five_pool.kind, three_pool.kind
        present = np.stack([np.ones(size, dtype=bool), has_d1, has_d2], axis=1)
        left_del = np.stack([del3_five, d1_trims[1], d2_trims[1]], axis=1)
        right_del = np.stack([np.where(has_d1, d1_trims[0], del5_three),
                              np.where(has_d2, d2_trims[0], del5_three), del5_three], axis=1)
        n = np.stack([
            np.where(has_d1, self._count(rng, self._n_count(five_kind, "D"), size),
                     self._count(rng, self._n_count(five_kind, three_kind), size)),
            np.where(has_d2, self._count(rng, self._n_count("D", "D"), size),
                     self._count(rng, self._n_count("D", three_kind), size)),
            self._count(rng, self._n_count("D", three_kind), size),
        ], axis=1) * present
        p_left, p_right = (np.zeros((size, 3), dtype=np.int64) for _ in range(2))
        if self.p_nucleotides:
            for p, deleted in ((p_left, left_del), (p_right, right_del)):
                chance = rng.random((size, 3)) < P_NUCLEOTIDE_CHANCE
                p[:] = np.where(present & (deleted == 0) & chance,
                                1 + (rng.random((size, 3)) < 0.5), 0)

        in_frame = np.zeros(size, dtype=bool)
        if self.has_junction:
            length = five_lengths - del3_five - five_anchors + three_anchors - del5_three + 3
            length += (p_left + n + p_right).sum(axis=1)
            if four is not None:
                d_lengths = self._lengths["four"]
                for d, (del5, del3) in ((d1, d1_trims), (d2, d2_trims)):
                    length += np.where(d >= 0, d_lengths[np.maximum(d, 0)] - del5 - del3, 0)
            in_frame = length % 3 == 0
        flat = n.ravel()
        n_start = (np.cumsum(flat) - flat).reshape(n.shape)
        codes = rng.choice(4, size=int(flat.sum()), p=N_COMPOSITION)
        n_bases = _ASCII[codes].tobytes().decode("ascii")
        return _Batch(five, d1, d2, three, del3_five, d1_trims, d2_trims, del5_three, p_left,
                      n, p_right, n_start, n_bases, in_frame)

    def assemble(self, batch: _Batch, index: int, system: str, role: str) -> Clone:
        """The clone of candidate ``index``: its molecule, segments and junction."""
        i = index
        parts: list[tuple[Allele, str, int, int]] = [
            (self.five.alleles[batch.five[i]], self.five.kind, 0, int(batch.del3_five[i]))]
        for d, (del5, del3) in ((batch.d1, batch.d1_trims), (batch.d2, batch.d2_trims)):
            if d[i] >= 0:
                assert self.four is not None
                parts.append((self.four.alleles[d[i]], "D", int(del5[i]), int(del3[i])))
        parts.append((self.three.alleles[batch.three[i]], self.three.kind,
                      int(batch.del5_three[i]), 0))
        kept = [a.sequence[d5 : len(a.sequence) - d3] for a, _, d5, d3 in parts]
        pieces: list[str] = []
        inserts: list[str] = []
        placed: list[PlacedSegment] = []
        position = 0
        for gap, ((allele, kind, del5, del3), piece) in enumerate(zip(parts, kept, strict=True)):
            placed.append(PlacedSegment(kind, allele.name, position, position + len(piece),
                                        del5, del3))
            pieces.append(piece)
            position += len(piece)
            if gap == len(parts) - 1:
                break
            p_left, p_right = int(batch.p_left[i, gap]), int(batch.p_right[i, gap])
            start = int(batch.n_start[i, gap])
            insert = (reverse_complement(piece[len(piece) - p_left :]) if p_left else "")
            insert += batch.n_bases[start : start + int(batch.n[i, gap])]
            insert += reverse_complement(kept[gap + 1][:p_right]) if p_right else ""
            inserts.append(insert)
            pieces.append(insert)
            position += len(insert)
        sequence = "".join(pieces)
        five, three = parts[0][0], parts[-1][0]
        junction_start = junction_end = None
        in_frame = stop = productive = None
        if self.has_junction:
            assert five.anchor is not None and three.anchor is not None
            junction_start = five.anchor
            junction_end = placed[-1].start + three.anchor - parts[-1][2] + 3
            in_frame, stop, productive = productivity(sequence, junction_start, junction_end)
            read_start_max = max(0, junction_start - READ_V_MARGIN)
            read_end_min = min(len(sequence), junction_end + READ_J_MARGIN)
        else:
            read_start_max = max(0, placed[0].end - min(len(kept[0]), READ_SEGMENT_MARGIN))
            read_end_min = min(len(sequence),
                               placed[-1].start + min(len(kept[-1]), READ_SEGMENT_MARGIN))
        return Clone(
            clone_id="", system=system, locus=three.locus or five.locus or system[:3], role=role,
            sequence=sequence, segments=placed, inserts=inserts, junction_start=junction_start,
            junction_end=junction_end, productive=productive, vj_in_frame=in_frame,
            stop_codon=stop, shm_rate=0.0, read_start_max=read_start_max,
            read_end_min=read_end_min,
        )


#: the window a detector takes around a junction (vidjil's default), and how far from the
#: middle of the joint (between the 5' segment's end and the 3' one's start) it may centre
#: it: no two clones of a system share such a window.  A detector finding the junction
#: by its V and J seeds centres it there (ours: within 5 nt for 97% of the clones, 90% in
#: IGH); the junction's middle lies 8-10 nt away in IGK, IGL and TRA.
WINDOW = 50
CENTRING = 5


def _junction_windows(clone: Clone) -> set[str]:
    """The WINDOW-long pieces of the molecule centred within CENTRING nt of the middle of
    its joint."""
    middle = (clone.segments[0].end + clone.segments[-1].start) // 2
    firsts = (max(0, middle + shift - WINDOW // 2) for shift in range(-CENTRING, CENTRING + 1))
    return {clone.sequence[first : first + WINDOW] for first in firsts}


def _hotspot_cumulative(sequence: str) -> np.ndarray:
    """Cumulative SHM targeting weights: WRC/GYW hotspots x4, WA/TW x2, others x1."""
    codes = np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)
    weights = np.ones(len(codes))
    padded = np.concatenate([[0, 0], codes, [0, 0]])
    before2, before1 = padded[:-4], padded[1:-3]
    after1, after2 = padded[3:-1], padded[4:]
    weak = [ord("A"), ord("T")]
    wrc = (codes == ord("C")) & np.isin(before1, [ord("A"), ord("G")]) & np.isin(before2, weak)
    gyw = (codes == ord("G")) & np.isin(after1, [ord("C"), ord("T")]) & np.isin(after2, weak)
    wa = (codes == ord("A")) & np.isin(before1, weak)
    tw = (codes == ord("T")) & np.isin(after1, weak)
    weights[wa | tw] = 2.0
    weights[wrc | gyw] = 4.0
    return np.cumsum(weights)


class Repertoire:
    """A patient: a genotype for each system asked for, and the clones drawn from it.

    ``rng`` makes the genotype here, then every clone, so that a seed gives the same
    patient and the same clones in the same order.
    """

    def __init__(self, preset: Preset, systems: Sequence[str], rng: np.random.Generator, *,
                 shm: bool = True, p_nucleotides: bool = True) -> None:
        self._rng = rng
        self._shm = shm
        self._samplers: dict[str, list[_Sampler]] = {}
        self.models: dict[str, LocusModel] = {}
        self._hotspots: dict[str, np.ndarray] = {}
        self._v_alleles: dict[str, Allele] = {}
        self._windows: dict[str, set[str]] = {}
        self._counters: dict[str, int] = {}
        pools: dict[tuple[tuple[str, ...], str], AllelePool] = {}

        def pool(files: list[str], side: str) -> AllelePool:
            key = (tuple(files), side)
            if key not in pools:
                pools[key] = build_pool(preset, files, side, rng)
            return pools[key]

        for name in systems:
            recombinations = preset.systems[name].recombinations
            sides = [(pool(r.five, "five"), pool(r.four, "four") if r.four else None,
                      pool(r.three, "three")) for r in recombinations]
            model = model_for_system(name, [a for _, _, three in sides for a in three.alleles])
            self.models[name] = model
            self._samplers[name] = [_Sampler(five, four, three, model, p_nucleotides)
                                    for five, four, three in sides]
            self._v_alleles.update((a.name, a) for five, _, _ in sides if five.kind == "V"
                                   for a in five.alleles)

    def germline_alleles(self, kind: str) -> list[Allele]:
        """Every allele of ``kind`` (V, J) in the patient's pools (for noise reads)."""
        seen: dict[str, Allele] = {}
        for samplers in self._samplers.values():
            for sampler in samplers:
                for side in (sampler.five, sampler.three):
                    if side.kind == kind:
                        seen.update((a.name, a) for a in side.alleles)
        return list(seen.values())

    def draw_clones(self, system: str, role: str, count: int) -> list[Clone]:
        """``count`` new clones of ``system``, productive with the share their ``role`` has.

        Clone ids are ``<system>-<n>``, numbered in the order clones are asked for.  The
        clones of a patient differ around their junction (see :func:`_junction_windows`):
        convergent recombinations exist, but a truth set whose clones a detector can
        tell apart keeps accuracy figures meaningful.
        """
        rng = self._rng
        samplers = self._samplers[system]
        want_productive = rng.random(count) < PRODUCTIVE_SHARE[role]
        sampler_of = rng.integers(0, len(samplers), count)
        clones: list[Clone | None] = [None] * count
        seen = self._windows.setdefault(system, set())
        for number, sampler in enumerate(samplers):
            slots = np.flatnonzero(sampler_of == number)
            if not sampler.has_junction:
                want = deque(slots.tolist())
                queues = (want, want)
            else:
                queues = (deque(slots[~want_productive[slots]].tolist()),
                          deque(slots[want_productive[slots]].tolist()))
            batches = 0
            while queues[0] or queues[1]:
                batches += 1
                give_up = batches > MAX_BATCHES
                needed = 4 * len(queues[1]) + 2 * len(queues[0])
                batch = sampler.draw(rng, max(BATCH_MIN, needed))
                for index in range(batch.size):
                    if not (queues[0] or queues[1]):
                        break
                    if sampler.has_junction and not batch.in_frame[index] and not queues[0] \
                            and not give_up:
                        continue
                    clone = sampler.assemble(batch, index, system, role)
                    windows = _junction_windows(clone)
                    queue = queues[bool(clone.productive)]
                    if not queue or not seen.isdisjoint(windows):
                        if not give_up:
                            continue
                        queue = queue or queues[0] or queues[1]
                    seen.update(windows)
                    clones[queue.popleft()] = clone
        drawn = [clone for clone in clones if clone is not None]
        for clone in drawn:
            if self.models[system].shm and self._shm and clone.segments[0].kind == "V":
                self._hypermutate(clone)
            self._counters[system] = self._counters.get(system, 0) + 1
            clone.clone_id = f"{system}-{self._counters[system]}"
        return drawn

    def _hypermutate(self, clone: Clone) -> None:
        """Somatic hypermutation of the V before Cys104, sparing stop codons (selection)."""
        rng = self._rng
        if rng.random() < SHM_UNMUTATED:
            return
        v = self._v_alleles[clone.segments[0].allele]
        region = v.anchor
        assert region is not None
        if v.name not in self._hotspots:
            self._hotspots[v.name] = _hotspot_cumulative(v.sequence[:region])
        cumulative = self._hotspots[v.name]
        low, high = SHM_RATE_RANGE
        count = round(region * rng.uniform(low, high))
        picks = np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")
        targets = sorted(set(picks.tolist()))
        draws = rng.random((len(targets), 2)).tolist()
        frame = region % 3
        bases = bytearray(clone.sequence, "ascii")
        mutated = 0
        for position, (kind, which) in zip(targets, draws, strict=True):
            old = bases[position]
            bases[position] = _TRANSITION[old] if kind < 0.5 else _TRANSVERSIONS[old][which < 0.5]
            codon_start = position - (position - frame) % 3
            if codon_start >= 0 and bytes(bases[codon_start : codon_start + 3]) in _STOPS:
                bases[position] = old
                continue
            mutated += 1
        if not mutated:
            return
        clone.sequence = bases.decode("ascii")
        clone.shm_rate = round(mutated / clone.segments[0].end, 4)
        if clone.junction_start is not None and clone.junction_end is not None:
            clone.vj_in_frame, clone.stop_codon, clone.productive = productivity(
                clone.sequence, clone.junction_start, clone.junction_end)
