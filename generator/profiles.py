"""Hardware profiles: one `values/<name>.yaml` each.

A profile names the hardware and the model; the engine backend derives parallelism, sizes
and probe budgets from the catalog, and `catalog.fit` refuses a profile whose weights and
KV cache do not fit. `overrides` holds the deployment choices that are not hardware facts
(autoscaling, ingress, cache), deep-merged last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from . import catalog


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    engine: str
    gpu: str | None  # catalog GPU name; None: CPU only
    gpus_per_node: int
    nodes: int
    model: str
    precision: str
    max_model_len: int
    max_num_seqs: int
    gpu_memory_utilization: float
    cpu_per_replica: int  # CPU request of each GPU pod (one pod per node and replica)
    # Memory request of each GPU pod; None: the checkpoint's share plus 8 GiB.
    memory_gib_per_replica: int | None = None
    # Tolerate the `nvidia.com/gpu` NoSchedule taint that GPU node pools carry.
    tolerate_gpu_taint: bool = False
    served_model_name: str = "deepseek-r1"  # the `model` clients send
    engine_env: dict[str, str] = field(default_factory=dict)  # env of the engine processes
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def checkpoint(self) -> catalog.Checkpoint:
        return catalog.MODELS[self.model].checkpoint(self.precision)

    def fit(self) -> catalog.Fit:
        """Tensor parallel within a node, pipeline parallel across nodes."""
        if self.gpu is None:
            raise ValueError(f"profile {self.name} has no GPU")
        return catalog.fit(catalog.MODELS[self.model], self.checkpoint, catalog.GPUS[self.gpu],
                           self.gpus_per_node, self.gpu_memory_utilization, self.max_model_len,
                           self.max_num_seqs, pipeline_parallel=self.nodes)

    def memory_gib(self) -> int:
        if self.memory_gib_per_replica is not None:
            return self.memory_gib_per_replica
        return math.ceil(self.checkpoint.weights_gib / self.nodes + 8)

    def tolerations(self) -> list[dict[str, str]]:
        if not self.tolerate_gpu_taint:
            return []
        return [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


PROFILES: tuple[Profile, ...] = (
    # Seed 001: one H100 80 GB, BF16, PVC cache, HPA and Ingress with TLS.
    # 79.6 GiB x 0.90 = 71.6 GiB; - 27.5 GiB weights - 3 GiB overhead = 41.1 GiB of KV cache;
    # 48 layers x 8 KV heads x 128 x 2 (K,V) x 2 bytes = 192 KiB per token -> 224k tokens,
    # 6.8 sequences of 32768 tokens at once.
    Profile(
        name="h100-80gb",
        title="1 x H100 80 GB, R1 distill Qwen 14B in BF16, autoscaled, Ingress with TLS",
        engine="vllm",
        gpu="H100-80GB",
        gpus_per_node=1,
        nodes=1,
        model="deepseek-r1-distill-qwen-14b",
        precision="bf16",
        max_model_len=32768,
        max_num_seqs=64,
        gpu_memory_utilization=0.90,
        cpu_per_replica=8,
        overrides={
            "vllm": {
                "cache": {"type": "pvc", "pvc": {"accessModes": ["ReadWriteMany"]}},
                "rollout": {"type": "RollingUpdate"},
                "autoscaling": {"enabled": True, "minReplicas": 1, "maxReplicas": 2},
                "ingress": {
                    "enabled": True,
                    "className": "nginx",
                    "host": "deepseek-r1.example.com",
                    "annotations": {"nginx.ingress.kubernetes.io/proxy-read-timeout": "600"},
                    "tls": {"enabled": True, "secretName": "deepseek-r1-tls"},
                },
                "nodeSelector": {"cloud.google.com/gke-accelerator": "nvidia-h100-80gb"},
            }
        },
    ),
    # One L4 24 GB: the 14B distill in AWQ 4-bit (9.3 GiB) leaves room for context.
    # 22.5 GiB x 0.92 = 20.7 GiB; - 9.3 GiB weights - 3 GiB overhead = 8.4 GiB of KV cache
    # at 192 KiB per token -> 45k tokens, 2.8 sequences of 16384 tokens at once.
    # The BF16 checkpoint (27.5 GiB) does not fit a 24 GB card at all.
    Profile(
        name="l4-24gb",
        title="1 x L4 24 GB, R1 distill Qwen 14B in AWQ 4-bit",
        engine="vllm",
        gpu="L4-24GB",
        gpus_per_node=1,
        nodes=1,
        model="deepseek-r1-distill-qwen-14b",
        precision="awq-int4",
        max_model_len=16384,
        max_num_seqs=16,
        gpu_memory_utilization=0.92,
        cpu_per_replica=4,
        tolerate_gpu_taint=True,
        overrides={
            "vllm": {
                "cache": {"type": "pvc"},
                "nodeSelector": {"cloud.google.com/gke-accelerator": "nvidia-l4"},
            }
        },
    ),
    # Seed 003: the 1.5b distill on CPU, 2 CPUs / 8 GiB, with the chat UI.
    Profile(
        name="cpu-only",
        title="CPU only, R1 distill Qwen 1.5B (ollama Q4_K_M), chat UI",
        engine="ollama",
        gpu=None,
        gpus_per_node=0,
        nodes=1,
        model="deepseek-r1-distill-qwen-1.5b",
        precision=catalog.OLLAMA_Q4,
        max_model_len=8192,
        max_num_seqs=2,
        gpu_memory_utilization=1.0,
        cpu_per_replica=2,
        overrides={"ui": {"enabled": True}},
    ),
    # Seed 000: one RTX 3060 12 GB desktop node (i9-13900, 64 GB RAM) with a RuntimeClass for
    # the NVIDIA runtime. The 7B distill in Q4_K_M (4.4 GiB) leaves room for two 16k contexts.
    Profile(
        name="rtx3060-12gb",
        title="1 x RTX 3060 12 GB desktop, R1 distill Qwen 7B (ollama Q4_K_M), chat UI",
        engine="ollama",
        gpu="RTX3060-12GB",
        gpus_per_node=1,
        nodes=1,
        model="deepseek-r1-distill-qwen-7b",
        precision=catalog.OLLAMA_Q4,
        max_model_len=16384,
        max_num_seqs=2,
        gpu_memory_utilization=1.0,
        cpu_per_replica=4,
        overrides={"ollama": {"gpu": {"runtimeClassName": "nvidia"}}, "ui": {"enabled": True}},
    ),
    # Seed 004 and KubeRay's ray-service.deepseek.yaml: DeepSeek-R1 671B (FP8 weights) on two
    # a3-highgpu-8g nodes (8 x H100 80 GB each), TP 8 within a node x PP 2 across the nodes.
    # Per GPU: 79.6 GiB x 0.92 = 73.2 GiB; - 642 GiB / 16 = 40.1 GiB weights - 3 GiB overhead
    # = 30.1 GiB of KV cache. MLA caches one 576-wide latent per token and layer (replicated
    # over TP ranks): 61 layers / 2 stages x 576 x 2 bytes = 35 KiB per token -> ~900k tokens.
    # 8 GPUs give 640 GB: one node cannot hold the 689 GB of weights.
    Profile(
        name="h100-80gb-2x8",
        title="2 nodes x 8 H100 80 GB (a3-highgpu-8g), DeepSeek-R1 671B FP8, KubeRay RayService",
        engine="kuberay",
        gpu="H100-80GB",
        gpus_per_node=8,
        nodes=2,
        model="deepseek-r1",
        precision="fp8",
        max_model_len=16384,
        max_num_seqs=40,
        gpu_memory_utilization=0.92,
        cpu_per_replica=24,
        memory_gib_per_replica=500,
        tolerate_gpu_taint=True,
        served_model_name="deepseek",
        engine_env={"VLLM_USE_V1": "1"},
    ),
    # Seed 002: DeepSeek-R1 671B full (FP8) weights on 2 nodes x 8 H20 96 GB with 8 x 400 Gbps
    # RDMA, AIBrix RayClusterFleet, tensor parallel 16 over both nodes (RDMA makes that viable).
    # Per GPU: 95.6 GiB x 0.90 = 86.0 GiB; - 642 GiB / 16 = 40.1 GiB weights - 3 GiB overhead
    # = 42.9 GiB of KV cache; MLA latent 61 x 576 x 2 bytes = 69 KiB per token on every TP rank
    # -> ~660k tokens: four sequences of the full 163840-token context.
    Profile(
        name="h20-96gb-2x8-rdma",
        title="2 nodes x 8 H20 96 GB with RDMA, DeepSeek-R1 671B FP8, AIBrix RayClusterFleet",
        engine="aibrix",
        gpu="H20-96GB",
        gpus_per_node=8,
        nodes=2,
        model="deepseek-r1",
        precision="fp8",
        max_model_len=163840,
        max_num_seqs=256,
        gpu_memory_utilization=0.90,
        cpu_per_replica=96,
        served_model_name="deepseek-r1-671b",
    ),
)
