"""Each engine subchart stands alone: copied with the common library chart it declares
(`repository: file://../common`, the same relative layout), `helm dependency build` packs common
into its charts/ and `helm lint --strict` passes, with every helm version the suite tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from generator.backends import REGISTRY
from generator.build import ROOT

from .conftest import HELM_VERSIONS, helm

UMBRELLA = ROOT / "charts" / "llm-serving"
SUBCHARTS = UMBRELLA / "charts"


def run_helm(version: str, home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    # helm's cache, config and data under the test's directory: no user repositories or plugins.
    env = {**os.environ, **{f"HELM_{kind}_HOME": str(home / kind.lower()) for kind in ("CACHE", "CONFIG", "DATA")}}
    return subprocess.run([str(helm(version)), *map(str, args)], capture_output=True, text=True,
                          check=False, timeout=300, env=env)


def test_engines_are_the_umbrella_dependencies():
    chart = yaml.safe_load((UMBRELLA / "Chart.yaml").read_text())
    engines = [d["name"] for d in chart["dependencies"] if d["name"] != "common"]
    assert engines == list(REGISTRY)
    for engine in REGISTRY:
        deps = yaml.safe_load((SUBCHARTS / engine / "Chart.yaml").read_text()).get("dependencies", [])
        assert {"name": "common", "repository": "file://../common"}.items() <= next(
            (d for d in deps if d["name"] == "common"), {}).items(), f"{engine} does not declare common"


@pytest.mark.parametrize("version", HELM_VERSIONS)
@pytest.mark.parametrize("engine", list(REGISTRY))
def test_subchart_builds_and_lints_alone(tmp_path: Path, engine: str, version: str):
    work = tmp_path / "charts"
    for name in (engine, "common"):
        shutil.copytree(SUBCHARTS / name, work / name, ignore=shutil.ignore_patterns("charts", "Chart.lock"))
    chart = work / engine
    build = run_helm(version, tmp_path, "dependency", "build", chart)
    assert build.returncode == 0, build.stdout + build.stderr
    assert list((chart / "charts").glob("common-*.tgz")), build.stdout + build.stderr
    lint = run_helm(version, tmp_path, "lint", "--strict", chart)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in lint.stdout, lint.stdout
