"""The benchmark script runs (its timings are printed, not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys

from generator.build import ROOT


def test_benchmark_runs():
    proc = subprocess.run([sys.executable, "benchmarks/render_vs_validate.py", "--repeat", "1",
                           "h100-80gb-2x8", "cpu-only"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "h100-80gb-2x8" in proc.stdout and "cpu-only" in proc.stdout
    assert re.search(r"^ratio [0-9.]+ \(target <= 1.3\): (met|NOT met)$", proc.stdout, re.M), proc.stdout
