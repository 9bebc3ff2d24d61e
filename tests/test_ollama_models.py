"""ollama model names and the chart's catalog of tags: the schema takes ollama's own name grammar
(uppercase in hf.co paths and tags included) and still refuses garbage; a catalog tag such as
deepseek-r1:8b gets its resources derived by the chart, and a plan for it validates."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml

from generator import validation
from generator.backends.ollama import MODEL_REF
from generator.build import ROOT

from .conftest import HELM_VERSIONS, find, helm

VALID = [
    "deepseek-r1:8b",
    "deepseek-r1:1.5b",
    "library/deepseek-r1:1.5b",
    "registry.ollama.ai/library/deepseek-r1:8b",
    "registry.example.com/team/model:q4",
    "hf.co/unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF:Q4_K_M",
    "hf.co/bartowski/DeepSeek-R1-0528-Qwen3-8B-GGUF:IQ4_XS",
    "brsilvapimentel/DeepSeek-R1-0528-Qwen3-8B:latest",
    "qwen2.5:7b-instruct-q4_K_M",
]
INVALID = [
    "DeepSeek R1:8b",  # a space (tests/values-invalid/ollama-bad-model-name.yaml)
    "deepseek-r1",  # no tag: a moving `latest`
    "deepseek-r1:",
    ":8b",
    "hf.co/model:tag",  # two segments are namespace/model, and a namespace has no dot
    "a/b/c/d:e",  # at most host/namespace/model
    "a//b:c",
    "a..b:c",
    ".hidden:1",
    "x:y:z",
    "registry:5000/ns/model:tag",  # ollama's parser takes no port
    "model:tag;rm -rf /",
    "model:'tag'",
    "model:$(id)",
]


def ollama_pull_schema() -> dict:
    schema = json.loads((ROOT / "charts/llm-serving/charts/ollama/values.schema.json").read_text())
    return schema["properties"]["models"]["properties"]["pull"]


@pytest.mark.parametrize("name", VALID)
def test_ollama_names_are_accepted(name):
    assert re.match(MODEL_REF, name)
    jsonschema.validate([name], ollama_pull_schema())


@pytest.mark.parametrize("name", INVALID)
def test_garbage_names_are_refused(name):
    assert not re.match(MODEL_REF, name)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([name], ollama_pull_schema())


def test_generated_schemas_carry_the_pattern():
    for rel in ("charts/llm-serving/charts/ollama/values.schema.json", "schemas/ollama.values.schema.json"):
        assert json.dumps(MODEL_REF) in (ROOT / rel).read_text(), f"{rel} is stale: run llm-serving generate"


def render(tmp_path, values: dict, version: str = HELM_VERSIONS[0]) -> list[dict]:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return validation.helm_template(helm(version), path)


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_helm_accepts_an_uppercase_hf_name(tmp_path, version):
    name = "hf.co/unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF:Q4_K_M"
    docs = render(tmp_path, {"vllm": {"enabled": False}, "ollama": {
        "enabled": True, "models": {"pull": [name]},
        "resources": {"requests": {"cpu": "2", "memory": "12Gi"}, "limits": {"memory": "12Gi"}}}}, version)
    (deployment,) = find(docs, "Deployment")
    assert name in json.dumps(deployment)


def test_helm_derives_resources_for_deepseek_r1_8b(tmp_path):
    catalog = json.loads((ROOT / "charts/llm-serving/charts/ollama/files/models.json").read_text())["models"]
    assert catalog["deepseek-r1:8b"] == {"sizeGiB": 4.84, "kvGiBPerKToken": 0.1406}
    docs = render(tmp_path, {"vllm": {"enabled": False}, "ollama": {
        "enabled": True, "models": {"pull": ["deepseek-r1:8b"]},
        "server": {"contextLength": 8192, "numParallel": 2}}})
    (deployment,) = find(docs, "Deployment")
    server = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "ollama")
    # 4.84 GiB + 0.1406 GiB/1k tokens x 16k tokens + 1 GiB runtime = 8.09 GiB, + 1 GiB headroom -> 10Gi,
    # what the planner asks for the same pod (it was 9Gi when the chart left out the runtime).
    assert server["resources"]["requests"]["memory"] == "10Gi"


def _tag_plans():
    """(tag, plan) for every catalogued ollama tag: on a CPU node large enough for it, and on the
    smallest catalogued GPU it fits, at the chart's default context and parallelism."""
    from generator import catalog
    from generator.planner import Hardware, Refused, Request, plan

    out = []
    for model in catalog.MODELS.values():
        tag = model.ollama_tag()
        if tag is None:
            continue
        request = Request(tag.repo, context=8192, max_num_seqs=2)
        out.append(pytest.param(tag.repo, plan(Hardware(None, memory_gib_per_node=1024), request),
                                id=f"{tag.repo}-cpu"))
        for gpu in sorted(catalog.GPUS.values(), key=lambda g: g.memory_gib):
            try:
                out.append(pytest.param(tag.repo, plan(Hardware(gpu.name, 1), request, suggest=False),
                                        id=f"{tag.repo}-{gpu.name}"))
                break
            except Refused:
                continue
    return out


@pytest.mark.parametrize("tag, planned", _tag_plans())
def test_chart_and_planner_size_every_tag_alike(tmp_path, tag, planned):
    """One sizing formula: the chart's derived requests (resources empty) equal the planner's."""
    from generator.backends import ollama

    values = ollama.profile_values(planned.profile)
    profile = planned.profile
    docs = render(tmp_path, {"vllm": {"enabled": False}, "ollama": {
        "enabled": True, "models": {"pull": [tag]}, "resources": {},
        "server": {"contextLength": profile.max_model_len, "numParallel": profile.max_num_seqs},
        **({"gpu": values["gpu"]} if "gpu" in values else {})}})
    (deployment,) = find(docs, "Deployment")
    server = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "ollama")
    requests = server["resources"]["requests"]
    assert (requests["cpu"], requests["memory"]) == (str(profile.cpu_per_pod), f"{profile.memory_gib_per_pod}Gi")
    assert values["resources"]["requests"] == {"cpu": str(profile.cpu_per_pod),
                                               "memory": f"{profile.memory_gib_per_pod}Gi"}
    assert server["resources"]["limits"]["memory"] == requests["memory"]


def test_plan_for_deepseek_r1_8b_writes_valid_values(tmp_path):
    out = tmp_path / "r1-8b.yaml"
    proc = subprocess.run([sys.executable, "-m", "generator", "plan", "--gpu", "RTX3060-12GB",
                           "--model", "deepseek-r1:8b", "-o", str(out)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert validation.values_errors(out) == []
    assert yaml.safe_load(out.read_text())["ollama"]["models"]["pull"] == ["deepseek-r1:8b"]
