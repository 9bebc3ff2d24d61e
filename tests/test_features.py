"""Feature variants in tests/values-valid/: each renders and validates, and does what it says."""

from __future__ import annotations

import base64
import copy
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import __version__
from generator.build import ROOT

from .conftest import (
    ALL_FILES,
    HELM_VERSIONS,
    VALUES_FILES,
    VARIANTS,
    find,
    helm,
    pod_templates,
    render_with,
    rendered,
    secret_file,
    validated,
)

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("LLM_SERVING_UPDATE_GOLDEN") == "1"


def variant(name: str) -> Path:
    return ROOT / "tests" / "values-valid" / f"{name}.yaml"


@pytest.mark.parametrize("version", HELM_VERSIONS)
@pytest.mark.parametrize("values_file", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_variant_renders_and_validates(values_file: Path, version: str):
    result = validated(values_file, version)
    assert result.ok, "\n".join(result.errors)


def pod(docs):
    (deploy,) = find(docs, "Deployment")
    return deploy["spec"]["template"]["spec"]


def env_of(docs) -> dict:
    return {e["name"]: e for e in pod(docs)["containers"][0]["env"]}


def test_default_render_needs_no_secret_and_is_online():
    docs = rendered(variant("emptydir-cache"))
    env = env_of(docs)
    assert "HF_HUB_OFFLINE" not in env and "VLLM_API_KEY" not in env and "HF_TOKEN" not in env
    (cache,) = [v for v in pod(docs)["volumes"] if v["name"] == "cache"]
    assert cache["emptyDir"]["sizeLimit"] == "40Gi"
    assert not find(docs, "PersistentVolumeClaim")


def test_api_key_and_token_come_from_secrets():
    docs = rendered(variant("api-key-and-hf-token"))
    env = env_of(docs)
    assert env["VLLM_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "llm-api-key", "key": "api-key"}
    assert "HF_TOKEN" not in env  # a file huggingface_hub reads (HF_TOKEN_PATH), not an env var
    spec = pod(docs)
    assert secret_file(spec, spec["containers"][0], "HF_TOKEN_PATH")["secretName"] == "hf-token"
    assert pod(docs)["imagePullSecrets"] == [{"name": "registry-mirror"}]
    assert not any(a.startswith("--api-key") for a in pod(docs)["containers"][0]["args"])


def test_offline_hostpath():
    docs = rendered(variant("offline-hostpath"))
    env = env_of(docs)
    assert env["HF_HUB_OFFLINE"]["value"] == "1"
    assert env["HF_HOME"]["value"] == "/models"
    cache = next(v for v in pod(docs)["volumes"] if v["name"] == "cache")
    assert cache["hostPath"] == {"path": "/mnt/nvme/models", "type": "Directory"}
    assert not find(docs, "PersistentVolumeClaim")


def test_offline_existing_claim_creates_no_claim():
    docs = rendered(variant("offline-existing-claim"))
    assert not find(docs, "PersistentVolumeClaim")
    cache = next(v for v in pod(docs)["volumes"] if v["name"] == "cache")
    assert cache["persistentVolumeClaim"]["claimName"] == "r1-weights"


def test_multi_gpu_parallelism_and_scheduling():
    docs = rendered(variant("multi-gpu-runtimeclass"))
    spec = pod(docs)
    container = spec["containers"][0]
    assert spec["runtimeClassName"] == "nvidia"
    assert spec["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 4
    args = container["args"]
    assert "--tensor-parallel-size=2" in args and "--pipeline-parallel-size=2" in args
    assert "--no-enable-prefix-caching" in args
    assert args[-2:] == ["--reasoning-parser", "deepseek_r1"]
    assert not find(docs, "PodDisruptionBudget")


def test_amd_uses_amd_resource():
    container = pod(rendered(variant("amd-rocm")))["containers"][0]
    assert container["resources"]["limits"]["amd.com/gpu"] == 1
    assert "nvidia.com/gpu" not in container["resources"]["limits"]


# ---------------------------------------------------------------- golden renders

def _normalized(docs) -> str:
    """The render as YAML; the value of a generated API key (random on every render) is masked, and
    the chart version in `helm.sh/chart` labels (a release bump is no change to review)."""
    docs = copy.deepcopy(docs)
    for doc in docs:
        if doc["kind"] == "Secret" and doc["metadata"]["name"].endswith("-api-key"):
            doc["data"] = {key: "<generated>" for key in doc.get("data", {})}
    text = yaml.safe_dump_all(docs, sort_keys=True, width=1000)
    return re.sub(rf"(helm\.sh/chart: [a-z-]+)-{re.escape(__version__)}$", r"\1-<version>", text, flags=re.M)


@pytest.mark.parametrize("values_file", VALUES_FILES, ids=[p.stem for p in VALUES_FILES])
def test_golden_render(values_file: Path):
    """Review every change of rendered output. Update: LLM_SERVING_UPDATE_GOLDEN=1 make test"""
    golden = GOLDEN / f"{values_file.stem}.yaml"
    outputs = {v: _normalized(rendered(values_file, v)) for v in HELM_VERSIONS}
    assert len(set(outputs.values())) == 1, "helm versions render different objects"
    text = next(iter(outputs.values()))
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"{golden} missing: run LLM_SERVING_UPDATE_GOLDEN=1 make test"
    assert golden.read_text() == text, (
        f"render of {values_file.name} changed; if intended, run "
        "LLM_SERVING_UPDATE_GOLDEN=1 make test and review the diff of tests/golden/")


def test_generated_api_key_is_shared_by_engine_and_ui():
    docs = rendered(variant("generated-api-key"))
    (secret,) = find(docs, "Secret")
    assert secret["metadata"]["name"] == "r1-api-key"
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert len(secret["data"]["api-key"]) >= 48
    refs = [e["valueFrom"]["secretKeyRef"] for d in find(docs, "Deployment")
            for e in d["spec"]["template"]["spec"]["containers"][0]["env"]
            if e["name"] in ("VLLM_API_KEY", "OPENAI_API_KEY")]
    assert refs == [{"name": "r1-api-key", "key": "api-key"}] * 2


def _render_against(cluster: list[dict], values_file: Path, version: str, tmp_path: Path) -> list[dict]:
    """`helm template --dry-run=server` against an API server holding `cluster` (its lookups read
    them), in namespace llm."""
    from generator import validation

    from .fake_api_server import serving

    kinds = {(d["apiVersion"], d["kind"]) for d in rendered(values_file, version)}
    with serving(kinds, cluster, tmp_path) as kubeconfig:
        command = [*validation._template_command(helm(version), values_file, crds=False),
                   "--dry-run=server", "--disable-openapi-validation", "--kubeconfig", str(kubeconfig)]
        proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120,
                              env={**validation._helm_env(), "KUBECONFIG": str(kubeconfig)})
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_generated_api_key_is_kept_on_upgrade(tmp_path: Path, version: str):
    """On upgrade (the Secret exists) the chart renders the key the cluster holds, so clients keep
    working; on first install (no Secret) a new random key each render."""
    values_file = variant("generated-api-key")
    kept = base64.b64encode(b"key-already-in-the-cluster").decode()
    existing = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "data": {"api-key": kept},
                "metadata": {"name": "r1-api-key", "namespace": "llm",  # as the release's install left it
                             "labels": {"app.kubernetes.io/managed-by": "Helm"},
                             "annotations": {"meta.helm.sh/release-name": "r1",
                                             "meta.helm.sh/release-namespace": "llm"}}}
    (secret,) = find(_render_against([existing], values_file, version, tmp_path), "Secret")
    assert secret["data"] == {"api-key": kept}
    fresh = [find(_render_against([], values_file, version, tmp_path), "Secret")[0]["data"]["api-key"]
             for _ in range(2)]
    assert kept not in fresh and fresh[0] != fresh[1]
    assert all(len(base64.b64decode(key)) == 48 for key in fresh)


def test_keda_httproute_and_monitoring():
    docs = rendered(variant("vllm-keda-httproute-monitoring"))
    assert not find(docs, "HorizontalPodAutoscaler"), "KEDA owns the HPA"
    (scaled,) = find(docs, "ScaledObject")
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "prometheus"
    assert 'vllm:num_requests_waiting{namespace="llm", model_name="deepseek-r1"}' in trigger["metadata"]["query"]
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (1, 3)
    (route,) = find(docs, "HTTPRoute")
    assert route["spec"]["parentRefs"] == [{"name": "external", "namespace": "gateway-system"}]
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "r1-vllm", "port": 8000}]
    (monitor,) = find(docs, "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0] == {"port": "http", "path": "/metrics", "interval": "30s"}
    (dashboard,) = find(docs, "ConfigMap")
    assert "panels" in yaml.safe_load(dashboard["data"]["vllm-engine-dashboard.json"])


@pytest.mark.parametrize("values_file", VALUES_FILES, ids=[p.stem for p in VALUES_FILES])
def test_helm_test_asks_for_a_real_completion(values_file: Path):
    docs = rendered(values_file)
    tests = [d for d in find(docs, "Pod") if d["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]
    assert len(tests) == 1
    script = tests[0]["spec"]["containers"][0]["args"][0]
    assert "/v1/models" in script and "/v1/chat/completions" in script and '"choices"' in script
    assert tests[0]["metadata"]["labels"]["app.kubernetes.io/component"] == "helm-test"
    assert tests[0]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_image_digests_pin_every_image_they_are_set_for():
    docs = rendered(variant("image-digests"))
    specs = [d["spec"]["template"]["spec"] if d["kind"] == "Deployment" else d["spec"]
             for d in docs if d["kind"] in ("Deployment", "Pod")]
    images = {c["name"]: c["image"] for spec in specs for c in spec["containers"]}
    assert images["vllm"].endswith(":v0.31.0-cu129@sha256:" + "1" * 64), images
    assert images["nextchat"].endswith(":v2.16.1@sha256:" + "2" * 64), images
    assert images["chat"] == "curlimages/curl:8.16.0@sha256:" + "3" * 64


# An AKS GPU pool's taint, which the chart's own GPU tolerations do not tolerate.
OWN_TOLERATIONS = [{"key": "sku", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]


@pytest.mark.parametrize("profile, engine", [("h100-80gb", "vllm"), ("h100-80gb-2x8-vllm", "vllm"),
                                             ("h20-96gb-2x8-rdma", "aibrix"), ("rtx3060-12gb", "ollama")])
def test_engine_tolerations_replace_the_charts(tmp_path: Path, profile: str, engine: str):
    """<engine>.tolerations, when set, are the GPU pods' tolerations, in place of the chart's
    (common.placement): the values name exactly what the nodes are tainted with."""
    values_file = ROOT / "values" / f"{profile}.yaml"
    assert yaml.safe_load(values_file.read_text())[engine]["enabled"]
    default = [t for t in pod_templates(rendered(values_file)) if t.spec.get("tolerations")]
    assert default and all(t.spec["tolerations"] != OWN_TOLERATIONS for t in default)
    docs = render_with(values_file, {engine: {"tolerations": OWN_TOLERATIONS}}, tmp_path, crds=True)
    gpu_pods = [t for t in pod_templates(docs) if t.name in {d.name for d in default}]
    assert gpu_pods
    for pod in gpu_pods:
        assert pod.spec["tolerations"] == OWN_TOLERATIONS, pod.name


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_every_autoscaler_targets_a_rendered_workload(values_file: Path):
    """HPA, KEDA ScaledObject and AIBrix PodAutoscaler name a workload of the same release by
    apiVersion, kind and name (a wrong kind scales nothing, silently)."""
    docs = rendered(values_file)
    workloads = {(d["apiVersion"], d["kind"], d["metadata"]["name"]) for d in docs}
    for doc in docs:
        if doc["kind"] in ("HorizontalPodAutoscaler", "ScaledObject", "PodAutoscaler"):
            ref = doc["spec"]["scaleTargetRef"]
            assert (ref.get("apiVersion", "apps/v1"), ref["kind"], ref["name"]) in workloads, (doc["kind"], ref)
