"""What `ct lint` does, with the tools ct calls: yamale against chart_schema.yaml for every
Chart.yaml, yamllint with lintconf.yaml, `helm lint` per ci/*-values.yaml, and the version
bump against the target branch. The real `ct` runs in .github/workflows/lint-test.yaml."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yamale
import yaml
from yamllint import config as yamllint_config
from yamllint import linter

from generator import validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, helm

CT = yaml.safe_load((ROOT / "ct.yaml").read_text())
CHART = ROOT / "charts" / "llm-serving"
CHART_YAMLS = sorted([CHART / "Chart.yaml", *(CHART / "charts").glob("*/Chart.yaml")])
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))


def yamale_errors(chart_yaml: Path) -> list[str]:
    schema = yamale.make_schema(str(ROOT / CT["chart-yaml-schema"]))
    data = yamale.make_data(str(chart_yaml))
    try:
        yamale.validate(schema, data)
    except yamale.YamaleError as exc:
        return [str(r) for r in exc.results]
    return []


def yamllint_errors(path: Path) -> list[str]:
    conf = yamllint_config.YamlLintConfig(file=str(ROOT / CT["lint-conf"]))
    return [f"{path.name}:{p.line}: {p.message}" for p in linter.run(path.read_text(), conf)
            if p.level == "error"]


def test_ct_config_points_at_our_files():
    assert CT["chart-dirs"] == ["charts"] and CT["target-branch"] == "main"
    assert (ROOT / CT["chart-yaml-schema"]).is_file() and (ROOT / CT["lint-conf"]).is_file()
    assert CI_VALUES, "ct tests only ci/*-values.yaml: the generator writes the CPU profile there"


@pytest.mark.parametrize("chart_yaml", CHART_YAMLS, ids=lambda p: p.parent.name)
def test_chart_yaml_matches_ct_schema(chart_yaml: Path):
    assert yamale_errors(chart_yaml) == []


@pytest.mark.parametrize("path", [*CHART_YAMLS, CHART / "values.yaml", *CI_VALUES,
                                  *(CHART / "charts").glob("*/values.yaml")],
                         ids=lambda p: str(p.relative_to(CHART)))
def test_yamllint(path: Path):
    assert yamllint_errors(path) == []


@pytest.mark.parametrize("version", HELM_VERSIONS)
@pytest.mark.parametrize("ci_values", CI_VALUES, ids=lambda p: p.stem)
def test_helm_lint_ci_values(ci_values: Path, version: str):
    # ct runs `helm lint <chart> --values <ci file>`; the ci profiles need no operator CRDs.
    proc = subprocess.run([str(helm(version)), "lint", str(CHART), "--values", str(ci_values)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_broken_chart_yaml_and_bad_values_are_caught(tmp_path: Path):
    broken = tmp_path / "Chart.yaml"
    broken.write_text("apiVersion: v2\nversion: 0.1.0\nkeywords: llm\n")  # no name, keywords not a list
    errors = " ".join(yamale_errors(broken))
    assert "name" in errors and "keywords" in errors
    values = tmp_path / "values.yaml"
    values.write_text("vllm:\n  enabled: true   \n  replicaCount: 1\n    extra: 1\n")
    assert yamllint_errors(values)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def version_bump_missing(base: str, new_version: str | None = None) -> str | None:
    """Like ct's check-version-increment: a changed chart must raise its version (`new_version`:
    the checkout's unless given)."""
    if not _git("diff", "--name-only", base, "HEAD", "--", str(CHART.relative_to(ROOT))):
        return None
    old = yaml.safe_load(_git("show", f"{base}:{(CHART / 'Chart.yaml').relative_to(ROOT).as_posix()}"))
    new = {"version": new_version or yaml.safe_load((CHART / "Chart.yaml").read_text())["version"]}
    if old["version"] == new["version"]:
        return f"charts/llm-serving changed since {base} but its version is still {new['version']}"
    return None


def test_version_bump_against_target_branch():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    target = CT["target-branch"]
    refs = [r for r in (f"origin/{target}", target) if subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", r], cwd=ROOT, capture_output=True).returncode == 0]
    base = _git("merge-base", refs[0], "HEAD") if refs else ""
    if not base or base == _git("rev-parse", "HEAD"):
        # On the target branch itself (CI of main) there is no branch to compare with: the base is
        # the last release kept in tests/releases, whose packaged chart must differ only with the version.
        assert release_bump_missing() is None
        return
    assert version_bump_missing(base) is None


def release_bump_missing() -> str | None:
    """ct's rule against the newest release in tests/releases: a chart whose templates or values
    differ from that release's package carries another version."""
    import tarfile

    releases = sorted((d for d in (ROOT / "tests" / "releases").iterdir() if d.is_dir()),
                      key=lambda d: tuple(int(x) for x in d.name.split(".")))
    newest = releases[-1]
    with tarfile.open(newest / f"llm-serving-{newest.name}.tgz") as package:
        packaged = {m.name.split("/", 1)[1]: package.extractfile(m).read() for m in package.getmembers()
                    if m.isfile() and "/templates/" in m.name}
    current = {p.relative_to(CHART).as_posix(): p.read_bytes() for p in CHART.rglob("*") if p.is_file()
               and "/templates/" in "/" + p.relative_to(CHART).as_posix()}
    version = yaml.safe_load((CHART / "Chart.yaml").read_text())["version"]
    if packaged != current and version == newest.name:
        return f"charts/llm-serving changed since release {newest.name} but its version is still {version}"
    return None


def test_version_bump_check_detects_a_missing_bump():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    first = _git("rev-list", "--max-parents=0", "HEAD").splitlines()[-1]
    old = yaml.safe_load(_git("show", f"{first}:charts/llm-serving/Chart.yaml"))
    # The chart changed since the first commit: with the first commit's version it is caught.
    assert "still" in (version_bump_missing(first, new_version=old["version"]) or "")
    assert version_bump_missing(first, new_version=old["version"] + "-changed") is None


def test_ci_values_render_and_validate():
    for ci_values in CI_VALUES:
        result = validation.validate_file(ci_values, HELM_VERSIONS[0], helm(HELM_VERSIONS[0]))
        assert result.ok, result.errors
