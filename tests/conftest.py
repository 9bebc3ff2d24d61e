"""Shared fixtures. Renders are cached per (values file, helm version): each runs once per session."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from generator import tools, validation
from generator.build import ROOT

VALUES_FILES = sorted((ROOT / "values").glob("*.yaml"))
INVALID_FILES = sorted((ROOT / "tests" / "values-invalid").glob("*.yaml"))
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


def find(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]
