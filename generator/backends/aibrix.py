"""AIBrix: a RayClusterFleet running `vllm serve` with the Ray executor across GPU nodes, routed
by the AIBrix gateway and scaled by its PodAutoscaler. Needs the AIBrix control plane."""

from __future__ import annotations

import math
from typing import Any

from .. import catalog
from ..interface import Group, Value
from ..model import Hardware, Shape
from . import Backend
from .common import (
    BOOLEAN,
    K8S_NAME,
    QUANTITY,
    STRING_MAP,
    fp8_kv_cache,
    gpu_model_value,
    hostpath_level,
    image_group,
    integer,
    node_shapes,
    object_list,
    pod_resources,
    rdma_group,
    rdma_level,
    resources_schema,
    string,
    vllm_planning,
)

# The image AIBrix's DeepSeek-R1 guide (seed 002) runs: vLLM v0.7.3 with NCCL 2.25.1 and
# ray[default,adag] 2.40.0. The runtime image carries the model downloader.
VLLM_IMAGE_TAG = "v0.7.3.self.post1"
AIBRIX_VLLM_VERSION = "0.7.3"  # the vLLM release inside that image
EXTRA_ARGS = ["--uvicorn-log-level", "warning"]
RAY_VERSION = "2.40.0"
RUNTIME_IMAGE_TAG = "v0.3.0"

MODEL_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
PERCENT_OR_INT = {"anyOf": [{"type": "integer", "minimum": 0},
                            {"type": "string", "pattern": r"^[0-9]+%$"}]}

STORAGE = Group("storage", "Where the weights come from: the four options of AIBrix's DeepSeek-R1 "
                "guide.", (
    Value("type", "huggingface", "`huggingface`: vLLM downloads from the hub at start into the "
          "container's filesystem (simple, but 642 GiB must arrive within the head's startupProbe "
          "budget, or the head restarts and the download starts over: raise "
          "startupProbe.failureThreshold, or use localNvme with fillFromHub, whose init container "
          "has no deadline). `pvc`: a claim holding the weights (Lustre, "
          "Filestore ...). `objectStore`: the AIBrix runtime downloader fills a node directory "
          "from S3, GCS or TOS before the server starts. `localNvme`: weights already on a node "
          "directory, optionally filled by an init container.",
          {"type": "string", "enum": ["huggingface", "pvc", "objectStore", "localNvme"]}),
    Group("huggingface", "type huggingface.", (
        Value("repo", "deepseek-ai/DeepSeek-R1", "Hugging Face repository served.",
              string(minLength=1)),
        Value("tokenSecret", "", "Secret with key `token` exposed as `HF_TOKEN`. Empty: no token "
              "(the repository is public).", K8S_NAME),
    )),
    Group("pvc", "type pvc.", (
        Value("claimName", "deepseekr1", "Existing claim holding the weights.", K8S_NAME),
        Value("mountPath", "/models/deepseek", "Where the claim is mounted; the model directory "
              "served.", string(r"^/")),
    )),
    Group("objectStore", "type objectStore: the AIBrix runtime downloader (init container).", (
        Value("provider", "tos", "`s3`, `gcs` (through its S3-compatible API, HMAC keys) or `tos`.",
              {"type": "string", "enum": ["s3", "gcs", "tos"]}),
        Value("uri", "tos://aibrix-artifact-testing/models/deepseek-r1/", "Model folder URI: "
              "`s3://` for s3 and gcs, `tos://` for tos. The downloader names the local folder "
              "after its last segment.", string(r"^(s3|tos)://[^/]+/.+")),
        Value("credentialsSecret", "", "Secret with the access keys: `AWS_ACCESS_KEY_ID` and "
              "`AWS_SECRET_ACCESS_KEY` (s3, gcs) or `TOS_ACCESS_KEY` and `TOS_SECRET_KEY` (tos). "
              "Required: keys never go in values.", K8S_NAME),
        Value("endpoint", "https://tos-s3-cn-beijing.ivolces.com", "Endpoint URL (gcs: "
              "https://storage.googleapis.com).", string()),
        Value("region", "cn-beijing", "Region of the bucket.", string()),
        Value("hostPath", "/mnt/nvme0/aibrixx", "Node directory the weights are downloaded to.",
              string(r"^/")),
    )),
    Group("localNvme", "type localNvme: weights on a node directory.", (
        Value("hostPath", "/mnt/nvme0/models", "Node directory holding the model folder.",
              string(r"^/")),
        Value("modelDir", "deepseek-r1", "Model folder inside hostPath.", string(minLength=1)),
        Value("fillFromHub", False, "Add an init container that downloads the Hugging Face "
              "repository `huggingface.repo` into the directory first (skipped for files "
              "already there).", BOOLEAN),
    )),
    Value("mountPath", "/models", "Where node directories are mounted in the containers.",
          string(r"^/")),
    Group("downloader", "The AIBrix runtime downloader (`aibrix_download`) init container used "
          "by objectStore and localNvme.fillFromHub; it runs before the server, so a long "
          "download never races the startup probe (`kubectl logs <pod> -c init-model`).", (
        Value("image", f"aibrix/runtime:{RUNTIME_IMAGE_TAG}", "Image with `aibrix_download`.",
              string(minLength=1)),
        Value("allowFileSuffix", "json, safetensors, py", "`DOWNLOADER_ALLOW_FILE_SUFFIX`: "
              "DeepSeek-R1 needs its JSON configs, safetensors and the custom `.py` code.",
              string(minLength=1)),
        Value("numThreads", 16, "`DOWNLOADER_NUM_THREADS`.", integer(1)),
        Value("resources", {"requests": {"cpu": "4", "memory": "4Gi"}, "limits": {"memory": "8Gi"}},
              "CPU and memory of the downloader: numThreads parallel transfers, each buffering "
              "chunks in memory; the weights go to the node directory, not to RAM.",
              resources_schema()),
    )),
))

RDMA = rdma_group(True, "volcengine", "gpu.perNode", "the `-tcp` sample")

INTERFACE = Group(
    key="aibrix",
    doc="AIBrix RayClusterFleet: vLLM with the Ray executor across GPU nodes (one Ray head, "
        "GPU workers), routed by the AIBrix gateway. Needs the AIBrix control plane.",
    children=(
        Value("modelName", "deepseek-r1-671b", "`model.aibrix.ai/name`: the `model` clients "
              "send, the served model name, and the Service name the gateway routes to.",
              string(MODEL_LABEL, maxLength=63)),
        Value("port", 8000, "`model.aibrix.ai/port`: the server port the gateway routes to.",
              integer(1, 65535)),
        Value("replicas", 1, "Ray clusters of the fleet (each holds the whole model).", integer(0)),
        Group("rollout", "Fleet update strategy (RollingUpdate).", (
            Value("maxSurge", 0, "Clusters above `replicas` during an update; each is a full "
                  "set of GPU nodes (16 GPUs here). 0: an update replaces clusters in place and "
                  "needs no spare nodes; the guide's 25% rounds up to a whole second cluster, "
                  "which stays Pending for ever on a cluster sized for one.", PERCENT_OR_INT),
            Value("maxUnavailable", 1, "Clusters below `replicas` during an update (at least 1 "
                  "when maxSurge is 0, or the update cannot start). With one replica the model "
                  "is down while the new cluster loads.", PERCENT_OR_INT),
        )),
        image_group("vLLM image with Ray, run by head and workers.", "aibrix/vllm-openai",
                    VLLM_IMAGE_TAG, "Image tag (the guide's build with NCCL 2.25.1)."),
        Value("rayVersion", RAY_VERSION, "Ray version in the image.", string(r"^[0-9]+\.[0-9]+\.[0-9]+$")),
        Value("nodes", 2, "GPU nodes of one cluster: the head plus nodes - 1 workers, all with "
              "`gpu.perNode` GPUs.", integer(1)),
        Group("gpu", "GPUs of every node.", (
            gpu_model_value("head and workers"),
            Value("perNode", 8, "GPUs per pod (one pod per node).", integer(1)),
            Value("vendor", "nvidia", "GPU vendor; selects `nvidia.com/gpu` or `amd.com/gpu`.",
                  {"type": "string", "enum": sorted(catalog.VENDOR_RESOURCES)}),
        )),
        Group("engine", "`vllm serve` arguments.", (
            Value("tensorParallelSize", 16, "`--tensor-parallel-size`. With RDMA, tensor "
                  "parallelism spans nodes (the guide uses 16); over TCP prefer 8 x pipeline 2.",
                  integer(1)),
            Value("pipelineParallelSize", 1, "`--pipeline-parallel-size`.", integer(1)),
            Value("maxModelLen", 0, "`--max-model-len`; 0 keeps the model's own (163840 for R1).",
                  integer(0)),
            Value("trustRemoteCode", False, "`--trust-remote-code`, for checkpoints whose code "
                  "ships with the weights (the guide sets it for local copies).", BOOLEAN),
            Value("extraArgs", EXTRA_ARGS, "More `vllm serve` arguments, "
                  "appended last.", {"type": "array", "items": {"type": "string"}}),
        )),
        STORAGE,
        RDMA,
        Value("controlPlaneNamespaces", ["aibrix-system", "envoy-gateway-system"], "Namespaces of "
              "the AIBrix gateway and controllers, which the NetworkPolicy lets reach the API port "
              "(routing, the autoscaler's metrics) and Ray's metrics port 8080; Ray's own ports "
              "stay between the fleet's pods.", {"type": "array", "items": K8S_NAME}),
        Value("socketIfname", "eth0", "`NCCL_SOCKET_IFNAME` and `GLOO_SOCKET_IFNAME`: interface "
              "for bootstrap and TCP traffic.", string(minLength=1)),
        Value("openFileLimit", 65536, "`ulimit -n` before Ray starts; the 163 weight shards and "
              "NCCL sockets exceed the default.", integer(1024)),
        Group("startupProbe", "Head startup budget: download (huggingface) and load of the "
              "weights on every GPU before `/metrics` answers.", (
            Value("initialDelaySeconds", 180, "Seconds before the first check.", integer(0)),
            Value("periodSeconds", 10, "Seconds between checks.", integer(1)),
            Value("failureThreshold", 150, "Checks before restart; profiles compute it from the "
                  "checkpoint size.", integer(1)),
        )),
        Group("livenessProbe", "Head liveness on vLLM's `/health` (500 once the engine or a Ray "
              "worker it needs has died). A restart reloads the weights on every GPU (the startup "
              "budget), so the probe waits long before giving up. AIBrix's KubeRay operator injects "
              "no probes into fleet pods; readiness on `/health` is always rendered, so the gateway "
              "only routes to a head that answers.", (
            Value("enabled", True, "Restart a head whose engine stopped answering.", BOOLEAN),
            Value("periodSeconds", 30, "Seconds between checks.", integer(1)),
            Value("failureThreshold", 10, "Failed checks before the restart (10 x 30 s = 5 "
                  "minutes: longer than a pause for a long prefill or a slow NCCL collective).",
                  integer(1)),
        )),
        Value("resources", {"requests": {"cpu": "96", "memory": "329Gi"}, "limits": {"memory": "329Gi"}},
              "CPU and memory of head and worker pods; GPUs and RDMA devices are added by the "
              "chart. Memory: each pod's share of the weights, staged in RAM while loading (642 "
              "GiB / 2 nodes), plus 8 GiB; CPU: half of an H20 node's 192. Empty makes the pods "
              "BestEffort, the first evicted under node pressure.", resources_schema()),
        Value("shmSizeLimit", "", "`/dev/shm` size limit; empty: unlimited, as in the guide "
              "(bounded by the pod's memory).", {"anyOf": [QUANTITY, {"type": "string", "maxLength": 0}]}),
        Value("nodeSelector", {}, "Node labels of the GPU nodes.", STRING_MAP),
        Value("tolerations", [], "Tolerations of the GPU nodes.", object_list()),
        Value("extraEnv", [], "Extra environment variables of head and workers (e.g. "
              "`NCCL_DEBUG: INFO` while bringing up a fabric).", object_list(["name"])),
        Group("autoscaling", "AIBrix PodAutoscaler (KPA) on the head's vLLM metrics.", (
            Value("enabled", True, "Create the PodAutoscaler.", BOOLEAN),
            Value("minReplicas", 1, "Fewest clusters.", integer(0)),
            Value("maxReplicas", 4, "Most clusters; each needs `nodes` x `gpu.perNode` GPUs.",
                  integer(1)),
            Value("targetMetric", "gpu_cache_usage_perc", "vLLM metric scaled on.",
                  string(minLength=1)),
            Value("targetValue", "50", "Target value of the metric (percent of KV cache used).",
                  string(r"^[0-9]+(\.[0-9]+)?$")),
            Value("scaleDownDelay", "2m", "`kpa.autoscaling.aibrix.ai/scale-down-delay`.",
                  string(r"^[0-9]+(s|m|h)$")),
        )),
        Group("metrics", "Monitoring of the head.", (
            Value("serviceMonitor", False, "Create a ServiceMonitor for the head Service (needs "
                  "monitoring.coreos.com/v1).", BOOLEAN),
            Value("grafanaDashboard", True, "Ship AIBrix's engine dashboard as a ConfigMap "
                  "labelled `grafana_dashboard: \"1\"` for Grafana's dashboard sidecar.", BOOLEAN),
        )),
    ),
)


def profile_values(profile: Any) -> dict[str, Any]:
    """Seed 002: tensor parallel over every GPU of the cluster when RDMA links the nodes."""
    ckpt = profile.checkpoint
    gpu = catalog.GPUS[profile.gpu]
    tp, pp = profile.tensor_parallel, profile.pipeline_parallel
    profile.fit()
    startup = catalog.startup_seconds(ckpt, from_hub=False)
    values: dict[str, Any] = {
        "modelName": profile.served_model_name,
        "nodes": profile.pods,
        "gpu": {"perNode": profile.gpus_per_pod, "vendor": gpu.vendor, "model": gpu.name},
        # Weights on each node's NVMe, filled from the hub by an init container: a restart
        # reloads from local disk, and the download never races the startup probe.
        "storage": {"type": "localNvme", "huggingface": {"repo": ckpt.repo},
                    "localNvme": {"fillFromHub": True}},
        "engine": {"tensorParallelSize": tp, "pipelineParallelSize": pp, "trustRemoteCode": True},
        "rdma": {"enabled": profile.rdma},
        "resources": pod_resources(profile),
        "startupProbe": {"failureThreshold": math.ceil((startup - 180) / 10)},
    }
    # The planned context when it is below the model's own (which vLLM takes when none is given,
    # and refuses to start with when the KV cache cannot hold one such sequence); the planned
    # utilization and KV cache dtype where they differ from vLLM's defaults.
    if profile.max_model_len < catalog.MODELS[profile.model].max_position:
        values["engine"]["maxModelLen"] = profile.max_model_len
    flags = ([] if profile.gpu_memory_utilization == 0.9 else
             ["--gpu-memory-utilization", str(profile.gpu_memory_utilization)])
    flags += [] if profile.kv_cache_dtype == "auto" else ["--kv-cache-dtype", profile.kv_cache_dtype]
    if flags:
        values["engine"]["extraArgs"] = [*EXTRA_ARGS, *flags]
    return values


def shapes(hw: Hardware) -> list[Shape]:
    """Tensor parallel over every GPU of the cluster when RDMA links the nodes (seed 002); without
    RDMA, the TCP fallback: tensor parallel per node x pipeline across the nodes."""
    if hw.rdma:
        return [Shape(hw.gpus_per_node * hw.nodes, 1, hw.gpus_per_node, hw.nodes)]
    return node_shapes(hw)


def expert_parallel(model: catalog.Model, ckpt: catalog.Checkpoint, gpu: catalog.Gpu | None, hw: Hardware,
                    shape: Shape, asked: bool) -> str:
    """The pinned image's vLLM is older than --enable-expert-parallel (vLLM 0.8)."""
    if asked:
        raise ValueError(f"--expert-parallel: aibrix runs aibrix/vllm-openai:{VLLM_IMAGE_TAG} (vLLM "
                         f"{AIBRIX_VLLM_VERSION}), which "
                         "predates --enable-expert-parallel (vLLM 0.8): use --engine vllm or kuberay")
    return ""


def summary(values: dict[str, Any]) -> dict[str, str]:
    engine = values["engine"]
    return {
        "model": values["storage"]["huggingface"]["repo"] if values["storage"]["type"] == "huggingface"
        else f"{values['modelName']} ({values['storage']['type']})",
        "gpus": f"{values['nodes']} x {values['gpu']['perNode']}",
        "parallel": f"{engine['tensorParallelSize']}x{engine['pipelineParallelSize']}",
    }


BACKEND = Backend(
    **vllm_planning({"nvidia": AIBRIX_VLLM_VERSION}),
    name="aibrix",
    description="AIBrix RayClusterFleet serving DeepSeek-R1 671B across GPU nodes with RDMA",
    app_version=VLLM_IMAGE_TAG,
    keywords=("aibrix", "vllm", "ray", "rdma", "deepseek-r1", "gpu"),
    interface=INTERFACE,
    profile_values=profile_values,
    summary=summary,
    # RDMA pods add IPC_LOCK and run as root; objectStore and localNvme keep the weights in a node
    # directory (hostPath).
    pod_security=lambda values: rdma_level(values["rdma"]["enabled"], hostpath_level(
        values["storage"]["type"] in ("objectStore", "localNvme"))),
    images={"nvidia": f"aibrix/vllm-openai:{VLLM_IMAGE_TAG}"},  # a CUDA build only
    multi_node=True,
    # Several nodes linked by RDMA (seed 002).
    chosen_for=lambda hw, gpu: gpu is not None and not gpu.consumer and hw.nodes > 1 and hw.rdma,
    shapes=shapes,
    expert_parallel=expert_parallel,
    no_data_parallel=f"AIBrix's vLLM {AIBRIX_VLLM_VERSION} has no data parallelism (no --data-parallel-size): "
                     "tensor and pipeline parallel only; --engine vllm plans data-parallel attention",
    kv_cache_fp8=lambda model, gpu: (
        f"aibrix runs vLLM {AIBRIX_VLLM_VERSION}, whose only MLA backend (Triton MLA) raises 'FP8 Triton MLA not "
        "yet supported'" if model.mla else fp8_kv_cache(gpu)),
)
