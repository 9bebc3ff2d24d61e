"""vLLM: one Deployment of the OpenAI-compatible vLLM server per replica, all GPUs of a replica on one node."""

from __future__ import annotations

import math
from typing import Any

from .. import catalog
from ..interface import Group, Value
from ..model import Hardware, Shape
from . import Backend
from .common import (
    BOOLEAN,
    HF_TOKEN,
    K8S_NAME,
    OFFLINE,
    QUANTITY,
    STRING_MAP,
    cache_group,
    data_parallel_values,
    fp8_kv_cache,
    gpu_model_value,
    hpa_values,
    http_route_group,
    image_group,
    ingress_group,
    integer,
    metrics_group,
    moe_data_parallel_shapes,
    moe_expert_parallel,
    node_local_cache,
    node_shapes,
    object_list,
    parallel_label,
    pod_resources,
    rdma_cache_level,
    rdma_group,
    resources_schema,
    scheduling_values,
    string,
    supplemental_groups_value,
    vllm_planning,
)

# Pinned vLLM release, catalog.DEFAULT_RELEASE (the newest at the time of writing), which the memory
# arithmetic reads too. The image's ENTRYPOINT is `vllm serve`, set explicitly below as well.
VLLM_VERSION = f"v{catalog.DEFAULT_RELEASE}"
# Since v0.29 the plain tag is built for CUDA 13.0, which needs an R580+ NVIDIA driver; the
# -cu129 build (CUDA 12.9) also runs on the older drivers most GPU node images still ship.
VLLM_IMAGE_TAG = f"{VLLM_VERSION}-cu129"
# vLLM's ROCm build for AMD GPUs (newest release seen published as vllm/vllm-openai-rocm).
VLLM_ROCM_IMAGE = ("vllm/vllm-openai-rocm", "v0.30.0")

# The endpoint picker (EPP) of global.routing.strategy=prefixCache. Pinned: llm-d/llm-d-router
# v0.10.0 (2026-08-17, commit 71f4f0999f95), where the EPP has been developed since the Gateway API
# Inference Extension moved it out (GAIE v1.5.0 was its last EPP release and gets no more fixes);
# it reads the inference.networking.k8s.io/v1 InferencePool of schemas/crds (GAIE v1.6.0) and takes
# EndpointPickerConfig as llm-d.ai/v1alpha1. Its release workflow (.github/workflows/ci-release.yaml)
# tags the image with the git tag; its Dockerfile.epp runs as 65532:65532. The plugin names and
# parameters the chart renders are in tests/data/epp-plugins.yaml, with their sources.
EPP_IMAGE = ("ghcr.io/llm-d/llm-d-router-endpoint-picker", "v0.10.0")

DTYPES = ["auto", "bfloat16", "float16", "half", "float32", "float"]
# The `--kv-cache-dtype` values of vLLM's CacheDType (vllm/config/cache.py, v0.31.0) the chart
# offers: the model's dtype, and fp8 (e4m3), which every attention backend with an FP8 cache
# lists; fp8_e5m2 is left out, as v0.31.0's CUDA MLA backends (FlashMLA, CUTLASS, Triton MLA)
# accept only fp8 and fp8_e4m3.
KV_CACHE_DTYPES = list(catalog.KV_CACHE_BYTES)
# `--all2all-backend` choices of v0.31.0 (vllm/config/parallel.py All2AllBackend) that still run:
# pplx and naive were removed (they fall back to allgather_reducescatter), flashinfer_all2allv is an
# alias; "" leaves vLLM's default.
ALL2ALL_BACKENDS = ["", "allgather_reducescatter", "deepep_high_throughput", "deepep_low_latency", "deepep_v2",
                    "flashinfer_nvlink_two_sided", "flashinfer_nvlink_one_sided", "nixl_ep", "moonep",
                    "mori_high_throughput", "mori_low_latency"]
QUANTIZATIONS = ["", "awq", "awq_marlin", "gptq", "gptq_marlin", "fp8", "bitsandbytes",
                 "compressed-tensors"]

DEFAULT_MODEL = catalog.MODELS["deepseek-r1-distill-qwen-14b"]
DEFAULT_CKPT = DEFAULT_MODEL.checkpoint("bf16")
STARTUP_PERIOD_S = 10

INTERFACE = Group(
    key="vllm",
    doc="vLLM OpenAI-compatible server: one pod per replica, or with `nodes` above 1 a LeaderWorkerSet "
        "group of one pod per node for each replica.",
    children=(
        image_group("Container image of the vLLM server.", "vllm/vllm-openai", VLLM_IMAGE_TAG,
                    "Image tag, pinned to a vLLM release so a reinstall runs the same engine. The "
                    "default is the CUDA 12.9 build, which runs on pre-R580 drivers; the plain tag "
                    "needs CUDA 13 (driver R580+).",
                    repository_note=" vllm/vllm-openai is built for NVIDIA CUDA; AMD GPUs need the "
                    "ROCm build vllm/vllm-openai-rocm.",
                    pull_doc="The image is about 10 GiB: pull once per node."),
        Value("replicaCount", 1, "Number of model replicas when autoscaling is off. Each replica needs "
              "its own `gpu.count` x `nodes` GPUs.", integer(0)),
        Value("nodes", 1, "Nodes one replica spans, a pod of `gpu.count` GPUs on each. 1: a Deployment. "
              "Above 1: a LeaderWorkerSet whose groups have this many pods (needs the LWS controller, "
              "leaderworkerset.x-k8s.io/v1): the leader serves the API as rank 0, the others run headless "
              "ranks, joined by vLLM's multiprocessing backend (tensor parallel within a node, pipeline "
              "parallel across), no Ray. One failed pod restarts its whole group.", integer(1, 64)),
        rdma_group(False, "generic", "gpu.count", "the default"),
        Group("multiNode", "How the pods of one replica find each other when `nodes` is above 1.", (
            Value("masterPort", 29501, "`--master-port`: the torch.distributed rendezvous port on the "
                  "leader (`--master-addr` is the leader's address, LWS_LEADER_ADDRESS); vLLM's own default.",
                  integer(1024, 65535)),
            Value("startupPolicy", "LeaderCreated", "LeaderWorkerSet `startupPolicy`. LeaderCreated: workers "
                  "start once the leader pod exists. LeaderReady would wait for a leader that turns ready only "
                  "after its workers joined, and never start them.",
                  {"type": "string", "enum": ["LeaderCreated", "LeaderReady"]}),
        )),
        Group("model", "Which model to serve and where its weights come from.", (
            Value("name", DEFAULT_CKPT.repo,
                  "Hugging Face repository id (or a path inside `cache.mountPath`) passed to "
                  "`vllm serve`. The default is the R1 14B distill in BF16 (27.5 GiB of weights).",
                  string(minLength=1)),
            Value("servedModelName", "deepseek-r1", "Model name clients put in the `model` field "
                  "of OpenAI requests (`--served-model-name`).", string(minLength=1)),
            Value("revision", "", "Git revision (branch, tag or commit) of the repository; pin a "
                  "commit for reproducible rollouts. Empty: the default branch.", string()),
            HF_TOKEN,
            OFFLINE,
        )),
        cache_group(),
        Group("engine", "vLLM engine arguments. Each maps to one `vllm serve` flag.", (
            Value("tensorParallelSize", 1, "`--tensor-parallel-size`: GPUs each layer is split "
                  "over. tensorParallelSize x pipelineParallelSize must equal `gpu.count`.",
                  integer(1)),
            Value("pipelineParallelSize", 1, "`--pipeline-parallel-size`: stages the layers are "
                  "split into. 1 on a single node, where tensor parallelism is faster.", integer(1)),
            Value("dtype", DEFAULT_CKPT.dtype, "`--dtype` of weights and activations. bfloat16 "
                  "on Ampere and newer; float16 for T4/V100 and for AWQ checkpoints.",
                  {"type": "string", "enum": DTYPES}),
            Value("quantization", DEFAULT_CKPT.quantization, "`--quantization` method of the "
                  "checkpoint. Empty: none, or detected from the checkpoint's config.",
                  {"type": "string", "enum": QUANTIZATIONS}),
            Value("maxModelLen", 32768, "`--max-model-len`, tokens of prompt plus output per "
                  "sequence. R1 reasoning traces run to thousands of tokens; 32768 keeps room for "
                  "them while leaving KV cache for several sequences.", integer(256)),
            Value("gpuMemoryUtilization", 0.9, "`--gpu-memory-utilization`, fraction of each "
                  "GPU's memory vLLM may use for weights, activations and KV cache. 0.9 leaves "
                  "headroom for the CUDA context and fragmentation.",
                  {"type": "number", "exclusiveMinimum": 0, "maximum": 0.98}),
            Value("maxNumSeqs", 64, "`--max-num-seqs`, sequences batched at once. Higher raises "
                  "throughput until the KV cache runs out.", integer(1)),
            Value("maxNumBatchedTokens", 0, "`--max-num-batched-tokens`: tokens one rank schedules per step, "
                  "prompt chunks and decodes together; 0 leaves vLLM's default for the GPU (2048; 8192 on "
                  "GPUs of 70 GiB and more but A100; 16384 on GPUs of 160 GiB and more). vLLM profiles a batch "
                  "this large at startup and keeps its peak out of the KV cache; with data parallelism every "
                  "rank's batch reaches one GPU's experts in that run, so data-parallel profiles set 2048: "
                  "more KV cache per rank, prompts prefilled 2048 tokens a step. At least maxNumSeqs.",
                  integer(0)),
            Value("kvCacheDtype", "auto", "`--kv-cache-dtype`: `auto` keeps the model's 16-bit KV cache; "
                  "`fp8` (e4m3) halves the cache per token, so twice the tokens fit, at a small accuracy "
                  "cost (vLLM scales by 1.0 unless the checkpoint has calibrated scales). Needs a GPU with "
                  "FP8 hardware (Ada, Hopper, Blackwell, MI300); profiles set it only where nothing fits "
                  "with `auto`, and say so.", {"type": "string", "enum": KV_CACHE_DTYPES}),
            Value("enableChunkedPrefill", True, "`--enable-chunked-prefill`: split long prompts so "
                  "decoding of other requests continues; lowers tail latency.", BOOLEAN),
            Value("enableExpertParallel", False, "`--enable-expert-parallel`: a MoE model's experts "
                  "are spread whole over the GPUs instead of each split across them; vLLM's DeepSeek "
                  "recipe sets it on one node of 8 NVIDIA GPUs, where profiles enable it.", BOOLEAN),
            Value("dataParallelSize", 1, "`--data-parallel-size`: data-parallel attention ranks of one "
                  "replica, each of tensorParallelSize x pipelineParallelSize GPUs; tensorParallelSize x "
                  "pipelineParallelSize x dataParallelSize must equal `gpu.count` x `nodes`. Each rank keeps "
                  "attention and the dense layers whole and caches only its own requests (its own KV cache and "
                  "maxNumSeqs); with enableExpertParallel a MoE's routed experts are spread over all ranks' "
                  "GPUs. vLLM's DeepSeek recipe runs 8 for high load on one node of 8 GPUs: for DeepSeek's MLA, "
                  "whose KV cache tensor parallelism copies to every GPU, it holds several times the concurrent "
                  "sequences of tensor parallel 8. One API server in front of the ranks balances requests over "
                  "them. With `nodes` above 1 the ranks span the group's pods: vLLM gives each pod its ranks "
                  "from `--node-rank` (wide expert parallelism; plan it only with RDMA between the nodes). "
                  "1: no data parallelism.", integer(1)),
            Value("all2allBackend", "", "`--all2all-backend`: how the ranks exchange tokens with the "
                  "experts under data parallelism. Empty: vLLM's default, allgather_reducescatter, which "
                  "works over any NCCL/RCCL network. `deepep_high_throughput` (prefill-heavy) and "
                  "`deepep_low_latency` (decode; vLLM then batches 256 tokens) use DeepEP, whose kernels the "
                  "vllm/vllm-openai image builds; across nodes DeepEP's NVSHMEM needs GPUDirect RDMA: "
                  "`rdma.enabled` (the RDMA devices and IPC_LOCK, Pod Security `privileged`), and `shm` "
                  "sized for the ranks of the pod.", {"type": "string", "enum": ALL2ALL_BACKENDS}),
            Value("enableEplb", False, "`--enable-eplb`: expert-parallel load balancing, which moves "
                  "hot experts between GPUs as the traffic shifts; needs enableExpertParallel.", BOOLEAN),
            Value("numRedundantExperts", 0, "`--eplb-config {\"num_redundant_experts\": N}`: extra "
                  "copies of hot experts EPLB keeps (needs enableEplb). Each costs memory on every GPU: "
                  "the fit check counts the routed experts x (experts + N) / experts.", integer(0)),
            Value("enablePrefixCaching", True, "`--enable-prefix-caching`: reuse KV cache of "
                  "shared prompt prefixes (system prompts, multi-turn chats).", BOOLEAN),
            Value("extraArgs", [], "More `vllm serve` arguments, one list item per argument, "
                  "appended last (e.g. `--reasoning-parser`, `deepseek_r1`).",
                  {"type": "array", "items": {"type": "string"}}),
        )),
        Group("gpu", "GPUs of each replica.", (
            gpu_model_value("each replica's pod"),
            Value("count", 1, "GPUs per replica, all on one node.", integer(1)),
            Value("vendor", "nvidia", "GPU vendor; selects the extended resource (`nvidia.com/gpu` "
                  "or `amd.com/gpu`) advertised by the vendor's device plugin.",
                  {"type": "string", "enum": sorted(catalog.VENDOR_RESOURCES)}),
            supplemental_groups_value(),
            Value("runtimeClassName", "", "RuntimeClass of GPU nodes (e.g. `nvidia` when the "
                  "NVIDIA container runtime is not the default). Empty: the node default.",
                  K8S_NAME),
        )),
        Value("resources", {"requests": {"cpu": "4", "memory": "40Gi"}, "limits": {"memory": "56Gi"}},
              "CPU and memory of the server container; GPUs come from `gpu`. Memory: the "
              "checkpoint is staged through host RAM while loading, and `/dev/shm` counts "
              "against the limit.", resources_schema()),
        Group("shm", "`/dev/shm`, a memory-backed emptyDir. NCCL and vLLM's worker processes "
              "exchange tensors through it; the container default of 64 MiB crashes "
              "multi-GPU runs.", (
            Value("sizeLimit", "8Gi", "Size limit; counts against the memory limit.", QUANTITY),
        )),
        *scheduling_values("cloud.google.com/gke-accelerator: nvidia-l4"),
        Group("probes", "Health checks on vLLM's `/health` endpoint.", (
            Group("startup", "Gives the pod time to download and load the weights before the "
                  "other probes start.", (
                Value("periodSeconds", STARTUP_PERIOD_S, "Seconds between checks.", integer(1)),
                Value("failureThreshold", math.ceil(catalog.startup_seconds(DEFAULT_CKPT) / STARTUP_PERIOD_S),
                      "Checks before the pod is restarted; periodSeconds x failureThreshold is "
                      "the startup budget. The default covers a 27.5 GiB download at 50 MiB/s, "
                      "loading and CUDA-graph warm-up, with 50% margin; profiles compute it from "
                      "their checkpoint.", integer(1)),
            )),
            Group("readiness", "Takes the pod out of the Service while it cannot answer.", (
                Value("periodSeconds", 10, "Seconds between checks.", integer(1)),
                Value("failureThreshold", 3, "Failed checks before the pod is marked unready.",
                      integer(1)),
            )),
            Group("liveness", "Restarts a hung server. Generous, because a restart reloads "
                  "the weights.", (
                Value("periodSeconds", 30, "Seconds between checks.", integer(1)),
                Value("failureThreshold", 5, "Failed checks before the container is restarted.",
                      integer(1)),
            )),
        )),
        Group("rollout", "How upgrades replace pods without needing a second set of GPUs.", (
            Value("type", "Recreate", "`Recreate`: stop the old pod, then start the new one "
                  "(downtime, no extra GPUs). `RollingUpdate`: replace pods one at a time with "
                  "maxSurge 0 (no extra GPUs, needs 2+ replicas to stay up).",
                  {"type": "string", "enum": ["Recreate", "RollingUpdate"]}),
            Value("maxUnavailable", 1, "Pods replaced at once with RollingUpdate.", integer(1)),
        )),
        Group("service", "Service in front of the OpenAI-compatible API.", (
            Value("type", "ClusterIP", "Service type. ClusterIP: reach it through the Ingress "
                  "or `kubectl port-forward`.",
                  {"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer"]}),
            Value("port", 8000, "Service port; vLLM's own default.", integer(1, 65535)),
            Value("annotations", {}, "Service annotations (e.g. internal load balancer).",
                  STRING_MAP),
        )),
        ingress_group("Streamed completions of reasoning models last minutes: raise the proxy "
                      "read timeout (nginx: `nginx.ingress.kubernetes.io/proxy-read-timeout: \"600\"`)."),
        http_route_group(),
        metrics_group("Prometheus metrics of vLLM (`/metrics` on the API port); `serviceMonitor` "
                      "also covers the endpoint picker's metrics port (9090) when it runs.", dashboard=True),
        Group("routing", "The InferencePool and endpoint picker (EPP) rendered when "
              "global.routing.strategy is prefixCache: the Gateway asks the picker (gRPC ext-proc on 9002) "
              "which pod serves each request; the picker scores every pod from its prefix-cache index and "
              "the pods' `vllm:num_requests_waiting` and `vllm:kv_cache_usage_perc` (read from their "
              "/metrics every 50 ms). One picker replica: its prefix index lives in memory, and a second "
              "replica would route from an index of its own.", (
            Group("endpointPicker", "The endpoint picker Deployment.", (
                image_group("Image of the endpoint picker (llm-d-router's EPP).", EPP_IMAGE[0], EPP_IMAGE[1],
                            "Image tag, pinned to llm-d-router v0.10.0, where the EPP is maintained since "
                            "the Gateway API Inference Extension's last EPP release (v1.5.0); the chart "
                            "renders the EndpointPickerConfig (llm-d.ai/v1alpha1) that release loads."),
                Value("resources", {"requests": {"cpu": "2", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
                      "CPU and memory of the picker. Its CPU goes to hashing each prompt into prefix blocks "
                      "and scraping every model server's /metrics every 50 ms; its memory mostly to the "
                      "prefix index, at most 31,250 block hashes per model server (a few MiB each), so a "
                      "release's handful of replicas needs little. Upstream charts ask 4 to 8 CPUs and 8 GiB "
                      "for shared pools of hundreds of servers: raise these for such pools or thousands of "
                      "requests per second.", resources_schema()),
                Value("failureMode", "FailOpen", "`endpointPickerRef.failureMode` of the InferencePool. "
                      "`FailOpen`: while the picker is down the Gateway keeps sending requests to the pool's "
                      "pods, without cache awareness, so a picker restart or drain costs no requests. "
                      "`FailClose`: the Gateway rejects requests while the picker is down (the API's own "
                      "default).", {"type": "string", "enum": ["FailOpen", "FailClose"]}),
                Value("secureServing", True, "`--secure-serving`: the picker serves ext-proc over TLS with "
                      "a self-signed certificate (the EPP's default). Istio then needs a DestinationRule "
                      "with `tls: {mode: SIMPLE, insecureSkipVerify: true}` for the picker's Service (README: "
                      "Routing); false for a Gateway that speaks plain h2c to it.", BOOLEAN),
                Group("weights", "Weights of the scorers in the picker's scheduling profile (llm-d-router's "
                      "default profile, the one its inference-scheduling guide measured).", (
                    Value("prefixCache", 3, "`prefix-cache-scorer`: the share of the prompt's prefix blocks "
                          "a pod already holds.", {"type": "number", "minimum": 0}),
                    Value("queue", 2, "`queue-scorer`: fewer requests waiting in the pod's queue "
                          "(`vllm:num_requests_waiting`).", {"type": "number", "minimum": 0}),
                    Value("kvCacheUtilization", 2, "`kv-cache-utilization-scorer`: more free KV cache "
                          "(`vllm:kv_cache_usage_perc`).", {"type": "number", "minimum": 0}),
                )),
            )),
        )),
        Group("autoscaling", "HorizontalPodAutoscaler. Every added replica needs `gpu.count` "
              "more GPUs; CPU and memory are weak signals for GPU inference, so keep "
              "maxReplicas within the GPUs you have.", (
            *hpa_values("vLLM's host memory is mostly static, so off by default."),
            Group("keda", "Scale on the request queue instead of CPU: a KEDA ScaledObject on "
                  "vLLM's `vllm:num_requests_waiting` from Prometheus (replaces the HPA; needs "
                  "KEDA and Prometheus scraping vLLM).", (
                Value("enabled", False, "Use KEDA instead of the CPU/memory HPA.", BOOLEAN),
                Value("prometheusAddress", "", "Prometheus URL, e.g. "
                      "http://prometheus-operated.monitoring:9090; required when enabled.",
                      string(r"^(https?://.+)?$")),
                Value("threshold", "5", "Waiting requests per replica that trigger a scale-up.",
                      string(r"^[0-9]+(\.[0-9]+)?$")),
            )),
        )),
        Group("podDisruptionBudget", "Limits voluntary evictions (node drains, upgrades).", (
            Value("enabled", True, "Create the PodDisruptionBudget.", BOOLEAN),
            Value("maxUnavailable", 1, "Pods that may be evicted at once. 1 never blocks a drain "
                  "of a single-replica release.", integer(1)),
        )),
        Value("extraEnv", [], "Extra environment variables (Kubernetes EnvVar objects). Reference "
              "Secrets with `valueFrom.secretKeyRef`; never put credentials here as literals.",
              object_list(["name"])),
        Value("podAnnotations", {}, "Annotations added to the pods.", STRING_MAP),
        Value("priorityClassName", "", "PriorityClass of the pods; GPU workloads often get a "
              "high one so they are not preempted by batch jobs.", string()),
        Value("terminationGracePeriodSeconds", 60, "Time for in-flight requests to finish on "
              "shutdown.", integer(0)),
    ),
)


def profile_values(profile: Any) -> dict[str, Any]:
    """Values a single-node hardware profile sets: model, parallelism, GPUs, sizes, probes."""
    ckpt = profile.checkpoint
    gpu = catalog.GPUS[profile.gpu]
    tp = profile.tensor_parallel
    profile.fit()
    ranks = profile.gpus_per_pod  # GPU processes of one pod exchanging tensors through /dev/shm
    shm_gib = 2 if ranks == 1 else 8 * ranks
    values: dict[str, Any] = {
        "model": {"name": ckpt.repo, "servedModelName": profile.served_model_name},
        "engine": {
            "tensorParallelSize": tp,
            "pipelineParallelSize": profile.pipeline_parallel,
            **data_parallel_values(profile),
            "dtype": ckpt.dtype,
            "quantization": ckpt.quantization,
            "maxModelLen": profile.max_model_len,
            "gpuMemoryUtilization": profile.gpu_memory_utilization,
            "maxNumSeqs": profile.max_num_seqs,
            **({"maxNumBatchedTokens": profile.max_num_batched_tokens} if profile.max_num_batched_tokens else {}),
            **({"enableExpertParallel": True} if profile.expert_parallel else {}),
            **({"kvCacheDtype": profile.kv_cache_dtype} if profile.kv_cache_dtype != "auto" else {}),
        },
        "gpu": {"count": profile.gpus_per_pod, "vendor": gpu.vendor, "model": gpu.name},
        "resources": pod_resources(profile, memory_limit_gib=profile.memory_gib_per_pod + shm_gib),
        "shm": {"sizeLimit": f"{shm_gib}Gi"},
        "cache": {"pvc": {"size": f"{math.ceil(ckpt.weights_gib * 1.2 + 5)}Gi"}},
        "probes": {"startup": {"failureThreshold": math.ceil(
            catalog.startup_seconds(ckpt) / STARTUP_PERIOD_S)}},
    }
    if profile.pods > 1:
        # A LeaderWorkerSet group of one pod per node; each pod downloads its own copy, so the
        # cache is node-local scratch space sized for the checkpoint (as KubeRay's workers do).
        values["nodes"] = profile.pods
        values["cache"] = node_local_cache(ckpt)
        if profile.rdma:
            values["rdma"] = {"enabled": True}
    if profile.replicas > 1:
        values["replicaCount"] = profile.replicas
        # Replicas may land on different nodes: the created claim must be shareable.
        values["cache"]["pvc"]["accessModes"] = ["ReadWriteMany"]
    if gpu.vendor == "amd":
        values["image"] = {"repository": VLLM_ROCM_IMAGE[0], "tag": VLLM_ROCM_IMAGE[1]}
    if profile.engine_env:
        values["extraEnv"] = [{"name": k, "value": v} for k, v in profile.engine_env.items()]
    return values


def summary(values: dict[str, Any]) -> dict[str, str]:
    engine = values["engine"]
    replicas = values["autoscaling"]["maxReplicas"] if values["autoscaling"]["enabled"] \
        else values["replicaCount"]
    return {
        "model": values["model"]["name"],
        "gpus": f"{values['gpu']['count']} x {replicas} replica(s)",
        "parallel": parallel_label(engine),
    }


def shapes(hw: Hardware) -> list[Shape]:
    """One node: the smallest tensor-parallel size that fits comes first; the node's other GPUs
    serve more replicas of the model, each in its own pod. Several nodes: one replica over all of
    them, a pod per node (a LeaderWorkerSet group), tensor parallel within a node and pipeline
    parallel across, as seed 004 splits it with Ray."""
    if hw.nodes > 1:
        return node_shapes(hw)
    return [Shape(tp, 1, tp, 1, hw.gpus_per_node // tp) for tp in (1, 2, 4, 8, 16)
            if tp <= hw.gpus_per_node and hw.gpus_per_node % tp == 0]


BACKEND = Backend(
    **vllm_planning({"nvidia": catalog.DEFAULT_RELEASE, "amd": VLLM_ROCM_IMAGE[1].lstrip("v")}),
    name="vllm",
    description="vLLM OpenAI-compatible server for DeepSeek-R1 and its distills",
    app_version=VLLM_VERSION,
    keywords=("vllm", "llm", "deepseek-r1", "gpu", "inference"),
    interface=INTERFACE,
    profile_values=profile_values,
    summary=summary,
    pod_security=rdma_cache_level,
    images={"nvidia": f"vllm/vllm-openai:{VLLM_IMAGE_TAG}", "amd": ":".join(VLLM_ROCM_IMAGE)},
    # Data-center GPUs on one node: vLLM batches many users on them.
    chosen_for=lambda hw, gpu: gpu is not None and not gpu.consumer and hw.nodes == 1,
    multi_node=True,  # with --engine vllm: a LeaderWorkerSet, no Ray
    shapes=shapes,
    expert_parallel=moe_expert_parallel,
    data_parallel_shapes=moe_data_parallel_shapes,
    # v0.31.0 (and the ROCm build's v0.30.0) keep MLA caches in FP8 on every FP8 GPU too.
    kv_cache_fp8=lambda model, gpu: fp8_kv_cache(gpu),
    enabled_by_default=True,
)
