"""Hardware profiles: one `values/<name>.yaml` each.

A profile names the hardware and what is asked of it; the planner chooses the engine, its
parallelism and sizes, and refuses a profile whose weights and KV cache do not fit; the
engine's backend turns the plan into values. `overrides` holds the deployment choices that are not hardware facts
(autoscaling, ingress, cache), deep-merged last.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

from .model import Hardware, Profile, Request
from .planner import plan


@dataclass(frozen=True)
class ProfileSpec:
    """What a profile file is made from: hardware, what is asked of it, deployment choices."""

    name: str
    title: str
    hardware: Hardware
    request: Request
    overrides: dict[str, Any] = field(default_factory=dict)


def build_profiles(specs: tuple[ProfileSpec, ...]) -> tuple[Profile, ...]:
    """Every profile goes through the planner, which refuses any that would not load."""
    out = []
    for spec in specs:
        planned = plan(spec.hardware, spec.request).profile
        out.append(replace(planned, name=spec.name, title=spec.title, overrides=spec.overrides))
    return tuple(out)


@functools.cache
def shipped() -> tuple[Profile, ...]:
    """The profiles of values/, planned on first use (the build asks for them, imports do not)."""
    return build_profiles(SPECS)


def _specs() -> tuple[ProfileSpec, ...]:
    r1_14b = "deepseek-r1-distill-qwen-14b"
    return (
        # Seed 001: one H100 80 GB, BF16, PVC cache, HPA and Ingress with TLS.
        # 79.6 GiB x 0.90 = 71.6 GiB; - 27.5 GiB weights - 1.2 GiB of vLLM's runtime overhead (an
        # 8192-token profile run and the CUDA graphs of 64 sequences) = 42.9 GiB of KV cache;
        # 48 layers x 8 KV heads x 128 x 2 (K,V) x 2 bytes = 192 KiB per token -> 234k tokens,
        # 7.2 sequences of 32768 tokens at once.
        ProfileSpec(
            "h100-80gb", "1 x H100 80 GB, R1 distill Qwen 14B in BF16, autoscaled, Ingress with TLS",
            Hardware("H100-80GB", 1, machines=("a3-highgpu-1g", "p5.4xlarge")),
            Request(r1_14b, context=32768, max_num_seqs=64, utilization=0.90, cpu_per_pod=8),
            # A public Ingress: the chart generates the API key vLLM checks (seed 001 has none).
            {"global": {"networkPolicy": {"ingressNamespaces": ["ingress-nginx"]}, "apiKey": {"create": True}},
             "vllm": {
                "cache": {"type": "pvc", "pvc": {"accessModes": ["ReadWriteMany"]}},
                "rollout": {"type": "RollingUpdate"},
                "autoscaling": {"enabled": True, "minReplicas": 1, "maxReplicas": 2},
                "ingress": {
                    "enabled": True, "className": "nginx", "host": "deepseek-r1.example.com",
                    "annotations": {"nginx.ingress.kubernetes.io/proxy-read-timeout": "600"},
                    "tls": {"enabled": True, "secretName": "deepseek-r1-tls"},
                }
            }}),
        # One L4 24 GB: the BF16 checkpoint (27.5 GiB) does not fit; FP8 (15.2 GiB, Ada has FP8
        # tensor cores) does, the best precision that holds a 16k sequence: 22.5 GiB x 0.92 = 20.7
        # GiB - 15.2 GiB weights - 0.4 GiB of vLLM's runtime overhead (a profile run of 2048
        # tokens, 12 CUDA graphs) = 5.1 GiB of KV cache at 192 KiB per token -> 27.7k tokens, 1.7
        # sequences of 16384 at once (AWQ 4-bit would hold 3.6, at lower quality).
        ProfileSpec(
            "l4-24gb", "1 x L4 24 GB, R1 distill Qwen 14B in FP8",
            Hardware("L4-24GB", 1, machines=("g2-standard-8", "g6.2xlarge")),
            Request(r1_14b, context=16384, max_num_seqs=16, utilization=0.92, cpu_per_pod=4),
            {"vllm": {"cache": {"type": "pvc"}}}),
        # Seed 001's precision rows for the 14B distill, one profile per GPU; the planner picks
        # the precision: T4 has neither the memory for BF16 nor bf16 arithmetic (AWQ in fp16,
        # utilization 0.95 for an 8k context), A10 takes AWQ (seed 001 lists FP16, but 27.5 GiB
        # of weights exceed its 22.5 GiB), A100 40 GB holds BF16.
        ProfileSpec(
            "t4-16gb", "1 x T4 16 GB, R1 distill Qwen 14B in AWQ 4-bit (fp16 compute)",
            Hardware("T4-16GB", 1, machines=("n1-standard-8", "g4dn.2xlarge", "Standard_NC8as_T4_v3")),
            Request(r1_14b, context=8192, max_num_seqs=4, utilization=0.95, cpu_per_pod=4)),
        # g5.xlarge (4 vCPU, 16 GiB) leaves 3.92 CPU and 13.8 GiB to pods: the planner sizes the
        # pod to 3 CPU and 12 GiB, DaemonSets keeping the rest.
        ProfileSpec(
            "a10-24gb", "1 x A10 24 GB, R1 distill Qwen 14B in AWQ 4-bit",
            Hardware("A10-24GB", 1, machines=("g5.xlarge", "Standard_NV36ads_A10_v5")),
            Request(r1_14b)),
        ProfileSpec(
            "a100-40gb", "1 x A100 40 GB, R1 distill Qwen 14B in BF16",
            Hardware("A100-40GB", 1, machines=("a2-highgpu-1g", "p4d.24xlarge", "Standard_ND96asr_v4")),
            Request(r1_14b, context=16384, cpu_per_pod=8)),
        # Seed 003: the 1.5b distill on CPU, 2 CPUs / 8 GiB, with the chat UI.
        ProfileSpec(
            "cpu-only", "CPU only, R1 distill Qwen 1.5B (ollama Q4_K_M), chat UI",
            Hardware(None, machines=("e2-standard-4", "m5.xlarge", "Standard_D4s_v5")),
            Request("deepseek-r1:1.5b", context=8192, max_num_seqs=2, cpu_per_pod=2),
            {"ui": {"enabled": True}}),
        # Seed 000: one RTX 3060 12 GB desktop node (i9-13900, 64 GB RAM) with a RuntimeClass for
        # the NVIDIA runtime. The 7B distill in Q4_K_M (4.4 GiB) leaves room for two 16k contexts.
        ProfileSpec(
            "rtx3060-12gb", "1 x RTX 3060 12 GB desktop, R1 distill Qwen 7B (ollama Q4_K_M), chat UI",
            Hardware("RTX3060-12GB", 1, cpu_per_node=32, memory_gib_per_node=64,
                     machines=("desktop-i9-13900-rtx3060",)),
            Request("deepseek-r1:7b", context=16384, max_num_seqs=2, cpu_per_pod=4),
            {"ollama": {"gpu": {"runtimeClassName": "nvidia"}}, "ui": {"enabled": True}}),
        # One RTX 4090 24 GB desktop: the 14B distill's Q4_K_M tag (8.4 GiB) leaves room for two 32k
        # contexts (2 x 6 GiB of KV cache) within the card's 24 GiB.
        ProfileSpec(
            "rtx4090-24gb", "1 x RTX 4090 24 GB desktop, R1 distill Qwen 14B (ollama Q4_K_M), chat UI",
            Hardware("RTX4090-24GB", 1, cpu_per_node=16, memory_gib_per_node=64, machines=("desktop-rtx4090",)),
            Request("deepseek-r1:14b", max_num_seqs=2, cpu_per_pod=4),
            {"ollama": {"gpu": {"runtimeClassName": "nvidia"}}, "ui": {"enabled": True}}),
        # vLLM's DeepSeek-R1 recipe for high load: 8 x H200 141 GB on one node, FP8 weights, data
        # parallel 8 + expert parallel. Per GPU of 140.4 GiB x 0.90: 18.7 GiB of attention, dense and
        # shared weights + 609.0 / 8 GiB of experts = 94.9 GiB, and at --max-num-batched-tokens 2048
        # 9.3 GiB of runtime overhead (the profile run's experts take all 8 ranks' 2048 tokens, MLA
        # simulates a 65536-row prefill) leave 22.2 GiB of KV cache per rank: 10 sequences of 32k
        # each, 80 over the 8 ranks (32 at vLLM's default batch of 8192), where tensor parallel 8
        # holds 20.
        ProfileSpec(
            "h200-141gb-x8", "8 x H200 141 GB on one node, DeepSeek-R1 671B FP8, vLLM data parallel 8 + expert "
            "parallel",
            Hardware("H200-141GB", 8, machines=("a3-ultragpu-8g", "p5e.48xlarge", "Standard_ND96isr_H200_v5")),
            Request("deepseek-r1"),
            {"vllm": {"cache": {"type": "hostPath", "hostPath": {"path": "/mnt/stateful_partition/models"}}}}),
        # 8 x B200 on one node, DeepSeek-R1-0528 in its FP8 release, data parallel 8 + expert parallel:
        # 94.9 GiB of weights and 9.7 GiB of runtime overhead per GPU at a 2048-token batch (vLLM's
        # default there is 16384) leave 56.6 GiB of KV cache per rank, 208 sequences of 32k against 35.
        ProfileSpec(
            "b200-180gb-x8", "8 x B200 on one node, DeepSeek-R1-0528 671B FP8, vLLM data parallel 8 + expert "
            "parallel",
            Hardware("B200-180GB", 8, machines=("a4-highgpu-8g", "p6-b200.48xlarge")),
            Request("deepseek-r1-0528")),
        # 8 x A100 80 GB (no FP8): DeepSeek-R1 in 4 bits, IST Austria's W4A16 of the routed experts
        # (346 GiB, attention and shared experts in bf16), 43.2 GiB per GPU of 80 GiB x 0.90 and 2.4 GiB
        # of runtime overhead, which leave 26.3 GiB of KV cache: MLA's 69 KiB per token -> 403k
        # tokens, 12 sequences of 32k.
        # No expert parallelism: vLLM's DeepSeek recipe sets it for the FP8 release only.
        ProfileSpec(
            "a100-80gb-x8", "8 x A100 80 GB on one node, DeepSeek-R1 671B in 4 bits (W4A16 experts), vLLM "
            "tensor parallel 8",
            Hardware("A100-80GB", 8, machines=("a2-ultragpu-8g", "p4de.24xlarge", "Standard_ND96amsr_A100_v4")),
            Request("deepseek-r1")),
        # One L40S 48 GB (45 GiB): the 32B distill's FP8 weights (32 GiB) at utilization 0.95 leave
        # 10.2 GiB of KV cache after vLLM's 0.6 GiB of runtime overhead, 2.5 sequences of 16k: the
        # best precision that holds 16k tokens (its AWQ 4-bit weights, 18 GiB, would hold 32k at
        # lower quality). The g6e.xlarge (4 vCPU, 32 GiB) leaves 3 CPU and 29 GiB to the pod.
        ProfileSpec(
            "l40s-48gb", "1 x L40S 48 GB, R1 distill Qwen 32B in FP8",
            Hardware("L40S-48GB", 1, machines=("g6e.xlarge",)),
            Request("deepseek-r1-distill-qwen-32b")),
        # AMD: 8 x MI300X 192 GB. 642 GiB of FP8 weights fit 4 GPUs (160.5 GiB each of 172), but
        # two replicas of tensor parallel 4 hold 8 sequences of 32k tokens at once, one of tensor
        # parallel 8 holds 40 and data parallel 8 + expert parallel 248 (94.9 GiB of weights and
        # 9.8 GiB of runtime overhead per GPU): one replica over the node, with the ROCm build of vLLM.
        ProfileSpec(
            "mi300x-192gb-x8", "8 x MI300X 192 GB on one node, DeepSeek-R1 671B FP8, vLLM (ROCm) data parallel 8 "
            "+ expert parallel",
            Hardware("MI300X-192GB", 8, machines=("Standard_ND96isr_MI300X_v5",)),
            Request("deepseek-r1"),
            {"vllm": {"cache": {"type": "hostPath", "hostPath": {"path": "/mnt/resource/models"}}}}),
        # Seed 004 and KubeRay's ray-service.deepseek.yaml: DeepSeek-R1 671B (FP8 weights) on two
        # a3-highgpu-8g nodes (8 x H100 80 GB each), TP 8 within a node x PP 2 across the nodes.
        # Per GPU: 79.6 GiB x 0.92 = 73.2 GiB; - 627.7 GiB / 16 = 39.2 GiB weights (the 642 GiB
        # of files less the MTP layer vLLM skips) - 3.5 GiB overhead = 30.5 GiB of KV cache. MLA
        # caches one 576-wide latent per token and layer (replicated over TP ranks): 61 layers / 2
        # stages x 576 x 2 bytes = 35 KiB per token -> ~950k tokens.
        # 8 GPUs give 640 GB: one node cannot hold the 689 GB of weights.
        ProfileSpec(
            "h100-80gb-2x8", "2 nodes x 8 H100 80 GB (a3-highgpu-8g), DeepSeek-R1 671B FP8, KubeRay RayService",
            Hardware("H100-80GB", 8, 2, cpu_per_node=208, memory_gib_per_node=1744, machines=("a3-highgpu-8g",)),
            Request("deepseek-r1", context=16384, max_num_seqs=40, utilization=0.92, cpu_per_pod=24,
                    memory_gib_per_pod=500, served_model_name="deepseek",
                    engine_env={"VLLM_USE_V1": "1"})),
        # The same model settings as seed 004's Ray Serve config on the same two a3-highgpu-8g nodes,
        # served by vLLM alone: a LeaderWorkerSet group of two pods (TP 8 within a node x PP 2 across
        # the nodes), vLLM's multiprocessing backend joining them, no Ray.
        ProfileSpec(
            "h100-80gb-2x8-vllm", "2 nodes x 8 H100 80 GB (a3-highgpu-8g), DeepSeek-R1 671B FP8, vLLM on a "
            "LeaderWorkerSet (no Ray)",
            Hardware("H100-80GB", 8, 2, cpu_per_node=208, memory_gib_per_node=1744, machines=("a3-highgpu-8g",)),
            Request("deepseek-r1", engine="vllm", context=16384, max_num_seqs=40, utilization=0.92, cpu_per_pod=24,
                    memory_gib_per_pod=500, served_model_name="deepseek")),
        # Wide expert parallelism, as llm-d's and Dynamo's guides run DeepSeek-R1 on two nodes of 8:
        # one replica of 16 data-parallel attention ranks with the routed experts spread over all 16
        # GPUs, a LeaderWorkerSet group of one pod per node, the experts' all-to-all over RDMA. Per
        # GPU: 18.7 GiB of attention, dense and shared weights + 609.0 / 16 GiB of experts, and 13.4 GiB
        # of runtime overhead at a 2048-token batch (the profile run's experts take 16 x 2048 tokens);
        # each rank caches only its own requests: 56.2 GiB, 26 sequences of 32k per rank.
        # Azure's ND H200 v5 links its nodes by 8 x 400 Gb/s InfiniBand, which NVIDIA's Network Operator
        # exposes as rdma/rdma_shared_device_a (the generic RDMA preset).
        ProfileSpec(
            "h200-141gb-2x8-rdma", "2 nodes x 8 H200 141 GB with InfiniBand (Standard_ND96isr_H200_v5), "
            "DeepSeek-R1 671B FP8, vLLM wide expert parallelism on a LeaderWorkerSet",
            Hardware("H200-141GB", 8, 2, cpu_per_node=96, memory_gib_per_node=1850, rdma=True,
                     machines=("Standard_ND96isr_H200_v5",)),
            Request("deepseek-r1", engine="vllm")),
        # Seed 002: DeepSeek-R1 671B full (FP8) weights on 2 nodes x 8 H20 96 GB with 8 x 400 Gbps
        # RDMA, AIBrix RayClusterFleet, tensor parallel 16 over both nodes (RDMA makes that viable).
        # Per GPU: 95.6 GiB x 0.90 = 86.0 GiB; - 627.7 GiB / 16 = 39.2 GiB weights - 3.5 GiB overhead
        # (vLLM 0.7.3's V0 engine: a 2048-token profile run, 256 sequences, NCCL's buffers) = 43.3 GiB
        # of KV cache; MLA latent 61 x 576 x 2 bytes = 69 KiB per token on every TP rank -> ~660k
        # tokens: four sequences of the full 163840-token context.
        ProfileSpec(
            "h20-96gb-2x8-rdma", "2 nodes x 8 H20 96 GB with RDMA, DeepSeek-R1 671B FP8, AIBrix RayClusterFleet",
            Hardware("H20-96GB", 8, 2, cpu_per_node=192, memory_gib_per_node=2048, rdma=True,
                     machines=("ecs.ebmhpcpni3l.48xlarge",)),
            Request("deepseek-r1", context=163840, max_num_seqs=256, utilization=0.90, cpu_per_pod=96,
                    served_model_name="deepseek-r1-671b")),
    )


SPECS = _specs()
