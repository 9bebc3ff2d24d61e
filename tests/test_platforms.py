"""Catalog facts of generator/platforms.py: each platform's allocatable formula against what the
platform publishes, and the planner's sizing against the machines a profile names."""

from __future__ import annotations

import pytest
import yaml

from generator import catalog, platforms
from generator.build import ROOT
from generator.model import Hardware, Request
from generator.planner import Refused, plan

from .scheduling import quantity

NODES = yaml.safe_load((ROOT / "tests" / "nodes.yaml").read_text())


@pytest.mark.parametrize("name, cpu_m, memory_mi", [
    # Karpenter's generated instance-types table (karpenter.sh/docs/reference/instance-types)
    ("g5.xlarge", 3920, 14162), ("g4dn.xlarge", 3920, 14481), ("p4d.24xlarge", 95690, 1082712),
    ("p5.48xlarge", 191450, 1938410), ("p5e.48xlarge", 191450, 1938410),
])
def test_eks_allocatable_is_karpenters_table(name, cpu_m, memory_mi):
    cpu, memory = platforms.MACHINES[name].allocatable
    assert round(cpu * 1000) == cpu_m and round(memory * 1024) == memory_mi


def test_aks_formula_reproduces_its_documented_example():
    # learn.microsoft.com/azure/aks/node-resource-reservations: an 8 GB node with 30 pods keeps
    # 650 MB kube-reserved and 100 Mi for eviction; CPU table: 180m for 8 cores, 740m for 64.
    cpu, memory = platforms.allocatable("aks", 8, 8, max_pods=30)
    assert cpu == pytest.approx(7.82) and memory == pytest.approx(8 - 650 / 1024 - 100 / 1024)
    assert platforms.allocatable("aks", 64, 256)[0] == pytest.approx(63.26)


def test_gke_formula_on_the_seed_004_machine():
    cpu, memory = platforms.MACHINES["a3-highgpu-8g"].allocatable
    assert round(cpu * 1000) == 207410 and round(memory * 1024) == 1871567


@pytest.mark.parametrize("name", sorted(NODES["machines"]))
def test_allocatable_agrees_with_the_test_nodes(name):
    cpu, memory = platforms.MACHINES[name].allocatable
    data = NODES["machines"][name]
    assert cpu == pytest.approx(quantity(data["cpu"]), abs=1e-3)
    assert memory * 2**30 == pytest.approx(quantity(data["memory"]), abs=2**20)


def test_every_catalogued_machine_carries_a_catalogued_gpu_with_its_labels():
    for machine in platforms.MACHINES.values():
        assert machine.source and machine.platform in ("gke", "eks", "aks", "volcengine", "on-prem")
        if machine.gpu:
            assert machine.gpu in catalog.GPUS and machine.gpu in platforms.LABELS
    for gpu, labels in platforms.LABELS.items():
        assert labels.source, gpu
        assert labels.products, f"{gpu}: the GPU operator's product string is missing"
    for unsized in platforms.UNSIZED_GPU_MACHINES:
        assert unsized.name not in platforms.MACHINES and unsized.platform in platforms.PLATFORMS
        assert unsized.gpu is None or (unsized.gpu in catalog.GPUS and unsized.gpu in platforms.LABELS)
    names = [t.name for t in platforms.UNSIZED_GPU_MACHINES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("gpu", sorted(platforms.LABELS))
def test_instance_types_split_into_the_gpus_own_and_the_refused(gpu):
    """In the chart's placement data, the instance types a GPU's pods take (`In`, any platform) and
    those the unlabelled term refuses (`NotIn`) share none and together are every GPU machine."""
    terms = platforms.chart_data()["gpus"][gpu]  # type: ignore[index]
    taken, refused = set(), set()
    for platform, platform_terms in terms.items():
        for term in platform_terms:
            for expr in term["matchExpressions"]:
                if expr["key"] == platforms.INSTANCE_TYPE:
                    (taken if expr["operator"] == "In" else refused).update(expr["values"])
                    assert (expr["operator"] == "NotIn") == (platform == "unlabelled"), (platform, expr)
    assert not taken & refused
    known = {m.name for m in platforms.MACHINES.values() if m.gpu and m.typed}
    known |= {t.name for t in platforms.UNSIZED_GPU_MACHINES}
    assert taken | refused == known
    assert {m.name for m in platforms.machines_for(gpu) if m.typed} <= taken


# ---------------------------------------------------------------- sizing that fits

R1_14B = "deepseek-r1-distill-qwen-14b"


@pytest.mark.parametrize("hw, req, machine", [
    # the three profiles that did not fit the machines they named
    (Hardware("A10-24GB", 1, machines=("g5.xlarge",)), Request(R1_14B, cpu_per_pod=4), "g5.xlarge"),
    (Hardware("A10-24GB", 1, machines=("g5.xlarge",)), Request(R1_14B, memory_gib_per_pod=18), "g5.xlarge"),
    (Hardware("H200-141GB", 8, machines=("a3-ultragpu-8g", "p5e.48xlarge", "Standard_ND96isr_H200_v5")),
     Request("deepseek-r1", cpu_per_pod=96), "Standard_ND96isr_H200_v5"),
    (Hardware("MI300X-192GB", 8, machines=("Standard_ND96isr_MI300X_v5",)), Request("deepseek-r1", cpu_per_pod=95),
     "Standard_ND96isr_MI300X_v5"),
])
def test_requests_that_do_not_fit_the_smallest_machine_are_refused(hw, req, machine):
    with pytest.raises(Refused) as exc:
        plan(hw, req)
    assert machine in str(exc.value) and "DaemonSets" in str(exc.value)
    assert exc.value.numbers["machine"] == machine


def test_planned_sizes_fit_by_themselves():
    result = plan(Hardware("A10-24GB", 1, machines=("g5.xlarge",)), Request(R1_14B))
    assert (result.profile.cpu_per_pod, result.profile.memory_gib_per_pod) == (3, 12)
    # Several replicas on one node share it: 8 x A10 with the 8B distill plans 2 pods of tensor 4.
    shared = plan(Hardware("A10-24GB", 8, machines=("g5.48xlarge",)), Request("deepseek-r1-distill-llama-8b"))
    assert shared.profile.replicas > 1
    cpu, memory = platforms.MACHINES["g5.48xlarge"].allocatable
    assert shared.profile.replicas * shared.profile.cpu_per_pod <= cpu - platforms.DAEMONSET_CPU
    assert shared.profile.replicas * shared.profile.memory_gib_per_pod <= memory - platforms.DAEMONSET_MEMORY_GIB


def test_a_machine_of_another_gpu_is_refused():
    with pytest.raises(ValueError, match="p5.48xlarge carries 8 x H100-80GB, not 1 x A10-24GB"):
        plan(Hardware("A10-24GB", 1, machines=("p5.48xlarge",)), Request(R1_14B))


def test_generate_refuses_a_profile_that_does_not_fit(monkeypatch):
    from dataclasses import replace

    from generator import profiles

    bad = tuple(replace(s, request=replace(s.request, cpu_per_pod=4)) if s.name == "a10-24gb" else s
                for s in profiles.SPECS)
    with pytest.raises(Refused, match="g5.xlarge"):
        profiles.build_profiles(bad)
