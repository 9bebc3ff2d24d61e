"""Helm-free unit tests of the interface, the build and each backend's contract: they run in
milliseconds and point at the function that broke."""

from __future__ import annotations

import itertools
import json

import jsonschema
import pytest
import yaml

from generator import build, catalog, interface
from generator.backends import REGISTRY, for_vendor, serving
from generator.interface import Group, Value
from generator.model import Hardware, Request
from generator.planner import Refused, plan
from generator.profiles import shipped

# ---------------------------------------------------------------- interface

TREE = Group("root", "A root.", (
    Value("name", "x", "A name.", {"type": "string"}),
    Group("inner", "Inner keys.", (
        Value("count", 2, "A count.", {"type": "integer", "minimum": 1}),
        Value("hidden", None, "Injected.", {"type": "object"}, required=False, documented=False),
    )),
    Value("items", [], "Objects.", item=Group("item", "One.", (Value("a", 1, "A.", {"type": "integer"}),))),
))


def test_defaults_skip_undocumented_keys_and_are_copies():
    first = interface.defaults(TREE)
    assert first == {"name": "x", "inner": {"count": 2}, "items": []}
    first["inner"]["count"] = 9
    assert interface.defaults(TREE)["inner"]["count"] == 2


def test_schema_is_closed_and_requires_required_keys():
    schema = interface.schema(TREE)
    validator = jsonschema.Draft7Validator(schema)
    assert not list(validator.iter_errors({"name": "y", "inner": {"count": 1}, "items": [{"a": 2}]}))
    for bad in ({"name": "y", "inner": {"count": 0}, "items": []},  # minimum
                {"name": "y", "inner": {"count": 1}, "items": [], "extra": 1},  # closed
                {"inner": {"count": 1}, "items": []},  # required
                {"name": "y", "inner": {"count": 1}, "items": [{"a": "b"}]}):  # item schema
        assert list(validator.iter_errors(bad)), bad
    assert "hidden" in schema["properties"]["inner"]["properties"]
    assert "hidden" not in schema["properties"]["inner"]["required"]


def test_leaves_document_list_items():
    assert [path for path, _ in interface.leaves(TREE)] == ["root.name", "root.inner.count", "root.items",
                                                            "root.items[].a"]


def test_merge_is_helms_coalescing():
    base = {"a": {"b": 1, "c": 2}, "d": [1], "e": 1}
    merged = interface.merge(base, {"a": {"b": 3}, "d": [2], "e": None})
    assert merged == {"a": {"b": 3, "c": 2}, "d": [2]}
    assert base == {"a": {"b": 1, "c": 2}, "d": [1], "e": 1}


# ---------------------------------------------------------------- build

def test_values_yaml_round_trips_the_defaults_with_descriptions():
    text = build.values_yaml(TREE, "Intro.")
    assert text.startswith(build.YAML_HEADER)
    assert yaml.safe_load(text) == interface.defaults(TREE)
    assert "# -- A count." in text and "Injected" not in text


def test_values_schema_is_draft_07_and_says_it_is_generated():
    doc = json.loads(build.values_schema(TREE, "t"))
    assert doc["$schema"] == build.SCHEMA_DRAFT and "llm-serving generate" in doc["$comment"]
    jsonschema.Draft7Validator.check_schema(doc)


def test_generated_files_cover_every_backend():
    # Nothing on disk but the changelog, which the release annotations come from.
    files = build.generated_files(lambda rel: (build.ROOT / rel).read_text() if rel == "CHANGELOG.md" else None)
    for backend in REGISTRY.values():
        base = f"{build.UMBRELLA}/charts/{backend.name}"
        assert {f"{base}/Chart.yaml", f"{base}/values.yaml", f"{base}/values.schema.json"} <= set(files)
        chart = yaml.safe_load(files[f"{base}/Chart.yaml"])
        assert chart["dependencies"] == [build.COMMON_DEPENDENCY], "each subchart declares common"
        for rel in backend.files(build.CMD):
            assert f"{base}/{rel}" in files
    umbrella = yaml.safe_load(files[f"{build.UMBRELLA}/Chart.yaml"])
    assert [d["name"] for d in umbrella["dependencies"]] == ["common", *REGISTRY]
    assert umbrella["annotations"]["llm-serving/engines"] == ",".join(REGISTRY)
    defaults = yaml.safe_load(files[f"{build.UMBRELLA}/values.yaml"])
    assert [name for name in REGISTRY if defaults[name]["enabled"]] == \
        [b.name for b in REGISTRY.values() if b.enabled_by_default]
    assert {f"values/{p.name}.yaml" for p in shipped()} <= set(files)


def test_profile_values_enable_exactly_the_profile_engine():
    for profile in shipped():
        values = build.profile_values(profile)
        assert [name for name in REGISTRY if values[name]["enabled"]] == [profile.engine]


def test_every_profile_validates_against_the_umbrella_schema_without_helm():
    schema = json.loads(build.values_schema(build.umbrella_interface(), "llm-serving values"))
    validator = jsonschema.Draft7Validator(schema)
    defaults = interface.defaults(build.umbrella_interface())
    for profile in shipped():
        merged = interface.merge(defaults, build.profile_values(profile))
        errors = [e.message for e in validator.iter_errors(merged)]
        assert not errors, (profile.name, errors[:3])


# ---------------------------------------------------------------- backends

HARDWARE = [Hardware(gpu, per, nodes, rdma=rdma) if gpu else Hardware(None)
            for gpu, per, nodes, rdma in itertools.product([None, *catalog.GPUS], [1, 8], [1, 2], [False, True])
            if gpu or (per, nodes, rdma) == (1, 1, False)]


@pytest.mark.parametrize("hw", HARDWARE, ids=lambda hw: hw.describe())
def test_exactly_one_backend_is_chosen_for_any_hardware(hw):
    gpu = catalog.GPUS[hw.gpu] if hw.gpu else None
    assert len([b for b in REGISTRY.values() if b.chosen_for(hw, gpu)]) == 1


@pytest.mark.parametrize("name", list(REGISTRY))
def test_backend_shapes_use_the_hardware_they_are_given(name):
    backend = REGISTRY[name]
    for hw in HARDWARE:
        if backend.needs_gpu and hw.gpu is None:
            continue
        for shape in backend.shapes(hw):
            gpus = shape.tensor_parallel * shape.pipeline_parallel
            assert gpus == max(1, shape.gpus_per_pod) * shape.pods, (hw, shape)
            assert shape.gpus_per_pod <= hw.gpus_per_node and shape.pods <= hw.nodes, (hw, shape)
            assert shape.gpus_per_pod * shape.pods * shape.replicas <= max(1, hw.gpus_per_node * hw.nodes)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_backend_describes_its_images_and_precisions(name):
    backend = REGISTRY[name]
    assert backend.default_image in backend.images.values()
    assert set(backend.images) <= set(catalog.VENDOR_RESOURCES)
    assert backend.default_image not in backend.other_images
    assert backend.precisions and all(backend in serving(p) for p in backend.precisions)
    assert all(backend in for_vendor(v) for v in backend.images)


def _planned(name: str):
    """A plan of each backend on hardware it serves (the shipped profile of that engine)."""
    return next(p for p in shipped() if p.engine == name)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_backend_values_validate_against_its_subchart_schema(name):
    backend = REGISTRY[name]
    profile = _planned(name)
    sub = build.subchart_interface(backend)
    merged = interface.merge(interface.defaults(sub), backend.profile_values(profile))
    errors = [e.message for e in jsonschema.Draft7Validator(interface.schema(sub)).iter_errors(merged)]
    assert not errors, errors[:3]
    summary = backend.summary(merged)
    assert set(summary) == {"model", "gpus", "parallel"}
    assert backend.arithmetic(profile), "the profile header shows the memory arithmetic"


# Where each backend's values hold the plan's figures (paths in the subchart's values): tensor and
# pipeline parallel size, GPUs of one pod, pods of one replica, CPU and memory requested per pod.
# None: the backend has no such value (ollama: one pod, no parallelism; kuberay's head has no GPUs).
PLAN_FIELDS = {
    "vllm": {"tp": "engine.tensorParallelSize", "pp": "engine.pipelineParallelSize", "gpus": "gpu.count",
             "pods": "nodes", "cpu": "resources.requests.cpu", "memory": "resources.requests.memory"},
    "kuberay": {"tp": "serve.llmConfigs.0.engineKwargs.tensorParallelSize",
                "pp": "serve.llmConfigs.0.engineKwargs.pipelineParallelSize", "gpus": "workerGroups.0.gpus",
                "pods": "workerGroups.0.replicas", "cpu": "workerGroups.0.resources.requests.cpu",
                "memory": "workerGroups.0.resources.requests.memory"},
    "aibrix": {"tp": "engine.tensorParallelSize", "pp": "engine.pipelineParallelSize", "gpus": "gpu.perNode",
               "pods": "nodes", "cpu": "resources.requests.cpu", "memory": "resources.requests.memory"},
    "ollama": {"tp": None, "pp": None, "gpus": "gpu.count", "pods": None, "cpu": "resources.requests.cpu",
               "memory": "resources.requests.memory"},
}


def _at(values: dict, path: str | None, default):
    if path is None:
        return default
    node = values
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def test_every_backend_has_its_plan_fields():
    assert set(PLAN_FIELDS) == set(REGISTRY)


@pytest.mark.parametrize("profile", shipped(), ids=lambda p: p.name)
def test_backend_values_read_the_plan(profile):
    """The values (merged over the subchart's defaults, as helm merges them) hold the planner's
    figures at the fields the chart reads, so no backend recomputes parallelism or sizes; every
    shipped profile, so tensor 8 x pipeline 2 over 2 pods is among them, not only ones."""
    name = profile.engine
    backend = REGISTRY[name]
    merged = interface.merge(interface.defaults(build.subchart_interface(backend)), backend.profile_values(profile))
    fields = PLAN_FIELDS[name]
    got = {"tp": _at(merged, fields["tp"], 1), "pp": _at(merged, fields["pp"], 1),
           "gpus": _at(merged, fields["gpus"], 0), "pods": _at(merged, fields["pods"], 1),
           "cpu": str(_at(merged, fields["cpu"], None)), "memory": _at(merged, fields["memory"], None)}
    want = {"tp": profile.tensor_parallel, "pp": profile.pipeline_parallel, "gpus": profile.gpus_per_pod,
            "pods": profile.pods, "cpu": str(profile.cpu_per_pod), "memory": f"{profile.memory_gib_per_pod}Gi"}
    assert got == want


def test_a_backend_refuses_hardware_it_cannot_drive():
    amd = Hardware("MI300X-192GB", 8, 2)
    chosen = next(b for b in REGISTRY.values() if b.chosen_for(amd, catalog.GPUS[amd.gpu]))
    assert "amd" not in chosen.images
    with pytest.raises(Refused, match="CUDA-only"):
        plan(amd, Request(engine=chosen.name))
    cpu_engines = [b.name for b in REGISTRY.values() if not b.needs_gpu]
    for backend in REGISTRY.values():
        if backend.needs_gpu:
            with pytest.raises(Refused, match=f"use --engine {cpu_engines[0]}"):
                plan(Hardware(None), Request("deepseek-r1:1.5b", engine=backend.name))
