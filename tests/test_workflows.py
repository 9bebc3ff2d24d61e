"""The GitHub workflow shipped for users: valid YAML, real actions at pinned versions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.build import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yaml"))
KNOWN_ACTIONS = {"actions/checkout", "actions/setup-python", "azure/setup-helm",
                 "helm/chart-testing-action", "helm/kind-action"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid(workflow: Path):
    doc = yaml.safe_load(workflow.read_text())
    # YAML 1.1 reads the `on:` key as True.
    assert doc.get("on") or doc.get(True)
    steps = [s for job in doc["jobs"].values() for s in job["steps"]]
    uses = [s["uses"] for s in steps if "uses" in s]
    for use in uses:
        name, _, version = use.partition("@")
        assert name in KNOWN_ACTIONS, use
        assert re.fullmatch(r"v\d+(\.\d+){0,2}", version), f"{use}: pin a released version"
    runs = " ".join(s.get("run", "") for s in steps)
    assert "make test" in runs and "ct lint --config ct.yaml" in runs


def test_lint_and_install_jobs():
    doc = yaml.safe_load((ROOT / ".github/workflows/lint-test.yaml").read_text())
    runs = [s.get("run", "") for s in doc["jobs"]["install"]["steps"]]
    assert any(r.startswith("ct install --config ct.yaml") for r in runs)
    assert any(s.get("uses", "").startswith("helm/kind-action@") for s in doc["jobs"]["install"]["steps"])
