"""The benchmark script runs (its timings are printed, not asserted)."""

from __future__ import annotations

import subprocess
import sys

from generator.build import ROOT


def test_benchmark_runs():
    proc = subprocess.run([sys.executable, "benchmarks/render_vs_validate.py", "--repeat", "1",
                           "h100-80gb-2x8", "cpu-only"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "worst ratio" in proc.stdout and "h100-80gb-2x8" in proc.stdout
