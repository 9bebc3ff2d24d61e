"""Every rendered pod of every profile and feature variant, checked against nodes of each platform
(tests/nodes.yaml) the way the scheduler's filters decide (tests/scheduling.py): a GPU pod lands
on a node of its planned GPU on every platform that offers it and on a GPU node that names no
model, never on a node of another GPU; a pod without GPUs prefers nodes without GPUs; each
profile's pods fit the machines it names, with the DaemonSet room left."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import catalog, platforms, validation
from generator.build import ROOT
from generator.profiles import SPECS

from .conftest import ALL_FILES, VALUES_FILES, find, render_with, rendered
from .scheduling import Node, fits, pod_requests, preference_score, quantity, reasons, selector_and_affinity_match
from .test_pod_security import pod_specs

NODES = yaml.safe_load((ROOT / "tests" / "nodes.yaml").read_text())
GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")
ROOMY = {"cpu": "1000", "memory": "100Ti", "pods": "110", "nvidia.com/gpu": "16", "amd.com/gpu": "16",
         "vke.volcengine.com/rdma": "16", "rdma/rdma_shared_device_a": "16"}


def gpu_count(pod: dict[str, Any]) -> int:
    requests = pod_requests(pod)
    return int(sum(requests.get(r, 0) for r in GPU_RESOURCES))


def planned_gpu(values_file: Path) -> str | None:
    """The GPU model the values plan the engine's pods for (its gpu.model)."""
    values = yaml.safe_load(values_file.read_text()) or {}
    for section in values.values():
        if isinstance(section, dict) and section.get("enabled") and isinstance(section.get("gpu"), dict):
            if section["gpu"].get("model"):
                return section["gpu"]["model"]
    return None


def gpu_nodes(platform: str, gpu: str) -> list[dict[str, str]]:
    """The labels of the platform's nodes of `gpu` in tests/nodes.yaml (one node, or a list)."""
    entry = NODES["platforms"][platform]["gpus"].get(gpu) or []
    return entry if isinstance(entry, list) else [entry]


def node(platform: str, labels: dict[str, str], gpu: bool, allocatable: dict[str, Any] | None = None) -> Node:
    taints = tuple(NODES["platforms"][platform]["taints"]) if gpu else ()
    return Node(f"{platform}-node", {"kubernetes.io/os": "linux", **labels}, allocatable or ROOMY, taints)


FILES = ALL_FILES


@cache
def pods(values_file: Path) -> list[tuple[str, dict[str, Any]]]:
    """(kind/name, pod) of every pod the release creates, those inside custom resources included."""
    return [(f"{owner['kind']}/{name}", {"spec": spec}) for name, spec, owner in pod_specs(rendered(values_file))]


@pytest.mark.parametrize("values_file", FILES, ids=lambda p: p.stem)
def test_gpu_pods_land_on_the_planned_gpu_on_every_platform(values_file: Path):
    gpu_pods = [(n, p) for n, p in pods(values_file) if gpu_count(p)]
    gpu = planned_gpu(values_file)
    if gpu is None:  # GPUs of no planned model: any GPU node, tainted or not, will do
        for name, pod in gpu_pods:
            spec = pod["spec"]
            if spec.get("nodeSelector") or spec.get("tolerations") != platforms.gpu_tolerations():
                continue  # the values place this pod themselves
            for platform in NODES["platforms"]:
                bare = node(platform, {}, gpu=True)
                assert fits(pod, bare), f"{name} does not land on a GPU node of {platform}: {reasons(pod, bare)}"
        return
    offered = [name for name, platform in NODES["platforms"].items() if gpu in platform["gpus"]]
    assert offered, f"tests/nodes.yaml has no node of {gpu}"
    for name, pod in gpu_pods:
        for platform in offered:
            for labels in gpu_nodes(platform, gpu):
                target = node(platform, labels, gpu=True)
                assert fits(pod, target), f"{name} does not land on {gpu} on {platform} ({labels}): " \
                    f"{reasons(pod, target)}"
            others = [labels for model in NODES["platforms"][platform]["gpus"] if model != gpu
                      for labels in gpu_nodes(platform, model)]
            others += NODES["platforms"][platform]["others"]
            for labels in others:
                assert not selector_and_affinity_match(pod, node(platform, labels, gpu=True)), \
                    f"{name} (planned for {gpu}) would land on another GPU on {platform}: {labels}"
        unnamed = [("device-plugin", {})] + [(platform, labels) for platform, data in NODES["platforms"].items()
                                             for labels in data.get("unnamed", [])]
        for platform, labels in unnamed:
            bare = node(platform, labels, gpu=True)
            assert fits(pod, bare), \
                f"{name} stays Pending on a GPU node that names no model ({platform}, {labels}): {reasons(pod, bare)}"


def test_self_managed_nodes_cover_every_profiles_machines():
    """tests/nodes.yaml's self-managed platform has a node of each cloud machine a profile names,
    under the profile's GPU (under `unnamed` when the machine type names no GPU, as GCE N1), so
    every profile is checked on the very machines it was planned for."""
    data = NODES["platforms"]["self-managed"]
    listed = {gpu: {labels.get(platforms.INSTANCE_TYPE) for labels in gpu_nodes("self-managed", gpu)}
              for gpu in data["gpus"]}
    unnamed = {labels.get(platforms.INSTANCE_TYPE) for labels in data["unnamed"]}
    for spec in SPECS:
        for name in spec.hardware.machines:
            machine = platforms.MACHINES[name]
            if machine.gpu and machine.platform != "on-prem":
                where = listed.get(machine.gpu, set()) if machine.typed else unnamed
                assert name in where, f"tests/nodes.yaml self-managed has no node of {name} ({spec.name})"


@pytest.mark.parametrize("values_file", FILES, ids=lambda p: p.stem)
def test_cpu_pods_prefer_nodes_without_gpus(values_file: Path):
    cpu_pods = [(n, p) for n, p in pods(values_file) if not gpu_count(p)]
    for name, pod in cpu_pods:
        for platform, data in NODES["platforms"].items():
            cpu_node = node(platform, data["cpu"], gpu=False)
            assert fits(pod, cpu_node), f"{name} does not fit a CPU node on {platform}: {reasons(pod, cpu_node)}"
            for labels in [labels for gpu in data["gpus"] for labels in gpu_nodes(platform, gpu)] + data["others"]:
                gpu_node = node(platform, labels, gpu=False)  # untainted, as on AKS or Karpenter
                assert preference_score(pod, cpu_node) > preference_score(pod, gpu_node), \
                    f"{name} does not prefer a CPU node to a GPU node on {platform} ({labels})"


def _machine_node(name: str) -> Node:
    data = NODES["machines"][name]
    machine = platforms.MACHINES[name]
    allocatable: dict[str, Any] = {"cpu": data["cpu"], "memory": data["memory"], "pods": "110",
                                   **(data.get("extra") or {})}
    if data.get("gpus"):
        allocatable[catalog.GPUS[machine.gpu].resource] = str(data["gpus"])
    # What the planner keeps free for DaemonSets is requested on the node already.
    requested = {"cpu": str(platforms.DAEMONSET_CPU), "memory": f"{platforms.DAEMONSET_MEMORY_GIB}Gi"}
    return Node(name, {}, allocatable, (), requested)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_profile_pods_fit_the_machines_it_names(spec):
    values_file = ROOT / "values" / f"{spec.name}.yaml"
    assert spec.hardware.machines, f"profile {spec.name} names no machine"
    engine_pods = [(n, p) for n, p in pods(values_file) if gpu_count(p)] or \
        [(n, p) for n, p in pods(values_file) if not n.startswith("Pod/") and "chat-ui" not in n]
    assert engine_pods
    for machine in spec.hardware.machines:
        target = _machine_node(machine)
        free = {k: quantity(v) - quantity(target.requested.get(k, 0)) for k, v in target.allocatable.items()}
        for name, pod in engine_pods:
            gpus = gpu_count(pod)
            per_node = max(1, (spec.hardware.gpus_per_node // gpus) if gpus else 1)
            # As many of the pod as the plan puts on one node (NodeResourcesFit, requests times pods).
            over = {k: v * per_node for k, v in pod_requests(pod).items() if v * per_node > free.get(k, 0) + 1e-9}
            assert not over, f"{per_node} x {name} do not fit {machine}: {over} (free {free})"


@pytest.mark.parametrize("values", [
    {"vllm": {"nodeSelector": {"pool": "gpu"}}},
    {"vllm": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "In", "values": ["gpu"]}]}]}}}}},
], ids=["nodeSelector", "affinity"])
def test_a_users_selector_replaces_the_chart_affinity(tmp_path, values):
    (deployment,) = find(render_with(ROOT / "values" / "h100-80gb.yaml", values, tmp_path), "Deployment")
    pod = deployment["spec"]["template"]
    on_pool = node("device-plugin", {"pool": "gpu", "cloud.google.com/gke-accelerator": "nvidia-l4"}, gpu=True)
    assert fits(pod, on_pool), "the user's selector alone decides"
    assert pod["spec"]["tolerations"], "the GPU tolerations stay"


def test_placement_can_be_narrowed_and_turned_off(tmp_path):
    def deployment(placement: dict) -> dict:
        overlay = {"global": {"placement": placement}}
        (d,) = find(render_with(ROOT / "values" / "h100-80gb.yaml", overlay, tmp_path), "Deployment")
        return d["spec"]["template"]["spec"]

    gke_only = deployment({"platforms": ["gke"]})
    terms = gke_only["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert [e["key"] for t in terms for e in t["matchExpressions"]] == [platforms.GKE_ACCELERATOR,
                                                                        platforms.INSTANCE_TYPE]
    off = deployment({"enabled": False})
    assert "affinity" not in off and "tolerations" not in off


@pytest.mark.parametrize("narrowed", [["gke"], ["unlabelled"]], ids=lambda p: p[0])
def test_a_narrowed_placement_takes_the_gpus_machine_without_its_label(tmp_path, narrowed):
    """A self-managed cluster on GCE VMs, placement narrowed to gke or to unlabelled: the H100
    pod lands on an A3 machine that carries no GPU label, never on an A2 (A100) machine."""
    overlay = {"global": {"placement": {"platforms": narrowed}}}
    (deployment,) = find(render_with(ROOT / "values" / "h100-80gb.yaml", overlay, tmp_path), "Deployment")
    pod = deployment["spec"]["template"]
    own = node("self-managed", {platforms.INSTANCE_TYPE: "a3-highgpu-1g"}, gpu=True)
    assert fits(pod, own), reasons(pod, own)
    assert not selector_and_affinity_match(pod, node("self-managed", {platforms.INSTANCE_TYPE: "a2-highgpu-1g"},
                                                     gpu=True))


def test_a_platform_that_cannot_name_the_gpu_is_refused(tmp_path):
    overlay = {"global": {"placement": {"platforms": ["gke"]}}}
    with pytest.raises(validation.RenderError, match=r"global.placement.platforms.*MI300X-192GB.*vllm.gpu.model"):
        render_with(ROOT / "values" / "mi300x-192gb-x8.yaml", overlay, tmp_path)


def test_no_profile_pins_one_clouds_label():
    for path in VALUES_FILES:
        text = path.read_text()
        for key in (platforms.GKE_ACCELERATOR, platforms.KARPENTER_GPU_NAME, platforms.AKS_ACCELERATOR):
            assert key not in text, f"{path.name} pins {key}"


def test_daemonset_room_is_left_on_the_smallest_machine():
    """The planner's sizes leave DAEMONSET_* free on the smallest machine of each profile."""
    from generator.profiles import shipped

    for profile, spec in zip(shipped(), SPECS, strict=True):
        machines = [platforms.MACHINES[m] for m in spec.hardware.machines]
        per_node = max(1, math.ceil(profile.pods * profile.replicas / spec.hardware.nodes))
        cpu = min(m.allocatable[0] for m in machines) - platforms.DAEMONSET_CPU
        memory = min(m.allocatable[1] for m in machines) - platforms.DAEMONSET_MEMORY_GIB
        assert profile.cpu_per_pod * per_node <= cpu + 1e-9, profile.name
        assert profile.memory_gib_per_pod * per_node <= memory + 1e-9, profile.name
