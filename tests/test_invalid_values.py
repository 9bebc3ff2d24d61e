"""Every tests/values-invalid/*.yaml is refused by helm, with a message naming the field.

Each file lists what the message must contain in `# expect: <text>` lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import validation

from .conftest import HELM_VERSIONS, INVALID_FILES, helm


def expectations(path: Path) -> list[str]:
    found = [line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
             if line.startswith("# expect:")]
    assert found, f"{path.name} has no '# expect: <text>' line naming the field"
    return found


def test_required_cases_present():
    names = {p.stem for p in INVALID_FILES}
    assert {"unknown-key", "wrong-type", "negative-gpu-count", "tp-exceeds-gpus",
            "missing-model"} <= names


@pytest.mark.parametrize("version", HELM_VERSIONS)
@pytest.mark.parametrize("values_file", INVALID_FILES, ids=[p.stem for p in INVALID_FILES])
def test_invalid_values_rejected(values_file: Path, version: str):
    with pytest.raises(validation.RenderError) as excinfo:
        validation.helm_template(helm(version), values_file)
    message = str(excinfo.value)
    for expected in expectations(values_file):
        assert expected in message, f"helm's message does not name {expected!r}:\n{message}"


@pytest.mark.parametrize("values_file", INVALID_FILES, ids=[p.stem for p in INVALID_FILES])
def test_schema_and_template_rules_agree_with_helm(values_file: Path):
    """jsonschema on merged values must flag schema-level cases too (what editors show)."""
    errors = validation.values_errors(values_file)
    for expected in expectations(values_file):
        if expected.startswith("/"):
            dotted = expected.strip("/").replace("/", ".")
            assert any(dotted in e for e in errors), f"jsonschema missed {dotted}: {errors}"
