"""The truth of the demo patient: its clones as the simulator made them (same seed, same spec)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from vidjil_kernel.api.seed import DEMO_TIMEPOINTS, demo_spec
from vidjil_kernel.simulate import simulate_follow_up


def demo_dominant_clone(germline_dir: Path, out_dir: Path) -> dict:
    """The truth row (AIRR-style) of the demo clone with most reads over its time points."""
    samples = simulate_follow_up(demo_spec(germline_dir), out_dir, DEMO_TIMEPOINTS)
    reads: Counter[str] = Counter()
    rows: dict[str, dict] = {}
    for sample in samples:
        with sample.clones_truth.open() as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                reads[row["clone_id"]] += int(row["duplicate_count"])
                rows.setdefault(row["clone_id"], row)
    return rows[reads.most_common(1)[0][0]]


def gene(call: str) -> str:
    """A gene from an allele call (``IGHV3-23*01`` -> ``IGHV3-23``)."""
    return call.partition("*")[0]
