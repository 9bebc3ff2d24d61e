"""KubeRay RayService: Ray Serve LLM (`ray.serve.llm:build_openai_app`) on a Ray cluster whose
GPU worker groups may span several nodes (tensor parallel within a node, pipeline parallel
across nodes), or Ray Serve LLM's data-parallel attention (`ray.serve.llm:build_dp_openai_app`)
for a MoE model. Needs the KubeRay operator in the cluster."""

from __future__ import annotations

from typing import Any

from .. import catalog, dashboards, interface
from ..interface import Group, Value
from . import Backend
from .common import (
    BOOLEAN,
    HF_TOKEN,
    OFFLINE,
    QUANTITY,
    STRING_MAP,
    cache_group,
    data_parallel_values,
    fp8_kv_cache,
    gpu_model_value,
    http_route_group,
    image_group,
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
    string,
    vllm_planning,
)

# Ray release of the image and of `rayVersion`; the image is the one KubeRay v1.7.0's
# ray-service.deepseek.yaml sample runs. Bump both here and run `llm-serving generate`.
RAY_VERSION = "2.52.0"
RAY_IMAGE_TAG = f"{RAY_VERSION}-py311-cu128"
# The vLLM Ray 2.52 serves with: its `llm` extra requires vllm>=0.11.0 (the bump of ray PR #57201);
# the bump to 0.12 (ray PR #58026) was still open when 2.52.0 was built. The image's lock file was
# not read, so the image may hold a later 0.11 patch release.
RAY_VLLM_VERSION = "0.11.0"

DTYPES = ["auto", "bfloat16", "float16", "half", "float32", "float"]
RAY_PARAMS = {"type": "object", "additionalProperties": {"type": "string"}}

ENGINE_KWARGS = Group("engineKwargs", "vLLM engine arguments of this model (Ray Serve LLM's "
                      "`engine_kwargs`, snake_case in the rendered serve config).", (
    Value("tensorParallelSize", 1, "`tensor_parallel_size`: GPUs each layer is split over; at "
          "most the GPUs of one worker node.", integer(1)),
    Value("pipelineParallelSize", 1, "`pipeline_parallel_size`: stages the layers are split "
          "into, one per worker node when the model spans nodes.", integer(1)),
    Value("gpuMemoryUtilization", 0.9, "`gpu_memory_utilization`: fraction of each GPU for "
          "weights, activations and KV cache.",
          {"type": "number", "exclusiveMinimum": 0, "maximum": 0.98}),
    Value("dtype", "auto", "`dtype`; auto keeps the checkpoint's (FP8 weights of R1 compute "
          "in bf16).", {"type": "string", "enum": DTYPES}),
    Value("dataParallelSize", 1, "`data_parallel_size`: data-parallel attention ranks (Ray Serve LLM's "
          "data-parallel application, `ray.serve.llm:build_dp_openai_app` of Ray 2.52, instead of "
          "`build_openai_app`). Each rank is one Serve replica of tensorParallelSize x pipelineParallelSize GPUs "
          "(its own placement group, STRICT_PACK: on one node) with its own vLLM engine: attention and the "
          "dense layers whole on every rank, each rank's own KV cache and maxNumSeqs, a MoE's routed experts "
          "spread over all ranks (set `extra.enable_expert_parallel: true`, as planned profiles do). For "
          "DeepSeek's MLA, whose KV cache tensor parallelism copies to every GPU, this holds several times the "
          "concurrent sequences of tensor parallel 8 on one node (vLLM's DeepSeek recipe runs it for high "
          "load). The ranks fill the worker pods node by node (`experimental_configs.dp_size_per_node` = a "
          "worker's gpus / (tensorParallelSize x pipelineParallelSize), which Ray requires), so every worker "
          "group has the same `gpus` and the ranks' GPUs equal the workers'; across several workers the "
          "experts' all-to-all runs between nodes on every layer: plan it only with `rdma.enabled`. The "
          "application then serves this one llmConfig, with one replica per rank: `autoscaling` stays at 1 "
          "(Ray refuses num_replicas and autoscaling_config for it). Ray 2.52's vLLM (0.11) picks the "
          "experts' all-to-all from the environment: `runtimeEnvVars.VLLM_ALL2ALL_BACKEND` (default "
          "allgather_reducescatter, over any NCCL network; the DeepEP backends need DeepEP's kernels in the "
          "image and, across nodes, GPUDirect RDMA). 1 (or absent): no data parallelism.", integer(1),
          required=False),
    Value("maxNumSeqs", 64, "`max_num_seqs`: sequences batched at once per replica (per rank with "
          "dataParallelSize).", integer(1)),
    Value("maxModelLen", 32768, "`max_model_len`: tokens of prompt plus output per sequence.",
          integer(256)),
    Value("enableChunkedPrefill", True, "`enable_chunked_prefill`: interleave long prompts "
          "with decoding.", BOOLEAN),
    Value("enablePrefixCaching", True, "`enable_prefix_caching`: reuse KV cache of shared "
          "prompt prefixes.", BOOLEAN),
    Value("extra", {}, "More engine kwargs, passed as they are (snake_case keys, e.g. "
          "`kv_cache_dtype: fp8`). A key set above may not be repeated here.",
          {"type": "object"}, required=False),
))

LLM_CONFIG = Group("llmConfig", "One model served by the application.", (
    Value("modelId", "deepseek-r1", "`model_loading_config.model_id`: the `model` clients "
          "send.", string(minLength=1)),
    Value("modelSource", "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
          "`model_loading_config.model_source`: Hugging Face repository id or a path in the "
          "cache.", string(minLength=1)),
    Value("acceleratorType", "", "`accelerator_type`: Ray accelerator name the replicas are "
          "placed on (H100, L4, A100-80G ...). Empty: any GPU.", string(), required=False),
    Group("autoscaling", "`deployment_config.autoscaling_config`: replicas of this model, each "
          "using tensorParallelSize x pipelineParallelSize GPUs (with engineKwargs.dataParallelSize above 1 "
          "both stay 1: the ranks are the replicas).", (
        Value("minReplicas", 1, "`min_replicas`.", integer(0)),
        Value("maxReplicas", 1, "`max_replicas`; the GPUs of the worker groups must hold this "
              "many replicas.", integer(1)),
    )),
    Value("runtimeEnvVars", {}, "`runtime_env.env_vars`: environment of the replica's "
          "processes.", STRING_MAP, required=False),
    ENGINE_KWARGS,
))

WORKER_GROUP = Group("workerGroup", "One group of identical GPU worker pods (one pod per node).", (
    Value("groupName", "gpu-group", "Name of the group (`groupName`).",
          string(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")),
    Value("replicas", 1, "Worker pods. Without autoscaling minReplicas = maxReplicas = replicas.",
          integer(0)),
    Value("minReplicas", 1, "Lowest worker count when `autoscaling.enabled`.", integer(0),
          required=False),
    Value("maxReplicas", 1, "Highest worker count when `autoscaling.enabled`.", integer(0),
          required=False),
    Value("gpus", 1, "GPUs of each worker pod, all on its node.", integer(1)),
    Value("resources", {"requests": {"cpu": "8", "memory": "40Gi"}, "limits": {"memory": "48Gi"}},
          "CPU and memory of each worker; GPUs come from `gpus`.", resources_schema()),
    Value("shmSizeLimit", "8Gi", "`/dev/shm` of each worker (memory-backed; NCCL moves tensors "
          "through it). Counts against the memory limit.", QUANTITY),
    Value("rayStartParams", {}, "`rayStartParams` of the group (string values).", RAY_PARAMS,
          required=False),
    Value("nodeSelector", {}, "Node labels of the GPU nodes.", STRING_MAP, required=False),
    Value("tolerations", [], "Tolerations for tainted GPU nodes.", object_list(), required=False),
))

INTERFACE = Group(
    key="kuberay",
    doc="KubeRay RayService running Ray Serve LLM; spans several GPU nodes. Needs the KubeRay "
        "operator (ray.io/v1 RayService).",
    children=(
        image_group("Ray image of head and workers (Ray Serve LLM with vLLM).", "rayproject/ray-llm",
                    RAY_IMAGE_TAG, "Image tag, pinned to a Ray release (the one KubeRay's DeepSeek "
                    "sample runs).", pull_doc="The image is large: pull once per node."),
        Value("rayVersion", RAY_VERSION, "Ray version of the image (`rayClusterConfig.rayVersion`), "
              "used by the operator for version-specific behaviour.", string(r"^[0-9]+\.[0-9]+\.[0-9]+$")),
        Value("upgradeStrategy", "None", "What the operator does when the cluster spec changes. "
              "`NewCluster`: zero-downtime upgrade by starting a second, complete Ray cluster and "
              "switching traffic when it is ready; it needs as many free GPUs again as the worker "
              "groups hold (16 more H100s for the 2 x 8 profile). `None`: no second cluster; "
              "serve-config changes still apply in place, cluster changes need a reinstall.",
              {"type": "string", "enum": ["NewCluster", "None"]}),
        Group("serve", "The Ray Serve application (`serveConfigV2`), built from these values.", (
            Value("applicationName", "llm_app", "Serve application name.", string(minLength=1)),
            Value("routePrefix", "/", "HTTP route prefix of the OpenAI-compatible API (`/llm` "
                  "serves `/llm/v1/...`); the chat UI, `helm test` and the install notes follow it.",
                  string(r"^/[A-Za-z0-9._~/-]*$")),
            Value("llmConfigs", [interface.defaults(LLM_CONFIG)], "Models served by the application "
                  "(`args.llm_configs`).", {"minItems": 1}, item=LLM_CONFIG),
        )),
        Group("model", "Where workers get weights from.", (HF_TOKEN, OFFLINE)),
        cache_group(default_type="emptyDir", size="100Gi"),
        Group("gpu", "GPU vendor and runtime of the worker nodes.", (
            gpu_model_value("the worker groups"),
            Value("vendor", "nvidia", "Selects the extended resource (`nvidia.com/gpu` or "
                  "`amd.com/gpu`).", {"type": "string", "enum": sorted(catalog.VENDOR_RESOURCES)}),
            Value("runtimeClassName", "", "RuntimeClass of GPU nodes. Empty: the node default.",
                  string()),
        )),
        Group("head", "Ray head pod: GCS, dashboard and the Serve proxy; no GPUs.", (
            Value("rayStartParams", {"num-gpus": "0"}, "`rayStartParams` of the head; "
                  "`num-gpus: \"0\"` keeps model replicas off it.", RAY_PARAMS),
            Value("resources", {"requests": {"cpu": "2", "memory": "32Gi"},
                                "limits": {"cpu": "2", "memory": "32Gi"}},
                  "CPU and memory of the head (the Serve controller and router run here).",
                  resources_schema()),
            Value("nodeSelector", {}, "Node labels for the head (a CPU pool keeps GPU nodes free).",
                  STRING_MAP),
            Value("tolerations", [], "Tolerations of the head.", object_list()),
        )),
        Value("workerGroups", [interface.defaults(WORKER_GROUP)], "GPU worker groups. Their GPUs must equal "
              "what the models need: tensor x pipeline x data parallel size x maxReplicas, summed over "
              "llmConfigs.", {"minItems": 1}, item=WORKER_GROUP),
        rdma_group(False, "generic", "workerGroups[].gpus", "seed 004's KubeRay sample runs so"),
        Group("autoscaling", "Ray autoscaler (`enableInTreeAutoscaling`): adds and removes "
              "worker pods between each group's minReplicas and maxReplicas as Serve replicas "
              "need them.", (
            Value("enabled", False, "Enable the in-tree autoscaler.", BOOLEAN),
        )),
        http_route_group(),
        metrics_group("Prometheus metrics of the Ray pods (port 8080): Serve's `ray_serve_*` and the "
                      "engine's `ray_vllm_*`; the dashboard reads both.", dashboard=True),
        Value("extraEnv", [], "Extra environment variables of head and workers (Kubernetes "
              "EnvVar objects); reference Secrets with `valueFrom`.", object_list(["name"])),
    ),
)


def profile_values(profile: Any) -> dict[str, Any]:
    """A multi-node profile: TP = GPUs per node, PP = nodes, one worker pod per node."""
    gpu = catalog.GPUS[profile.gpu]
    ckpt = profile.checkpoint
    profile.fit()
    tp, pp, pods = profile.tensor_parallel, profile.pipeline_parallel, profile.pods
    shm_gib = 8 * profile.gpus_per_pod
    group: dict[str, Any] = {
        "groupName": "gpu-group", "replicas": pods, "minReplicas": pods, "maxReplicas": pods,
        "gpus": profile.gpus_per_pod,
        "resources": pod_resources(profile, cpu_limit=True),
        "shmSizeLimit": f"{shm_gib}Gi",
        "rayStartParams": {},
        "nodeSelector": {},
        "tolerations": [],
    }
    config = {
        "modelId": profile.served_model_name,
        "modelSource": ckpt.repo,
        "acceleratorType": gpu.ray_accelerator,
        "autoscaling": {"minReplicas": 1, "maxReplicas": 1},
        "runtimeEnvVars": dict(profile.engine_env),
        "engineKwargs": {
            "tensorParallelSize": tp, "pipelineParallelSize": pp,
            **data_parallel_values(profile),
            "gpuMemoryUtilization": profile.gpu_memory_utilization, "dtype": ckpt.dtype,
            "maxNumSeqs": profile.max_num_seqs, "maxModelLen": profile.max_model_len,
            "enableChunkedPrefill": True, "enablePrefixCaching": True,
            "extra": {**({"enable_expert_parallel": True} if profile.expert_parallel else {}),
                      **({"max_num_batched_tokens": profile.max_num_batched_tokens}
                         if profile.max_num_batched_tokens else {}),
                      **({"kv_cache_dtype": profile.kv_cache_dtype} if profile.kv_cache_dtype != "auto" else {})},
        },
    }
    # Each worker downloads its copy unless the cache is shared.
    values: dict[str, Any] = {
        "serve": {"llmConfigs": [config]},
        "gpu": {"vendor": gpu.vendor, "model": gpu.name},
        "workerGroups": [group],
        "cache": node_local_cache(ckpt),
    }
    if profile.rdma and pods > 1:
        values["rdma"] = {"enabled": True}
    return values


# Ray Serve LLM's data-parallel attention (build_dp_openai_app) where common.moe_data_parallel_shapes
# plans it: on one node, or across nodes with RDMA, which the workers then request (`rdma`).
NO_DATA_PARALLEL = ("Ray Serve LLM's data-parallel attention (ray.serve.llm:build_dp_openai_app) is planned on a "
                    "node of 2 GPUs or more, and across nodes only with RDMA between them (--rdma): the experts' "
                    "all-to-all runs on every layer")


def summary(values: dict[str, Any]) -> dict[str, str]:
    configs = values["serve"]["llmConfigs"]
    groups = values["workerGroups"]
    kwargs = [c["engineKwargs"] for c in configs]
    return {
        "model": ", ".join(c["modelSource"] for c in configs),
        "gpus": " + ".join(f"{g['replicas']} x {g['gpus']}" for g in groups),
        "parallel": ", ".join(parallel_label(k) for k in kwargs),
    }


BACKEND = Backend(
    **vllm_planning({"nvidia": RAY_VLLM_VERSION}),
    name="kuberay",
    description="KubeRay RayService serving DeepSeek-R1 with Ray Serve LLM across GPU nodes",
    app_version=RAY_VERSION,
    keywords=("kuberay", "ray", "ray-serve", "llm", "deepseek-r1", "gpu"),
    interface=INTERFACE,
    profile_values=profile_values,
    summary=summary,
    pod_security=rdma_cache_level,
    images={"nvidia": f"rayproject/ray-llm:{RAY_IMAGE_TAG}"},  # no ROCm build of ray-llm is pinned
    multi_node=True,
    # Several nodes over ordinary networking: tensor parallel within a node, pipeline across.
    chosen_for=lambda hw, gpu: gpu is not None and not gpu.consumer and hw.nodes > 1 and not hw.rdma,
    shapes=node_shapes,
    # Ray Serve LLM passes engine_kwargs to vLLM (2.52 pins a vLLM with the flag): when asked, as seed
    # 004's config does not set it, and for data-parallel ranks, whose experts it spreads.
    expert_parallel=lambda model, ckpt, gpu, hw, shape, asked: moe_expert_parallel(model, ckpt, gpu, hw, shape, asked)
    if asked or shape.data_parallel > 1 else "",
    data_parallel_shapes=moe_data_parallel_shapes,
    no_data_parallel=NO_DATA_PARALLEL,
    kv_cache_fp8=lambda model, gpu: fp8_kv_cache(gpu) or (
        f"vLLM {RAY_VLLM_VERSION} keeps the KV cache of an MLA model such as {model.key} in FP8 only on Hopper "
        "(FlashMLA) and B200-class Blackwell (CUTLASS MLA)"
        if gpu and model.mla and not 9.0 <= gpu.compute_capability < 11.0 else ""),
    files=lambda cmd: {"files/dashboards/ray-serve-llm-dashboard.json": dashboards.ray_serve_llm_json(cmd)},
)
