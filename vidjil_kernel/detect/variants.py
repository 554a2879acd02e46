"""Finding the windows a substitution or two away from a read's, by hashing them whole.

A read alone in its window because of an error in the unique bases of its junction
shares with its clone's window only pieces that the windows of hundreds of clones of
the same V end and J start share too; the piece index of :mod:`~vidjil_kernel.detect.merge`
keeps the biggest windows of a piece, and a clone of tens of reads is not among them.
Here the clone's window is looked up whole: the read's stretch at each shift near its
window, as read, with a substitution at one of its worst-read bases (at any base
without qualities), and with two at its very worst, is looked up among the parents'
windows.  The stretches are hashed by a polynomial over the bases, so that a shift or a
substitution updates a hash in constant time; a lookup of a window that is not there
mostly reads a bit of a filter small enough to stay in the processor's cache.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidjil_kernel.detect.encode import NUCLEOTIDE_CODE
from vidjil_kernel.detect.windows import EMPTY, WindowTable
from vidjil_kernel.jit import inner, kernel

#: substitutions looked at in a stretch: one among its LOW worst-read bases (anywhere
#: without qualities), two among its PAIRED worst
MAX_SUBSTITUTIONS = 2
LOW = 16
PAIRED = 6
_BASE = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)
#: bits of the filter per indexed window: a lookup of a window not there reads the
#: filter only 15 times out of 16
_FILTER_BITS = 16


@dataclass(frozen=True)
class VariantIndex:
    """The parents' windows by hash: ``slots`` (rows, EMPTY where none) and ``keys``
    (their hashes), open addressing; ``present``, a bit per hash value range, set for
    those of the windows; ``powers[k]`` is the hash base to the k."""

    slots: np.ndarray
    keys: np.ndarray
    present: np.ndarray
    powers: np.ndarray

    @staticmethod
    def none() -> VariantIndex:
        """An index of no window."""
        return VariantIndex(np.full(2, EMPTY, np.int64), np.zeros(2, np.uint64),
                            np.zeros(1, np.uint64), np.ones(1, np.uint64))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """What the kernels take of it, in their argument order."""
        return self.slots, self.keys, self.present, self.powers


@inner
def _mixed(key):
    """``key`` with all its bits stirred into the low ones and the high ones (as
    MurmurHash3 ends): the slot is the low bits, the filter's bit the high ones."""
    key = (key ^ (key >> np.uint64(33))) * _MIX
    return key ^ (key >> np.uint64(29))


@inner
def _filter_bit(mixed, present):
    """Word and bit of ``present`` for a mixed hash."""
    bit = (mixed >> np.uint64(32)) & np.uint64(present.shape[0] * 64 - 1)
    return np.int64(bit >> np.uint64(6)), np.uint64(1) << (bit & np.uint64(63))


@inner
def _letter(byte):
    """The hashed value of a base: 1-4 for A, C, G, T, 5 for anything else (N)."""
    return np.uint64(NUCLEOTIDE_CODE[byte] + 1)


@inner
def stretch_key(sequence, first, last):
    """The hash of ``sequence[first:last]``, and whether it holds no N."""
    key = np.uint64(0)
    usable = True
    for i in range(first, last):
        value = _letter(sequence[i])
        usable = usable and value < np.uint64(5)
        key = key * _BASE + value
    return key, usable


@kernel
def _fill(parents, win_offset, win_width, win_arena, slots, keys, present):
    """Put each parent's window into the index (windows holding an N are left out)."""
    mask = slots.shape[0] - 1
    for row in parents:
        key, usable = stretch_key(win_arena, win_offset[row], win_offset[row] + win_width[row])
        if not usable:
            continue
        mixed = _mixed(key)
        slot = np.int64(mixed & np.uint64(mask))
        while slots[slot] != EMPTY:
            slot = (slot + 1) & mask
        slots[slot] = row
        keys[slot] = key
        word, bit = _filter_bit(mixed, present)
        present[word] |= bit


def variant_index(table: WindowTable, parents: np.ndarray) -> VariantIndex:
    """The index of the windows of ``parents``, rows of ``table``."""
    size = 2
    while size < 2 * parents.shape[0] + 2:
        size *= 2
    slots = np.full(size, EMPTY, np.int64)
    keys = np.zeros(size, np.uint64)
    present = np.zeros(max(1, size * _FILTER_BITS // 2 // 64), np.uint64)  # a power of 2
    _fill(parents.astype(np.int64), table.win_offset, table.win_width, table.win_arena,
          slots, keys, present)
    widest = int(table.win_width[:table.n_rows].max(initial=1))
    powers = np.ones(widest + 1, np.uint64)
    with np.errstate(over="ignore"):  # powers modulo 2**64, as the kernels compute them
        for k in range(1, widest + 1):
            powers[k] = powers[k - 1] * _BASE
    return VariantIndex(slots, keys, present, powers)


@inner
def _lookup(key, read, start, width, allowed, slots, keys, present, win_offset, win_width,
            win_arena, rows, starts, subs, found):
    """Record each window of ``width`` whose hash is ``key`` and that differs from
    ``read[start:start + width]`` at ``allowed`` bases at most (a hash collision would
    differ at more); returns the new count."""
    mixed = _mixed(key)
    word, bit = _filter_bit(mixed, present)
    if not present[word] & bit:
        return found
    mask = slots.shape[0] - 1
    slot = np.int64(mixed & np.uint64(mask))
    while slots[slot] != EMPTY and found < rows.shape[0]:
        row = slots[slot]
        if keys[slot] == key and win_width[row] == width:
            differ = 0
            for i in range(width):
                if win_arena[win_offset[row] + i] != read[start + i]:
                    differ += 1
            if differ <= allowed:
                rows[found] = row
                starts[found] = start
                subs[found] = allowed
                found += 1
        slot = (slot + 1) & mask
    return found


@inner
def stretch_hashes(read, first, end, prefix):
    """Hashes of the prefixes of ``read[first:end]`` into ``prefix[first:end + 1]``: the
    hash of any stretch between first and end is then two of them (``variant_windows``)."""
    prefix[first] = np.uint64(0)
    for i in range(first, end):
        prefix[i + 1] = prefix[i] * _BASE + _letter(read[i])


@inner
def worst_bases(read_cost, first, end, low):
    """The positions of the lowest costs of ``read_cost[first:end]``, lowest first, into
    ``low`` (as many as it holds); positive costs only (0: not known).  Returns how many."""
    most = low.shape[0]
    n_low = 0
    for i in range(first, end):
        if read_cost[i] <= 0.0:
            continue
        if n_low == most and read_cost[i] >= read_cost[low[n_low - 1]]:
            continue
        j = min(n_low, most - 1)
        n_low = min(n_low + 1, most)
        while j > 0 and read_cost[low[j - 1]] > read_cost[i]:
            low[j] = low[j - 1]
            j -= 1
        low[j] = i
    return n_low


@inner
def _substituted(key, read, i, start, width, powers, value):
    """The hash of ``read[start:start + width]`` (``key``) with base ``i`` made ``value``."""
    weight = powers[width - 1 - (i - start)]
    return key - _letter(read[i]) * weight + np.uint64(value) * weight


@inner
def variant_windows(read, start, width, prefix, low, n_low, slots, keys, present, powers,
                    win_offset, win_width, win_arena, rows, starts, subs, found):
    """Add the parents' windows of ``width`` that ``read`` holds at ``start`` at most
    MAX_SUBSTITUTIONS substitutions away to ``rows``, ``starts`` and ``subs`` (how many
    substitutions), from ``found`` on; returns the new count (at most their length).

    One substitution is looked at among the ``n_low`` worst-read bases in ``low`` (from
    ``worst_bases``; anywhere when none is known), two among the PAIRED worst.
    ``prefix`` comes from ``stretch_hashes`` over the stretch.
    """
    key = prefix[start + width] - prefix[start] * powers[width]
    found = _lookup(key, read, start, width, 0, slots, keys, present, win_offset, win_width,
                    win_arena, rows, starts, subs, found)
    for a in range(n_low if n_low else width):
        i = low[a] if n_low else start + a
        if start <= i < start + width:
            for value in range(1, 5):
                if value != _letter(read[i]):
                    found = _lookup(_substituted(key, read, i, start, width, powers, value),
                                    read, start, width, 1, slots, keys, present, win_offset,
                                    win_width, win_arena, rows, starts, subs, found)
    paired = min(n_low, PAIRED)
    for a in range(paired):
        for b in range(a + 1, paired):
            i, j = low[a], low[b]
            if min(i, j) < start or max(i, j) >= start + width:
                continue
            for value_i in range(1, 5):
                if value_i == _letter(read[i]):
                    continue
                key_i = _substituted(key, read, i, start, width, powers, value_i)
                for value_j in range(1, 5):
                    if value_j != _letter(read[j]):
                        found = _lookup(_substituted(key_i, read, j, start, width, powers,
                                                     value_j),
                                        read, start, width, MAX_SUBSTITUTIONS, slots, keys,
                                        present, win_offset, win_width, win_arena, rows,
                                        starts, subs, found)
    return found
