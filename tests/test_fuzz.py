"""Property-based tests from the values schema: values drawn from the schema render and
validate; a value mutated out of its schema is rejected by helm with its field named."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator import validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, helm

SCHEMA = json.loads((ROOT / "charts/llm-serving/values.schema.json").read_text())

# Leaves of the vLLM interface that no cross-field rule ties to another value: any value the
# schema admits there must render and validate.
FREE_LEAVES = [
    "vllm.model.servedModelName", "vllm.model.revision", "vllm.engine.dtype", "vllm.engine.maxModelLen",
    "vllm.engine.gpuMemoryUtilization", "vllm.engine.maxNumSeqs", "vllm.engine.enableChunkedPrefill",
    "vllm.engine.enablePrefixCaching", "vllm.engine.quantization", "vllm.image.tag", "vllm.image.pullPolicy",
    "vllm.probes.startup.periodSeconds", "vllm.probes.startup.failureThreshold",
    "vllm.probes.readiness.failureThreshold", "vllm.probes.liveness.periodSeconds",
    "vllm.service.type", "vllm.service.port", "vllm.podDisruptionBudget.enabled",
    "vllm.podDisruptionBudget.maxUnavailable", "vllm.terminationGracePeriodSeconds",
    "vllm.shm.sizeLimit", "vllm.cache.pvc.size", "vllm.gpu.runtimeClassName",
    "global.tests.timeoutSeconds", "global.networkPolicy.enabled", "vllm.priorityClassName",
    "vllm.cache.pvc.storageClassName",
]


def leaf_schema(path: str) -> dict[str, Any]:
    node = SCHEMA
    for key in path.split("."):
        node = node["properties"][key]
    return node


def strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type")
    if isinstance(types, list):
        types = types[0]
    if types == "boolean":
        return st.booleans()
    if types == "integer":
        return st.integers(schema.get("minimum", -(2**31)), schema.get("maximum", 2**31 - 1))
    if types == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return st.floats(low, schema.get("maximum", 1e6), exclude_min="exclusiveMinimum" in schema,
                         allow_nan=False).map(lambda x: round(x, 3)).filter(lambda x: x > low)
    if types == "string":
        if "pattern" in schema:
            pattern = st.from_regex(schema["pattern"], fullmatch=True)
            return pattern.filter(lambda s: len(s) <= schema.get("maxLength", 63) and s.isascii()
                                  and s.isprintable())
        return st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=schema.get("minLength", 0), max_size=20)
    raise NotImplementedError(schema)


def nest(path: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for key in reversed(path.split(".")):
        out = {key: out}
    return out


def render(values: dict[str, Any]) -> validation.Result:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(values, handle)
    try:
        return validation.validate_file(Path(handle.name), HELM_VERSIONS[0], helm(HELM_VERSIONS[0]), lint=False)
    finally:
        Path(handle.name).unlink()


@st.composite
def valid_values(draw) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(FREE_LEAVES), min_size=1, max_size=5, unique=True))
    merged: dict[str, Any] = {}
    for path in chosen:
        merged = validation.interface.merge(merged, nest(path, draw(strategy(leaf_schema(path)))))
    return merged


# derandomize: the same examples on every run, so CI is reproducible; the @example is a case an
# earlier random run found (a numeric-looking name rendered unquoted).
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(values=valid_values())
@example(values={"vllm": {"gpu": {"runtimeClassName": "0"}, "priorityClassName": "1",
                          "cache": {"pvc": {"storageClassName": "2"}}}})
def test_values_from_the_schema_render_and_validate(values):
    result = render(values)
    assert result.ok, f"{values}\n" + "\n".join(result.errors)


def wrong(schema: dict[str, Any]) -> list[Any]:
    """Values the schema must refuse."""
    types = schema.get("type")
    if "enum" in schema:
        return ["not-an-option"]
    if types == "boolean":
        return ["yes", 1]
    if types in ("integer", "number"):
        out: list[Any] = ["many"]
        if "minimum" in schema:
            out.append(schema["minimum"] - 1)
        return out
    if types == "string":
        return [12345, ["a"]]
    return []


MUTATIONS = [(path, bad) for path in FREE_LEAVES for bad in wrong(leaf_schema(path))]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=st.sampled_from(MUTATIONS))
def test_mutated_values_are_rejected_naming_the_field(mutation):
    path, bad = mutation
    result = render(nest(path, bad))
    assert not result.ok
    pointer = "/" + path.replace(".", "/")
    assert any(pointer in e or path in e for e in result.errors), (path, bad, result.errors)
