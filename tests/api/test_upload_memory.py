"""A 2 GiB upload over loopback, cut at 50% and resumed: the API's memory stays flat and the
stored file is the sent one (runs ``bench/upload.py``, which prints the same figures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_two_gib_upload_cut_and_resumed_in_flat_memory():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "upload.py"), "--size", "2G",
                          "--cut", "0.5", "--json"], capture_output=True, text=True,
                         cwd=ROOT, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["sha256_ok"], figures
    assert figures["resumed_at"] > 0.4 * figures["size_bytes"], figures  # not from scratch
    assert figures["api_rss_high_water_mark_mb"] < 300, figures
    assert figures["api_rss_peak_mb"] - figures["api_rss_before_mb"] < 64, figures
