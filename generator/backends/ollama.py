"""ollama: GGUF-quantized models on CPU or one consumer GPU, with models preloaded before the
pod turns Ready."""

from __future__ import annotations

import math
from typing import Any

from .. import catalog
from ..interface import Group, Value
from . import Backend
from .common import (
    BOOLEAN,
    STRING_MAP,
    cache_group,
    hpa_values,
    http_route_group,
    image_group,
    ingress_group,
    integer,
    object_list,
    resources_schema,
    scheduling_values,
    string,
)

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
            Value("count", 0, "GPUs of the pod; 0 runs on CPU. ollama uses one GPU per model "
                  "well; more only for models that do not fit one.", integer(0)),
            Value("vendor", "nvidia", "GPU vendor when count > 0: nvidia (`nvidia.com/gpu`) or "
                  "amd (`amd.com/gpu`, ROCm image).",
                  {"type": "string", "enum": sorted(catalog.VENDOR_RESOURCES)}),
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


RUNTIME_GIB = 1.0  # llama.cpp compute buffers and runtime besides weights and KV cache
CPU_MIN_MEMORY_GIB = 8  # seed 003's minimum for a CPU pod (the 1.5b model: 2 CPUs, 8 GiB)


def _need(profile: Any) -> tuple[float, float]:
    """(weights, KV cache) in GiB: ollama allocates contextLength x numParallel KV up front."""
    model = catalog.MODELS[profile.model]
    kv = model.kv_bytes_per_token() * profile.max_model_len * profile.max_num_seqs / catalog.GIB
    return profile.checkpoint.weights_gib, kv


def arithmetic(profile: Any) -> list[str]:
    weights, kv = _need(profile)
    where = f"{catalog.GPUS[profile.gpu].memory_gib:.1f} GiB of {profile.gpu}" if profile.gpu \
        else "the pod's memory request"
    lines = [
        f"weights  {weights:.1f} GiB ({profile.checkpoint.repo}, "
        f"{profile.checkpoint.source.split('(')[-1].rstrip(')')})",
        f"KV cache {kv:.1f} GiB = {profile.max_model_len} tokens x {profile.max_num_seqs} parallel x "
        f"{catalog.MODELS[profile.model].kv_bytes_per_token() // 1024} KiB per token (f16)",
        f"total    {weights + kv + RUNTIME_GIB:.1f} GiB with {RUNTIME_GIB:.0f} GiB runtime, within {where}",
    ]
    return lines


def profile_values(profile: Any) -> dict[str, Any]:
    """ollama profiles: one model tag, CPU (gpu None) or one GPU; memory from size + KV cache."""
    weights, kv = _need(profile)
    total = weights + kv + RUNTIME_GIB
    values: dict[str, Any] = {
        "models": {"pull": [profile.checkpoint.repo]},
        "server": {"contextLength": profile.max_model_len, "numParallel": profile.max_num_seqs},
        "cache": {"pvc": {"size": f"{math.ceil(weights * 1.5 + 5)}Gi"}},
    }
    if profile.gpu:
        gpu = catalog.GPUS[profile.gpu]
        if total > gpu.memory_gib:
            raise catalog.DoesNotFit(
                f"{profile.checkpoint.repo} with {profile.max_model_len} tokens x {profile.max_num_seqs} "
                f"needs {total:.1f} GiB, more than the {gpu.memory_gib:.1f} GiB of {gpu.name}")
        values["gpu"] = {"count": profile.gpus_per_node, "vendor": gpu.vendor}
        memory = math.ceil(weights + 4)  # host RAM while loading; weights and KV live in VRAM
    else:
        memory = max(CPU_MIN_MEMORY_GIB, math.ceil(total + 1))
    values["resources"] = {"requests": {"cpu": str(profile.cpu_per_replica), "memory": f"{memory}Gi"},
                           "limits": {"memory": f"{memory}Gi"}}
    if profile.tolerations():
        values["tolerations"] = profile.tolerations()
    return values


def catalog_file() -> dict[str, Any]:
    """files/models.json of the subchart: what the templates need to size pods per model tag."""
    models = {}
    for model in catalog.MODELS.values():
        tag = model.ollama_tag()
        if tag:
            models[tag.repo] = {"sizeGiB": tag.weights_gib,
                                "kvGiBPerKToken": round(model.kv_bytes_per_token() * 1024 / catalog.GIB, 4)}
    return {"models": dict(sorted(models.items()))}


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
    arithmetic=arithmetic,
    other_images=(f"ollama/ollama:{OLLAMA_VERSION}-rocm",),
)
