"""The package works when installed the ordinary way: its runtime imports are its runtime
dependencies, and `pip install .` into a fresh virtualenv (no extras) gives a working
`llm-serving plan`, `validate` and `generate`."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from generator.build import ROOT

from .conftest import HELM_VERSIONS, helm


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0].lower().replace("_", "-")
            for dep in project["dependencies"]}


def _imported_modules() -> dict[str, str]:
    """Top-level module -> a file that imports it, for every import in generator/ (function-level too)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "generator").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path.relative_to(ROOT).as_posix())
    return found


def test_every_runtime_import_is_a_declared_dependency():
    distributions = importlib.metadata.packages_distributions()
    declared = _declared()
    missing = []
    for module, where in sorted(_imported_modules().items()):
        if module in sys.stdlib_module_names or module in ("generator", "__future__"):
            continue
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        if not owners & declared:
            missing.append(f"{module} (imported by {where}, from {sorted(owners) or 'no installed package'})")
    assert not missing, "add to [project.dependencies] in pyproject.toml: " + "; ".join(missing)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv with `pip install .` (no extras, not editable); its bin/ folder."""
    # pip builds in the source tree (build/, *.egg-info): build from a copy of what the package is made of.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "generator", source / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    env_dir = tmp_path_factory.mktemp("venv")
    # No pip of its own (ensurepip takes seconds): the suite's pip installs into it (`--python`).
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                           "--disable-pip-version-check", str(source)], capture_output=True, text=True, check=False,
                          timeout=540)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return env_dir / "bin"


def _run(bin_dir: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "llm-serving"), *args], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=300)


def test_installed_package_has_the_one_version(installed, tmp_path):
    """The distribution's metadata and `llm-serving --version` both say generator.__version__."""
    from generator import __version__

    proc = subprocess.run([str(installed / "python"), "-c",
                           "import importlib.metadata as m; print(m.version('llm-serving'))"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == __version__, proc.stderr
    assert _run(installed, "--version", cwd=tmp_path).stdout.strip() == f"llm-serving {__version__}"


def test_installed_package_plans_anywhere(installed, tmp_path):
    proc = _run(installed, "plan", "--gpu", "H100-80GB", "--gpus-per-node", "8", "--nodes", "2",
                "--model", "deepseek-r1", cwd=tmp_path)
    assert proc.returncode == 0 and "tensor 8 x pipeline 2" in proc.stdout, proc.stderr
    proc = _run(installed, "plan", "--gpu", "H100-80GB", "--gpus-per-node", "8", "--model", "deepseek-r1",
                "--precision", "fp8", cwd=tmp_path)
    assert proc.returncode == 1 and "no plan" in proc.stderr and "Traceback" not in proc.stderr
    proc = _run(installed, "plan", "--gpu", "H999", cwd=tmp_path)
    assert proc.returncode == 2 and "--gpu H999" in proc.stderr and "Traceback" not in proc.stderr
    out = tmp_path / "mine.yaml"
    proc = _run(installed, "plan", "--gpu", "L4-24GB", "--model", "deepseek-r1-distill-qwen-14b", "-o", str(out),
                cwd=tmp_path)
    assert proc.returncode == 0 and out.is_file(), proc.stderr


def test_installed_package_validates_and_generates_in_the_checkout(installed):
    proc = _run(installed, "generate", "--check")
    assert proc.returncode == 0, proc.stderr
    # One helm given: validate says which version it used.
    proc = _run(installed, "validate", "--no-generate", "cpu-only", "--helm", str(helm(HELM_VERSIONS[0])))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"validating with helm {HELM_VERSIONS[0]}" in proc.stdout and "Traceback" not in proc.stderr


def test_installed_package_outside_a_checkout_says_what_it_needs(installed, tmp_path):
    proc = _run(installed, "generate", "--check", cwd=tmp_path)
    assert proc.returncode == 2 and "no llm-serving checkout" in proc.stderr and "Traceback" not in proc.stderr
