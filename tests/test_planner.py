"""The planner against the reference setups of the seeds and vLLM's recipe, its refusals, and a
property: for any hardware, a plan fits with margin or is refused, never over-committed."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import catalog, validation
from generator.backends import aibrix, kuberay, ollama, vllm
from generator.backends.ollama import RUNTIME_GIB
from generator.build import ROOT
from generator.planner import LAYOUT_GAIN, Hardware, Refused, Request, plan, resolve_model
from generator.profiles import SPECS, shipped

from .conftest import rendered, run_cli
from .test_checkpoints import BYTES, CONFIGS, config_kv_bytes_per_token_per_gpu, expected_bytes, moe_counts

R1, R1_14B = "deepseek-r1", "deepseek-r1-distill-qwen-14b"

# (hardware, request, engine, precision, tensor, pipeline): where each expectation comes from.
REFERENCE = [
    # seed 004: 671B on 2 x a3-highgpu-8g -> KubeRay, TP 8 x PP 2
    (Hardware("H100-80GB", 8, 2), Request(R1), "kuberay", "fp8", 8, 2),
    # seed 002: 671B on 2 x 8 H20 with RDMA -> AIBrix, tensor parallel 16
    (Hardware("H20-96GB", 8, 2, rdma=True), Request(R1), "aibrix", "fp8", 16, 1),
    # vLLM's DeepSeek-R1 recipe: 8 x H200 -> TP 8 on one node for low load (--objective latency);
    # its high-load command, data parallel 8 (tensor 1), is what the throughput objective plans
    (Hardware("H200-141GB", 8, 1), Request(R1, objective="latency"), "vllm", "fp8", 8, 1),
    (Hardware("H200-141GB", 8, 1), Request(R1), "vllm", "fp8", 1, 1),
    # seed 000: an R1 distill on an RTX 3060 12 GB -> ollama
    (Hardware("RTX3060-12GB", 1, 1), Request("deepseek-r1:7b"), "ollama", catalog.OLLAMA_Q4, 1, 1),
    # seed 001's precision rows for the 14B distill (the arithmetic overrules its A10 FP16 row)
    (Hardware("T4-16GB", 1), Request(R1_14B), "vllm", "awq-int4", 1, 1),
    (Hardware("L4-24GB", 1), Request(R1_14B), "vllm", "awq-int4", 1, 1),
    (Hardware("A10-24GB", 1), Request(R1_14B), "vllm", "awq-int4", 1, 1),
    (Hardware("A100-40GB", 1), Request(R1_14B), "vllm", "bf16", 1, 1),
    (Hardware("H100-80GB", 1), Request(R1_14B), "vllm", "bf16", 1, 1),
    # seed 003: CPU only -> ollama
    (Hardware(None), Request("deepseek-r1:1.5b"), "ollama", catalog.OLLAMA_Q4, 1, 1),
]


@pytest.mark.parametrize("hw, req, engine, precision, tp, pp", REFERENCE,
                         ids=[f"{r[0].describe()}-{r[1].model}" for r in REFERENCE])
def test_reference_table(hw, req, engine, precision, tp, pp):
    result = plan(hw, req)
    assert (result.profile.engine, result.profile.precision) == (engine, precision)
    assert (result.tensor_parallel, result.pipeline_parallel) == (tp, pp)


def test_t4_computes_in_fp16_with_plain_awq():
    ckpt = plan(Hardware("T4-16GB", 1), Request(R1_14B)).profile.checkpoint
    assert (ckpt.dtype, ckpt.quantization) == ("float16", "awq")


def test_decode_bound_and_seed_000_observation():
    result = plan(Hardware("RTX3060-12GB", 1), Request("deepseek-r1:7b"))
    # 360 GB/s over a 4.7 GB model: at most ~77 tokens/s; seed 000 saw about 40.
    assert 40 < result.decode_tokens_per_s < 90
    assert ("observed", catalog.GPUS["RTX3060-12GB"].observed) in result.table()
    moe = plan(Hardware("H200-141GB", 8), Request(R1, objective="latency"))
    # MoE: only the 37B active parameters of the 627.7 GiB vLLM loads (the 642 GiB of files less
    # the MTP layer) are read per token, by all 8 tensor-parallel GPUs at once.
    assert moe.decode_tokens_per_s == pytest.approx(8 * 4800e9 / (627.73 * catalog.GIB * 37 / 671), rel=1e-3)
    # Data parallel 8: a rank reads its 18.7 GiB of attention, dense and shared weights whole, and the
    # token's 8 of 256 routed experts (609.0 GiB in all) spread over the 8 ranks.
    dp = plan(Hardware("H200-141GB", 8), Request(R1))
    assert dp.decode_tokens_per_s == pytest.approx(4800e9 / ((18.73 + 609.0 * 8 / 256 / 8) * catalog.GIB), rel=1e-3)


@pytest.mark.parametrize("hw, req, expect", [
    (Hardware("H100-80GB", 8, 1), Request(R1, precision="fp8"),
     ["689 GB", "2 nodes of 8 x H100-80GB", "8 x H100NVL-94GB on one node"]),
    (Hardware("L4-24GB", 1), Request("deepseek-r1-distill-llama-70b", precision="bf16"), ["131 GiB", "L4-24GB"]),
    (Hardware(None, memory_gib_per_node=16), Request("deepseek-r1:70b"), ["16 GiB of RAM"]),
])
def test_refusals_name_numbers_and_alternatives(hw, req, expect):
    with pytest.raises(Refused) as exc:
        plan(hw, req)
    for text in expect:
        assert text in str(exc.value)


def test_forced_engine_is_checked():
    with pytest.raises(Refused, match="ollama serves from one node"):
        plan(Hardware("H100-80GB", 8, 2), Request("deepseek-r1-distill-qwen-14b", engine="ollama"))
    with pytest.raises(Refused, match="needs GPUs"):
        plan(Hardware(None), Request("deepseek-r1:1.5b", engine="vllm"))


GPUS = sorted(n for n, g in catalog.GPUS.items())


@settings(max_examples=60, deadline=None, derandomize=True)
@given(gpu=st.sampled_from(GPUS), per_node=st.sampled_from([1, 2, 4, 8]), nodes=st.integers(1, 3),
       rdma=st.booleans(), model=st.sampled_from(sorted(catalog.MODELS)),
       context=st.one_of(st.none(), st.sampled_from([4096, 16384, 65536])))
def test_plan_fits_with_margin_or_is_refused(gpu, per_node, nodes, rdma, model, context):
    hw = Hardware(gpu, per_node, nodes, rdma=rdma)
    try:
        result = plan(hw, Request(model, context=context), suggest=False)
    except Refused:
        return
    p = result.profile
    g = catalog.GPUS[gpu]
    if p.engine == "ollama":
        m = catalog.MODELS[p.model]
        need = p.checkpoint.weights_gib + m.kv_bytes_per_token() * p.max_model_len * p.max_num_seqs / catalog.GIB
        assert need + RUNTIME_GIB <= g.memory_gib
        return
    # Recomputed from config.json figures (tests/data/model-configs.yaml), not from catalog.fit:
    # the checkpoint's weights spread over the GPUs plus the KV cache of the sequences the plan
    # promises (one of the asked context, else two of the planned one) fit the memory vLLM may use.
    gpus = result.tensor_parallel * result.pipeline_parallel
    weights = expected_bytes(p.model, p.precision) / gpus
    if p.data_parallel > 1:  # data-parallel attention: the routed experts split over every rank, the rest whole
        routed = moe_counts(CONFIGS["moe"]["deepseek-r1"])["routed"] * BYTES[p.precision]
        weights = (expected_bytes(p.model, p.precision) - routed) / gpus + routed / (gpus * p.data_parallel)
    kv = config_kv_bytes_per_token_per_gpu(p.model, result.tensor_parallel, result.pipeline_parallel,
                                           catalog.KV_CACHE_BYTES[p.kv_cache_dtype])
    tokens = p.max_model_len * (1 if context else 2)
    assert (weights + kv * tokens) / catalog.GIB <= g.memory_gib * p.gpu_memory_utilization, \
        f"{p.checkpoint.repo} on {gpus} x {gpu}: {weights / catalog.GIB:.1f} GiB of weights per GPU"
    assert result.tensor_parallel * result.pipeline_parallel * p.data_parallel * result.replicas <= per_node * nodes


def test_cli_plan_table_json_and_values_file(tmp_path):
    proc = run_cli("plan", "--gpu", "H100-80GB", "--gpus-per-node", "8", "--nodes", "2", "--model", R1)
    assert proc.returncode == 0 and "kuberay" in proc.stdout and "tensor 8 x pipeline 2" in proc.stdout
    data = json.loads(run_cli("plan", "--gpu", "H200-141GB", "--gpus-per-node", "8", "--format", "json").stdout)
    assert (data["engine"], data["tensorParallel"], data["dataParallel"]) == ("vllm", 1, 8)
    assert (data["layout"], data["objective"]) == ("data parallel 8 + expert parallel", "throughput")
    data = json.loads(run_cli("plan", "--gpu", "H200-141GB", "--gpus-per-node", "8", "--format", "json",
                              "--objective", "latency").stdout)
    assert (data["tensorParallel"], data["dataParallel"], data["layout"]) == (8, 1, "tensor 8")
    out = tmp_path / "x.yaml"
    proc = run_cli("plan", "--gpu", "L4-24GB", "--model", R1_14B, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert validation.values_errors(out) == []
    assert yaml.safe_load(out.read_text())["vllm"]["engine"]["quantization"] == "awq_marlin"


def test_cli_refusal_and_bad_input(tmp_path):
    proc = run_cli("plan", "--gpu", "H100-80GB", "--gpus-per-node", "8", "--model", R1, "--precision", "fp8",
                   "-o", str(tmp_path / "no.yaml"))
    assert proc.returncode == 1 and "no plan" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "no.yaml").exists(), "nothing is written for a refused plan"
    proc = run_cli("plan", "--gpu", "H999")
    assert proc.returncode == 2 and "--gpu H999" in proc.stderr
    bad = tmp_path / "hw.yaml"
    bad.write_text("gpu: H100\ngpusPerNode: -1\n")
    proc = run_cli("plan", "--hardware", str(bad))
    assert proc.returncode == 2 and "gpusPerNode" in proc.stderr and "Traceback" not in proc.stderr


def _flag(args: list[str] | str, name: str) -> int | None:
    """The integer value of a vLLM flag in a container's args (`--x=N`, or `--x N` in a shell line)."""
    text = args if isinstance(args, str) else " ".join(args)
    found = re.findall(rf"{name}[= ]([0-9]+)\b", text)
    assert len(set(found)) <= 1, (name, found)
    return int(found[0]) if found else None


def chart_facts(docs: list[dict]) -> dict:
    """What the rendered chart runs, read from the objects the operators and vLLM consume: the
    engine, the checkpoint, tensor and pipeline parallel sizes, the GPUs of one replica, and the
    context (None: the engine's default, the model's own)."""
    gpus = {"nvidia.com/gpu", "amd.com/gpu"}

    def limit(container: dict) -> int:
        return int(sum(int(v) for k, v in container["resources"].get("limits", {}).items() if k in gpus))
    kinds = {d["kind"]: d for d in docs}
    if "RayService" in kinds:
        cluster = kinds["RayService"]["spec"]["rayClusterConfig"]
        (config,) = yaml.safe_load(kinds["RayService"]["spec"]["serveConfigV2"])["applications"][0]["args"][
            "llm_configs"]
        kwargs = config["engine_kwargs"]
        return {"engine": "kuberay", "checkpoint": config["model_loading_config"]["model_source"],
                "tp": kwargs["tensor_parallel_size"], "pp": kwargs.get("pipeline_parallel_size", 1),
                "dp": kwargs.get("data_parallel_size", 1),
                "context": kwargs.get("max_model_len"),
                "gpus": sum(g["replicas"] * limit(g["template"]["spec"]["containers"][0])
                            for g in cluster["workerGroupSpecs"])}
    if "RayClusterFleet" in kinds:
        spec = kinds["RayClusterFleet"]["spec"]["template"]["spec"]
        head = spec["headGroupSpec"]["template"]["spec"]["containers"][0]
        return {"engine": "aibrix", "checkpoint": None, "dp": 1,
                "tp": _flag(head["args"][0], "--tensor-parallel-size"),
                "pp": _flag(head["args"][0], "--pipeline-parallel-size") or 1,
                "context": _flag(head["args"][0], "--max-model-len"),
                "gpus": limit(head) + sum(g["replicas"] * limit(g["template"]["spec"]["containers"][0])
                                          for g in spec["workerGroupSpecs"])}
    if "LeaderWorkerSet" in kinds:
        template = kinds["LeaderWorkerSet"]["spec"]["leaderWorkerTemplate"]
        (server,) = [c for c in template["leaderTemplate"]["spec"]["containers"] if c["name"] == "vllm"]
        pods = template["size"]
    else:
        deployments = [d for d in docs if d["kind"] == "Deployment" and not d["metadata"]["name"].endswith("chat-ui")]
        (deployment,) = deployments
        (server,) = deployment["spec"]["template"]["spec"]["containers"]
        pods = 1
    if server["name"] == "ollama":
        env = {e["name"]: e.get("value") for e in server["env"]}
        return {"engine": "ollama", "checkpoint": None, "tp": 1, "pp": 1, "dp": 1,
                "context": int(env["OLLAMA_CONTEXT_LENGTH"]), "gpus": limit(server)}
    return {"engine": "vllm", "checkpoint": server["args"][0], "tp": _flag(server["args"], "--tensor-parallel-size"),
            "pp": _flag(server["args"], "--pipeline-parallel-size") or 1,
            "dp": _flag(server["args"], "--data-parallel-size") or 1,
            "context": _flag(server["args"], "--max-model-len"), "gpus": limit(server) * pods}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_the_chart_runs_what_the_planner_plans(spec):
    """The planner against the chart: each profile's committed values file, rendered by helm,
    runs the engine, checkpoint, parallelism, GPUs and context that plan() answers for the
    profile's hardware and request (a template or a values file that drifts from the plan fails)."""
    planned = plan(spec.hardware, spec.request)
    p = planned.profile
    facts = chart_facts(rendered(ROOT / "values" / f"{spec.name}.yaml"))
    model = catalog.MODELS[p.model]
    want = {"engine": p.engine, "tp": planned.tensor_parallel, "pp": planned.pipeline_parallel,
            "dp": p.data_parallel,
            "gpus": planned.tensor_parallel * planned.pipeline_parallel * p.data_parallel if p.gpu else 0,
            "context": p.max_model_len}
    got = {k: facts[k] for k in want}
    if got["context"] is None:  # no flag: the engine takes the model's own context
        got["context"] = model.max_position
    assert got == want
    if facts["checkpoint"] is not None:
        assert facts["checkpoint"] == p.checkpoint.repo


def test_aibrix_without_rdma_plans_the_tcp_fallback():
    result = plan(Hardware("H100-80GB", 8, 2), Request(R1, engine="aibrix"))
    assert (result.tensor_parallel, result.pipeline_parallel) == (8, 2)
    values = aibrix.profile_values(result.profile)
    assert values["rdma"]["enabled"] is False
    assert (values["engine"]["tensorParallelSize"], values["engine"]["pipelineParallelSize"]) == (8, 2)
    # the planned context, not R1's 163840 that vLLM would take without --max-model-len
    assert values["engine"]["maxModelLen"] == result.profile.max_model_len == 32768


def test_aibrix_values_carry_the_planned_utilization_and_context():
    """A plan that needs 0.95 of each GPU and a shorter context than the model's says both to AIBrix's
    vLLM, whose defaults (0.90, the model's own context) would not start."""
    result = plan(Hardware("A100-80GB", 1, 2, rdma=True), Request("deepseek-r1-distill-llama-70b", engine="aibrix",
                                                                 utilization=0.95))
    engine = aibrix.profile_values(result.profile)["engine"]
    assert engine["maxModelLen"] == result.profile.max_model_len < 131072
    assert engine["extraArgs"][-2:] == ["--gpu-memory-utilization", "0.95"]
    seed = next(p for p in shipped() if p.name == "h20-96gb-2x8-rdma")
    assert "maxModelLen" not in aibrix.profile_values(seed)["engine"]  # seed 002 keeps R1's own context


# ---------------------------------------------------------------- plans that would not load

def test_hardware_is_checked_when_built():
    for bad in (dict(gpu="H100-80GB", gpus_per_node=0), dict(gpu=None, nodes=0), dict(gpu="H100-80GB",
                gpus_per_node=8, nodes=-1), dict(gpu=None, gpus_per_node=2), dict(gpu="H999", gpus_per_node=1)):
        with pytest.raises(ValueError):
            Hardware(**bad)


@pytest.mark.parametrize("hw, engine", [
    (Hardware("H100-80GB", 6, 2), None),  # kuberay: tensor 6 per node
    (Hardware("H100-80GB", 6, 2), "aibrix"),  # aibrix over TCP: the same split
    # aibrix over RDMA: tensor 12 (unasked, vLLM's data parallel 12 serves the W4A16 checkpoint)
    (Hardware("H100-80GB", 6, 2, rdma=True), "aibrix"),
    (Hardware("H100-80GB", 8, 3, rdma=True), "aibrix"),  # tensor 24 (unasked, vLLM's 8 x 3 serves it)
])
def test_tensor_parallel_must_divide_the_heads_for_every_engine(hw, engine):
    with pytest.raises(Refused) as exc:
        plan(hw, Request(R1, engine=engine))
    message = str(exc.value)
    assert "128 attention heads" in message and "1, 2, 4, 8, 16" in message
    assert exc.value.numbers["attentionHeads"] == 128
    assert exc.value.suggestions, "the refusal names a split that fits"


@settings(max_examples=40, deadline=None, derandomize=True)
@given(gpu=st.sampled_from([g for g in GPUS if catalog.GPUS[g].vendor == "nvidia" and not catalog.GPUS[g].consumer]),
       per_node=st.integers(1, 8), nodes=st.integers(1, 3), rdma=st.booleans(),
       model=st.sampled_from(sorted(catalog.MODELS)))
def test_no_plan_splits_heads_unevenly(gpu, per_node, nodes, rdma, model):
    try:
        result = plan(Hardware(gpu, per_node, nodes, rdma=rdma), Request(model), suggest=False)
    except Refused:
        return
    heads = catalog.MODELS[model].attention_heads
    assert heads % result.tensor_parallel == 0, (result.profile.engine, result.tensor_parallel)


@pytest.mark.parametrize("hw, req, engine, image", [
    (Hardware("MI300X-192GB", 8, 2, rdma=True), Request(R1, engine="aibrix"), "aibrix", "aibrix/vllm-openai"),
    (Hardware("MI300X-192GB", 8, 2), Request(R1, engine="kuberay"), "kuberay", "rayproject/ray-llm"),
    (Hardware("MI300X-192GB", 8, 1), Request(R1, engine="kuberay"), "kuberay", "rayproject/ray-llm"),
])
def test_amd_is_refused_for_engines_with_cuda_only_images(hw, req, engine, image):
    with pytest.raises(Refused) as exc:
        plan(hw, req)
    message = str(exc.value)
    assert f"{engine} runs {image}" in message and "CUDA-only" in message and "vllm-openai-rocm" in message
    assert exc.value.suggestions == ["vllm on 1 node(s) x 8 MI300X-192GB (vllm/vllm-openai-rocm:v0.30.0)"]


def test_amd_on_one_node_still_plans_vllm_rocm():
    result = plan(Hardware("MI300X-192GB", 8), Request(R1))
    assert result.profile.engine == "vllm"


# ---------------------------------------------------------------- wrong refusals

def test_an_ollama_tag_routes_to_ollama():
    result = plan(Hardware("H100-80GB", 1), Request("deepseek-r1:7b"))
    assert (result.profile.engine, result.profile.checkpoint.repo) == ("ollama", "deepseek-r1:7b")
    # A model the catalog has only as a tag goes to ollama too, by its key or its tag.
    for name in ("deepseek-r1-0528-qwen3-8b", "deepseek-r1:8b", "deepseek-r1-distill-qwen-1.5b"):
        assert plan(Hardware("H100-80GB", 1), Request(name)).profile.engine == "ollama"
    with pytest.raises(ValueError, match="ollama tag.*--engine ollama.*--model deepseek-r1-distill-qwen-7b"):
        plan(Hardware("H100-80GB", 1), Request("deepseek-r1:7b", engine="vllm"))
    with pytest.raises(Refused, match="ollama serves from one node.*--nodes 1"):
        plan(Hardware("H100-80GB", 8, 2), Request("deepseek-r1:7b"))


@pytest.mark.parametrize("hw, req, expect", [
    (Hardware("H100-80GB", 1), Request(R1_14B, precision="int3"), "--precision int3: unknown; precisions: bf16, fp8"),
    (Hardware("T4-16GB", 1), Request(R1, precision="fp8"), "not on T4-16GB; precisions of deepseek-r1 for vllm"),
    (Hardware("T4-16GB", 1), Request("deepseek-r1-distill-qwen-7b", precision="fp8"),
     "no fp8 checkpoint for vllm in the catalog; its precisions: bf16"),
    (Hardware("T4-16GB", 1), Request(R1_14B, precision="fp8"), "fp8 weights run on GPUs with FP8 hardware"),
    (Hardware("H100-80GB", 8), Request(R1, precision="nvfp4"), "nvfp4 weights run on B200-class Blackwell"),
    (Hardware("B200-180GB", 8, 2, rdma=True), Request(R1, precision="nvfp4"),
     "vLLM loads nvfp4 weights of them from 0.9.0 on; this engine runs 0.7.3"),
    (Hardware("H100-80GB", 1), Request(R1_14B, kv_cache_dtype="fp16"), "--kv-cache-dtype fp16: unknown"),
    (Hardware("A100-80GB", 1), Request(R1_14B, kv_cache_dtype="fp8"), "A100-80GB has no FP8 hardware"),
    (Hardware("L40S-48GB", 8, 2), Request(R1, kv_cache_dtype="fp8"),
     "vLLM 0.11.0 keeps the KV cache of an MLA model such as deepseek-r1 in FP8 only on Hopper"),
    (Hardware("H100-80GB", 1), Request(R1_14B, engine="ollama", kv_cache_dtype="fp8"), "not FP8"),
    (Hardware("H100-80GB", 1), Request("deepseek-r1:7b", precision="bf16"), "ollama serves the catalog's 4-bit"),
    (Hardware("H100-80GB", 1), Request(R1_14B, context=100_000_000), "at most 131072 tokens"),
    (Hardware("H100-80GB", 8, 2), Request(R1, context=200_000), "at most 163840 tokens"),
    (Hardware("H100-80GB", 1), Request(R1_14B, context=100), "below 512 tokens"),
])
def test_requests_that_cannot_apply_name_the_option_and_what_would(hw, req, expect):
    with pytest.raises(ValueError) as exc:
        plan(hw, req)
    assert not isinstance(exc.value, Refused)
    assert expect in str(exc.value)


def test_cpu_plans_assume_a_stated_ram_size():
    with pytest.raises(Refused, match="16 GiB of RAM assumed per node"):
        plan(Hardware(None), Request(R1))
    small = plan(Hardware(None), Request("deepseek-r1:1.5b"))
    assert any("assumed to be 16 GiB" in note for note in small.notes)
    assert ("note", small.notes[0]) in small.table()
    assert not plan(Hardware(None, memory_gib_per_node=32), Request("deepseek-r1:1.5b")).notes


@pytest.mark.parametrize("memory", [8, 12, 16, 64, 512])
@pytest.mark.parametrize("model", ["deepseek-r1:1.5b", "deepseek-r1:8b", "deepseek-r1:14b", "deepseek-r1:70b", R1])
def test_cpu_plans_request_no_more_memory_than_the_node_has(memory, model):
    try:
        result = plan(Hardware(None, memory_gib_per_node=memory), Request(model))
    except Refused:
        return
    requested = ollama.profile_values(result.profile)["resources"]["requests"]["memory"]
    assert int(requested.removesuffix("Gi")) <= memory


def test_refusals_carry_numbers_and_suggestions():
    with pytest.raises(Refused) as exc:
        plan(Hardware("H100-80GB", 8, 1), Request(R1, precision="fp8"))
    data = exc.value.as_dict()
    assert data["refused"] is True and data["reason"].startswith("deepseek-r1 needs at least 689 GB")
    assert data["numbers"]["gpuMemoryGiB"] == pytest.approx(8 * 79.6, abs=0.1)
    assert data["suggestions"][0] == "2 nodes of 8 x H100-80GB"
    json.dumps(data)


def test_deepseek_r1_8b_is_the_qwen3_distill():
    model, precision = resolve_model("deepseek-r1:8b")
    assert (model.key, precision) == ("deepseek-r1-0528-qwen3-8b", catalog.OLLAMA_Q4)
    assert (model.layers, model.kv_heads, model.head_dim, model.max_position) == (36, 8, 128, 131072)
    result = plan(Hardware("RTX3060-12GB", 1), Request("deepseek-r1:8b"))
    assert (result.profile.engine, result.profile.checkpoint.weights_gib) == ("ollama", 4.84)


# ---------------------------------------------------------------- layouts and expert parallelism

def test_one_replica_over_the_node_when_it_holds_more_sequences():
    """R1 on 8 x MI300X: tensor 8 x 1 replica holds 40 sequences of 32k, tensor 4 x 2 only 8, so
    the node runs one replica, as vLLM's recipe for AMD GPUs does; the plan shows both."""
    result = plan(Hardware("MI300X-192GB", 8), Request(R1, objective="latency"))
    assert (result.tensor_parallel, result.replicas) == (8, 1)
    assert result.layouts[0].startswith("chosen: tensor 8:") and "not chosen: tensor 4, 2 replicas" in result.layouts[1]
    assert f"{LAYOUT_GAIN}x" in result.layouts[-1] and ("layout", result.layouts[0]) in result.table()
    # 14B on 8 x H100: tensor 1 x 8 holds 56 sequences, 2 x 4 holds 72 (>= 1.25 x 56), 4 x 2 holds
    # 84 (< 1.25 x 72): tensor 2 x 4 replicas.
    step = plan(Hardware("H100-80GB", 8), Request(R1_14B))
    assert (step.tensor_parallel, step.replicas) == (2, 4)


def test_expert_parallel_where_the_recipe_uses_it():
    for objective in ("latency", "throughput"):  # the recipe's TP8 + EP, and its DP8 + EP
        h200 = plan(Hardware("H200-141GB", 8), Request(R1, objective=objective))
        assert h200.profile.expert_parallel and any("DeepSeek recipe" in n for n in h200.notes)
        assert vllm.profile_values(h200.profile)["engine"]["enableExpertParallel"] is True
    # AMD's recipe: TP 8 alone
    assert not plan(Hardware("MI300X-192GB", 8), Request(R1, objective="latency")).profile.expert_parallel
    assert not plan(Hardware("H100-80GB", 1), Request(R1_14B)).profile.expert_parallel  # dense
    ray = plan(Hardware("H100-80GB", 8, 2), Request(R1, expert_parallel=True))
    kwargs = kuberay.profile_values(ray.profile)["serve"]["llmConfigs"][0]["engineKwargs"]
    assert kwargs["extra"] == {"enable_expert_parallel": True}
    assert not plan(Hardware("H100-80GB", 8, 2), Request(R1)).profile.expert_parallel  # seed 004 as it is
    with pytest.raises(ValueError, match="predates --enable-expert-parallel"):
        plan(Hardware("H20-96GB", 8, 2, rdma=True), Request(R1, expert_parallel=True))
    with pytest.raises(ValueError, match="dense model"):
        plan(Hardware("H100-80GB", 1), Request(R1_14B, expert_parallel=True))


@pytest.mark.parametrize("hw, model, engine, repo", [
    # an 8B model fits a 12 GB card in 4 bits: the Llama distill through its GGUF name
    (Hardware("RTX3060-12GB", 1), "deepseek-r1-distill-llama-8b", "ollama",
     "hf.co/unsloth/DeepSeek-R1-Distill-Llama-8B-GGUF:Q4_K_M"),
    # DeepSeek-R1-0528, R1's architecture, on one node of 8 H200 as vLLM's recipe serves it
    (Hardware("H200-141GB", 8), "deepseek-r1-0528", "vllm", "deepseek-ai/DeepSeek-R1-0528"),
    (Hardware("B200-180GB", 8), "deepseek-r1-0528", "vllm", "deepseek-ai/DeepSeek-R1-0528"),
    # the 14B distill on one RTX 4090 (the rtx4090-24gb profile)
    (Hardware("RTX4090-24GB", 1), "deepseek-r1:14b", "ollama", "deepseek-r1:14b"),
])
def test_models_and_gpus_users_have(hw, model, engine, repo):
    result = plan(hw, Request(model))
    assert (result.profile.engine, result.profile.checkpoint.repo) == (engine, repo)


def test_every_gpu_and_checkpoint_has_a_source():
    for gpu in catalog.GPUS.values():
        assert gpu.source and gpu.node_shapes, gpu.name
    for model in catalog.MODELS.values():
        assert model.source and all(c.source for c in model.checkpoints), model.key


def test_another_engine_serves_what_the_first_choice_cannot():
    """7B distill on one T4 16 GB: its only Hugging Face checkpoint is bf16 (14.2 GiB of 15 GiB), which
    leaves vLLM no room for a KV cache, while ollama's 4-bit tag fits: planned, with a note, rather
    than refused."""
    result = plan(Hardware("T4-16GB", 1), Request("deepseek-r1-distill-qwen-7b"))
    assert (result.profile.engine, result.profile.checkpoint.repo) == ("ollama", "deepseek-r1:7b")
    assert result.notes[0].startswith("engine: ollama, because") and "14 GiB" in result.notes[0]
    with pytest.raises(Refused):  # an engine asked for is not swapped
        plan(Hardware("T4-16GB", 1), Request("deepseek-r1-distill-qwen-7b", engine="vllm"))


def test_the_other_checkpoints_are_tried_before_a_refusal():
    """70B distill on one H100 80 GB: bf16 (131 GiB) does not fit, FP8 (67.7 GiB) leaves room for 8192
    tokens only, so its AWQ checkpoint serves 32768 on vLLM, and the plan says why."""
    result = plan(Hardware("H100-80GB", 1), Request("deepseek-r1-distill-llama-70b"))
    assert (result.profile.engine, result.profile.precision, result.profile.max_model_len) == \
        ("vllm", "awq-int4", 32768)
    assert any(n.startswith("precision: awq-int4 at 32768 tokens rather than fp8 at 8192") for n in result.notes)
    # FP8 weights asked for: the 16384-token reasoning context in an FP8 KV cache
    fp8 = plan(Hardware("H100-80GB", 1), Request("deepseek-r1-distill-llama-70b", precision="fp8"))
    assert (fp8.profile.checkpoint.repo, fp8.profile.max_model_len, fp8.profile.kv_cache_dtype) == \
        ("RedHatAI/DeepSeek-R1-Distill-Llama-70B-FP8-dynamic", 16384, "fp8")


def test_fp8_kv_cache_before_a_refusal_and_said_so():
    """A context the 16-bit cache cannot hold fits in an FP8 cache where the engine keeps one: the plan
    and its values say so; --kv-cache-dtype auto refuses instead, with the numbers."""
    hw, req = Hardware("H100-80GB", 1), Request("deepseek-r1-distill-llama-70b", context=131072)
    result = plan(hw, req)
    assert result.profile.kv_cache_dtype == "fp8" and ("kv cache", "fp8 (--kv-cache-dtype fp8)") in result.table()
    assert any(n.startswith("KV cache: fp8") and "120831 tokens" in n for n in result.notes)
    assert result.as_dict()["kvCacheDtype"] == "fp8"
    assert vllm.profile_values(result.profile)["engine"]["kvCacheDtype"] == "fp8"
    ray = plan(hw, replace(req, engine="kuberay"))
    assert kuberay.profile_values(ray.profile)["serve"]["llmConfigs"][0]["engineKwargs"]["extra"] == \
        {"kv_cache_dtype": "fp8"}
    with pytest.raises(Refused, match="120831 tokens, fewer than max-model-len 131072"):
        plan(hw, replace(req, kv_cache_dtype="auto"))
    # no FP8 cache on a GPU without FP8 hardware: refused with the numbers
    with pytest.raises(Refused, match="fewer than max-model-len 131072"):
        plan(Hardware("A100-80GB", 1), req)
    # the arithmetic halves the bytes per token
    same = replace(req, context=32768, precision="awq-int4", max_num_seqs=16)
    fit16 = plan(hw, replace(same, kv_cache_dtype="auto")).profile.fit()
    fit8 = plan(hw, replace(same, kv_cache_dtype="fp8")).profile.fit()
    assert fit8.kv_tokens == pytest.approx(2 * fit16.kv_tokens, abs=2)


def test_amd_across_nodes_falls_back_to_vllm_rocm_without_ray():
    """The engines 8 x 2 MI300X call for (KubeRay, AIBrix) run CUDA-only images; vLLM's ROCm build on
    a LeaderWorkerSet serves it, so that is the plan, with a note naming the refusal."""
    for hw in (Hardware("MI300X-192GB", 8, 2), Hardware("MI300X-192GB", 8, 2, rdma=True)):
        result = plan(hw, Request(R1))
        assert (result.profile.engine, result.profile.pods) == ("vllm", 2)
        assert "CUDA-only" in result.notes[0]
