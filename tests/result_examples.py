"""Hand-made and random ``SampleResult`` objects for the format tests."""

from __future__ import annotations

import random

from vidjil_kernel.results import (
    Clone,
    Designation,
    Diversity,
    Junction,
    SampleResult,
    SegmentCall,
)

#           0         1
#           01234567890123456789
SEQUENCE = "AAAAACCCCCGGGGGTTTTT"


def pinned_clone() -> Clone:
    """A clone whose 1-based coordinates are computed by hand in the tests.

    V [0, 8) -> 1..8, N1 "CC" [8, 10), D [10, 13) -> 11..13, N2 "G" [13, 14),
    J [14, 20) -> 15..20; junction [5, 17) -> 6..17, CDR3 [8, 14) -> 9..14;
    window [6, 16) -> 7..16.
    """
    designation = Designation(
        locus="IGH",
        v=SegmentCall(["IGHV1-1*01", "IGHV1-1*02"], 0, 8, del_right=3, score=40.0,
                      evalue=1e-10),
        j=SegmentCall(["IGHJ4*02"], 14, 20, del_left=2, score=12.0, evalue=0.001),
        d=[SegmentCall(["IGHD2-2*01"], 10, 13, del_left=1, del_right=4)],
        inserts=["CC", "G"],
        junction=Junction(5, 17, SEQUENCE[5:17], "KPPGVF", productive=False,
                          unproductive="stop-codon", in_frame=True, stop_codon=True),
        evalue=2.5e-8,
    )
    return Clone(id=SEQUENCE[6:16], locus="IGH", reads=42, sequence=SEQUENCE, window_start=6,
                 average_read_length=151.5, evalue=1.5e-20, top=1, designation=designation,
                 quality="I" * 20, warnings=["W69 Several genes with equal probability",
                                             "free text, no code"])


def pinned_result() -> SampleResult:
    return SampleResult(
        original_name="sample.fastq.gz", producer="vidjil-lab 0.1.0",
        timestamp="2026-01-02 03:04:05", commandline="vidjil detect sample.fastq.gz",
        total_reads=100, analysed_reads=60, reads_by_locus={"IGH": 50, "TRG": 10},
        reasons={"too short": 30, "only V": 10}, clones=[pinned_clone()],
        diversity={"all": Diversity(1.25, 0.5, 0.75), "IGH": Diversity(1.0, 0.25, 0.5)},
        log=["first line", "second line"], warnings=["W20 Very few V(D)J recombinations"],
        preset="homo-sapiens")


def random_result(rng: random.Random, clones: int = 20) -> SampleResult:
    """A consistent result with varied designations (none, V-J, V-D-J, V-D-D-J, D-J)."""
    loci = ["IGH", "TRG", "TRD", "IGH+"]
    made = [random_clone(rng, rank + 1, rng.choice(loci)) for rank in range(clones)]
    by_locus = {locus: sum(c.reads for c in made if c.locus == locus) + rng.randint(0, 9)
                for locus in loci}
    analysed = sum(by_locus.values())
    return SampleResult(
        original_name=f"s{rng.randint(0, 99)}.fq", producer="vidjil-lab test",
        timestamp="2026-02-03 10:00:00", commandline="vidjil detect -z all s.fq",
        total_reads=analysed + 17, analysed_reads=analysed, reads_by_locus=by_locus,
        reasons={"too short": 7, "no V/J": 10}, clones=made,
        diversity={"all": Diversity(rng.random(), rng.random(), rng.random()),
                   "TRG": Diversity(rng.random(), rng.random(), rng.random())},
        log=[f"line {i}" for i in range(rng.randint(0, 3))],
        warnings=rng.choice([[], ["W20 few reads"]]), preset="homo-sapiens")


def random_clone(rng: random.Random, top: int, locus: str) -> Clone:
    sequence = "".join(rng.choice("ACGT") for _ in range(rng.randint(80, 160)))
    window_start = rng.randint(10, len(sequence) - 60)
    shape = rng.choice(["none", "vj", "vdj", "vddj", "dj"])
    designation = None
    if shape != "none":
        cuts = sorted(rng.sample(range(5, len(sequence) - 5), 7))
        kinds = {"vj": "VJ", "vdj": "VDJ", "vddj": "VDDJ", "dj": "DJ"}[shape]
        segments = []
        position = 0
        for i, kind in enumerate(kinds):
            start = 0 if i == 0 else cuts[2 * i - 1]
            end = len(sequence) if i == len(kinds) - 1 else cuts[2 * i]
            start = max(start, position)
            position = end
            alleles = [f"{locus[:3]}{kind}{rng.randint(1, 9)}*0{n}"
                       for n in range(1, rng.choice([2, 2, 3]))]
            segments.append((kind, SegmentCall(
                alleles, start, end,
                del_left=None if kind == "V" else rng.randint(0, 9),
                del_right=None if kind == "J" else rng.randint(0, 9),
                score=rng.choice([None, float(rng.randint(5, 90))]),
                evalue=rng.choice([None, rng.random() * 1e-3]))))
        calls = [segment for _, segment in segments]
        inserts = [sequence[left.end:right.start] for left, right in
                   zip(calls, calls[1:], strict=False)]
        junction = None
        if rng.random() < 0.8:
            start = rng.randint(0, len(sequence) - 40)
            end = start + 3 * rng.randint(3, 12)
            junction = Junction(start, end, sequence[start:end], "C" + "A" * 5 + "W",
                                productive=rng.random() < 0.5,
                                unproductive=rng.choice([None, "out-of-frame"]),
                                in_frame=rng.choice([None, True, False]),
                                stop_codon=rng.choice([None, False]))
        designation = Designation(
            locus=rng.choice([locus, locus, "TRA"]),
            v=next((s for k, s in segments if k == "V"), None),
            j=next((s for k, s in segments if k == "J"), None),
            d=[s for k, s in segments if k == "D"], inserts=inserts, junction=junction,
            evalue=rng.choice([None, 1e-5]))
    return Clone(
        id=sequence[window_start:window_start + 50], locus=locus, reads=rng.randint(1, 500),
        sequence=sequence, window_start=window_start,
        average_read_length=round(rng.uniform(100, 300), 2), evalue=rng.random() * 1e-3,
        top=top, designation=designation,
        quality=rng.choice([None, "".join(chr(rng.randint(35, 73)) for _ in sequence)]),
        warnings=rng.choice([[], ["W69 equal genes"], ["W53 similar", "note"]]))
