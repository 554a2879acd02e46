"""Counting reads by junction window, keeping a few reads of each window.

A ``WindowTable`` is an open-addressing hash table over the window sequences,
grown by the Python side between batches so that the numba kernel never
allocates.  For each distinct window it keeps the read count, the summed read
length, the reads on the reverse strand, the best e-value, and up to
``READS_KEPT`` reads (with qualities) that cover the most sequence around the
window: the best one represents the window when merging sequencing errors, and
all of them make the consensus of a clone.  Windows seen at least twice also get
an *error profile*: the summed error probabilities (from base qualities) of their
reads at each window position, i.e. how many reads of the window are expected to
carry an error there, which the error merging needs.  Memory grows with the number
of distinct windows, not with the number of reads; and the windows that sequencing
errors make, one more every few reads, are folded into their clone's (``fold``) when
the table outgrows its budget, so that it grows with clones only.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from vidjil_kernel.detect.encode import COMPLEMENT
from vidjil_kernel.jit import inner, kernel

READS_KEPT = 5
#: the kept reads' arena is compacted when full, and grown to ARENA_GROWTH times what it
#: keeps when that fills more than ARENA_FILL of it: all of it is touched between two
#: compactions, so its size, not what it keeps, is the memory it takes
ARENA_FILL = 0.8
ARENA_GROWTH = 1.25
EMPTY = -1
#: Phred score -> error probability
ERROR_OF_PHRED = (10.0 ** (-np.arange(256) / 10.0)).astype(np.float32)
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@inner
def _hash_bytes(data, start, stop):
    h = _FNV_OFFSET
    for i in range(start, stop):
        h = (h ^ np.uint64(data[i])) * _FNV_PRIME
    return h ^ (h >> np.uint64(29))


@inner
def find_row(window, width, slots, keys, win_offset, win_width, win_arena):
    """(row of ``window[:width]`` or EMPTY, its hash, the slot it has or would have)."""
    h = _hash_bytes(window, 0, width)
    mask = slots.shape[0] - 1
    slot = np.int64(h & np.uint64(mask))
    while True:
        row = slots[slot]
        if row == EMPTY:
            return row, h, slot
        if keys[row] == h and win_width[row] == width:
            offset = win_offset[row]
            same = True
            for i in range(width):
                if win_arena[offset + i] != window[i]:
                    same = False
                    break
            if same:
                return row, h, slot
        slot = (slot + 1) & mask


@inner
def _find_or_add(window, width, slots, keys, win_offset, win_width, win_arena, used, n_rows):
    """Row of ``window[:width]``; adds it if new.  Returns (row, is_new, new arena use)."""
    row, h, slot = find_row(window, width, slots, keys, win_offset, win_width, win_arena)
    if row != EMPTY:
        return row, False, used
    row = n_rows
    slots[slot] = row
    keys[row] = h
    win_offset[row] = used
    win_width[row] = width
    for i in range(width):
        win_arena[used + i] = window[i]
    return row, True, used + width


@kernel
def add_batch(seq, qual, offsets, status, rec, strand, win_start, win_width_in, log10_e,
              slots, keys, win_offset, win_width, win_arena, win_used,
              row_rec, row_count, row_length_sum, row_reverse, row_best_e,
              kept_offset, kept_length, kept_score, kept_window, kept_count,
              read_arena, qual_arena, read_used, n_rows, row_profile, profiles, n_profiles,
              row_of_read):
    """Add the analysed reads of a batch; returns (n_rows, win_used, read_used, n_profiles).

    ``qual`` is empty for FASTA (no error profiles then, nor when ``profiles`` has no
    column).  The caller guarantees room for one new row, one window, one read and
    one profile per read of the batch.  ``row_of_read`` receives each read's row
    (-1 when not analysed).
    """
    max_len = 0
    for r in range(offsets.shape[0] - 1):
        max_len = max(max_len, offsets[r + 1] - offsets[r])
    oriented = np.empty(max_len, np.uint8)
    oriented_qual = np.empty(max_len, np.uint8)
    has_qual = qual.shape[0] > 0
    profiled = has_qual and profiles.shape[1] > 0
    for r in range(offsets.shape[0] - 1):
        row_of_read[r] = -1
        if status[r] != 0:
            continue
        begin = offsets[r]
        length = offsets[r + 1] - begin
        if strand[r] > 0:
            for i in range(length):
                oriented[i] = seq[begin + i]
                if has_qual:
                    oriented_qual[i] = qual[begin + i]
        else:
            for i in range(length):
                oriented[i] = COMPLEMENT[seq[begin + length - 1 - i]]
                if has_qual:
                    oriented_qual[i] = qual[begin + length - 1 - i]
        start = win_start[r]
        width = win_width_in[r]
        row, is_new, win_used = _find_or_add(oriented[start:start + width], width, slots, keys,
                                             win_offset, win_width, win_arena, win_used, n_rows)
        if is_new:
            n_rows += 1
            row_rec[row] = rec[r]
            row_count[row] = 0
            row_length_sum[row] = 0
            row_reverse[row] = 0
            row_best_e[row] = np.inf
            kept_count[row] = 0
            row_profile[row] = EMPTY
        row_of_read[r] = row
        row_count[row] += 1
        row_length_sum[row] += length
        if strand[r] < 0:
            row_reverse[row] += 1
        row_best_e[row] = min(row_best_e[row], log10_e[r])
        if profiled and row_count[row] >= 2:
            if row_count[row] == 2:  # the first read of the window is its kept read 0
                profile = n_profiles
                n_profiles += 1
                row_profile[row] = profile
                first = kept_offset[row, 0] + kept_window[row, 0]
                for i in range(width):
                    profiles[profile, i] = ERROR_OF_PHRED[qual_arena[first + i]]
            profile = row_profile[row]
            for i in range(width):
                profiles[profile, i] += ERROR_OF_PHRED[oriented_qual[start + i]]
        # keep the reads covering the most sequence around the window
        score = length - width
        slot = -1
        if kept_count[row] < kept_offset.shape[1]:
            slot = kept_count[row]
            kept_count[row] += 1
        else:
            worst = 0
            for k in range(1, kept_offset.shape[1]):
                if kept_score[row, k] < kept_score[row, worst]:
                    worst = k
            if score > kept_score[row, worst]:
                slot = worst
        if slot >= 0:
            kept_offset[row, slot] = read_used
            kept_length[row, slot] = length
            kept_score[row, slot] = score
            kept_window[row, slot] = start
            for i in range(length):
                read_arena[read_used + i] = oriented[i]
                if has_qual:
                    qual_arena[read_used + i] = oriented_qual[i]
            read_used += length
    return n_rows, win_used, read_used, n_profiles


@kernel
def rehash(keys, n_rows, slots):
    """Refill ``slots`` (all EMPTY, power-of-two size) from the first ``n_rows`` keys."""
    mask = slots.shape[0] - 1
    for row in range(n_rows):
        slot = np.int64(keys[row] & np.uint64(mask))
        while slots[slot] != EMPTY:
            slot = (slot + 1) & mask
        slots[slot] = row


@kernel
def _move_reads(slots_in_order, kept_offset, kept_length, read_arena, qual_arena, has_qual):
    """Pack the kept reads, given in arena order as (row, slot), to the arena start."""
    used = 0
    for i in range(slots_in_order.shape[0]):
        row = slots_in_order[i, 0]
        k = slots_in_order[i, 1]
        source = kept_offset[row, k]
        length = kept_length[row, k]
        for j in range(length):
            read_arena[used + j] = read_arena[source + j]
            if has_qual:
                qual_arena[used + j] = qual_arena[source + j]
        kept_offset[row, k] = used
        used += length
    return used


@kernel
def _pack_windows(rows, win_offset, win_width, win_arena):
    """Move the windows of ``rows`` (increasing, windows in the arena in row order) to the
    arena start, in place; returns the new use (``win_offset`` is not yet renumbered)."""
    used = 0
    for row in rows:
        source = win_offset[row]
        for i in range(win_width[row]):
            win_arena[used + i] = win_arena[source + i]
        win_offset[row] = used
        used += win_width[row]
    return used


def compact_reads(kept_offset: np.ndarray, kept_length: np.ndarray, kept_count: np.ndarray,
                  n_rows: int, read_arena: np.ndarray, qual_arena: np.ndarray,
                  has_qual: bool) -> int:
    """Drop the bytes of replaced reads from the arenas, in place; returns the new use."""
    rows, slots = np.nonzero(np.arange(kept_offset.shape[1]) < kept_count[:n_rows, None])
    order = np.argsort(kept_offset[rows, slots], kind="stable")
    in_order = np.stack([rows[order], slots[order]], axis=1).astype(np.int64)
    return _move_reads(in_order, kept_offset, kept_length, read_arena, qual_arena, has_qual)


#: the arrays with an entry (or a row) per window: dtype, shape of the row
_ROW_ARRAYS = {
    "keys": (np.uint64, ()), "win_offset": (np.int64, ()), "win_width": (np.int32, ()),
    "row_rec": (np.int32, ()), "row_count": (np.int64, ()), "row_length_sum": (np.int64, ()),
    "row_reverse": (np.int64, ()), "row_best_e": (np.float64, ()),
    "row_folded": (np.int64, ()),  # reads of the windows folded into this one
    # reads of the input read when the window last looked for a parent in vain in a
    # fold (merge.find_parents)
    "row_looked": (np.int64, ()),
    "kept_offset": (np.int64, (READS_KEPT,)), "kept_length": (np.int32, (READS_KEPT,)),
    "kept_score": (np.int32, (READS_KEPT,)), "kept_window": (np.int32, (READS_KEPT,)),
    "kept_count": (np.int32, ()), "row_profile": (np.int64, ()),
}
#: the row arrays that add_batch does not set in a new row (0 there)
_UNSET_IN_NEW_ROWS = ("row_folded", "row_looked")
_ROW_BYTES = sum(np.dtype(dtype).itemsize * int(np.prod(shape))
                 for dtype, shape in _ROW_ARRAYS.values())


class WindowTable:
    """Distinct windows of one sample, their counts and a few of their reads."""

    def __init__(self, has_qual: bool, window: int, rows: int = 1 << 14,
                 arena: int = 1 << 22) -> None:
        self.has_qual = has_qual
        self.n_rows = 0
        self.n_profiles = 0
        self.profiles = np.zeros((rows if has_qual else 0, max(window, 0)), np.float32)
        self.win_used = 0
        self.read_used = 0
        self._allocate_rows(rows)
        self.win_arena = np.empty(rows * 64, np.uint8)
        self.read_arena = np.empty(arena, np.uint8)
        self.qual_arena = np.empty(arena if has_qual else 0, np.uint8)

    def _allocate_rows(self, capacity: int) -> None:
        old = getattr(self, "keys", None)
        n = self.n_rows

        def grow(name: str, dtype: type, shape: tuple[int, ...]) -> None:
            array = np.zeros(shape, dtype)
            if old is not None:
                array[:n] = getattr(self, name)[:n]
            setattr(self, name, array)

        for name, (dtype, shape) in _ROW_ARRAYS.items():
            grow(name, dtype, (capacity, *shape))
        self.slots = np.full(1 << (2 * capacity - 1).bit_length(), EMPTY, np.int64)
        rehash(self.keys, n, self.slots)

    def _reserve(self, reads: int, read_bytes: int) -> None:
        if self.n_rows + reads > self.keys.shape[0]:
            self._allocate_rows(max(2 * self.keys.shape[0], self.n_rows + reads))
        if self.has_qual and self.n_profiles + reads > self.profiles.shape[0]:
            grown = np.zeros((max(2 * self.profiles.shape[0], self.n_profiles + reads),
                              self.profiles.shape[1]), np.float32)
            grown[:self.n_profiles] = self.profiles[:self.n_profiles]
            self.profiles = grown
        if self.win_used + read_bytes > self.win_arena.shape[0]:
            grown = np.empty(max(2 * self.win_arena.shape[0], self.win_used + read_bytes),
                             np.uint8)
            grown[:self.win_used] = self.win_arena[:self.win_used]
            self.win_arena = grown
        if self.read_used + read_bytes > self.read_arena.shape[0]:
            self._compact_reads()
            needed = self.read_used + read_bytes
            if needed > ARENA_FILL * self.read_arena.shape[0]:
                self._resize_reads(int(ARENA_GROWTH * needed))

    def _compact_reads(self) -> None:
        self.read_used = compact_reads(self.kept_offset, self.kept_length, self.kept_count,
                                       self.n_rows, self.read_arena, self.qual_arena,
                                       self.has_qual)

    def _resize_reads(self, size: int) -> None:
        self.read_arena = _grown(self.read_arena, size, self.read_used)
        if self.has_qual:
            self.qual_arena = _grown(self.qual_arena, size, self.read_used)

    def add(self, seq: np.ndarray, qual: np.ndarray | None, offsets: np.ndarray,
            calls: dict[str, np.ndarray]) -> np.ndarray:
        """Add the analysed reads of a batch; returns the row of each read (-1: not analysed)."""
        n = offsets.shape[0] - 1
        self._reserve(n, int(offsets[-1] - offsets[0]))
        row_of_read = np.empty(n, np.int64)
        self.n_rows, self.win_used, self.read_used, self.n_profiles = add_batch(
            seq, qual if qual is not None else np.empty(0, np.uint8), offsets,
            calls["status"], calls["rec"], calls["strand"], calls["win_start"],
            calls["win_width"], calls["log10_evalue"],
            self.slots, self.keys, self.win_offset, self.win_width, self.win_arena,
            self.win_used, self.row_rec, self.row_count, self.row_length_sum,
            self.row_reverse, self.row_best_e, self.kept_offset, self.kept_length,
            self.kept_score, self.kept_window, self.kept_count, self.read_arena,
            self.qual_arena, self.read_used, self.n_rows, self.row_profile, self.profiles,
            self.n_profiles, row_of_read)
        return row_of_read

    def reads(self) -> np.ndarray:
        """Reads of each window: its own and those of the windows folded into it."""
        return self.row_count[:self.n_rows] + self.row_folded[:self.n_rows]

    def footprint(self, incoming: int = 0) -> int:
        """Bytes the table takes: its rows, windows and error profiles, its kept reads'
        arenas (all of each is touched between two compactions); with ``incoming`` bytes
        of reads, the most it takes once they are added (the arenas grown for all)."""
        arenas = self.read_arena.nbytes + self.qual_arena.nbytes
        if self.read_used + incoming > self.read_arena.shape[0]:
            arenas = int(arenas * ARENA_GROWTH * (self.read_used + incoming)
                         / self.read_arena.shape[0])
        return (self.n_rows * _ROW_BYTES + self.slots.nbytes + self.win_used + arenas
                + self.n_profiles * self.profiles.shape[1] * self.profiles.itemsize)

    def row_bytes(self, rows: np.ndarray) -> np.ndarray:
        """Bytes of the table each of ``rows`` takes: its row, its window, its kept reads."""
        kept = np.arange(READS_KEPT) < self.kept_count[rows, None]
        read_bytes = np.where(kept, self.kept_length[rows], 0).sum(axis=1)
        return _ROW_BYTES + self.win_width[rows] + read_bytes * (2 if self.has_qual else 1)

    def fold(self, dropped: np.ndarray, into: np.ndarray) -> np.ndarray:
        """Fold the windows ``dropped`` (rows) into ``into`` (rows, not dropped; -1: into
        none): their reads count in those windows' clones (``row_folded``, summed lengths,
        reverse reads, best e-value) and they are forgotten, with their kept reads and
        error profiles; the rows left are renumbered in order.  Returns each old row's new
        row (a dropped one's: the window it was folded into's, or -1).
        """
        n = self.n_rows
        to = into >= 0
        dropped_to, into_to = dropped[to], into[to]
        np.add.at(self.row_folded, into_to,
                  self.row_count[dropped_to] + self.row_folded[dropped_to])
        np.add.at(self.row_length_sum, into_to, self.row_length_sum[dropped_to])
        np.add.at(self.row_reverse, into_to, self.row_reverse[dropped_to])
        np.minimum.at(self.row_best_e, into_to, self.row_best_e[dropped_to])
        keep = np.ones(n, np.bool_)
        keep[dropped] = False
        kept = np.flatnonzero(keep)
        new_of_old = np.cumsum(keep) - 1
        new_of_old[dropped] = np.where(to, new_of_old[np.maximum(into, 0)], -1)
        self.win_used = _pack_windows(kept, self.win_offset, self.win_width, self.win_arena)
        for name in _ROW_ARRAYS:
            array = getattr(self, name)
            array[:len(kept)] = array[kept]
        self.n_rows = len(kept)
        for name in _UNSET_IN_NEW_ROWS:
            getattr(self, name)[self.n_rows:n] = 0
        profiled = np.flatnonzero(self.row_profile[:self.n_rows] != EMPTY)
        if self.has_qual:
            self.profiles[:len(profiled)] = self.profiles[self.row_profile[profiled]]
            self.row_profile[profiled] = np.arange(len(profiled))
        self.n_profiles = len(profiled)
        self._compact_reads()
        if ARENA_GROWTH * self.read_used < self.read_arena.shape[0]:  # give the rest back
            self._resize_reads(int(ARENA_GROWTH * self.read_used) + 1)
        self.slots.fill(EMPTY)
        rehash(self.keys, self.n_rows, self.slots)
        return new_of_old

    def narrow_reads(self, rows: np.ndarray, margin: int) -> None:
        """Keep of the kept reads of ``rows`` only the bases a merge reads: their window
        and ``margin`` bases on each side, on the right of the widest window of the table
        (a parent's may be wider); the others are dropped at the next compaction.

        For the windows of one read that a fold could not place, whose reads grow the
        table with the reads of the input: a read kept only as an error candidate
        needs no more (a window that gets more reads keeps them whole).
        """
        n = self.n_rows
        widest = int(self.win_width[:n].max(initial=0))
        kept = np.arange(READS_KEPT) < self.kept_count[rows, None]
        which, slot = np.nonzero(kept)
        row_of = rows[which]
        start = self.kept_window[row_of, slot].astype(np.int64)
        length = self.kept_length[row_of, slot].astype(np.int64)
        cut = np.maximum(start - margin, 0)
        end = np.minimum(length, start + np.maximum(widest, self.win_width[row_of]) + margin)
        self.kept_offset[row_of, slot] += cut
        self.kept_window[row_of, slot] = start - cut
        self.kept_length[row_of, slot] = end - cut
        self.kept_score[row_of, slot] = end - cut - self.win_width[row_of]

    def window(self, row: int) -> bytes:
        offset = self.win_offset[row]
        return self.win_arena[offset:offset + self.win_width[row]].tobytes()

    def best_kept_reads(self, rows: np.ndarray
                        ) -> Iterator[tuple[np.ndarray, np.ndarray | None, int]]:
        """The first of :meth:`kept_reads` of each of ``rows``, all found at once (for
        the thousands of clones whose best kept read stands for them)."""
        slots = np.arange(READS_KEPT)
        scores = np.where(slots < self.kept_count[rows, None], self.kept_score[rows],
                          np.iinfo(self.kept_score.dtype).min)
        best = scores.argmax(axis=1)  # the first of equal scores, as in kept_reads
        for offset, length, window in zip(self.kept_offset[rows, best].tolist(),
                                          self.kept_length[rows, best].tolist(),
                                          self.kept_window[rows, best].tolist(), strict=True):
            quality = self.qual_arena[offset:offset + length] if self.has_qual else None
            yield self.read_arena[offset:offset + length], quality, window

    def kept_reads(self, row: int) -> list[tuple[np.ndarray, np.ndarray | None, int]]:
        """(sequence, qualities or None, window start) of the kept reads, best first."""
        count = self.kept_count[row]
        order = sorted(range(count), key=lambda k: -self.kept_score[row, k])
        reads = []
        for k in order:
            offset, length = self.kept_offset[row, k], self.kept_length[row, k]
            sequence = self.read_arena[offset:offset + length]
            quality = self.qual_arena[offset:offset + length] if self.has_qual else None
            reads.append((sequence, quality, int(self.kept_window[row, k])))
        return reads


def _grown(array: np.ndarray, size: int, used: int) -> np.ndarray:
    grown = np.empty(size, array.dtype)
    grown[:used] = array[:used]
    return grown
