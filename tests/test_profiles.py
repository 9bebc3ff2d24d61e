"""Every values/*.yaml renders and validates with every pinned helm version."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator import catalog
from generator.profiles import shipped

from .conftest import HELM_VERSIONS, VALUES_FILES, find, rendered, validated
from .test_checkpoints import CONFIGS, config_kv_bytes_per_token_per_gpu, expected_bytes

PROFILE_IDS = [p.stem for p in VALUES_FILES]
VLLM_FILES = [p for p in VALUES_FILES if yaml.safe_load(p.read_text()).get("vllm", {}).get("enabled")
              and yaml.safe_load(p.read_text())["vllm"].get("nodes", 1) == 1]  # across nodes: test_leaderworkerset


def test_profiles_exist():
    assert {p.name for p in shipped()} <= set(PROFILE_IDS)
    assert {"h100-80gb", "l4-24gb", "h100-80gb-2x8", "cpu-only", "rtx3060-12gb"} <= set(PROFILE_IDS)


@pytest.mark.parametrize("version", HELM_VERSIONS)
@pytest.mark.parametrize("values_file", VALUES_FILES, ids=PROFILE_IDS)
def test_profile_renders_and_validates(values_file: Path, version: str):
    """Schema (jsonschema), helm lint --strict, helm template, and every document's schema."""
    result = validated(values_file, version)
    assert result.ok, "\n".join(result.errors)
    assert result.documents, "helm template rendered nothing"


@pytest.mark.parametrize("values_file", VALUES_FILES, ids=PROFILE_IDS)
def test_modeline_first(values_file: Path):
    first = values_file.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../charts/llm-serving/values.schema.json"
    assert (values_file.parent / "../charts/llm-serving/values.schema.json").resolve().is_file()


def _vllm_container(docs):
    (deploy,) = find(docs, "Deployment")
    (container,) = deploy["spec"]["template"]["spec"]["containers"]
    return deploy, container


@pytest.mark.parametrize("values_file", VLLM_FILES, ids=[p.stem for p in VLLM_FILES])
def test_vllm_deployment_is_production_safe(values_file: Path):
    values = yaml.safe_load(values_file.read_text())["vllm"]
    docs = rendered(values_file)
    deploy, container = _vllm_container(docs)
    pod = deploy["spec"]["template"]["spec"]

    image, tag = container["image"].rsplit(":", 1)
    expected = "vllm/vllm-openai-rocm" if values["gpu"]["vendor"] == "amd" else "vllm/vllm-openai"
    assert image == expected and tag not in ("latest", "") and any(c.isdigit() for c in tag)

    # Rollout never needs a second set of GPUs.
    strategy = deploy["spec"]["strategy"]
    assert strategy["type"] == "Recreate" or strategy["rollingUpdate"]["maxSurge"] == 0

    # GPUs: the vendor resource in requests and limits, equal to TP x PP.
    gpus = values["gpu"]["count"]
    engine = values["engine"]
    resource = catalog.VENDOR_RESOURCES[values["gpu"]["vendor"]]
    assert container["resources"]["limits"][resource] == gpus
    assert container["resources"]["requests"][resource] == gpus
    assert engine["tensorParallelSize"] * engine["pipelineParallelSize"] * engine.get("dataParallelSize", 1) == gpus

    args = container["args"]
    assert args[0] == values["model"]["name"]
    assert f"--tensor-parallel-size={engine['tensorParallelSize']}" in args
    assert f"--max-model-len={engine['maxModelLen']}" in args
    if engine["quantization"]:
        assert f"--quantization={engine['quantization']}" in args

    # /dev/shm is memory-backed with a limit.
    shm = next(v for v in pod["volumes"] if v["name"] == "dshm")
    assert shm["emptyDir"]["medium"] == "Memory" and shm["emptyDir"]["sizeLimit"]
    assert {"name": "dshm", "mountPath": "/dev/shm"} in container["volumeMounts"]

    # Probes on /health; the startup budget covers download + load of the checkpoint.
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    startup = container["startupProbe"]
    budget = startup["periodSeconds"] * startup["failureThreshold"]
    ckpt = next(c for m in catalog.MODELS.values() for c in m.checkpoints
                if c.repo == values["model"]["name"])
    assert budget >= catalog.startup_seconds(ckpt)
    assert budget >= ckpt.weights_gib / catalog.DOWNLOAD_GIB_PER_S

    # No credential literal anywhere in the pod spec.
    for env in container["env"]:
        if env["name"] in ("HF_TOKEN", "VLLM_API_KEY"):
            assert "value" not in env and "secretKeyRef" in env["valueFrom"]
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("values_file", VALUES_FILES, ids=PROFILE_IDS)
def test_created_cache_claim_is_kept_on_uninstall(values_file: Path):
    for pvc in find(rendered(values_file), "PersistentVolumeClaim"):
        assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_h100_profile_follows_seed_001():
    """Single H100, BF16, PVC cache, HPA, Ingress with TLS."""
    docs = rendered(VALUES_FILES[PROFILE_IDS.index("h100-80gb")])
    _, container = _vllm_container(docs)
    assert "--dtype=bfloat16" in container["args"]
    assert find(docs, "PersistentVolumeClaim")
    (hpa,) = find(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["maxReplicas"] >= 2
    (ingress,) = find(docs, "Ingress")
    assert ingress["spec"]["tls"][0]["secretName"]
    assert find(docs, "PodDisruptionBudget")


def test_l4_profile_is_quantized_and_fits():
    """Recomputed from config.json figures (tests/data/model-configs.yaml), not from catalog.fit:
    the quantized checkpoint plus one sequence of the planned context fit L4's memory at the planned
    utilization; the 16-bit checkpoint alone would not."""
    profile = next(p for p in shipped() if p.name == "l4-24gb")
    assert profile.precision != "bf16"
    budget = catalog.GPUS[profile.gpu].memory_gib * profile.gpu_memory_utilization * catalog.GIB
    kv = config_kv_bytes_per_token_per_gpu(profile.model, 1, 1, catalog.KV_CACHE_BYTES[profile.kv_cache_dtype])
    assert expected_bytes(profile.model, profile.precision) + kv * profile.max_model_len <= budget
    assert expected_bytes(profile.model, "bf16") > budget


def test_bf16_14b_does_not_fit_l4():
    model = catalog.MODELS["deepseek-r1-distill-qwen-14b"]
    with pytest.raises(catalog.DoesNotFit, match="fewer than max-model-len"):
        catalog.fit(model, model.checkpoint("bf16"), catalog.GPUS["L4-24GB"], 1, 0.92, 16384, 16)


@pytest.mark.parametrize("key", [k for k in catalog.MODELS if k.removesuffix("-0528") in
                                 {**CONFIGS["dense"], **CONFIGS["moe"]}])
def test_kv_bytes_per_gpu_match_config(key):
    """The catalog's KV cache per token and GPU against config.json's figures, for every split."""
    model = catalog.MODELS[key]
    for tp in (1, 2, 4, 8, 16):
        for pp in (1, 2):
            for dtype, element in catalog.KV_CACHE_BYTES.items():
                assert model.kv_bytes_per_token_per_gpu(tp, pp, dtype) == \
                    config_kv_bytes_per_token_per_gpu(key, tp, pp, element), (tp, pp, dtype)


def test_r1_671b_needs_two_h100_nodes():
    model = catalog.MODELS["deepseek-r1"]
    ckpt = model.checkpoint("fp8")
    h100 = catalog.GPUS["H100-80GB"]
    with pytest.raises(catalog.DoesNotFit):
        catalog.fit(model, ckpt, h100, 8, 0.92, 16384, 40)
    fit = catalog.fit(model, ckpt, h100, 8, 0.92, 16384, 40, pipeline_parallel=2)
    assert fit.kv_tokens >= 16384 * 40


def test_mla_kv_cache_is_replicated_over_tensor_parallel_ranks():
    r1 = catalog.MODELS["deepseek-r1"]
    assert r1.kv_bytes_per_token() == 61 * 576 * 2
    assert r1.kv_bytes_per_token_per_gpu(8, 2) == r1.kv_bytes_per_token() / 2
    qwen = catalog.MODELS["deepseek-r1-distill-qwen-14b"]
    assert qwen.kv_bytes_per_token_per_gpu(16, 1) == qwen.kv_bytes_per_token() / 8  # 8 KV heads
