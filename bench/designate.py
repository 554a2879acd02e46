"""Benchmark: V(D)J designation of simulated-like clone sequences, on one core.

    python bench/designate.py [--count 100] [--length 250] [--seed 1]

Builds ``count`` IGH and ``count`` TRG recombinations from the human germline
(functional alleles, 0-5 nt deletions, 0-8 nt N regions, 2% mutations for IGH),
keeps their last ``length`` nt, and designates them with the system known (what
the engine does for its top clones) and with the system unknown (every system
of the preset, as the conformance test does).  Prints sequences per second and
how many designations found the simulated V and J genes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vidjil_kernel.designate import designate, designate_best
from vidjil_kernel.germline import Preset, load_preset
from vidjil_kernel.settings import load_settings


def simulate(rng: np.random.Generator, preset: Preset, system: str, length: int,
             mutation: float) -> tuple[str, str, str]:
    """(sequence, V gene, J gene) of one recombination of ``system``."""
    recombination = preset.systems[system].recombinations[0]

    def pick(files: list[str]):
        choices = [a for f in files for a in preset.alleles(f) if a.functionality == "F"]
        return choices[int(rng.integers(len(choices)))]

    def n_region() -> str:
        return "".join(rng.choice(list("ACGT"), int(rng.integers(0, 9))))

    v, j = pick(recombination.five), pick(recombination.three)
    parts = [v.sequence[:len(v.sequence) - int(rng.integers(0, 6))]]
    if recombination.four:
        d = pick(recombination.four).sequence
        parts += [n_region(), d[int(rng.integers(0, 4)):len(d) - int(rng.integers(0, 4))]]
    parts += [n_region(), j.sequence[int(rng.integers(0, 6)):]]
    sequence = list("".join(parts)[-length:])
    for index in np.flatnonzero(rng.random(len(sequence)) < mutation):
        sequence[index] = "ACGT"[int(rng.integers(4))]
    return "".join(sequence), v.gene, j.gene


def run(preset: Preset, system: str, count: int, length: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    mutation = 0.02 if system.startswith("IG") else 0.0
    cases = [simulate(rng, preset, system, length, mutation) for _ in range(count)]
    designate(cases[0][0], preset, system)  # banks and numba functions ready
    start = time.perf_counter()
    designations = [designate(sequence, preset, system) for sequence, _, _ in cases]
    known = time.perf_counter() - start
    start = time.perf_counter()
    for sequence, _, _ in cases:
        designate_best(sequence, preset)
    unknown = time.perf_counter() - start
    right = sum(d.v is not None and d.j is not None
                and v in {a.split("*")[0] for a in d.v.alleles}
                and j in {a.split("*")[0] for a in d.j.alleles}
                for d, (_, v, j) in zip(designations, cases, strict=True))
    print(f"{system}: {count} sequences of {length} nt: "
          f"{count / known:.0f} seq/s with the system known ({1000 * known / count:.1f} ms each), "
          f"{count / unknown:.1f} seq/s over all {len(preset.systems)} systems; "
          f"V and J genes right: {right}/{count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--length", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    preset = load_preset("homo-sapiens", load_settings().germline_dir)
    designate("ACGT" * 20, preset, "TRG")
    print(f"start-up (preset, numba from its cache): {time.perf_counter() - start:.1f} s")
    for system in ("IGH", "TRG"):
        run(preset, system, args.count, args.length, args.seed)


if __name__ == "__main__":
    main()
