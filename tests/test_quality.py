"""ruff and mypy are clean: the test command runs them."""

from __future__ import annotations

import subprocess
import sys

from generator.build import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff():
    proc = run("ruff", "check", "generator", "tests", "benchmarks", "charts/llm-serving/charts/kuberay/files")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy():
    proc = run("mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
