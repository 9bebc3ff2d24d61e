"""Property-based tests from the values schema, per engine: on a base that enables the engine
(and the chat UI), values drawn from the schema at the engine's free leaves render and validate;
a value mutated out of its schema is rejected by helm with its field named."""

from __future__ import annotations

import copy
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, helm

SCHEMA = json.loads((ROOT / "charts/llm-serving/values.schema.json").read_text())

# Leaves are dotted paths; a number is an index into a list of the base (so "kuberay.workerGroups.0
# .groupName" changes the first group's name and keeps the rest of the base's list). Each list holds
# the leaves that no cross-field rule ties to another value: any value the schema admits there must
# render and validate on the engine's base. Leaves left out say why.

VLLM_LEAVES = [
    "vllm.engine.dtype", "vllm.engine.maxModelLen",
    "vllm.engine.gpuMemoryUtilization", "vllm.engine.maxNumSeqs", "vllm.engine.enableChunkedPrefill",
    "vllm.engine.enablePrefixCaching", "vllm.engine.quantization", "vllm.image.tag", "vllm.image.pullPolicy",
    "vllm.probes.startup.periodSeconds", "vllm.probes.startup.failureThreshold",
    "vllm.probes.readiness.failureThreshold", "vllm.probes.liveness.periodSeconds",
    # vllm.service.type: NodePort/LoadBalancer need an API key (global.apiKey).
    "vllm.service.port", "vllm.podDisruptionBudget.enabled",
    "vllm.podDisruptionBudget.maxUnavailable", "vllm.terminationGracePeriodSeconds",
    "vllm.shm.sizeLimit", "vllm.cache.pvc.size", "vllm.gpu.runtimeClassName",
    "vllm.priorityClassName", "vllm.cache.pvc.storageClassName",
]

OLLAMA_LEAVES = [
    "ollama.image.repository", "ollama.image.tag", "ollama.image.pullPolicy",
    # replicaCount, autoscaling.*: more than one pod needs a ReadWriteMany cache (cache.pvc.accessModes).
    # models.offline: needs cache.pvc.existingClaim or cache.type hostPath.
    "ollama.cache.type", "ollama.cache.pvc.existingClaim", "ollama.cache.pvc.size",
    "ollama.cache.pvc.storageClassName", "ollama.cache.pvc.accessModes", "ollama.cache.hostPath.type",
    "ollama.cache.emptyDir.sizeLimit",
    "ollama.gpu.count", "ollama.gpu.vendor", "ollama.gpu.runtimeClassName",
    "ollama.server.keepAlive", "ollama.server.numParallel", "ollama.server.contextLength",
    "ollama.server.maxLoadedModels",
    # service.type, ingress.enabled, httpRoute.enabled, networkPolicy.*: exposing ollama needs
    # exposure.allowUnauthenticated (and an ingress its host, TLS and allowFrom).
    "ollama.service.port", "ollama.exposure.allowUnauthenticated",
    "ollama.ingress.className", "ollama.ingress.host", "ollama.ingress.annotations",
    "ollama.httpRoute.hostnames", "ollama.httpRoute.requestTimeout",
    "ollama.probes.readinessPeriodSeconds", "ollama.probes.livenessPeriodSeconds",
    "ollama.nodeSelector", "ollama.podAnnotations",
    # models.pull / resources: a model outside the catalog needs resources set (the base sets them).
    "ollama.models.pull",
]

KUBERAY_LEAVES = [
    "kuberay.image.tag", "kuberay.image.pullPolicy", "kuberay.rayVersion",
    "kuberay.upgradeStrategy", "kuberay.serve.applicationName", "kuberay.serve.routePrefix",
    "kuberay.serve.llmConfigs.0.modelId", "kuberay.serve.llmConfigs.0.modelSource",
    "kuberay.serve.llmConfigs.0.acceleratorType", "kuberay.serve.llmConfigs.0.runtimeEnvVars",
    # engineKwargs.tensorParallelSize/pipelineParallelSize, llmConfigs autoscaling, workerGroups
    # replicas/gpus, autoscaling.enabled: GPUs needed must equal the workers' GPUs.
    # engineKwargs.extra: must not repeat a kwarg that has its own value.
    "kuberay.serve.llmConfigs.0.engineKwargs.gpuMemoryUtilization",
    "kuberay.serve.llmConfigs.0.engineKwargs.dtype", "kuberay.serve.llmConfigs.0.engineKwargs.maxNumSeqs",
    "kuberay.serve.llmConfigs.0.engineKwargs.maxModelLen",
    "kuberay.serve.llmConfigs.0.engineKwargs.enableChunkedPrefill",
    "kuberay.serve.llmConfigs.0.engineKwargs.enablePrefixCaching",
    "kuberay.workerGroups.0.rayStartParams", "kuberay.workerGroups.0.nodeSelector",
    "kuberay.model.hfToken.existingSecret", "kuberay.model.hfToken.secretKey",
    # model.offline, cache.type: offline needs existing weights; a new claim for 2 workers needs
    # ReadWriteMany (cache.pvc.accessModes).
    "kuberay.cache.pvc.existingClaim", "kuberay.cache.pvc.size",
    "kuberay.cache.pvc.storageClassName", "kuberay.cache.hostPath.type",
    "kuberay.gpu.vendor", "kuberay.gpu.runtimeClassName",
    "kuberay.head.rayStartParams", "kuberay.head.nodeSelector",
    "kuberay.httpRoute.hostnames", "kuberay.httpRoute.requestTimeout",
    "kuberay.metrics.serviceMonitor", "kuberay.metrics.interval", "kuberay.metrics.grafanaDashboard",
]

AIBRIX_LEAVES = [
    "aibrix.port", "aibrix.replicas", "aibrix.image.tag", "aibrix.image.pullPolicy",
    "aibrix.rayVersion", "aibrix.gpu.vendor",
    # nodes, gpu.perNode, engine.tensorParallelSize/pipelineParallelSize: TP x PP = nodes x GPUs per node.
    # rdma.enabled/preset/devices: the RDMA devices follow gpu.perNode.
    # storage.type, storage.objectStore.uri/provider/credentialsSecret: an object store needs a
    # credentials Secret and a URI of its provider's scheme.
    # autoscaling.enabled/minReplicas/maxReplicas: minReplicas <= maxReplicas.
    # rollout.maxSurge/maxUnavailable: not both 0.
    "aibrix.engine.maxModelLen", "aibrix.engine.trustRemoteCode", "aibrix.engine.extraArgs",
    "aibrix.storage.huggingface.tokenSecret",
    "aibrix.storage.pvc.claimName",
    "aibrix.storage.objectStore.endpoint", "aibrix.storage.objectStore.region",
    "aibrix.storage.objectStore.hostPath", "aibrix.storage.localNvme.fillFromHub",
    "aibrix.storage.downloader.numThreads",
    "aibrix.rdma.resourceName", "aibrix.rdma.annotations", "aibrix.rdma.gidIndex",
    "aibrix.controlPlaneNamespaces", "aibrix.openFileLimit",
    "aibrix.startupProbe.initialDelaySeconds", "aibrix.startupProbe.periodSeconds",
    "aibrix.startupProbe.failureThreshold", "aibrix.nodeSelector",
    "aibrix.autoscaling.targetValue", "aibrix.autoscaling.scaleDownDelay",
    "aibrix.metrics.serviceMonitor", "aibrix.metrics.grafanaDashboard",
]

# The chat UI, drawn on top of every engine (each base enables it): it talks to each differently.
UI_LEAVES = [
    "ui.image.repository", "ui.image.tag", "ui.image.pullPolicy",
    # ingress.enabled: needs a host, accessCode.existingSecret and global.networkPolicy.ingressNamespaces.
    "ui.accessCode.existingSecret", "ui.accessCode.secretKey", "ui.service.port",
    "ui.ingress.className", "ui.ingress.host", "ui.ingress.annotations",
    "ui.httpRoute.hostnames", "ui.httpRoute.requestTimeout",
]

# Release-wide; global.apiKey.create/existingSecret exclude each other.
GLOBAL_LEAVES = [
    "global.tests.enabled", "global.tests.timeoutSeconds", "global.networkPolicy.enabled",
    "global.networkPolicy.ingressNamespaces", "global.networkPolicy.monitoringNamespaces",
    "global.apiKey.secretKey", "global.requireCRDs", "global.imagePullSecrets",
]

# Cases fuzzing found: the schema admits the value, but a template wrote it bare (`key: {{ value }}`
# without `| quote`), so YAML read "0" as a number, "1.5" as a float and "a: b" as a map or a
# parse error. Each is its minimal failing values on the engine's base, and must now render and
# validate; its leaf is fuzzed again (in its engine's list, or the UI's or global list).
FOUND: dict[str, dict[str, dict[str, Any]]] = {
    "vllm": {
        # _helpers.tpl `- --served-model-name={{ }}` / `- --revision={{ }}` bare: args item becomes a map.
        "vllm.model.servedModelName": {"vllm.model.servedModelName": "a: b"},
        "vllm.model.revision": {"vllm.model.revision": "a: b"},
        # deployment.yaml volumeMounts mountPath, common _cache.tpl hostPath path: bare.
        "vllm.cache.mountPath": {"vllm.cache.type": "hostPath", "vllm.cache.mountPath": "/a: b"},
        "vllm.cache.hostPath.path": {"vllm.cache.type": "hostPath", "vllm.cache.hostPath.path": "/a: b"},
        # templates/ui.yaml `image: "{{ repository }}:{{ tag }}"`: a '"' in it ends the string.
        "ui.image.repository": {"ui.image.repository": '"a'},
        # common _pod.tpl imagePullSecrets `- name: {{ . }}` bare: every engine and the UI.
        "global.imagePullSecrets": {"global.imagePullSecrets": ["0"]},
    },
    "ollama": {
        # deployment.yaml volumeMounts mountPath bare; common _cache.tpl hostPath path bare.
        "ollama.cache.mountPath": {"ollama.cache.mountPath": "/a: b"},
        "ollama.cache.hostPath.path": {"ollama.cache.type": "hostPath", "ollama.cache.hostPath.path": "/a: b"},
    },
    "kuberay": {
        # rayservice.yaml `image: "{{ repository }}:{{ tag }}"`: a '"' in it ends the string.
        "kuberay.image.repository": {"kuberay.image.repository": '"a'},
        # rayservice.yaml `groupName: {{ .groupName }}` bare: the number 0.
        "kuberay.workerGroups.0.groupName": {"kuberay.workerGroups.0.groupName": "0"},
        # common _pod.tpl shmVolume / _cache.tpl emptyDir `sizeLimit: {{ }}` bare: the float 1.5,
        # which the RayService CRD's int-or-string refuses (core kinds take a number).
        "kuberay.workerGroups.0.shmSizeLimit": {"kuberay.workerGroups.0.shmSizeLimit": "1.5"},
        "kuberay.cache.emptyDir.sizeLimit": {"kuberay.cache.emptyDir.sizeLimit": "1.5"},
        # rayservice.yaml volumeMounts mountPath bare; common _cache.tpl hostPath path bare.
        "kuberay.cache.mountPath": {"kuberay.cache.mountPath": "/a: b"},
        "kuberay.cache.hostPath.path": {"kuberay.cache.type": "hostPath", "kuberay.cache.hostPath.path": "/a: b"},
    },
    "aibrix": {
        # metadata.name and model.aibrix.ai/name labels (networkpolicy, service, _helpers.tpl...) bare.
        "aibrix.modelName": {"aibrix.modelName": "0"},
        # rayclusterfleet.yaml `image: "{{ repository }}:{{ tag }}"`: a '"' in it ends the string.
        "aibrix.image.repository": {"aibrix.image.repository": '"a'},
        # _helpers.tpl aibrix.env: NCCL_IB_HCA, GLOO/NCCL_SOCKET_IFNAME values bare.
        "aibrix.rdma.hcas": {"aibrix.rdma.hcas": "0"},
        "aibrix.socketIfname": {"aibrix.socketIfname": "0"},
        # _helpers.tpl downloader initContainer: image, command items and env values bare.
        "aibrix.storage.downloader.image": {"aibrix.storage.downloader.image": "0"},
        "aibrix.storage.downloader.allowFileSuffix": {"aibrix.storage.downloader.allowFileSuffix": "0"},
        "aibrix.storage.huggingface.repo": {"aibrix.storage.huggingface.repo": "0"},
        "aibrix.storage.localNvme.modelDir": {"aibrix.storage.localNvme.modelDir": "0"},
        # _helpers.tpl hostPath path and volumeMounts mountPath bare.
        "aibrix.storage.localNvme.hostPath": {"aibrix.storage.localNvme.hostPath": "/a: b"},
        "aibrix.storage.mountPath": {"aibrix.storage.mountPath": "/a: b"},
        "aibrix.storage.pvc.mountPath": {"aibrix.storage.type": "pvc", "aibrix.storage.pvc.mountPath": "/a: b"},
        # common _pod.tpl shmVolume `sizeLimit: {{ }}` bare: the float 1.5, refused by the CRD.
        "aibrix.shmSizeLimit": {"aibrix.shmSizeLimit": "1.5"},
        # podautoscaler.yaml `targetMetric: {{ }}` bare.
        "aibrix.autoscaling.targetMetric": {"aibrix.autoscaling.targetMetric": "0"},
    },
}

def profile(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "values" / f"{name}.yaml").read_text())


@dataclass(frozen=True)
class Engine:
    base: dict[str, Any]
    leaves: list[str]


# The fit check refuses schema-valid sizes on purpose (a context or a memory limit too large for
# the GPU; tests/test_fit_check.py): off here, where the sizes are drawn at random.
UI_ON = {"ui": {"enabled": True}, "global": {"fitCheck": {"enabled": False}}}
# vLLM is the chart's default engine; the others from a real profile (kuberay and aibrix render
# their custom resources: validation.validate_file passes --api-versions for every CRD we know).
ENGINES = {
    "vllm": Engine(UI_ON, VLLM_LEAVES),
    "ollama": Engine(validation.interface.merge(profile("rtx3060-12gb"), UI_ON), OLLAMA_LEAVES),
    "kuberay": Engine(validation.interface.merge(profile("h100-80gb-2x8"), UI_ON), KUBERAY_LEAVES),
    "aibrix": Engine(validation.interface.merge(profile("h20-96gb-2x8-rdma"), UI_ON), AIBRIX_LEAVES),
}

_CHECKER = jsonschema.validators.validator_for(SCHEMA)


def leaf_schema(path: str) -> dict[str, Any]:
    node = SCHEMA
    for key in path.split("."):
        node = node["items"] if key.isdigit() else node["properties"][key]
    return node


def put(values: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `values` with the leaf at `path` set (maps created as needed, list items indexed)."""
    out = copy.deepcopy(values)
    node: Any = out
    *parents, last = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in parents:
        if isinstance(node, dict):
            node = node.setdefault(key, {})
        else:
            node = node[key]
    node[last] = value
    return out


def with_leaves(base: dict[str, Any], leaves: dict[str, Any]) -> dict[str, Any]:
    for path, value in leaves.items():
        base = put(base, path, value)
    return base


ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
NAME = "abcdefghijklmnopqrstuvwxyz0123456789-"
# Strings YAML reads as something else (a number, a boolean, null, a map, a list, an alias) or
# fails to parse when a template leaves them bare or inside unescaped quotes: each string leaf
# draws them half the time (those its schema admits; the "/" ones for paths).
TRICKY = ["0", "1.5", "true", "null", "a: b", '"a', "*a", "[a]", "/a: b", '/"a', "/0"]


def tricky(schema: dict[str, Any]) -> list[str]:
    checker = _CHECKER(schema)
    return [t for t in TRICKY if checker.is_valid(t)]


def strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([strategy(branch) for branch in schema["anyOf"]])
    types = schema.get("type")
    if isinstance(types, list):
        return st.one_of([strategy({**schema, "type": t}) for t in types])
    if types == "null":
        return st.none()
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
            # A pattern anchored at both ends is matched whole; one open at the end ("^/") is a
            # prefix, followed by any printable ASCII.
            drawn = st.from_regex(schema["pattern"], fullmatch=schema["pattern"].endswith("$"), alphabet=ASCII)
            drawn = drawn.filter(lambda s: len(s) <= schema.get("maxLength", 63))
        else:
            drawn = st.text(NAME, min_size=schema.get("minLength", 0), max_size=min(20, schema.get("maxLength", 20)))
        odd = tricky({**schema, "type": "string"})
        return st.one_of(drawn, st.sampled_from(odd)) if odd else drawn
    if types == "array":
        return st.lists(strategy(schema["items"]), min_size=schema.get("minItems", 0), max_size=3,
                        unique_by=None if not schema.get("uniqueItems") else json.dumps)
    if types == "object" and isinstance(schema.get("additionalProperties"), dict):
        return st.dictionaries(st.text(NAME + "./", min_size=1, max_size=20),
                               strategy(schema["additionalProperties"]), max_size=3)
    raise NotImplementedError(schema)


def render(values: dict[str, Any]) -> validation.Result:
    # As JSON (which is YAML): every string quoted, as a user would quote "y" or "1e3" in a values
    # file. PyYAML leaves those bare, and helm's YAML 1.1 reads them as a boolean and a number.
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        json.dump(values, handle)
    try:
        return validation.validate_file(Path(handle.name), HELM_VERSIONS[0], helm(HELM_VERSIONS[0]), lint=False)
    finally:
        Path(handle.name).unlink()


def leaves_of(engine: str) -> list[str]:
    found = [path for path in FOUND.get(engine, {}) if path not in UI_LEAVES + GLOBAL_LEAVES]
    return ENGINES[engine].leaves + found + UI_LEAVES + GLOBAL_LEAVES


@st.composite
def free_values(draw, engine: str) -> dict[str, Any]:
    """Up to twenty free leaves of the engine, the UI and global, each with a value from its schema."""
    chosen = draw(st.lists(st.sampled_from(leaves_of(engine)), min_size=1, max_size=20, unique=True))
    return {path: draw(strategy(leaf_schema(path))) for path in chosen}


def test_leaves_exist_and_bases_render():
    for name, engine in ENGINES.items():
        for path in leaves_of(name):
            assert leaf_schema(path), path
        values = engine.base
        assert values.get(name, {}).get("enabled", name == "vllm") and values["ui"]["enabled"]
        result = render(values)
        assert result.ok, f"{name}\n" + "\n".join(result.errors)


# Cases earlier random runs found: a numeric-looking name rendered unquoted, and FOUND.
@pytest.mark.parametrize(("engine", "leaves"), [
    ("vllm", {"vllm.gpu.runtimeClassName": "0", "vllm.priorityClassName": "1",
              "vllm.cache.pvc.storageClassName": "2"}),
    *[(engine, leaves) for engine, cases in FOUND.items() for leaves in cases.values()],
])
def test_found_cases_render_and_validate(engine, leaves):
    result = render(with_leaves(ENGINES[engine].base, leaves))
    assert result.ok, f"{leaves}\n" + "\n".join(result.errors)


# derandomize: the same examples on every run, so CI is reproducible. A render with validation
# takes ~0.15 s (a refused one less): the counts keep the module near 50 s on two cores. A failure
# costs minutes more while hypothesis shrinks it to the fewest leaves.
@pytest.mark.parametrize("engine", list(ENGINES))
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_values_from_the_schema_render_and_validate(engine, data):
    leaves = data.draw(free_values(engine), label="leaves")
    result = render(with_leaves(ENGINES[engine].base, leaves))
    assert result.ok, f"{engine} base with {leaves}\n" + "\n".join(result.errors)


def wrong(schema: dict[str, Any]) -> list[Any]:
    """Values the schema must refuse: candidates by type, kept when the leaf's schema refuses them."""
    types = schema.get("type")
    types = set(types if isinstance(types, list) else [types] if types else [])
    out: list[Any] = []
    if "enum" in schema:
        out.append("not-an-option")
    if "boolean" in types:
        out += ["yes", 1]
    if types & {"integer", "number"} or "anyOf" in schema:
        out.append("many")
        if "minimum" in schema:
            out.append(schema["minimum"] - 1)
        if "maximum" in schema:
            out.append(schema["maximum"] + 1)
    if "integer" in types:
        out.append(1.5)
    if "string" in types:
        out += [12345, ["a"]]
        if "pattern" in schema:
            out.append("!!")
        if schema.get("minLength"):
            out.append("")
    if "array" in types:
        out += ["a", [12345]]
        if schema.get("minItems"):
            out.append([])
    if "object" in types:
        out += ["a", {"k": 12345}]
    checker = _CHECKER(schema)
    return [bad for bad in out if not checker.is_valid(bad)]


MUTATIONS = {name: [(path, bad) for path in leaves_of(name) for bad in wrong(leaf_schema(path))]
             for name in ENGINES}


def test_every_leaf_has_a_mutation():
    for name in ENGINES:
        assert {path for path, _ in MUTATIONS[name]} == set(leaves_of(name)), name


@pytest.mark.parametrize("engine", list(ENGINES))
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_values_are_rejected_naming_the_field(engine, data):
    path, bad = data.draw(st.sampled_from(MUTATIONS[engine]), label="mutation")
    result = render(put(ENGINES[engine].base, path, bad))
    assert not result.ok, (path, bad)
    # helm itself refuses it (not only our own schema check), naming the field as a JSON pointer.
    named = re.compile("'" + re.escape("/" + path.replace(".", "/")) + "(/[^']*)?'")
    assert any(e.startswith("helm ") and named.search(e) for e in result.errors), (path, bad, result.errors)
