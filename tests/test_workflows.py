"""The GitHub workflows shipped for users: valid YAML that passes the workflow linter
(tests/workflow_lint.py), real actions at pinned versions; lint-test runs the suite and chart-testing;
release publishes what README "Package and publish" says, from the places generator/release.py names."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from generator import release
from generator.build import ROOT

from .workflow_lint import lint

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yaml"))
KNOWN_ACTIONS = {"actions/checkout", "actions/setup-python", "azure/setup-helm",
                 "helm/chart-testing-action", "helm/kind-action", "oras-project/setup-oras",
                 "pypa/gh-action-pypi-publish"}
RELEASE = yaml.safe_load((ROOT / ".github/workflows/release.yaml").read_text())


def steps(doc: dict, job: str | None = None) -> list[dict]:
    return [s for name, j in doc["jobs"].items() if job in (None, name) for s in j["steps"]]


def runs(doc: dict, job: str | None = None) -> str:
    return "\n".join(s.get("run", "") for s in steps(doc, job))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid(workflow: Path):
    doc = yaml.safe_load(workflow.read_text())
    assert lint(doc) == []
    for use in [s["uses"] for s in steps(doc) if "uses" in s]:
        name, _, version = use.partition("@")
        assert name in KNOWN_ACTIONS, use
        assert re.fullmatch(r"v\d+(\.\d+){0,2}", version), f"{use}: pin a released version"


def test_lint_and_install_jobs():
    doc = yaml.safe_load((ROOT / ".github/workflows/lint-test.yaml").read_text())
    assert "make test" in runs(doc) and "ct lint --config ct.yaml" in runs(doc)
    install = doc["jobs"]["install"]["steps"]
    assert any(s.get("run", "").startswith("ct install --config ct.yaml") for s in install)
    assert any(s.get("uses", "").startswith("helm/kind-action@") for s in install)


def test_release_runs_on_version_tags_and_checks_them():
    on = RELEASE.get("on") or RELEASE.get(True)
    assert on == {"push": {"tags": ["v*.*.*"]}}
    check = runs(RELEASE, "chart")
    assert '"${GITHUB_REF_NAME}" != "v${version}"' in check and "CHANGELOG.md" in check
    assert "signing-key.asc" in check and "release.openpgp_fingerprint" in check


def test_release_packages_signs_pushes_indexes_and_publishes():
    chart = runs(RELEASE, "chart")
    order = ["bash .ci/run", "make package KEY=", "helm verify", "helm push", "oras push", "helm repo index",
             "git -C pages push origin gh-pages", "gh release create"]
    positions = [chart.find(text) for text in order]
    assert -1 not in positions and positions == sorted(positions), dict(zip(order, positions, strict=True))
    # The places the README and the chart's metadata name.
    owner = "${{ github.repository_owner }}"
    env = RELEASE["jobs"]["chart"]["env"]
    assert env["CHARTS"] == release.OCI_REPOSITORY.replace(release.OWNER, owner)
    assert env["PAGES_URL"] == release.CHART_REPOSITORY.replace(release.OWNER, owner, 1).replace(
        f"/{release.REPO}", "/${{ github.event.repository.name }}")
    assert ":artifacthub.io" in chart and "artifacthub-repo.yml" in chart
    python = RELEASE["jobs"]["python"]
    assert python["needs"] == "chart" and python["permissions"]["id-token"] == "write"
    assert "python -m build" in runs(RELEASE, "python")
    assert any(s.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for s in python["steps"])
    # Write access only where it is used.
    assert RELEASE["permissions"] == {"contents": "read"}
    assert RELEASE["jobs"]["chart"]["permissions"] == {"contents": "write", "packages": "write"}


@pytest.mark.parametrize(("break_it", "message"), [
    (lambda d: d["jobs"]["python"].update(needs="charts"), "needs unknown job 'charts'"),
    (lambda d: d["jobs"]["chart"]["steps"][0].update(run="echo"), "exactly one of uses and run"),
    (lambda d: d["jobs"]["chart"]["steps"][-1]["env"].update(VERSION="${{ steps.versoin.outputs.version }}"),
     "steps.versoin is not an earlier step"),
    (lambda d: d["jobs"]["chart"]["steps"][-1]["env"].update(VERSION="${{ steps.version.outputs.tag }}"),
     "writes no output 'tag'"),
    (lambda d: d["jobs"]["chart"]["steps"][-1]["env"].update(VERSION="${{ secret.X }}"), "unknown context 'secret'"),
    (lambda d: d["jobs"]["chart"]["steps"][-1].update(run="if true; then echo"), "bash -n"),
    (lambda d: d["jobs"]["chart"]["permissions"].update(package="write"), "permission package"),
    (lambda d: d["jobs"]["chart"].update(needs="python"), "cycle"),
    (lambda d: d["jobs"]["chart"]["steps"][1].update(uses_="x"), "unknown key 'uses_'"),
])
def test_linter_catches_broken_workflows(break_it, message: str):
    broken = copy.deepcopy(RELEASE)
    break_it(broken)
    errors = lint(broken)
    assert any(message in e for e in errors), errors
