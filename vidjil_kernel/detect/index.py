"""One k-mer index of every germline file of a preset, for one pass per read.

Each distinct germline file used on a 5' or 3' side of a recombination is a
*group*.  The index maps a seed code to a label; a label says in which groups
the k-mer occurs as written (``plus``) and reverse-complemented (``minus``),
as bit masks.  Scanning a read once over this index therefore tests every
system on both strands.  Short groups (D genes on the side of incomplete
recombinations) cannot hold a long seed and go into a second index with a short
contiguous seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidjil_kernel.array_cache import cached_arrays, source_of
from vidjil_kernel.detect.encode import COMPLEMENT, NUCLEOTIDE_CODE, encode, seed_codes
from vidjil_kernel.detect.seeds import Seed
from vidjil_kernel.exceptions import GermlineError

MAX_GROUPS = 32
DEFAULT_SEED = "12s"
SHORT_SEED = "9c"
#: a group whose median allele is shorter than this goes to the short-seed index
SHORT_GROUP_LENGTH = 25


@dataclass(frozen=True)
class RecombinationSides:
    """A system's recombination as group bit masks (5' side, 3' side)."""

    system: str
    five: int
    three: int


@dataclass
class SeedTable:
    """Seed code -> label id (0: absent), with the label masks and per-group loads."""

    seed: Seed
    table: np.ndarray  # uint8 or uint16, size 4**weight
    plus: np.ndarray  # uint32 per label id
    minus: np.ndarray  # uint32 per label id
    load: np.ndarray  # float64 per group: probability that a random k-mer hits it, per strand


@dataclass
class KmerIndex:
    """Everything the affectation kernel needs about a preset."""

    groups: list[str]
    recombinations: list[RecombinationSides]
    main: SeedTable
    short: SeedTable | None
    short_mask: int = 0  # the groups (bits) indexed with the short seed

    @property
    def systems(self) -> list[str]:
        return list(dict.fromkeys(r.system for r in self.recombinations))

    def recombination_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(five masks, three masks, system ids) as arrays for the kernels."""
        systems = self.systems
        five = np.array([r.five for r in self.recombinations], dtype=np.uint32)
        three = np.array([r.three for r in self.recombinations], dtype=np.uint32)
        ids = np.array([systems.index(r.system) for r in self.recombinations], dtype=np.int32)
        return five, three, ids


def _group_codes(sequences: list[str], seed: Seed) -> tuple[np.ndarray, np.ndarray]:
    """Distinct seed codes (sorted) of the sequences as written, and reverse-complemented.

    The sequences are joined with an N, which no k-mer may span: one kernel call
    per strand instead of one per sequence.
    """
    raw = encode("N".join(sequences)).copy()  # writable, as the reads: one kernel signature
    codes = np.empty(max(len(raw), 1), dtype=np.int64)
    scratch = np.empty_like(codes)
    strands = []
    for strand in (raw, COMPLEMENT[raw[::-1]]):
        n = seed_codes(strand, 0, len(strand), seed.runs(), seed.span, NUCLEOTIDE_CODE, codes,
                       scratch)
        found = np.sort(codes[:n][codes[:n] >= 0])
        strands.append(found[_run_starts(found)])
    return strands[0], strands[1]


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts (as a boolean mask).

    ``np.unique`` gives the same result but hashes, several times slower here.
    """
    starts = np.ones(len(ordered), dtype=np.bool_)
    starts[1:] = ordered[1:] != ordered[:-1]
    return starts


def build_seed_table(groups: dict[str, list[str]], members: list[str], seed: Seed,
                     order: list[str]) -> SeedTable:
    """Index the groups named in ``members`` (bit of a group = its rank in ``order``).

    The table is mostly empty: its filled cells are what ``array_cache`` keeps.
    """
    key = [source_of("detect/index.py", "detect/seeds.py", "detect/encode.py"), seed.shape,
           "\n".join(order), "\n".join(members), *("\n".join(groups[name]) for name in members)]
    codes, labels, plus, minus, load = cached_arrays(
        "seed-table", key, lambda: _labelled_codes(groups, members, seed, order))
    table = np.zeros(seed.table_size, dtype=labels.dtype)
    table[codes] = labels
    return SeedTable(seed, table, plus, minus, load)


def _labelled_codes(groups: dict[str, list[str]], members: list[str], seed: Seed,
                    order: list[str]) -> tuple[np.ndarray, ...]:
    """The seed codes of the groups, their labels, the labels' masks and the groups' loads."""
    codes, plus_bits, minus_bits = [], [], []
    load = np.zeros(len(order), dtype=np.float64)
    for name in members:
        bit = np.uint32(1 << order.index(name))
        plus, minus = _group_codes(groups[name], seed)
        load[order.index(name)] = len(plus) / seed.table_size
        codes += [plus, minus]
        plus_bits += [np.full(len(plus), bit), np.zeros(len(minus), np.uint32)]
        minus_bits += [np.zeros(len(plus), np.uint32), np.full(len(minus), bit)]
    all_codes = np.concatenate(codes) if codes else np.empty(0, np.int64)
    by_code = np.argsort(all_codes, kind="stable")
    all_codes = all_codes[by_code]
    starts = np.flatnonzero(_run_starts(all_codes))
    unique_codes = all_codes[starts]
    if len(unique_codes):
        plus_masks = np.bitwise_or.reduceat(np.concatenate(plus_bits)[by_code], starts)
        minus_masks = np.bitwise_or.reduceat(np.concatenate(minus_bits)[by_code], starts)
    else:
        plus_masks = minus_masks = np.empty(0, np.uint32)
    pairs = (plus_masks.astype(np.uint64) << np.uint64(32)) | minus_masks.astype(np.uint64)
    ordered = np.sort(pairs)
    labels = ordered[_run_starts(ordered)]  # a few hundred: looked up, not argsorted
    label_of = np.searchsorted(labels, pairs)
    dtype = np.uint8 if len(labels) < 255 else np.uint16
    plus = np.concatenate([[0], (labels >> np.uint64(32)).astype(np.uint32)]).astype(np.uint32)
    minus = np.concatenate([[0], (labels & np.uint64(0xFFFFFFFF)).astype(np.uint32)])
    return (unique_codes.astype(np.uint32), (label_of + 1).astype(dtype), plus,  # 4**13 < 2**32
            minus.astype(np.uint32), load)


def build_index(groups: dict[str, list[str]],
                recombinations: list[tuple[str, list[str], list[str]]],
                seed: str = DEFAULT_SEED, short_seed: str = SHORT_SEED) -> KmerIndex:
    """Index ``groups`` (name -> sequences) for ``recombinations``.

    ``recombinations`` are (system, 5' group names, 3' group names).
    """
    order = list(dict.fromkeys(g for _, five, three in recombinations for g in (*five, *three)))
    if len(order) > MAX_GROUPS:
        raise GermlineError(f"{len(order)} germline files on 5'/3' sides, at most {MAX_GROUPS}")
    missing = [g for g in order if not groups.get(g)]
    if missing:
        raise GermlineError(f"no sequences for germline file(s) {', '.join(missing)}")
    main_seed, small_seed = Seed.parse(seed), Seed.parse(short_seed)
    short = [g for g in order
             if np.median([len(s) for s in groups[g]]) < SHORT_GROUP_LENGTH]
    main = [g for g in order if g not in short]
    sides = [RecombinationSides(system,
                                sum(1 << order.index(g) for g in five),
                                sum(1 << order.index(g) for g in three))
             for system, five, three in recombinations]
    return KmerIndex(
        groups=order,
        recombinations=sides,
        main=build_seed_table(groups, main, main_seed, order),
        short=build_seed_table(groups, short, small_seed, order) if short else None,
        short_mask=sum(1 << order.index(g) for g in short),
    )
