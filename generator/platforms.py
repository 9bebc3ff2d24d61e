"""Where GPUs run: how each platform names a GPU model on its nodes, which machines carry it,
and what a machine leaves allocatable to pods. The facts the chart's placement (required node
affinity over every platform's way of naming the planned GPU) and the planner's sizing (pods
fit the smallest machine a profile names) are built from, each with its source.

Platforms and the node label that names the GPU model there:
- every cloud: `node.kubernetes.io/instance-type`, set by the cloud provider integration on
  managed and self-managed (kubeadm, RKE2, k3s) clusters alike. A machine type that names its GPU
  (`gpu_instance_types`) selects that GPU on every platform, whatever GPU labels the node lacks.
- gke: `cloud.google.com/gke-accelerator` (G1: "Run GPUs in GKE Standard node pools",
  docs.cloud.google.com/kubernetes-engine/docs/how-to/gpus; values as `gcloud compute
  accelerator-types list` prints them). GKE taints GPU pools `nvidia.com/gpu=present:NoSchedule`
  when the cluster has a non-GPU pool, and its ExtendedResourceToleration admission controller
  adds the toleration to pods that request GPUs (G1).
- eks: Karpenter's `karpenter.k8s.aws/instance-gpu-name` (lower-kebab-case of EC2's GPU name,
  with `instance-gpu-memory` in MiB telling the two A100s apart; aws/karpenter-provider-aws
  pkg/providers/instancetype/types.go and website/content/en/docs/reference/instance-types.md),
  and for managed node groups only `node.kubernetes.io/instance-type`. No default GPU taint.
- aks: only `kubernetes.azure.com/accelerator=nvidia`, no model, so the VM size in
  `node.kubernetes.io/instance-type` names it (learn.microsoft.com/azure/aks/use-nvidia-gpu;
  sizes from MicrosoftDocs/azure-compute-docs articles/virtual-machines/sizes/gpu-accelerated).
  No default GPU taint.
- volcengine: the instance type (seed 002's ecs.ebmhpcpni3l.48xlarge with 8 H20).
- nvidia-gpu-operator: GPU feature discovery's `nvidia.com/gpu.product`, the NVML device name
  with spaces turned into dashes, `-SHARED` appended under time-slicing or MPS
  (NVIDIA/k8s-device-plugin internal/lm/resource.go); `nvidia.com/gpu.present=true`.
- amd-gpu-operator: the ROCm node labeller's `amd.com/gpu.product-name`, the sysfs product name
  with spaces turned into underscores (ROCm/k8s-device-plugin cmd/k8s-node-labeller/main.go;
  `AMD_Instinct_MI300X_OAM` in its installation guide).
- unlabelled: only the vendor's device plugin (seed 000): `nvidia.com/gpu` is advertised, no
  label names the model; such nodes still qualify, since the cluster cannot tell its GPUs apart,
  unless their instance type is a known machine of another GPU.

Allocatable = capacity - kube-reserved - the eviction threshold, by each platform's published
formula (`allocatable`). DAEMONSET_* is what the planner keeps free beyond that on every node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import catalog

GKE_ACCELERATOR = "cloud.google.com/gke-accelerator"
KARPENTER_GPU_NAME = "karpenter.k8s.aws/instance-gpu-name"
KARPENTER_GPU_MEMORY = "karpenter.k8s.aws/instance-gpu-memory"
AKS_ACCELERATOR = "kubernetes.azure.com/accelerator"
INSTANCE_TYPE = "node.kubernetes.io/instance-type"
NVIDIA_PRODUCT = "nvidia.com/gpu.product"
NVIDIA_PRESENT = "nvidia.com/gpu.present"
AMD_PRODUCT = "amd.com/gpu.product-name"

PLATFORMS = ("gke", "eks", "aks", "volcengine", "nvidia-gpu-operator", "amd-gpu-operator", "unlabelled")
# Labels whose presence names a GPU model: a node without any of them cannot tell its GPU.
MODEL_LABELS = (GKE_ACCELERATOR, KARPENTER_GPU_NAME, NVIDIA_PRODUCT, AMD_PRODUCT)
# Labels only GPU nodes carry, on some platform: CPU pods prefer nodes with none of them.
GPU_NODE_LABELS = (GKE_ACCELERATOR, KARPENTER_GPU_NAME, AKS_ACCELERATOR, NVIDIA_PRESENT, NVIDIA_PRODUCT,
                   AMD_PRODUCT)
# The GPU taints of the platforms and operators (GKE's nvidia.com/gpu=present, Karpenter and
# operator guides' nvidia.com/gpu=true, amd.com/gpu): tolerated whatever their value.
GPU_TAINT_KEYS = ("nvidia.com/gpu", "amd.com/gpu")

# Kept free on every node for DaemonSets beyond the platform's kube-reserved: a GPU node runs
# kube-proxy and the CNI agent (100-250m, 50-200 MiB each), the device plugin, GPU feature
# discovery, node-feature-discovery and the DCGM exporter (10-100m, 20-500 MiB each), a node
# exporter and a log agent (100m, 100-200 MiB each): about 0.5 CPU and 1.5 GiB of requests.
DAEMONSET_CPU = 0.5
DAEMONSET_MEMORY_GIB = 1.5


def _tiered(amount: float, tiers: tuple[tuple[float, float], ...]) -> float:
    """Sum of `rate` x the part of `amount` in each successive tier of `size`."""
    reserved, left = 0.0, amount
    for size, rate in tiers:
        part = min(left, size)
        reserved += part * rate
        left -= part
        if left <= 0:
            break
    return reserved


# GKE, EKS and older AKS reserve CPU alike: 6% of the first core, 1% of the second, 0.5% of the
# next two, 0.25% of every core above four.
_CPU_TIERS = ((1, 0.06), (1, 0.01), (2, 0.005), (math.inf, 0.0025))
# GKE (and VKE): 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next
# 112, 2% above 128 GiB (255 MiB below 1 GiB).
_MEMORY_TIERS = ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (math.inf, 0.02))


def allocatable(platform: str, vcpu: int, memory_gib: float, max_pods: int = 110) -> tuple[float, float]:
    """(CPU cores, memory GiB) a node of that platform leaves to pods, by its published formula.

    - gke: CPU tiers; memory tiers; 100 MiB eviction threshold (docs.cloud.google.com/
      kubernetes-engine/docs/concepts/plan-node-sizes, "Memory and CPU reservations").
    - eks (Karpenter, AL2023): memory capacity is EC2's less 7.5% VM overhead; kube-reserved
      11 MiB x max pods + 255 MiB; CPU tiers; 100 MiB eviction (karpenter-provider-aws
      pkg/providers/instancetype/types.go; reproduces its instance-types table, e.g. g5.xlarge
      3920m / 14162Mi).
    - aks (1.29 and later): CPU 60/100/140m for 1/2/4 cores, then 10m per core (the published
      table: 180m at 8, 260m at 16, 420m at 32, 740m at 64); memory the lesser of 20 MB x max pods
      + 50 MB and 25%, plus a 100 MiB eviction threshold (learn.microsoft.com/azure/aks/
      node-resource-reservations); max pods 250, the Azure CNI Overlay default.
    - volcengine: CPU 0.1 core, + 2.5% of cores 4-64, 1.25% of 64-128, 0.5% above; memory the
      GKE tiers (volcengine.com/docs/6460/144563); 100 MiB eviction (not published; kubelet's
      default).
    - on-prem: kubelet defaults, nothing reserved but the 100 MiB eviction threshold.
    """
    eviction = 100 / 1024
    if platform == "gke":
        cpu = vcpu - _tiered(vcpu, _CPU_TIERS)
        memory = memory_gib - (255 / 1024 if memory_gib < 1 else _tiered(memory_gib, _MEMORY_TIERS)) - eviction
    elif platform == "eks":
        capacity = (memory_gib * 1024 - math.ceil(memory_gib * 1024 * 0.075)) / 1024
        cpu = vcpu - _tiered(vcpu, _CPU_TIERS)
        memory = capacity - (11 * max_pods + 255) / 1024 - eviction
    elif platform == "aks":
        cpu_reserved = {1: 0.06, 2: 0.1}.get(vcpu, 0.14 + 0.01 * max(0, vcpu - 4))
        cpu = vcpu - cpu_reserved
        memory = memory_gib - min((20 * max_pods + 50) / 1024, 0.25 * memory_gib) - eviction
    elif platform == "volcengine":
        cpu = vcpu - (0.1 + _tiered(max(0, vcpu - 4), ((60, 0.025), (64, 0.0125), (math.inf, 0.005))))
        memory = memory_gib - _tiered(memory_gib, _MEMORY_TIERS) - eviction
    elif platform == "on-prem":
        cpu, memory = float(vcpu), memory_gib - eviction
    else:
        raise ValueError(f"no reservation formula for platform {platform!r}")
    return cpu, memory


@dataclass(frozen=True)
class Machine:
    name: str  # the instance type, as node.kubernetes.io/instance-type carries it
    platform: str  # gke | eks | aks | volcengine | on-prem
    vcpu: int
    memory_gib: float
    gpu: str | None  # catalog GPU name; None: a CPU machine
    gpus: int
    source: str
    max_pods: int = 110  # EKS: the ENI-limited pods of Karpenter's table; AKS: 250 (Azure CNI Overlay)
    # The GPU model follows from the instance type (False for GCE N1, where GPUs are attached).
    typed: bool = True

    @property
    def allocatable(self) -> tuple[float, float]:
        return allocatable(self.platform, self.vcpu, self.memory_gib, self.max_pods)


_GCE = "gcloud compute machine-types list (Cyclenerd/google-cloud-pricing-cost-calculator tools/machinetypes.csv)"
_KARPENTER = "karpenter.sh/docs/reference/instance-types (aws/karpenter-provider-aws instance-types.md)"
_AZURE = "learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated (MicrosoftDocs/azure-compute-docs)"

MACHINES: dict[str, Machine] = {m.name: m for m in (
    # GKE
    Machine("e2-standard-4", "gke", 4, 16, None, 0, _GCE),
    Machine("n1-standard-8", "gke", 8, 30, "T4-16GB", 1, _GCE + "; T4s are attached to N1", typed=False),
    Machine("g2-standard-8", "gke", 8, 32, "L4-24GB", 1, _GCE),
    Machine("a2-highgpu-1g", "gke", 12, 85, "A100-40GB", 1, _GCE),
    Machine("a2-highgpu-8g", "gke", 96, 680, "A100-40GB", 8, _GCE),
    Machine("a3-highgpu-1g", "gke", 26, 234, "H100-80GB", 1, _GCE),
    Machine("a3-highgpu-8g", "gke", 208, 1872, "H100-80GB", 8, _GCE + "; seed 004 (208 vCPU, 1872 GB)"),
    Machine("a3-megagpu-8g", "gke", 208, 1872, "H100-80GB", 8, _GCE),
    Machine("a3-ultragpu-8g", "gke", 224, 2952, "H200-141GB", 8, _GCE),
    Machine("a2-ultragpu-1g", "gke", 12, 170, "A100-80GB", 1, _GCE),
    Machine("a2-ultragpu-8g", "gke", 96, 1360, "A100-80GB", 8, _GCE),
    Machine("a4-highgpu-8g", "gke", 224, 3968, "B200-180GB", 8, _GCE),
    # EKS (Karpenter's table: vCPU, memory, GPUs, max pods)
    Machine("m5.xlarge", "eks", 4, 16, None, 0, _KARPENTER, max_pods=58),
    Machine("g4dn.xlarge", "eks", 4, 16, "T4-16GB", 1, _KARPENTER, max_pods=29),
    Machine("g4dn.2xlarge", "eks", 8, 32, "T4-16GB", 1, _KARPENTER, max_pods=29),
    Machine("g4dn.12xlarge", "eks", 48, 192, "T4-16GB", 4, _KARPENTER, max_pods=234),
    Machine("g5.xlarge", "eks", 4, 16, "A10-24GB", 1, _KARPENTER, max_pods=58),
    Machine("g5.2xlarge", "eks", 8, 32, "A10-24GB", 1, _KARPENTER, max_pods=58),
    Machine("g5.12xlarge", "eks", 48, 192, "A10-24GB", 4, _KARPENTER, max_pods=737),
    Machine("g5.48xlarge", "eks", 192, 768, "A10-24GB", 8, _KARPENTER, max_pods=345),
    Machine("g6.xlarge", "eks", 4, 16, "L4-24GB", 1, _KARPENTER, max_pods=58),
    Machine("g6.2xlarge", "eks", 8, 32, "L4-24GB", 1, _KARPENTER, max_pods=58),
    Machine("g6.12xlarge", "eks", 48, 192, "L4-24GB", 4, _KARPENTER, max_pods=234),
    Machine("p4d.24xlarge", "eks", 96, 1152, "A100-40GB", 8, _KARPENTER, max_pods=737),
    Machine("p4de.24xlarge", "eks", 96, 1152, "A100-80GB", 8, _KARPENTER, max_pods=737),
    Machine("g6e.xlarge", "eks", 4, 32, "L40S-48GB", 1, _KARPENTER, max_pods=58),
    Machine("g6e.12xlarge", "eks", 48, 384, "L40S-48GB", 4, _KARPENTER, max_pods=292),
    Machine("g6e.48xlarge", "eks", 192, 1536, "L40S-48GB", 8, _KARPENTER, max_pods=492),
    Machine("p6-b200.48xlarge", "eks", 192, 2048, "B200-180GB", 8, _KARPENTER, max_pods=198),
    Machine("p5.4xlarge", "eks", 16, 256, "H100-80GB", 1, _KARPENTER, max_pods=118),
    Machine("p5.48xlarge", "eks", 192, 2048, "H100-80GB", 8, _KARPENTER, max_pods=100),
    Machine("p5e.48xlarge", "eks", 192, 2048, "H200-141GB", 8, _KARPENTER, max_pods=100),
    Machine("p5en.48xlarge", "eks", 192, 2048, "H200-141GB", 8, _KARPENTER, max_pods=198),
    # AKS
    Machine("Standard_D4s_v5", "aks", 4, 16, None, 0, "learn.microsoft.com/azure/virtual-machines/sizes", 250),
    Machine("Standard_NC4as_T4_v3", "aks", 4, 28, "T4-16GB", 1, _AZURE, 250),
    Machine("Standard_NC8as_T4_v3", "aks", 8, 56, "T4-16GB", 1, _AZURE, 250),
    Machine("Standard_NC64as_T4_v3", "aks", 64, 440, "T4-16GB", 4, _AZURE, 250),
    Machine("Standard_NV36ads_A10_v5", "aks", 36, 440, "A10-24GB", 1, _AZURE, 250),
    Machine("Standard_NV72ads_A10_v5", "aks", 72, 880, "A10-24GB", 2, _AZURE, 250),
    Machine("Standard_ND96asr_v4", "aks", 96, 900, "A100-40GB", 8, _AZURE, 250),
    Machine("Standard_ND96isr_H100_v5", "aks", 96, 1900, "H100-80GB", 8, _AZURE, 250),
    Machine("Standard_NC24ads_A100_v4", "aks", 24, 220, "A100-80GB", 1, _AZURE, 250),
    Machine("Standard_ND96amsr_A100_v4", "aks", 96, 1900, "A100-80GB", 8, _AZURE, 250),
    Machine("Standard_NC40ads_H100_v5", "aks", 40, 320, "H100NVL-94GB", 1, _AZURE, 250),
    Machine("Standard_ND96isr_H200_v5", "aks", 96, 1850, "H200-141GB", 8, _AZURE, 250),
    Machine("Standard_ND96isr_MI300X_v5", "aks", 96, 1850, "MI300X-192GB", 8, _AZURE, 250),
    # Volcano Engine and the seeds' own machines
    Machine("ecs.ebmhpcpni3l.48xlarge", "volcengine", 192, 2048, "H20-96GB", 8,
            "seed 002 (192 vCPU, 2048 GiB, 8 x H20, vke.volcengine.com/rdma)"),
    Machine("desktop-i9-13900-rtx3060", "on-prem", 32, 64, "RTX3060-12GB", 1,
            "seed 000 (i9-13900: 24 cores, 32 threads; 64 GB RAM; RTX 3060 12 GB)", typed=False),
    Machine("desktop-rtx4090", "on-prem", 16, 64, "RTX4090-24GB", 1,
            "an example desktop: 16 threads, 64 GB RAM, one RTX 4090 24 GB", typed=False),
)}


@dataclass(frozen=True)
class GpuLabels:
    """How the platforms name one GPU model on their nodes."""

    gke: tuple[str, ...] = ()  # cloud.google.com/gke-accelerator values
    karpenter: tuple[str, ...] = ()  # karpenter.k8s.aws/instance-gpu-name values
    karpenter_memory_mib: str = ""  # instance-gpu-memory, where gpu-name is shared (the A100s)
    products: tuple[str, ...] = ()  # nvidia.com/gpu.product (GFD) or amd.com/gpu.product-name values
    source: str = ""


_GFD = "nvidia.com/gpu.product as GPU feature discovery reports it on public node dumps"
_GFD_RULE = ("GPU feature discovery's rule (NVML device name, spaces to dashes: k8s-device-plugin "
             "internal/lm/resource.go)")
LABELS: dict[str, GpuLabels] = {
    "T4-16GB": GpuLabels(("nvidia-tesla-t4",), ("t4",), "", ("Tesla-T4",), _GFD),
    "L4-24GB": GpuLabels(("nvidia-l4",), ("l4",), "", ("NVIDIA-L4",), _GFD),
    # A10 (Azure NVads A10 v5) and A10G (AWS G5) are one catalog entry: the same GA102 with 24 GB.
    "A10-24GB": GpuLabels((), ("a10g",), "", ("NVIDIA-A10", "NVIDIA-A10G"), _GFD),
    "A100-40GB": GpuLabels(("nvidia-tesla-a100",), ("a100",), "40960",
                           ("NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-PCIE-40GB"), _GFD),
    "H100-80GB": GpuLabels(("nvidia-h100-80gb", "nvidia-h100-mega-80gb"), ("h100",), "",
                           ("NVIDIA-H100-80GB-HBM3", "NVIDIA-H100-PCIe"), _GFD),
    "H200-141GB": GpuLabels(("nvidia-h200-141gb",), ("h200",), "", ("NVIDIA-H200",), _GFD),
    "H20-96GB": GpuLabels((), (), "", ("NVIDIA-H20",), _GFD),
    "MI300X-192GB": GpuLabels((), (), "", ("AMD_Instinct_MI300X_OAM",),
                              "ROCm/k8s-device-plugin docs/user-guide/installation.md (MI300X example labels)"),
    "RTX3060-12GB": GpuLabels((), (), "", ("NVIDIA-GeForce-RTX-3060",), _GFD),
    "A100-80GB": GpuLabels(("nvidia-a100-80gb",), ("a100",), "81920",
                           ("NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-80GB-PCIe"), _GFD),
    "H100NVL-94GB": GpuLabels((), (), "", ("NVIDIA-H100-NVL",), _GFD),
    # NVML names the card "NVIDIA H800"; GFD turns spaces into dashes (no node dump seen).
    "H800-80GB": GpuLabels((), (), "", ("NVIDIA-H800",), _GFD_RULE),
    "L40S-48GB": GpuLabels((), ("l40s",), "", ("NVIDIA-L40S",), _GFD),
    "RTX4090-24GB": GpuLabels((), (), "", ("NVIDIA-GeForce-RTX-4090",), _GFD),
    "RTX5090-32GB": GpuLabels((), (), "", ("NVIDIA-GeForce-RTX-5090",), _GFD_RULE),
    "B200-180GB": GpuLabels(("nvidia-b200",), ("b200",), "", ("NVIDIA-B200",), _GFD),
    # The ROCm labeller's rule (product name, spaces to underscores), as for AMD_Instinct_MI300X_OAM.
    "MI325X-256GB": GpuLabels((), (), "", ("AMD_Instinct_MI325X_OAM",),
                              "ROCm/k8s-device-plugin cmd/k8s-node-labeller/main.go (no node dump seen)"),
}


@dataclass(frozen=True)
class InstanceType:
    """An instance type whose name tells the GPU model its nodes carry."""

    name: str  # as node.kubernetes.io/instance-type carries it
    platform: str  # the cloud: gke | eks | aks | volcengine
    gpu: str | None  # catalog GPU name; None: a GPU the catalog does not have


# GPU instance types MACHINES does not size (no profile names them), with the GPU they carry.
# From the same sources as MACHINES.
UNSIZED_GPU_MACHINES = (
    # GKE: the A100 80 GB sizes not in MACHINES
    *(InstanceType(n, "gke", "A100-80GB") for n in ("a2-ultragpu-2g", "a2-ultragpu-4g")),
    # EKS: the L40S sizes not in MACHINES; V100 and Radeon Pro V520, not in the catalog
    *(InstanceType(n, "eks", "L40S-48GB")
      for n in ("g6e.2xlarge", "g6e.4xlarge", "g6e.8xlarge", "g6e.16xlarge", "g6e.24xlarge")),
    *(InstanceType(n, "eks", None) for n in ("p3.2xlarge", "p3.8xlarge", "p3.16xlarge", "p3dn.24xlarge")),
    *(InstanceType(n, "eks", None)
      for n in ("g4ad.xlarge", "g4ad.2xlarge", "g4ad.4xlarge", "g4ad.8xlarge", "g4ad.16xlarge")),
    # AKS: the A100 80 GB (NC A100 v4: A100 PCIe 80 GB) and H100 NVL sizes not in MACHINES; GB200
    # (ND GB200 v6), not in the catalog
    *(InstanceType(n, "aks", "A100-80GB") for n in ("Standard_NC48ads_A100_v4", "Standard_NC96ads_A100_v4")),
    InstanceType("Standard_NC80adis_H100_v5", "aks", "H100NVL-94GB"),
    InstanceType("Standard_ND128isr_NDR_GB200_v6", "aks", None),
)


def machines_for(gpu: str) -> list[Machine]:
    return [m for m in MACHINES.values() if m.gpu == gpu]


def gpu_instance_types() -> dict[str, InstanceType]:
    """The one catalog of GPU instance types the placement reads: the machines of MACHINES whose
    type names their GPU (not GCE N1, where GPUs are attached, nor on-prem machines, which carry
    no instance type), then UNSIZED_GPU_MACHINES. Both the types a GPU's pods take and the types
    they refuse come from it, so no type is ever in both lists or in neither."""
    sized = [InstanceType(m.name, m.platform, m.gpu) for m in MACHINES.values() if m.gpu and m.typed]
    return {t.name: t for t in (*sized, *UNSIZED_GPU_MACHINES)}


def instance_types_of(gpu: str, platform: str) -> list[str]:
    """The instance types of `platform` that carry `gpu`, in catalog order."""
    return [t.name for t in gpu_instance_types().values() if t.gpu == gpu and t.platform == platform]


def instance_types_not_of(gpu: str | None) -> list[str]:
    """Every GPU instance type that carries another GPU than `gpu` (None: every one), sorted."""
    return sorted(t.name for t in gpu_instance_types().values() if gpu is None or t.gpu != gpu)


def _expr(key: str, operator: str, values: tuple[str, ...] | list[str] = ()) -> dict[str, object]:
    out: dict[str, object] = {"key": key, "operator": operator}
    if values:
        out["values"] = list(values)
    return out


def gpu_terms(gpu: str) -> dict[str, list[dict[str, object]]]:
    """Per platform, the nodeSelectorTerms that select nodes of `gpu` there (none: the platform
    does not offer it). The chart ORs the terms of the platforms a user runs on."""
    labels = LABELS[gpu]
    vendor = catalog.GPUS[gpu].vendor
    terms: dict[str, list[dict[str, object]]] = {p: [] for p in PLATFORMS}
    if labels.gke:
        terms["gke"].append({"matchExpressions": [_expr(GKE_ACCELERATOR, "In", labels.gke)]})
    if labels.karpenter:
        exprs = [_expr(KARPENTER_GPU_NAME, "In", labels.karpenter)]
        if labels.karpenter_memory_mib:
            exprs.append(_expr(KARPENTER_GPU_MEMORY, "In", (labels.karpenter_memory_mib,)))
        terms["eks"].append({"matchExpressions": exprs})
    # The instance type names the GPU on every cloud, with or without the platform's GPU label
    # (self-managed clusters on cloud VMs carry only the instance type).
    for platform in PLATFORMS:
        types = instance_types_of(gpu, platform)
        if types:
            terms[platform].append({"matchExpressions": [_expr(INSTANCE_TYPE, "In", types)]})
    if labels.products:
        key = AMD_PRODUCT if vendor == "amd" else NVIDIA_PRODUCT
        values = labels.products if vendor == "amd" else \
            tuple(v for p in labels.products for v in (p, f"{p}-SHARED"))
        terms["amd-gpu-operator" if vendor == "amd" else "nvidia-gpu-operator"].append(
            {"matchExpressions": [_expr(key, "In", values)]})
    terms["unlabelled"].append(unlabelled_term(gpu))
    return terms


def unlabelled_term(gpu: str) -> dict[str, object]:
    """Nodes that name no other GPU model than `gpu`: no model label, and no instance type known
    to carry another GPU (an unknown type, none, or one of `gpu`'s own)."""
    return {"matchExpressions": [_expr(key, "DoesNotExist") for key in MODEL_LABELS]
            + [_expr(INSTANCE_TYPE, "NotIn", instance_types_not_of(gpu))]}


def cpu_node_preference() -> dict[str, object]:
    """A preferred-affinity term for pods that need no GPU: nodes with no GPU label on any platform."""
    return {"matchExpressions": [_expr(key, "DoesNotExist") for key in GPU_NODE_LABELS]
            + [_expr(INSTANCE_TYPE, "NotIn", instance_types_not_of(None))]}


def gpu_tolerations() -> list[dict[str, str]]:
    return [{"key": key, "operator": "Exists", "effect": "NoSchedule"} for key in GPU_TAINT_KEYS]


def chart_data() -> dict[str, object]:
    """What the common chart's placement helpers read (generated into common.catalog.placement)."""
    return {
        "platforms": list(PLATFORMS),
        "gpus": {name: gpu_terms(name) for name in catalog.GPUS if name in LABELS},
        "cpuPreference": cpu_node_preference(),
        "gpuTolerations": gpu_tolerations(),
    }
