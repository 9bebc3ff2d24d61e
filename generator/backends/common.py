"""Schema fragments and interface pieces shared by every engine backend."""

from __future__ import annotations

import math
from typing import Any

from .. import catalog, overhead, platforms
from ..interface import Group, Value
from ..model import Hardware, Request, Shape

QUANTITY = {
    "type": ["string", "integer"],
    "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$",
}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
K8S_NAME = {"type": "string", "pattern": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", "maxLength": 253}


def string(pattern: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string", **extra}
    if pattern:
        out["pattern"] = pattern
    return out


def integer(minimum: int | None = None, maximum: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        out["minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    return out


BOOLEAN = {"type": "boolean"}


def object_list(required: list[str] | None = None) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "object"}
    if required:
        items["required"] = required
    return {"type": "array", "items": items}


def pod_resources(profile: Any, memory_limit_gib: int | None = None, cpu_limit: bool = False) -> dict[str, Any]:
    """A profile pod's CPU and memory: its CPU and memory request, a memory limit (the request
    unless given), and the CPU as a limit too when `cpu_limit`."""
    cpu, memory = str(profile.cpu_per_pod), profile.memory_gib_per_pod
    limits = {"cpu": cpu} if cpu_limit else {}
    limits["memory"] = f"{memory_limit_gib or memory}Gi"
    return {"requests": {"cpu": cpu, "memory": f"{memory}Gi"}, "limits": limits}


# ---------------------------------------------------------------- planning of the GPU engines
# vLLM, and vLLM inside Ray Serve or AIBrix, size the same way.

MAX_SEQS = 256  # the most sequences an automatic plan batches (--max-num-seqs)
# --max-num-batched-tokens of a data-parallel MoE plan, per rank, where vLLM's default is larger:
# vLLM's profile run hands every rank's batch to one GPU's experts (generator/overhead.py), so the
# default 8192 (16384 on GPUs of 160 GiB) costs the experts' workspaces 8 (16) ranks' worth of it,
# taken from each rank's KV cache. 2048 is vLLM's own default on smaller GPUs, and still prefills
# 2048 tokens of a prompt per step and rank.
DATA_PARALLEL_BATCH = 2048
MARGIN_SEQUENCES = 2  # an automatic plan's KV cache holds at least this many full contexts


def gpu_fit(model: catalog.Model, ckpt: catalog.Checkpoint, gpu: catalog.Gpu | None, hw: Hardware,
            shape: Shape, utilization: float, context: int, req: Request,
            release: str = catalog.DEFAULT_RELEASE) -> catalog.Fit:
    """Weights and KV cache per GPU at `utilization`, with the runtime overhead of vLLM `release`.
    An automatic context must leave room for MARGIN_SEQUENCES full-length sequences; an automatic
    max-num-seqs is what the KV cache holds at half the context each, at most MAX_SEQS, with the
    overhead of that many sequences."""
    assert gpu is not None, "GPU engines are planned for GPUs only"
    tp, pp, dp = shape.tensor_parallel, shape.pipeline_parallel, shape.data_parallel

    batch = planned_batch(model, gpu, shape, release, context)

    def sized(seqs: int) -> catalog.Fit:
        return catalog.fit(model, ckpt, gpu, tp, utilization, context, seqs, pipeline_parallel=pp,
                           kv_cache_dtype=req.kv_cache_dtype or "auto", data_parallel=dp, release=release,
                           nodes=shape.pods, max_num_batched_tokens=batch)

    def holds(fit: catalog.Fit) -> bool:
        """Room for MARGIN_SEQUENCES full-length sequences, when the context is automatic."""
        return bool(req.context) or fit.kv_tokens >= MARGIN_SEQUENCES * context

    # An automatic max-num-seqs is at least the sequences of half a context the margin holds.
    floor = 1 if req.context else 2 * MARGIN_SEQUENCES
    fit = sized(req.max_num_seqs or floor)
    if not holds(fit):
        raise catalog.DoesNotFit(
            f"{ckpt.repo} on {tp * pp * dp} x {gpu.name}: KV cache holds {fit.kv_tokens} tokens, "
            f"fewer than {MARGIN_SEQUENCES} sequences of {context}")
    if not req.max_num_seqs:
        # The most sequences, up to MAX_SEQS, that the KV cache holds at half the context each once
        # their own overhead (sampler, CUDA graphs) is taken: more sequences leave less cache, so
        # the largest that still fits is found by bisection.
        half = max(1, context // 2)
        low, high = floor, max(floor, min(MAX_SEQS, fit.kv_tokens // half))
        while low < high:
            middle = (low + high + 1) // 2
            candidate = sized(middle)
            if candidate.kv_tokens // half >= middle and holds(candidate):
                low, fit = middle, candidate
            else:
                high = middle - 1
    return fit


def planned_batch(model: catalog.Model, gpu: catalog.Gpu, shape: Shape, release: str, context: int) -> int:
    """The --max-num-batched-tokens a plan sets: DATA_PARALLEL_BATCH for a data-parallel MoE layout
    where vLLM `release`'s default batch on `gpu` is larger; else 0, vLLM's default."""
    if shape.data_parallel > 1 and model.routed_experts:
        default, _ = overhead.Release(release).batch_defaults(gpu, context)
        if default > DATA_PARALLEL_BATCH:
            return DATA_PARALLEL_BATCH
    return 0


def vllm_planning(vllm_versions: dict[str, str]) -> dict[str, Any]:
    """What the planner asks of every engine that runs vLLM on GPUs (vLLM itself, Ray Serve LLM,
    AIBrix): the Backend fields they share, with the memory arithmetic of the vLLM release inside
    the engine's image for each GPU vendor."""
    def fit(model: catalog.Model, ckpt: catalog.Checkpoint, gpu: catalog.Gpu | None, hw: Hardware,
            shape: Shape, utilization: float, context: int, req: Request) -> catalog.Fit:
        assert gpu is not None, "GPU engines are planned for GPUs only"
        return gpu_fit(model, ckpt, gpu, hw, shape, utilization, context, req,
                       vllm_versions.get(gpu.vendor, catalog.DEFAULT_RELEASE))

    return {"precisions": HF_PRECISIONS, "weights_doc": HF_WEIGHTS, "fit": fit, "pod_cpu": gpu_pod_cpu,
            "pod_memory_gib": staged_memory_gib, "least_memory_gib": least_staged_memory_gib,
            "vllm_versions": vllm_versions}


def gpu_pod_cpu(hw: Hardware, shape: Shape) -> int:
    """4 vCPUs per GPU of the pod (tokenizer, scheduler and one worker process per GPU), at least
    2, and 2 below the node's vCPUs when they are known."""
    return max(2, min(4 * shape.gpus_per_pod, (hw.cpu_per_node or 10**6) - 2))


def staged_memory_gib(model: catalog.Model, ckpt: catalog.Checkpoint, shape: Shape, fit: catalog.Fit,
                      gpu: catalog.Gpu | None) -> int:
    """Host memory of a GPU pod: its share of the weights, staged through RAM while loading,
    plus 8 GiB for the engine's processes."""
    return math.ceil(ckpt.weights_gib / shape.pods + 8)


def least_staged_memory_gib(model: catalog.Model, ckpt: catalog.Checkpoint, shape: Shape, fit: catalog.Fit,
                            gpu: catalog.Gpu | None) -> int:
    """The least host memory a GPU pod loads with when its machine leaves less than
    staged_memory_gib: the weights stream through the page cache shard by shard, so the engine's
    8 GiB plus 2 GiB per GPU (a worker process, its CUDA context and pinned buffers) do."""
    return 8 + 2 * shape.gpus_per_pod


# vLLM's DeepSeek recipe (vllm-project/recipes DeepSeek/DeepSeek-V3.md) serves DeepSeek-R1 on one
# node of 8 x H200 as `--tensor-parallel-size 8 --enable-expert-parallel`: each GPU holds whole
# experts instead of an eighth of every expert. Its AMD recipe (DeepSeek/AMD_GPU/README.md) runs
# 8 x MI300X with tensor parallel 8 alone. The flag came with vLLM PR #14305 (vLLM 0.8).
RECIPE_EXPERT_PARALLEL = ("vLLM's DeepSeek recipe serves it on one node of 8 NVIDIA GPUs with tensor parallel 8 "
                          "and --enable-expert-parallel (whole experts per GPU)")


# The same recipe's command "for high load": --data-parallel-size 8 --enable-expert-parallel. Each
# rank keeps attention and the dense layers whole and caches its own requests' KV; the routed experts
# are spread over all ranks (vLLM's MoE layers form one expert-parallel group of DP x TP GPUs).
DATA_PARALLEL_EXPERTS = ("data-parallel attention: vLLM's DeepSeek recipe runs --data-parallel-size 8 "
                         "--enable-expert-parallel for high load; each rank keeps attention and dense weights "
                         "whole and its own KV cache, the routed experts are spread over all GPUs")


def data_parallel_values(profile: Any) -> dict[str, Any]:
    """The engine-kwargs key of a profile's data-parallel ranks (`dataParallelSize`), only when it runs several."""
    return {"dataParallelSize": profile.data_parallel} if profile.data_parallel > 1 else {}


def parallel_label(kwargs: dict[str, Any]) -> str:
    """`TPxPP`, and ` x DPn` with data-parallel ranks: a values summary's parallel sizes."""
    dp = kwargs.get("dataParallelSize", 1)
    return f"{kwargs['tensorParallelSize']}x{kwargs['pipelineParallelSize']}" + (f" x DP{dp}" if dp > 1 else "")


def moe_data_parallel_shapes(hw: Hardware, model: catalog.Model) -> list[Shape]:
    """DP+EP layouts of a MoE model (vLLM V1 data parallelism): one rank per GPU of a node, one
    replica over the node; across nodes only with RDMA, where the all-to-all of the experts runs
    between nodes (llm-d's and Dynamo's wide EP: a LeaderWorkerSet of one pod per node). Without
    RDMA the experts' all-to-all would cross TCP on every layer: tensor parallel within a node and
    pipeline parallel across nodes instead (node_shapes)."""
    if not model.routed_experts or hw.gpus_per_node < 2 or (hw.nodes > 1 and not hw.rdma):
        return []
    return [Shape(1, 1, hw.gpus_per_node, hw.nodes, 1, data_parallel=hw.gpus_per_node * hw.nodes)]


def moe_expert_parallel(model: catalog.Model, ckpt: catalog.Checkpoint, gpu: catalog.Gpu | None, hw: Hardware,
                        shape: Shape, asked: bool) -> str:
    """Why vLLM (or Ray Serve LLM's vLLM) spreads the experts: asked, or the recipe's layout."""
    if not model.active_params_b:
        if asked:
            raise ValueError(f"--expert-parallel: {model.key} is a dense model, it has no experts to spread")
        return ""
    if shape.data_parallel > 1:
        return DATA_PARALLEL_EXPERTS
    if asked:
        return "asked for (--expert-parallel)"
    # The recipe serves the FP8 release; of the 4-bit checkpoints (A100, H800) it says nothing.
    if (gpu is not None and gpu.vendor == "nvidia" and ckpt.precision == "fp8" and hw.nodes == 1
            and shape.tensor_parallel == 8 and shape.replicas == 1):
        return RECIPE_EXPERT_PARALLEL
    return ""


# Where vLLM keeps the KV cache in FP8 (`--kv-cache-dtype fp8`), read from the attention backends
# of each release (vllm/v1/attention/backends/**, `supported_kv_cache_dtypes`; platforms/cuda.py
# for which backend each GPU gets). Only GPUs with FP8 hardware are planned for it: there vLLM
# stores e4m3 natively, while Ampere depends on one backend (FlashInfer) and Triton's fp8e4nv
# needs SM89. MLA models (DeepSeek-V3/R1) depend on the MLA backend the GPU gets:
# - v0.31.0: FlashMLA (Hopper), FlashInfer and CUTLASS MLA (Blackwell), Triton MLA (SM89 and
#   newer, so Ada) and ROCm's AITER MLA all list fp8;
# - v0.11.0 (Ray 2.52's `vllm>=0.11.0`): FlashMLA and CUTLASS MLA only, so Hopper and B200-class
#   Blackwell; Triton MLA, what Ada gets, raises "TritonMLA V1 with FP8 KV cache not yet supported";
# - v0.7.3 (AIBrix's image): only V0 Triton MLA, whose decode raises "FP8 Triton MLA not yet
#   supported" on every GPU.
# Without scales in the checkpoint vLLM uses 1.0 and warns of a possible accuracy drop. Each
# backend adds its release's MLA rule to fp8_kv_cache.
def fp8_kv_cache(gpu: catalog.Gpu | None) -> str:
    """Why no vLLM keeps a KV cache in FP8 on `gpu` ("" when one can)."""
    if gpu is None:
        return "an FP8 KV cache needs a GPU"
    if not gpu.fp8:
        return f"{gpu.name} has no FP8 hardware (FP8 GPUs: {', '.join(n for n, g in catalog.GPUS.items() if g.fp8)})"
    return ""


def node_shapes(hw: Hardware) -> list[Shape]:
    """One model over every node: tensor parallel within a node, a pipeline stage per node
    (seed 004), one pod per node."""
    return [Shape(hw.gpus_per_node, hw.nodes, hw.gpus_per_node, hw.nodes)]


# Hugging Face checkpoints, best quality first: W4A16 quantizes only a MoE's routed experts, AWQ
# every Linear layer.
HF_PRECISIONS = ("bf16", "fp8", "nvfp4", "w4a16", "awq-int4")
HF_WEIGHTS = "Hugging Face checkpoints (bf16, fp8, nvfp4, w4a16, awq-int4)"


def resources_schema() -> dict[str, Any]:
    quantities = {"type": "object", "additionalProperties": QUANTITY}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {"requests": quantities, "limits": quantities},
    }


PINNED_TAG = string(r"^[A-Za-z0-9_.-]*[0-9][A-Za-z0-9_.-]*$", maxLength=128)
MOVING_TAGS = " Moving tags such as `latest` are refused."
MIRROR = " Point it at a mirror in air-gapped clusters."


def image_group(doc: str, repository: str, tag: str, tag_doc: str, repository_note: str = "",
                pull_doc: str = "Pull once per node.") -> Group:
    """Image values of a component: repository, a tag that must carry a version, pull policy."""
    return Group("image", doc, (
        Value("repository", repository, "Image repository." + MIRROR + repository_note,
              string(minLength=1)),
        Value("tag", tag, tag_doc + MOVING_TAGS, PINNED_TAG),
        Value("digest", "", "Manifest digest (`sha256:...`, from `crane digest` or `docker "
              "buildx imagetools inspect`) appended as `@digest`: nodes then run exactly that "
              "image even if the tag is pushed again. Empty: the tag alone (the chart cannot know "
              "your registry's digests).", {"type": "string", "pattern": "^(sha256:[a-f0-9]{64})?$"}),
        Value("pullPolicy", "IfNotPresent", pull_doc,
              {"type": "string", "enum": ["IfNotPresent", "Always", "Never"]}),
    ))


GLOBAL = Group(
    key="global",
    doc="Values shared by every engine subchart and the umbrella chart.",
    children=(
        Group(
            key="apiKey",
            doc="API key that clients must send as `Authorization: Bearer <key>`. Read only from an "
                "existing Secret, so the key never appears in values or in rendered manifests.",
            children=(
                Value("existingSecret", "",
                      "Name of a Secret in the release namespace holding the key. Empty: the API is "
                      "served without authentication (only acceptable behind a NetworkPolicy or a "
                      "gateway that authenticates). Create it with `kubectl create secret generic "
                      "llm-api-key --from-literal=api-key=$(openssl rand -hex 32)`.", K8S_NAME),
                Value("secretKey", "api-key", "Key inside the Secret whose value is the API key.",
                      string(minLength=1)),
                Value("create", False, "Generate a random key into a Secret named "
                      "`<release>-api-key` (kept across upgrades and on uninstall) when "
                      "`existingSecret` is empty. vLLM and AIBrix's vLLM check it (`--api-key`), the "
                      "chat UI and `helm test` send it; Ray Serve LLM has no key option, so the "
                      "kuberay chart loads its own check into every Serve HTTP proxy.", BOOLEAN),
                Value("allowUnauthenticated", False, "Expose an engine beyond the cluster (its "
                      "Ingress, HTTPRoute, or a LoadBalancer/NodePort Service) with no API key. "
                      "False by default because the endpoint would serve anyone who finds it; set "
                      "true only when the gateway in front authenticates.", BOOLEAN),
            ),
        ),
        Value("requireCRDs", True,
              "Refuse to install when the cluster does not serve the custom resources an enabled "
              "engine renders (its operator is missing). With `helm template`, pass "
              "`--api-versions` (e.g. `--api-versions ray.io/v1/RayService`) rather than turning "
              "this off; set false only for `helm lint`, which has no such flag.", BOOLEAN),
        Group("networkPolicy", "NetworkPolicies of the engines: only the release's chat UI, the "
              "namespaces below and `allowFrom` reach the API ports; Ray ports stay between the "
              "release's own Ray pods and their operator.", (
            Value("enabled", True, "Render a NetworkPolicy per engine (and for the chat UI). Needs "
                  "a CNI that enforces them (Calico, Cilium, ...).", BOOLEAN),
            Value("ingressNamespaces", [], "Namespaces of the ingress controller or Gateway "
                  "allowed to reach the API (e.g. ingress-nginx). Required when an Ingress is "
                  "enabled.", {"type": "array", "items": K8S_NAME}),
            Value("monitoringNamespaces", [], "Namespaces of Prometheus allowed to scrape the "
                  "metrics ports (e.g. monitoring).", {"type": "array", "items": K8S_NAME}),
            Value("allowFrom", [], "More NetworkPolicyPeer objects allowed to call the APIs (your "
                  "applications).", object_list()),
        )),
        Group("tests", "`helm test`: a pod per engine lists the models and asks for a real chat "
              "completion with the API key.", (
            Value("enabled", True, "Render the test pods (they run only on `helm test`).", BOOLEAN),
            Value("timeoutSeconds", 300, "Time a chat completion may take (CPU profiles answer "
                  "slowly).", integer(10)),
            image_group("Image of the test pods (curl and a POSIX shell).", "curlimages/curl",
                        "8.16.0", "Image tag, pinned to a curl release."),
        )),
        Group("placement", "Where pods land. A pod with GPUs gets a required node affinity whose "
              "terms (ORed) name its engine's `gpu.model` the way each platform in `platforms` labels "
              "it, so it schedules on that GPU on any of them, on a node whose "
              "`node.kubernetes.io/instance-type` is a known machine of that GPU whatever labels it "
              "lacks (self-managed clusters on cloud VMs), and still on GPU nodes that name no model "
              "(device plugin only, an unknown instance type); never on a node labelled with another "
              "GPU or of another GPU's machine type. It tolerates the "
              "`nvidia.com/gpu` and `amd.com/gpu` NoSchedule taints. A pod without GPUs prefers nodes "
              "without GPU labels, so it does not take a GPU machine where those are not tainted. An "
              "engine's own `nodeSelector` or `affinity` replaces the chart's affinity for its pods, its "
              "`tolerations` the chart's tolerations.", (
            Value("enabled", True, "Render the placement above. false: the pods carry only the "
                  "nodeSelector, affinity and tolerations you give.", BOOLEAN),
            Value("platforms", list(platforms.PLATFORMS), "Platforms whose GPU labels the affinity "
                  "lists: `gke` (cloud.google.com/gke-accelerator and the machine types), `eks` (Karpenter's "
                  "karpenter.k8s.aws/instance-gpu-name and the instance types of managed node groups), "
                  "`aks` (instance types: AKS labels no GPU model), `volcengine` (instance types), "
                  "`nvidia-gpu-operator` (nvidia.com/gpu.product), `amd-gpu-operator` "
                  "(amd.com/gpu.product-name), `unlabelled` (GPU nodes that name no model by label, as "
                  "with the vendor's device plugin alone, and whose instance type is unknown or one of the "
                  "GPU's own machines). All by default, so one profile schedules everywhere; "
                  "narrow it to yours to keep the rendered affinity short.",
                  {"type": "array", "minItems": 1, "uniqueItems": True,
                   "items": {"type": "string", "enum": list(platforms.PLATFORMS)}}),
        )),
        Group("fitCheck", "Refuse values whose model cannot load on the GPU they name, with the numbers "
              "and the nearest fix: the checkpoint's precision on that GPU (for the engine's vLLM release), "
              "tensor parallel against the attention heads, the weights per GPU against `memory x "
              "gpuMemoryUtilization` less the runtime overhead, and one sequence of `maxModelLen` against "
              "the KV cache left: the planner's arithmetic (`llm-serving plan`), redone at render time for "
              "the models and GPUs of the catalog. ollama is refused only what it can never hold: more "
              "than its GPUs and its memory limit together (it runs the layers beyond the GPU on the "
              "CPU). Models or GPUs the catalog does not know are not checked; the install notes say so.", (
            Value("enabled", True, "Check the fit. Set false only when you know better than the catalog "
                  "(a custom quantization, a patched engine): vLLM then reports a misfit at startup, after "
                  "the weights are downloaded.", BOOLEAN),
        )),
        Group("routing", "How requests reach an engine's replicas.", (
            Value("strategy", "service", "`service`: a Kubernetes Service spreads requests over the "
                  "replicas, blind to which one already holds a conversation's prefix in its KV cache and "
                  "which one is queueing. It needs nothing beyond the chart, which is why it is the default. "
                  "`prefixCache`: each request goes to the replica that holds the longest part of its prompt "
                  "in its prefix cache and has room, through each engine's own router: vLLM through a Gateway "
                  "API InferencePool (inference.networking.k8s.io/v1 CRD) and the endpoint picker the chart "
                  "deploys (one more Deployment), reached only through vllm.httpRoute on a Gateway whose "
                  "implementation supports InferencePool (Istio, agentgateway, NGINX Gateway Fabric); KubeRay "
                  "through Ray Serve LLM's PrefixCacheAffinityRouter in the serve config; AIBrix through its "
                  "gateway's `prefix-cache` routing strategy, named in the model's `model.aibrix.ai/config` pod "
                  "annotation (AIBrix v0.6 and newer read it). The chart refuses `prefixCache` with a message "
                  "for ollama (it has no cache-aware router) and for an engine that runs one replica at most "
                  "(there is no other replica to choose).",
                  {"type": "string", "enum": ["service", "prefixCache"]}),
        )),
        Value("imagePullSecrets", [],
              "Names of docker-registry Secrets used to pull every image of the release (mirrors, "
              "air-gapped registries). Empty: the node's own credentials are used.",
              {"type": "array", "items": K8S_NAME}),
    ),
)


def scheduling_values(vendor_hint: str) -> tuple[Value, ...]:
    """nodeSelector, tolerations and affinity, described once for every engine."""
    return (
        Value("nodeSelector", {},
              f"Node labels the pods must match, e.g. `{vendor_hint}`. Set, it replaces the chart's "
              "node affinity (global.placement) for these pods. Empty: the chart's placement.",
              STRING_MAP),
        Value("tolerations", [],
              "Tolerations of the pods. Set, they replace the chart's (the `nvidia.com/gpu` and "
              "`amd.com/gpu` NoSchedule taints for GPU pods). Empty: the chart's.", object_list()),
        Value("affinity", {}, "Pod affinity and anti-affinity, passed through as they are. Set, it "
              "replaces the chart's node affinity (global.placement) for these pods.",
              {"type": "object"}),
    )


def supplemental_groups_value() -> Value:
    """Extra GIDs of a GPU pod: AMD's device nodes belong to the host's render and video groups."""
    return Value("supplementalGroups", [], "Extra group IDs of the pod (`securityContext."
                 "supplementalGroups`). The containers run as UID/GID 10001; AMD GPUs' /dev/kfd and "
                 "/dev/dri/renderD* belong to the node's `render` and `video` groups, whose IDs differ "
                 "between distributions: give them here (`stat -c %g /dev/kfd /dev/dri/renderD128` on a "
                 "node), or apply AMD's udev rule (MODE=\"0666\" for kfd and renderD*). NVIDIA device "
                 "nodes need none.", {"type": "array", "items": {"type": "integer", "minimum": 1}})


def hostpath_level(uses_hostpath: bool) -> tuple[str, str]:
    """The Pod Security level a pod needs: `privileged` for a hostPath volume (baseline forbids
    them), else `restricted`."""
    return ("privileged", "hostPath volume for node-local weights") if uses_hostpath else ("restricted", "")


def cache_hostpath_level(values: dict[str, Any]) -> tuple[str, str]:
    """hostpath_level of an engine whose weights cache (cache_group) may be a hostPath."""
    return hostpath_level(values["cache"]["type"] == "hostPath")


def node_local_cache(ckpt: catalog.Checkpoint) -> dict[str, Any]:
    """The cache values of pods that each download their own copy of the weights (KubeRay's
    workers, the pods of a LeaderWorkerSet group): node-local scratch space sized for it."""
    cache_gib = math.ceil(ckpt.weights_gib * 1.2)
    return {"type": "emptyDir", "emptyDir": {"sizeLimit": f"{cache_gib}Gi"}, "pvc": {"size": f"{cache_gib}Gi"}}


def rdma_group(enabled: bool, preset: str, gpus_field: str, off_note: str) -> Group:
    """RDMA for NCCL between the nodes, the same keys for every engine that spans nodes (rendered
    by the common chart's common.rdma helpers). `gpus_field` is the engine's GPUs-per-pod key."""
    return Group("rdma", f"RDMA for NCCL between the nodes. Off: NCCL falls back to TCP sockets ({off_note}), "
                 "much slower for tensor parallelism across nodes. On, the pods add IPC_LOCK (NCCL pins "
                 "memory for the NICs) and run as root, where Kubernetes lets an added capability take "
                 "effect: Pod Security `privileged`.", (
        Value("enabled", enabled, "Request RDMA devices and configure NCCL for InfiniBand/RoCE.", BOOLEAN),
        Value("preset", preset, "`volcengine`: the resource `vke.volcengine.com/rdma` and the "
              "`k8s.volcengine.com/pod-networks` annotation of AIBrix's DeepSeek-R1 sample. `generic`: "
              "`resourceName` below and `annotations` as given (e.g. Multus `k8s.v1.cni.cncf.io/networks`).",
              {"type": "string", "enum": ["volcengine", "generic"]}),
        Value("devices", None, f"RDMA devices requested per pod. Null: one per GPU (`{gpus_field}`), what "
              "the sample does and what GPUDirect RDMA needs: each GPU talks through the HCA on its own "
              "PCIe switch. `volcengine` requires exactly one per GPU; `generic` accepts fewer (a "
              "shared-device plugin exposes one device for all HCAs), never more than the GPUs.",
              {"type": ["integer", "null"], "minimum": 0},
              required=False),  # helm drops a null default, so the key may be absent
        Value("resourceName", "rdma/rdma_shared_device_a", "Extended resource of the RDMA device "
              "plugin (generic preset).", string(r"^[a-z0-9.-]+/[a-zA-Z0-9_.-]+$")),
        Value("annotations", {}, "Pod annotations attaching the RDMA networks (generic preset).",
              STRING_MAP),
        Value("hcas", "mlx5_1:1,mlx5_2:1,mlx5_3:1,mlx5_4:1,mlx5_5:1,mlx5_6:1,mlx5_7:1,mlx5_8:1",
              "`NCCL_IB_HCA`: the host channel adapters NCCL uses.", string()),
        Value("gidIndex", -1, "`NCCL_IB_GID_INDEX` for RoCE (Volcano Engine uses 7); -1 leaves "
              "NCCL's default.", integer(-1)),
    ))


def rdma_cache_level(values: dict[str, Any]) -> tuple[str, str]:
    """Pod Security of an engine with `rdma` and a weights cache that may be a hostPath."""
    return rdma_level(values["rdma"]["enabled"], cache_hostpath_level(values))


def rdma_level(rdma: bool, level: tuple[str, str]) -> tuple[str, str]:
    """`level` (hostpath_level's), raised to `privileged` for RDMA pods: IPC_LOCK as root."""
    if not rdma:
        return level
    return "privileged", ", ".join(filter(None, ["IPC_LOCK as root for RDMA", level[1]]))


def gpu_model_value(what: str) -> Value:
    """The planned GPU model of an engine's GPU pods, which global.placement pins them to."""
    return Value("model", "", f"Catalog name of the GPU {what} are planned for (e.g. H100-80GB); "
                 "global.placement pins GPU pods to nodes of that GPU on every platform. Empty: any "
                 "node with the GPU resource. Profiles set it.",
                 {"type": "string", "enum": ["", *sorted(platforms.LABELS)]})


HF_TOKEN = Group(
    "hfToken", "Hugging Face token for gated or private repositories, read from an existing "
    "Secret mounted read-only as the file `HF_TOKEN_PATH` names (huggingface_hub reads it), so "
    "the token is in no environment variable.", (
        Value("existingSecret", "", "Secret name. Empty: no token (DeepSeek repositories are "
              "public).", K8S_NAME),
        Value("secretKey", "token", "Key inside the Secret holding the token.", string(minLength=1)),
    ))

OFFLINE = Value(
    "offline", False, "Set `HF_HUB_OFFLINE=1`: no download is attempted and the weights must "
    "already be in the cache (a prepared PVC or host directory). Needs `cache.type` pvc with "
    "`existingClaim`, or hostPath.", BOOLEAN)

ACCESS_MODES = ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"]


def cache_group(default_type: str = "pvc", size: str = "100Gi",
                access_modes: tuple[str, ...] = ("ReadWriteOnce",), env: str = "HF_HOME") -> Group:
    """Where downloaded weights live (`env` points there); the same choices for every engine."""
    return Group("cache", f"Where downloaded weights live (`{env}`). A persistent cache makes "
                 "restarts and scale-ups skip the download.", (
        Value("type", default_type, "`pvc`: a PersistentVolumeClaim (created, or "
              "`pvc.existingClaim`); `hostPath`: a directory on the node, e.g. local NVMe; "
              "`emptyDir`: scratch space on the node, weights are downloaded at every pod start.",
              {"type": "string", "enum": ["pvc", "hostPath", "emptyDir"]}),
        Value("mountPath", "/models", f"Mount path of the cache in the container; `{env}` "
              "points here.", string(r"^/")),
        Group("pvc", "PersistentVolumeClaim used when `type` is pvc.", (
            Value("existingClaim", "", "Use this claim instead of creating one (e.g. filled "
                  "beforehand for offline installs). Empty: the chart creates a claim that "
                  "`helm uninstall` keeps (`helm.sh/resource-policy: keep`), so weights survive "
                  "a reinstall.", K8S_NAME),
            Value("size", size, "Size of the created claim: the checkpoint plus about 20% for "
                  "the hub's temporary files.", QUANTITY),
            Value("storageClassName", "", "StorageClass of the created claim. Empty: the cluster "
                  "default.", string()),
            Value("accessModes", list(access_modes), "Access modes of the created claim. Use "
                  "ReadWriteMany when more than one pod mounts it (several replicas or nodes), "
                  "otherwise pods on other nodes cannot mount it.",
                  {"type": "array", "minItems": 1, "items": {"type": "string", "enum": ACCESS_MODES}}),
        )),
        Group("hostPath", "Node directory used when `type` is hostPath (local NVMe). A hostPath "
              "volume is a node-local hardware need that Pod Security admits only at `privileged` "
              "(label the namespace `pod-security.kubernetes.io/enforce=privileged`); everything else "
              "about the pod meets `restricted`. The pod runs as UID/GID 10001, which must be able to "
              "write the directory: create it on each node with `install -d -o 10001 -g 10001 <path>` "
              "(a directory kubelet creates is root's).", (
            Value("path", "/mnt/models", "Absolute directory on the node.", string(r"^/")),
            Value("type", "DirectoryOrCreate", "hostPath type; use Directory to fail fast when "
                  "the disk is not mounted.",
                  {"type": "string", "enum": ["DirectoryOrCreate", "Directory"]}),
        )),
        Group("emptyDir", "Scratch volume used when `type` is emptyDir.", (
            Value("sizeLimit", size, "Upper bound of node disk the download may use.", QUANTITY),
        )),
    ))


HOST_NAME = string(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$")


def ingress_group(annotation_hint: str = "") -> Group:
    """Optional Ingress in front of a Service; the same keys for every component."""
    return Group("ingress", "Optional Ingress for clients outside the cluster.", (
        Value("enabled", False, "Create the Ingress.", BOOLEAN),
        Value("className", "", "IngressClass name (e.g. nginx). Empty: the cluster default.",
              string()),
        Value("host", "", "Host name clients use; required when enabled.", HOST_NAME),
        Value("annotations", {}, ("Ingress annotations. " + annotation_hint).strip(), STRING_MAP),
        Group("tls", "TLS termination at the Ingress.", (
            Value("enabled", False, "Serve HTTPS for `host`.", BOOLEAN),
            Value("secretName", "", "TLS Secret (e.g. issued by cert-manager); required when TLS "
                  "is enabled.", K8S_NAME),
        )),
    ))


def http_route_group() -> Group:
    """Gateway API HTTPRoute, the alternative to an Ingress; the same keys for every component."""
    return Group("httpRoute", "Optional Gateway API HTTPRoute (an alternative to the Ingress; needs "
                 "the Gateway API CRDs and a Gateway). Admit the Gateway's namespace in "
                 "global.networkPolicy.ingressNamespaces.", (
        Value("enabled", False, "Create the HTTPRoute.", BOOLEAN),
        Value("parentRefs", [], "Gateways to attach to, e.g. `[{name: external, namespace: "
              "gateway-system}]`.", object_list(["name"])),
        Value("hostnames", [], "Host names served; empty: every host of the Gateway listener.",
              {"type": "array", "items": HOST_NAME}),
        Value("requestTimeout", "600s", "Request timeout; streamed reasoning answers last minutes.",
              string(r"^([0-9]+(h|m|s|ms))+$")),
    ))


def metrics_group(doc: str, dashboard: bool) -> Group:
    """ServiceMonitor and Grafana dashboard switches, the same keys for every engine."""
    children: list[Value] = [
        Value("serviceMonitor", False, "Create a ServiceMonitor (needs the Prometheus operator's "
              "monitoring.coreos.com/v1 CRDs).", BOOLEAN),
        Value("interval", "30s", "Scrape interval.", string(r"^[0-9]+(ms|s|m)$")),
    ]
    if dashboard:
        children.append(Value("grafanaDashboard", False, "Ship a Grafana dashboard as a ConfigMap "
                              "labelled `grafana_dashboard: \"1\"` for Grafana's dashboard sidecar.",
                              BOOLEAN))
    return Group("metrics", doc, tuple(children))


def hpa_values(memory_note: str) -> tuple[Value, ...]:
    """HorizontalPodAutoscaler keys shared by the Deployment-based engines."""
    return (
        Value("enabled", False, "Create the HPA (replicaCount is then ignored).", BOOLEAN),
        Value("minReplicas", 1, "Lowest replica count.", integer(1)),
        Value("maxReplicas", 2, "Highest replica count.", integer(1)),
        Value("targetCPUUtilizationPercentage", 80, "Average CPU utilization (% of the "
              "request) that triggers a scale-up; 0 disables this metric.", integer(0, 100)),
        Value("targetMemoryUtilizationPercentage", 0, "Average memory utilization (% of the "
              "request); 0 disables this metric. " + memory_note, integer(0, 100)),
    )
