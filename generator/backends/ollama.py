"""ollama: GGUF-quantized models on CPU or one consumer GPU, with models preloaded before the
pod turns Ready."""

from __future__ import annotations

import json
import math
from typing import Any

from .. import catalog
from ..interface import Group, Value
from ..model import Hardware, Request, Shape
from . import Backend
from .common import (
    BOOLEAN,
    STRING_MAP,
    cache_group,
    cache_hostpath_level,
    gpu_model_value,
    hpa_values,
    http_route_group,
    image_group,
    ingress_group,
    integer,
    object_list,
    resources_schema,
    scheduling_values,
    string,
    supplemental_groups_value,
)

# RAM assumed for a CPU node when the hardware does not say (a 4-vCPU, 16 GiB machine such as
# e2-standard-4 or m5.xlarge); the plan states the assumption.
DEFAULT_CPU_MEMORY_GIB = 16

# Pinned ollama release (the one the reference ollama-helm chart 1.77.0 ships); bump it here
# and run `llm-serving generate`. AMD GPUs use the `<version>-rocm` image, which the chart
# selects from gpu.vendor.
OLLAMA_VERSION = "0.32.15"

# A model reference as ollama parses it (types/model/name.go), `[host/][namespace/]model:tag`,
# with an explicit tag: `deepseek-r1:8b`, `library/deepseek-r1:1.5b`,
# `hf.co/unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF:Q4_K_M`, `registry.example.com/team/model:q4`.
# Parts are letters (either case: ollama compares names case-insensitively), digits, `_`, `-` and
# single dots; two segments are namespace/model (a namespace has no dot), three are
# host/namespace/model (ollama's parser takes no port). Tag-less references would pull
# `latest`, a moving target.
_DOTTED = r"[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*"
MODEL_REF = rf"^(({_DOTTED}/)?[A-Za-z0-9_][A-Za-z0-9_-]*/)?{_DOTTED}:{_DOTTED}$"

INTERFACE = Group(
    key="ollama",
    doc="ollama server for GGUF-quantized models on CPU or a consumer GPU. It has no "
        "authentication: by default only the release's chat UI may reach it.",
    children=(
        image_group("Container image of the ollama server.", "ollama/ollama", OLLAMA_VERSION,
                    "Image tag, pinned to an ollama release; `-rocm` is appended for AMD GPUs."),
        Value("replicaCount", 1, "Server pods. Above 1, share the model store with a "
              "ReadWriteMany claim.", integer(0)),
        Group("models", "Models the pod must have before it turns Ready.", (
            Value("pull", ["deepseek-r1:1.5b"], "Models with an explicit tag, pulled by an init "
                  "container before the server starts (no race with the readiness of the pod); "
                  "a failed pull fails the pod, its log is `kubectl logs <pod> -c pull-models`. "
                  "The first one is the default model of the chat UI.",
                  {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": MODEL_REF}}),
            Value("offline", False, "Pull nothing: the models must already be in the store (an "
                  "existing claim or host directory prepared with `ollama pull` elsewhere). A "
                  "missing model stops the pod at startup with its name.", BOOLEAN),
        )),
        cache_group(default_type="pvc", size="20Gi", env="OLLAMA_MODELS"),
        Group("gpu", "Optional GPU. Small models run on CPU; larger ones need a GPU.", (
            gpu_model_value("the pod (with gpu.count > 0)"),
            Value("count", 0, "GPUs of the pod; 0 runs on CPU. ollama uses one GPU per model "
                  "well; more only for models that do not fit one.", integer(0)),
            Value("vendor", "nvidia", "GPU vendor when count > 0: nvidia (`nvidia.com/gpu`) or "
                  "amd (`amd.com/gpu`, ROCm image).",
                  {"type": "string", "enum": sorted(catalog.VENDOR_RESOURCES)}),
            supplemental_groups_value(),
            Value("runtimeClassName", "", "RuntimeClass of GPU nodes (seed setups define one "
                  "named `nvidia` for the NVIDIA container runtime). Empty: the node default.",
                  string()),
        )),
        Value("resources", {}, "CPU and memory of the server. Empty: derived from the largest "
              "model in `models.pull` (its size plus KV cache for `server.contextLength`, and "
              "at least 2 CPUs and 8 GiB on CPU, as seed 003 sizes the 1.5b model).", resources_schema()),
        Group("server", "ollama server settings (environment variables).", (
            Value("keepAlive", "24h", "`OLLAMA_KEEP_ALIVE`: how long a model stays loaded after "
                  "its last request. Long, because reloading costs seconds to minutes.",
                  string(r"^(-1|[0-9]+(ms|s|m|h)?)$")),
            Value("numParallel", 2, "`OLLAMA_NUM_PARALLEL`: requests a loaded model serves at "
                  "once; each holds its own KV cache of contextLength tokens.", integer(1)),
            Value("contextLength", 8192, "`OLLAMA_CONTEXT_LENGTH`: context window in tokens. R1 "
                  "reasoning traces are long; ollama's small default truncates them.",
                  integer(512)),
            Value("maxLoadedModels", 1, "`OLLAMA_MAX_LOADED_MODELS`: models held in memory at "
                  "once.", integer(1)),
        )),
        Group("service", "Service of the API (ollama's native API and `/v1` OpenAI-compatible).", (
            Value("type", "ClusterIP", "Service type. Anything but ClusterIP exposes an "
                  "unauthenticated API and needs `exposure.allowUnauthenticated`.",
                  {"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer"]}),
            Value("port", 11434, "Service port; ollama's own default.", integer(1, 65535)),
        )),
        ingress_group("ollama has no authentication: put an authenticating proxy in front."),
        http_route_group(),
        Group("autoscaling", "HorizontalPodAutoscaler on CPU (ollama on CPU is CPU-bound) or memory. "
              "ollama exports no queue metric, so there is no KEDA trigger; share the model store "
              "(ReadWriteMany) before scaling out.", hpa_values("Loaded models hold memory whether "
              "busy or not, so off by default.")),
        Group("exposure", "ollama has no authentication.", (
            Value("allowUnauthenticated", False, "Required to expose the API outside the release "
                  "(Ingress, HTTPRoute, NodePort, LoadBalancer or extra NetworkPolicy peers): whoever reaches "
                  "it can run and pull models.", BOOLEAN),
        )),
        Group("networkPolicy", "NetworkPolicy limiting who reaches the API.", (
            Value("enabled", True, "Allow ingress to ollama only from the release's chat UI and "
                  "`allowFrom`.", BOOLEAN),
            Value("allowFrom", [], "More NetworkPolicyPeer objects allowed in (e.g. the ingress "
                  "controller's namespace); needs `exposure.allowUnauthenticated`.", object_list()),
        )),
        *scheduling_values("accelerator: nvidia"),
        Group("probes", "Probes. Readiness also checks that every model in `models.pull` is "
              "present.", (
            Value("readinessPeriodSeconds", 10, "Seconds between readiness checks.", integer(1)),
            Value("livenessPeriodSeconds", 30, "Seconds between liveness checks of the API.",
                  integer(1)),
        )),
        Value("podAnnotations", {}, "Annotations added to the pods.", STRING_MAP),
        Value("extraEnv", [], "Extra environment variables (Kubernetes EnvVar objects).",
              object_list(["name"])),
    ),
)


# ---------------------------------------------------------------- sizing: the one formula
# The planner, profile_values and the chart (through files/models.json, which carries these
# constants) size an ollama pod the same way:
#   KV cache  = KV bytes per token x contextLength x numParallel (ollama allocates it up front)
#   need      = weights + KV cache + RUNTIME_GIB                 (what must fit VRAM, or RAM on CPU)
#   memory    = CPU: max(CPU_MIN_MEMORY_GIB, ceil(need + CPU_HEADROOM_GIB))
#               GPU: ceil(weights + GPU_HOST_MEMORY_GIB)         (weights and KV live in VRAM)
#   cpu       = CPU_CPUS on CPU, GPU_CPUS with a GPU
RUNTIME_GIB = 1.0  # llama.cpp compute buffers and runtime besides weights and KV cache
CPU_HEADROOM_GIB = 1  # above the need on CPU: the Go server, page cache of the model file
CPU_MIN_MEMORY_GIB = 8  # seed 003's minimum for a CPU pod (the 1.5b model: 2 CPUs, 8 GiB)
GPU_HOST_MEMORY_GIB = 4  # host RAM beside the weights while they load into VRAM
CPU_CPUS = 2  # seed 003: 2 CPUs for the 1.5b model
GPU_CPUS = 4  # with a GPU the CPU only feeds it: tokenizer, sampling, HTTP
DEFAULT_PARALLEL = 2  # requests served at once when the plan does not say (OLLAMA_NUM_PARALLEL)


def kv_gib(model: catalog.Model, context: int, parallel: int) -> float:
    return model.kv_bytes_per_token() * context * parallel / catalog.GIB


def memory_gib(weights_gib: float, kv_cache_gib: float, on_gpu: bool) -> int:
    """The pod's memory request and limit, GiB."""
    if on_gpu:
        return math.ceil(weights_gib + GPU_HOST_MEMORY_GIB)
    return max(CPU_MIN_MEMORY_GIB, math.ceil(weights_gib + kv_cache_gib + RUNTIME_GIB + CPU_HEADROOM_GIB))


def cpus(on_gpu: bool) -> int:
    return GPU_CPUS if on_gpu else CPU_CPUS


def fit(model: catalog.Model, ckpt: catalog.Checkpoint, gpu: catalog.Gpu | None, hw: Hardware, shape: Shape,
        utilization: float, context: int, req: Request) -> catalog.Fit:
    """The model and its KV cache in the GPU's memory, or the memory request within the node's
    RAM on CPU (DEFAULT_CPU_MEMORY_GIB when the hardware does not say)."""
    parallel = req.max_num_seqs or DEFAULT_PARALLEL
    weights, kv = ckpt.weights_gib, kv_gib(model, context, parallel)
    need = weights + kv + RUNTIME_GIB
    if gpu:
        capacity: float = gpu.memory_gib
        request: float = need
        where = f"{gpu.memory_gib:.1f} GiB of {gpu.name}"
        asks = f"{need:.1f} GiB"
    else:
        capacity = hw.memory_gib_per_node or DEFAULT_CPU_MEMORY_GIB
        request = memory_gib(weights, kv, on_gpu=False)
        where = f"{capacity} GiB of RAM" + (" assumed per node (pass --memory)" if hw.memory_gib_per_node is None
                                            else "")
        asks = (f"a {request} GiB memory request ({need:.1f} GiB + {CPU_HEADROOM_GIB}, at least "
                f"{CPU_MIN_MEMORY_GIB})")
    if request > capacity:
        raise catalog.DoesNotFit(f"{ckpt.repo} needs {asks} (weights {weights:.1f}, KV cache "
                                 f"{kv:.1f} for {context} tokens x {parallel}), more than the {where}",
                                 {"needGiB": round(float(request), 1), "capacityGiB": capacity})
    return catalog.Fit(capacity, 1.0, weights, RUNTIME_GIB, kv, context * parallel, context, parallel)


def no_expert_parallel(model: catalog.Model, ckpt: catalog.Checkpoint, gpu: catalog.Gpu | None, hw: Hardware,
                       shape: Shape, asked: bool) -> str:
    if asked:
        raise ValueError("--expert-parallel: ollama (llama.cpp) has no expert-parallel option; use --engine vllm")
    return ""


def notes(hw: Hardware) -> tuple[str, ...]:
    if hw.gpu is None and hw.memory_gib_per_node is None:
        return (f"RAM per node assumed to be {DEFAULT_CPU_MEMORY_GIB} GiB: pass --memory "
                "(memoryGiB in a hardware file) with your nodes' size",)
    return ()


def arithmetic(profile: Any) -> list[str]:
    model = catalog.MODELS[profile.model]
    weights, kv = profile.checkpoint.weights_gib, kv_gib(model, profile.max_model_len, profile.max_num_seqs)
    where = f"{catalog.GPUS[profile.gpu].memory_gib:.1f} GiB of {profile.gpu}" if profile.gpu \
        else "the pod's memory request"
    lines = [
        f"weights  {weights:.1f} GiB ({profile.checkpoint.repo}, "
        f"{profile.checkpoint.source.split('(')[-1].rstrip(')')})",
        f"KV cache {kv:.1f} GiB = {profile.max_model_len} tokens x {profile.max_num_seqs} parallel x "
        f"{model.kv_bytes_per_token() // 1024} KiB per token (f16)",
        f"total    {weights + kv + RUNTIME_GIB:.1f} GiB with {RUNTIME_GIB:.0f} GiB runtime, within {where}",
    ]
    return lines


def profile_values(profile: Any) -> dict[str, Any]:
    """ollama profiles: one model tag, CPU (gpu None) or one GPU; memory from size + KV cache (the
    planner's fit has checked that they fit)."""
    weights = profile.checkpoint.weights_gib
    values: dict[str, Any] = {
        "models": {"pull": [profile.checkpoint.repo]},
        "server": {"contextLength": profile.max_model_len, "numParallel": profile.max_num_seqs},
        "cache": {"pvc": {"size": f"{math.ceil(weights * 1.5 + 5)}Gi"}},
    }
    if profile.gpu:
        gpu = catalog.GPUS[profile.gpu]
        values["gpu"] = {"count": profile.gpus_per_pod, "vendor": gpu.vendor, "model": gpu.name}
    memory = f"{profile.memory_gib_per_pod}Gi"
    values["resources"] = {"requests": {"cpu": str(profile.cpu_per_pod), "memory": memory},
                           "limits": {"memory": memory}}
    return values


def catalog_file() -> dict[str, Any]:
    """files/models.json of the subchart: the sizing constants above and, per model tag, what the
    templates need to size a pod for it."""
    models = {}
    for model in catalog.MODELS.values():
        tag = model.ollama_tag()
        if tag:
            models[tag.repo] = {"sizeGiB": tag.weights_gib,
                                "kvGiBPerKToken": round(model.kv_bytes_per_token() * 1024 / catalog.GIB, 4)}
    sizing = {"runtimeGiB": RUNTIME_GIB, "cpuHeadroomGiB": CPU_HEADROOM_GIB, "cpuMinMemoryGiB": CPU_MIN_MEMORY_GIB,
              "gpuHostMemoryGiB": GPU_HOST_MEMORY_GIB, "cpuCpus": CPU_CPUS, "gpuCpus": GPU_CPUS}
    return {"sizing": sizing, "models": dict(sorted(models.items()))}


def models_json(cmd: str) -> str:
    return json.dumps({"$comment": f"Generated by `{cmd}` from generator/catalog.py and "
                       "generator/backends/ollama.py; do not edit by hand.", **catalog_file()}, indent=2) + "\n"


def summary(values: dict[str, Any]) -> dict[str, str]:
    gpus = values["gpu"]["count"]
    return {
        "model": ", ".join(values["models"]["pull"]),
        "gpus": f"{gpus} x {values['replicaCount']} replica(s)" if gpus else "CPU only",
        "parallel": "-",
    }


BACKEND = Backend(
    name="ollama",
    description="ollama server for DeepSeek-R1 distills on CPU or a consumer GPU",
    app_version=OLLAMA_VERSION,
    keywords=("ollama", "llm", "deepseek-r1", "cpu", "gguf"),
    interface=INTERFACE,
    profile_values=profile_values,
    summary=summary,
    pod_security=cache_hostpath_level,
    arithmetic=arithmetic,
    # The chart appends -rocm to the tag for AMD GPUs (ollama.image).
    images={"nvidia": f"ollama/ollama:{OLLAMA_VERSION}", "amd": f"ollama/ollama:{OLLAMA_VERSION}-rocm"},
    precisions=(catalog.OLLAMA_Q4,),
    weights_doc=f"4-bit GGUF tags ({catalog.OLLAMA_Q4})",
    needs_gpu=False,
    # CPU-only nodes and consumer GPUs: GGUF weights, a few users at a time.
    chosen_for=lambda hw, gpu: gpu is None or gpu.consumer,
    shapes=lambda hw: [Shape(1, 1, 1 if hw.gpu else 0)],
    fit=fit,
    utilizations=(1.0,),
    pod_cpu=lambda hw, shape: cpus(shape.gpus_per_pod > 0),
    pod_memory_gib=lambda model, ckpt, shape, fit, gpu: memory_gib(fit.weights_gib, fit.kv_gib, gpu is not None),
    notes=notes,
    expert_parallel=no_expert_parallel,
    # ollama quantizes its cache to q8_0 or q4_0 (OLLAMA_KV_CACHE_TYPE), never to FP8.
    kv_cache_fp8=lambda model, gpu: "ollama's KV cache types are f16, q8_0 and q4_0, not FP8",
    files=lambda cmd: {"files/models.json": models_json(cmd)},
)
