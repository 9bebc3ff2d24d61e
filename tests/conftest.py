"""Shared fixtures. Renders are cached per (values file, helm version): each runs once per session."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator import tools, validation
from generator.build import ROOT

VALUES_FILES = sorted((ROOT / "values").glob("*.yaml"))
INVALID_FILES = sorted((ROOT / "tests" / "values-invalid").glob("*.yaml"))
# Feature variants that must render and validate (tests/values-valid/), one glob for every module.
VARIANTS = sorted((ROOT / "tests" / "values-valid").glob("*.yaml"))
ALL_FILES = [*VALUES_FILES, *VARIANTS]  # everything that must render
HELM_VERSIONS = [pin.version for pin in tools.HELM_PINS]


@functools.cache
def helm(version: str) -> Path:
    found = tools.helm_binaries()
    if version not in found:
        pytest.fail(f"helm {version} is not installed: run `make bootstrap` (or `llm-serving tools`)")
    return found[version]


@functools.cache
def validated(values_file: Path, version: str) -> validation.Result:
    return validation.validate_file(values_file, version, helm(version))


def rendered(values_file: Path, version: str = HELM_VERSIONS[0]) -> list[dict]:
    result = validated(values_file, version)
    assert result.ok, "\n".join(result.errors)
    return result.documents


def render_with(values_file: Path, overlay: dict, tmp_path: Path, crds: bool = False) -> list[dict]:
    """Render a values file with `overlay` given after it (`-f`, merged the way helm merges values files)."""
    extra = tmp_path / "overlay.yaml"
    extra.write_text(yaml.safe_dump(overlay))
    return validation.helm_template(helm(HELM_VERSIONS[0]), values_file, extra=("-f", str(extra)), crds=crds)


def find(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def secret_file(spec: dict, container: dict, path_env: str) -> dict:
    """The Secret volume source behind the file the env var `path_env` names; the mount is read-only."""
    env = {e["name"]: e for e in container["env"]}
    path = env[path_env]["value"]
    (mount,) = [m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
    assert mount.get("readOnly") is True, mount
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    assert [item["path"] for item in volume["secret"]["items"]] == [path.rsplit("/", 1)[1]]
    return volume["secret"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`llm-serving <args>` as a user runs it (its own process, from the checkout)."""
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)
