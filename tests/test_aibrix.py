"""AIBrix RayClusterFleet: the 2 x 8 H20 RDMA profile against AIBrix's DeepSeek-R1 samples, one
render per storage option, valid against the v0.2.1 and the newest AIBrix CRDs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from generator import validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, find, helm
from .sample_compare import differences

PROFILE = ROOT / "values" / "h20-96gb-2x8-rdma.yaml"
VARIANTS = ROOT / "tests" / "aibrix-samples"
UPSTREAM = ROOT / "tests" / "data" / "upstream" / "samples" / "aibrix"
WORKER = "spec.template.spec.workerGroupSpecs[groupName=worker-group].template.spec"
HEAD = "spec.template.spec.headGroupSpec.template.spec"

# (variant, sample path under samples/aibrix/)
CASES = [
    ("deepseek-r1-huggingface", "deepseek-r1/deepseek-r1-huggingface.yaml"),
    ("deepseek-r1-pvc", "deepseek-r1/deepseek-r1-pvc.yaml"),
    ("deepseek-r1-local-nvme", "deepseek-r1/deepseek-r1-local-nvme.yaml"),
    ("deepseek-r1-ai-runtime", "deepseek-r1/deepseek-r1-ai-runtime.yaml"),
    ("deepseek-r1-tcp", "deepseek-r1/deepseek-r1-tcp.yaml"),
    ("volcano-engine", "volcano-engine/deepseek-r1.yaml"),
]

# Differences we make on purpose, each with the sample's and our value; anything else fails.
DELIBERATE = {
    # The samples echo "head" on workers too (a copy-paste slip); ours say what runs.
    f"{WORKER}.containers[name=ray-worker].args[0]":
        "echo head; $KUBERAY_GEN_RAY_START_CMD;|echo worker; $KUBERAY_GEN_RAY_START_CMD;",
    # The startup budget comes from the checkpoint: loading 642 GiB from disk at 500 MiB/s plus
    # warm-up, with margin, exceeds the samples' 150 x 10 s.
    f"{HEAD}.containers[name=ray-head].startupProbe.failureThreshold": "150|225",
    # The samples surge by 25% of one replica: a whole second 16-GPU cluster during an update.
    # Ours replace the cluster in place (aibrix.rollout).
    "spec.strategy.rollingUpdate.maxSurge": "25%|0",
    "spec.strategy.rollingUpdate.maxUnavailable": "25%|1",
    # The downloader names the folder after the URI's last segment; the volcano sample's
    # DOWNLOADER_MODEL_NAME (unused by the downloader) disagrees with its own URI.
    f"{HEAD}.initContainers[name=init-model].env[name=DOWNLOADER_MODEL_NAME].value": "deepseek-r1|DeepSeek-R1",
    f"{WORKER}.initContainers[name=init-model].env[name=DOWNLOADER_MODEL_NAME].value": "deepseek-r1|DeepSeek-R1",
}
# IPC_LOCK is granted only with RDMA (pinned memory for the HCAs); the TCP sample keeps it.
TCP_ONLY = {f"{HEAD}.containers[name=ray-head].securityContext.capabilities.add",
            f"{WORKER}.containers[name=ray-worker].securityContext.capabilities.add"}


def render(variant: str | None, version: str = HELM_VERSIONS[0], crds: bool = True) -> list[dict]:
    extra = ("-f", str(VARIANTS / f"{variant}.yaml")) if variant else ()
    return validation.helm_template(helm(version), PROFILE, extra=extra, crds=crds)


def explained(detail: str, sample_part: str, ours: str) -> bool:
    """A scalar difference `sample X, render Y` is the deliberate one: numbers and percentages
    must be equal (150|225 does not excuse 2250), text must be contained (long args)."""
    match = re.fullmatch(r"sample (.*), render (.*)", detail, re.S)
    if not match:
        return False
    values = [v.strip("'\"") for v in match.groups()]

    def same(expected: str, actual: str) -> bool:
        return expected == actual if re.fullmatch(r"[0-9.%]+", expected) else expected in actual
    return same(sample_part, values[0]) and same(ours, values[1])


def unexplained(found: list[str], variant: str) -> list[str]:
    out = []
    for diff in found:
        path, detail = diff.split(": ", 1)
        expected = DELIBERATE.get(path)
        if expected and explained(detail, *expected.split("|")):
            continue
        if variant == "deepseek-r1-tcp" and path in TCP_ONLY:
            continue
        out.append(diff)
    return out


@pytest.mark.parametrize("version", HELM_VERSIONS)
@pytest.mark.parametrize("variant, sample", CASES, ids=[c[0] for c in CASES])
def test_storage_variant_matches_its_sample(variant: str, sample: str, version: str):
    (fleet,) = find(render(variant, version), "RayClusterFleet")
    expected = yaml.safe_load((UPSTREAM / sample).read_text())
    found = unexplained(differences(expected, fleet), variant)
    assert not found, f"render differs from {sample}:\n" + "\n".join(found)


def test_v021_runtime_sample_with_its_runtime_image(tmp_path: Path):
    pinned = tmp_path / "v021.yaml"
    pinned.write_text("aibrix:\n  storage:\n    downloader:\n      image: aibrix/runtime:v0.2.1\n")
    docs = validation.helm_template(helm(HELM_VERSIONS[0]), PROFILE, crds=True, extra=(
        "-f", str(VARIANTS / "deepseek-r1-ai-runtime.yaml"), "-f", str(pinned)))
    (fleet,) = find(docs, "RayClusterFleet")
    expected = yaml.safe_load((UPSTREAM / "deepseek-r1-v0.2.1/deepseek-r1-ai-runtime.yaml").read_text())
    assert not unexplained(differences(expected, fleet), "deepseek-r1-ai-runtime")


@pytest.mark.parametrize("kind, sample", [("Service", "deepseek-r1-service.yaml"),
                                          ("PodAutoscaler", "deepseek-r1-autoscaling.yaml")])
def test_service_and_autoscaler_match_samples(kind: str, sample: str):
    (rendered,) = [d for d in find(render(None), kind) if d["metadata"]["name"].startswith("deepseek-r1-671b")]
    expected = yaml.safe_load((UPSTREAM / "deepseek-r1" / sample).read_text())
    # Objects live in the release namespace rather than the samples' hard-coded `default`.
    found = [d for d in differences(expected, rendered) if not d.startswith("metadata.namespace")]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("crd_set", ["", "v0.2.1"], ids=["v0.7.0", "v0.2.1"])
@pytest.mark.parametrize("variant", [None] + [c[0] for c in CASES], ids=lambda v: v or "profile")
def test_valid_against_both_aibrix_crd_versions(variant: str | None, crd_set: str):
    for doc in render(variant):
        assert validation.document_errors(doc, crd_set) == []


def test_gateway_contract():
    docs = render(None)
    (fleet,) = find(docs, "RayClusterFleet")
    (service,) = [s for s in find(docs, "Service") if s["metadata"]["name"] == "deepseek-r1-671b"]
    labels = fleet["metadata"]["labels"]
    assert service["metadata"]["name"] == labels["model.aibrix.ai/name"]
    assert service["spec"]["selector"] == {"model.aibrix.ai/name": "deepseek-r1-671b", "ray.io/node-type": "head"}
    assert fleet["spec"]["template"]["metadata"]["annotations"]["ray.io/overwrite-container-cmd"] == "true"
    head = fleet["spec"]["template"]["spec"]["headGroupSpec"]["template"]
    assert head["metadata"]["labels"]["model.aibrix.ai/name"] == "deepseek-r1-671b"
    args = head["spec"]["containers"][0]["args"][0]
    assert "--distributed-executor-backend ray" in args and "--tensor-parallel-size 16" in args
    (dashboard,) = find(docs, "ConfigMap")
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert "panels" in yaml.safe_load(next(iter(dashboard["data"].values())))


def test_rdma_generic_preset_and_tcp_fallback(tmp_path: Path):
    generic = tmp_path / "generic.yaml"
    generic.write_text(yaml.safe_dump({"aibrix": {"rdma": {
        "preset": "generic", "resourceName": "rdma/hca", "annotations": {
            "k8s.v1.cni.cncf.io/networks": "rdma-net"}}}}))
    docs = validation.helm_template(helm(HELM_VERSIONS[0]), PROFILE, extra=("-f", str(generic)))
    (fleet,) = find(docs, "RayClusterFleet")
    head = fleet["spec"]["template"]["spec"]["headGroupSpec"]["template"]
    assert head["metadata"]["annotations"] == {"k8s.v1.cni.cncf.io/networks": "rdma-net"}
    limits = head["spec"]["containers"][0]["resources"]["limits"]
    assert limits["rdma/hca"] == "8" and limits["nvidia.com/gpu"] == 8
    assert head["spec"]["containers"][0]["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]
    (fleet,) = find(render("deepseek-r1-tcp"), "RayClusterFleet")
    head = fleet["spec"]["template"]["spec"]["headGroupSpec"]["template"]
    env = {e["name"] for e in head["spec"]["containers"][0]["env"]}
    assert "NCCL_IB_HCA" not in env and "annotations" not in head["metadata"]
    assert "add" not in head["spec"]["containers"][0]["securityContext"]["capabilities"]


def test_rdma_devices_follow_the_gpus_per_node(tmp_path: Path):
    four = tmp_path / "four.yaml"
    four.write_text(yaml.safe_dump({"aibrix": {"nodes": 4, "gpu": {"perNode": 4}}}))
    (fleet,) = find(validation.helm_template(helm(HELM_VERSIONS[0]), PROFILE, extra=("-f", str(four))),
                    "RayClusterFleet")
    for group in fleet_pods(fleet):
        assert group["spec"]["containers"][0]["resources"]["limits"]["vke.volcengine.com/rdma"] == "4"
        assert len(json.loads(group["metadata"]["annotations"]["k8s.volcengine.com/pod-networks"])) == 4


def fleet_pods(fleet: dict) -> list[dict]:
    spec = fleet["spec"]["template"]["spec"]
    return [spec["headGroupSpec"]["template"]] + [g["template"] for g in spec["workerGroupSpecs"]]


def test_missing_control_plane_is_a_clear_install_error():
    with pytest.raises(validation.RenderError) as excinfo:
        render(None, crds=False)
    assert "orchestration.aibrix.ai/v1alpha1/RayClusterFleet" in str(excinfo.value)
    assert "AIBrix control plane" in str(excinfo.value)


def test_head_readiness_and_liveness_on_health(tmp_path: Path):
    (fleet,) = find(render(None), "RayClusterFleet")
    head, *workers = fleet_pods(fleet)
    container = head["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "service"}
    liveness = container["livenessProbe"]
    assert liveness["httpGet"]["path"] == "/health"
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 300  # never during a long prefill
    assert all("readinessProbe" not in w["spec"]["containers"][0] for w in workers)
    off = tmp_path / "off.yaml"
    off.write_text(yaml.safe_dump({"aibrix": {"livenessProbe": {"enabled": False}}}))
    (fleet,) = find(validation.helm_template(helm(HELM_VERSIONS[0]), PROFILE, extra=("-f", str(off))),
                    "RayClusterFleet")
    assert "livenessProbe" not in fleet_pods(fleet)[0]["spec"]["containers"][0]


@pytest.mark.parametrize("detail, ok", [
    ("sample 150, render 225", True), ("sample 150, render 2250", False),
    ("sample '25%', render 0", True), ("sample '25%', render 10", False),
])
def test_deliberate_differences_match_exactly(detail: str, ok: bool):
    expected = "150|225" if "150" in detail else "25%|0"
    assert explained(detail, *expected.split("|")) is ok
