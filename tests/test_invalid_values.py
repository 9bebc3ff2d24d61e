"""Every tests/values-invalid/*.yaml is refused, and both verdicts each file claims are checked.

Each file states
- `# expect: <text>` lines: what helm's error message must contain;
- one `# schema:` line: `refuses <dotted.field>` when the values schema alone refuses the file
  (jsonschema on the merged values must then name that field, and so must helm's message), or
  `accepts (...)` when only a rule across fields in the chart's templates (validate.yaml) refuses
  it (jsonschema must then find nothing, and helm's message must name a values field).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator import validation

from .conftest import HELM_VERSIONS, INVALID_FILES, header, helm

# A values field in a template's message: `vllm.gpu.count`, `global.apiKey.create`, ...
FIELD = re.compile(r"\b(global|vllm|ollama|kuberay|aibrix|ui)\.[A-Za-z]")


def expectations(path: Path) -> list[str]:
    found = header(path, "expect")
    assert found, f"{path.name} has no '# expect: <text>' line naming the field"
    return found


def schema_claim(path: Path) -> str | None:
    """The field the schema must refuse, or None when the file claims the schema accepts it."""
    claims = header(path, "schema")
    assert len(claims) == 1, f"{path.name}: give one '# schema: refuses <field>' or '# schema: accepts (why)' line"
    verdict, _, field = claims[0].partition(" ")
    assert verdict in ("refuses", "accepts"), f"{path.name}: # schema: {claims[0]}"
    if verdict == "refuses":
        assert re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+", field), f"{path.name}: refuses what field?"
        return field
    return None


def names_field(text: str, field: str, separator: str) -> bool:
    """`text` names `field` (a.b.c), or its parent (a.b) together with the key ('c' unexpected,
    'c' required), the way validators report unknown and missing keys."""
    parent, _, key = field.rpartition(".")
    dotted = field.replace(".", separator)
    parent_dotted = parent.replace(".", separator)
    return dotted in text or (parent_dotted in text and f"'{key}'" in text)


def test_required_cases_present():
    names = {p.stem for p in INVALID_FILES}
    assert {"unknown-key", "wrong-type", "negative-gpu-count", "tp-exceeds-gpus",
            "missing-model", "autoscaling-without-targets"} <= names


@pytest.mark.parametrize("version", HELM_VERSIONS)
@pytest.mark.parametrize("values_file", INVALID_FILES, ids=[p.stem for p in INVALID_FILES])
def test_invalid_values_rejected(values_file: Path, version: str):
    with pytest.raises(validation.RenderError) as excinfo:
        validation.helm_template(helm(version), values_file)
    message = str(excinfo.value)
    for expected in expectations(values_file):
        assert expected in message, f"helm's message does not name {expected!r}:\n{message}"
    field = schema_claim(values_file)
    if field:  # helm reports schema errors by JSON pointer: /vllm/engine/maxNumSeqs
        assert names_field(message, "/" + field, "/"), f"helm's message does not name {field}:\n{message}"
    else:
        assert FIELD.search(message), f"helm's message names no values field:\n{message}"


@pytest.mark.parametrize("values_file", INVALID_FILES, ids=[p.stem for p in INVALID_FILES])
def test_schema_verdict_is_the_one_claimed(values_file: Path):
    """jsonschema on the merged values (what editors show) refuses exactly the files that say so,
    naming the field; the others pass the schema, so the template's rule is what refuses them."""
    errors = validation.values_errors(values_file)
    field = schema_claim(values_file)
    if field is None:
        assert errors == [], f"{values_file.name} claims the schema accepts it, jsonschema says: {errors}"
    else:
        assert any(names_field(e.split(": ", 1)[0] + ": " + e, field, ".") for e in errors), \
            f"jsonschema does not name {field}: {errors}"


@pytest.mark.parametrize("field, text, named", [
    ("vllm.engine.maxNumSeqs", "vllm.engine.maxNumSeqs: 'many' is not of type 'integer'", True),
    ("vllm.engine.maxModelLength", "vllm.engine: Additional properties ('maxModelLength' was unexpected)", True),
    ("vllm.engine.maxModelLength", "vllm.engine: Additional properties ('other' was unexpected)", False),
    ("vllm.gpu.count", "vllm.gpu.vendor: 'intel' is not one of", False),
])
def test_names_field(field: str, text: str, named: bool):
    assert names_field(text, field, ".") is named
