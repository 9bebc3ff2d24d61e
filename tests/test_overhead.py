"""vLLM's runtime memory besides weights and KV cache (generator/overhead.py), term by term: the
model widths it reads against config.json facts, the terms of one layout worked out by hand from
vLLM 0.31.0's code, the batch defaults of each release, where CUDA graphs are subtracted, and the
calibrated constants against vLLM's own startup logs (tests/data/vllm-memory-logs.yaml). The chart's
copy of the arithmetic is held to this one by the grid of tests/test_fit_check.py."""

from __future__ import annotations

import json

import pytest
import yaml

from generator import catalog, cli, overhead
from generator.build import ROOT
from generator.planner import Hardware, Request, plan

CONFIGS = yaml.safe_load((ROOT / "tests" / "data" / "model-configs.yaml").read_text())
LOGS = yaml.safe_load((ROOT / "tests" / "data" / "vllm-memory-logs.yaml").read_text())
R1 = catalog.MODELS["deepseek-r1"]
GPUS = catalog.GPUS
MIB, GIB = 2**20, 2**30


@pytest.mark.parametrize("key", [k for k in catalog.MODELS if k.removesuffix("-0528") in
                                 {**CONFIGS["dense"], **CONFIGS["moe"]}])
def test_model_widths_match_config(key):
    model = catalog.MODELS[key]
    c = {**CONFIGS["dense"], **CONFIGS["moe"]}[key.removesuffix("-0528")]
    assert (model.hidden_size, model.intermediate_size, model.vocab_size, model.attention_heads) == \
        (c["hidden"], c["intermediate"], c["vocab"], c["heads"])
    assert model.moe_intermediate_size == c.get("moe_intermediate", 0)
    assert model.experts_per_token == c.get("experts_per_token", 0)
    if model.mla:
        assert (model.qk_nope_head_dim, model.qk_rope_head_dim, model.v_head_dim) == \
            (c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"])


def test_r1_tensor_8_by_hand():
    """DeepSeek-R1 at tensor parallel 8 on H200 with vLLM 0.31.0's defaults (8192 tokens, here 64
    sequences). Per token of the profile run: 2 x 7168 (residual and hidden) + 16 local heads x
    (128 + 64 + 128 + 128 + 128) = 9216 of MLA prefill, more than the dense MLP's 3 x 18432 / 8 =
    6912; the experts' workspaces 8 x (7168 + 7168) = 114688. Sampler: 64 x 129280 logits x 10
    bytes. CUDA graphs: 128 is the largest batch (2 x 64), 19 sizes ([1, 2, 4] + 8..128), 2 modes;
    the first capture is the activation of 128 tokens, each further graph 61 layers x 512 KiB."""
    o = overhead.overhead(R1, GPUS["H200-141GB"], "0.31.0", tensor_parallel=8, max_num_seqs=64)
    assert (o.batched_tokens, o.seqs, o.moe_tokens) == (8192, 64, 8192)
    assert o.activation == 2 * 8192 * (14336 + 9216 + 114688) == 2_264_924_160
    assert o.sampler == 64 * 129280 * 10
    assert o.non_torch == GIB
    assert o.all2all == 0
    assert o.graph_count == 2 * 19
    assert o.graphs == 2 * 128 * (14336 + 9216 + 114688) + 2 * 18 * 61 * 512 * 1024
    assert o.mib == -(-(o.activation + o.sampler + o.non_torch + o.graphs) // MIB)


def test_data_parallel_experts_take_every_ranks_tokens():
    """With data-parallel attention the ranks' tokens are gathered (or dispatched) to the experts, and
    the profile run's dummy tokens route alike: one GPU's experts take 8 x 8192 tokens, with their
    gathered hidden states (7168) and fp32 router logits (2 x 256); the attention is whole on each
    rank (128 heads)."""
    o = overhead.overhead(R1, GPUS["H200-141GB"], "0.31.0", data_parallel=8, max_num_seqs=64)
    assert o.moe_tokens == 8 * 8192
    assert o.activation == 2 * (8192 * (14336 + 128 * 576) + 8 * 8192 * (114688 + 7168 + 512))
    dense = catalog.MODELS["deepseek-r1-distill-qwen-14b"]
    assert overhead.overhead(dense, GPUS["H100-80GB"], "0.31.0").moe_tokens == 8192


@pytest.mark.parametrize("gpu, release, context, expected", [
    ("B200-180GB", "0.31.0", 32768, (16384, 1024)),  # 160 GiB and more
    ("MI300X-192GB", "0.30.0", 32768, (16384, 1024)),  # the ROCm image's release has the tier too
    ("H200-141GB", "0.31.0", 32768, (8192, 1024)),
    ("H100-80GB", "0.31.0", 32768, (8192, 1024)),
    ("A100-80GB", "0.31.0", 32768, (2048, 256)),  # 70 GiB and more, but an A100 (vLLM PR #17885)
    ("L4-24GB", "0.31.0", 32768, (2048, 256)),
    ("B200-180GB", "0.11.0", 32768, (8192, 1024)),  # Ray 2.52's vLLM: no tier of 160 GiB
    ("H20-96GB", "0.7.3", 163840, (2048, 256)),  # V0: chunked prefill above 32768 tokens
    ("H20-96GB", "0.7.3", 16384, (16384, 256)),  # V0 without chunked prefill: the whole context
    ("H20-96GB", "0.7.3", 1024, (2048, 256)),
])
def test_batch_defaults(gpu, release, context, expected):
    assert overhead.Release(release).batch_defaults(GPUS[gpu], context) == expected
    o = overhead.overhead(R1, GPUS[gpu], release, tensor_parallel=8, context=context)
    assert (o.batched_tokens, o.seqs) == expected


def test_batch_adjustments():
    """How v0.30+ adjusts a default batch (arg_utils.py `_set_default_max_num_seqs_and_batched_tokens_args`)
    and v0.11.0 does not: 256 tokens for batched data-parallel MoE (DeepEP low-latency), at least the
    context without chunked prefill (which v0.11.0 forces on), at most max_num_seqs x context; a
    default max_num_seqs is at most the batch."""
    h200 = GPUS["H200-141GB"]
    low_latency = {"data_parallel": 8, "all2all": "deepep_low_latency", "context": 32768}
    assert overhead.overhead(R1, h200, "0.31.0", **low_latency).batched_tokens == 256
    assert overhead.overhead(R1, h200, "0.11.0", **low_latency).batched_tokens == 8192
    assert overhead.overhead(R1, h200, "0.31.0", data_parallel=8, all2all="nixl_ep", context=32768,
                             max_num_batched_tokens=4096).batched_tokens == 4096
    whole = {"tensor_parallel": 8, "context": 32768, "chunked_prefill": False}
    assert overhead.overhead(R1, h200, "0.31.0", **whole).batched_tokens == 32768
    assert overhead.overhead(R1, h200, "0.11.0", **whole).batched_tokens == 8192
    one = {"tensor_parallel": 8, "context": 4096, "max_num_seqs": 1}
    assert overhead.overhead(R1, h200, "0.31.0", **one).batched_tokens == 4096
    assert overhead.overhead(R1, h200, "0.11.0", **one).batched_tokens == 8192
    assert overhead.overhead(R1, h200, "0.31.0", 8, max_num_batched_tokens=512).seqs == 512
    assert overhead.overhead(R1, h200, "0.31.0", 8, max_num_batched_tokens=512, max_num_seqs=600).seqs == 600


def test_set_limits_replace_the_defaults():
    o = overhead.overhead(R1, GPUS["H200-141GB"], "0.31.0", tensor_parallel=8, max_num_seqs=5,
                          max_num_batched_tokens=2048)
    assert (o.batched_tokens, o.seqs) == (2048, 5)


def test_capture_sizes_as_logged():
    (logged,) = LOGS["capture_sizes"]
    assert overhead.capture_sizes(logged["largest"]) == logged["count"]
    assert overhead.capture_sizes(1024) == 51 + (1024 - 512) // 16
    assert [overhead.capture_sizes(c) for c in (1, 2, 3, 4, 8, 16)] == [1, 2, 2, 3, 4, 5]


def test_cuda_graphs_only_where_the_release_subtracts_them():
    """Subtracted from v0.21 (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS); none with --enforce-eager;
    data-center Blackwell captures up to 1024 from v0.30."""
    gpu = GPUS["H200-141GB"]
    assert overhead.overhead(R1, gpu, "0.31.0", 8).graphs > 0
    assert overhead.overhead(R1, gpu, "0.31.0", 8, eager=True).graphs == 0
    assert overhead.overhead(R1, gpu, "0.11.0", 8).graphs == 0
    assert overhead.overhead(R1, gpu, "0.7.3", 8, context=32768).graphs == 0
    b200 = overhead.overhead(R1, GPUS["B200-180GB"], "0.31.0", 8)
    assert b200.graph_count == 2 * overhead.capture_sizes(1024)
    assert overhead.overhead(R1, gpu, "0.31.0", 8).graph_count == 2 * overhead.capture_sizes(512)


def test_deepep_buffers():
    gpu = GPUS["H200-141GB"]
    one = overhead.overhead(R1, gpu, "0.31.0", data_parallel=8, all2all="deepep_high_throughput")
    two = overhead.overhead(R1, gpu, "0.31.0", data_parallel=16, all2all="deepep_low_latency", nodes=2)
    assert (one.all2all, two.all2all) == (GIB, 2 * GIB)
    assert overhead.overhead(R1, gpu, "0.31.0", data_parallel=8, all2all="allgather_reducescatter").all2all == 0
    assert overhead.overhead(R1, gpu, "0.31.0", tensor_parallel=8, all2all="deepep_high_throughput").all2all == 0


def test_non_torch_constants_cover_the_logs():
    """The constants are at least what the logs show, and not more than twice it."""
    for gpus, constant in ((1, overhead.NON_TORCH_ONE_GPU), (4, overhead.NON_TORCH_MULTI_GPU)):
        logged = [p["gib"] * GIB for p in LOGS["non_torch"] if (p["gpus"] > 1) == (gpus > 1)]
        assert logged and max(logged) <= constant <= 2 * max(logged), (gpus, logged)


def test_v0_non_torch_within_the_logs():
    """V0 counts NCCL's buffers as non-torch memory: the constant lies within the logged range and
    covers the one logged DeepSeek-R1 point (2 x 8 H20, seed 002's hardware)."""
    logged = [p["gib"] * GIB for p in LOGS["non_torch_v0"]]
    assert min(logged) <= overhead.NON_TORCH_MULTI_GPU_V0 <= max(logged)
    r1 = next(p for p in LOGS["non_torch_v0"] if p["model"].startswith("DeepSeek-R1"))
    assert overhead.NON_TORCH_MULTI_GPU_V0 >= r1["gib"] * GIB
    h20 = overhead.overhead(R1, GPUS["H20-96GB"], "0.7.3", tensor_parallel=16, context=163840)
    assert h20.non_torch == overhead.NON_TORCH_MULTI_GPU_V0
    assert overhead.overhead(R1, GPUS["H20-96GB"], "0.11.0", tensor_parallel=16).non_torch == GIB


def test_graph_bytes_per_layer_within_the_logs():
    """Per layer and graph beyond the first, each logged figure against the constant of its
    attention, within a factor of 1.5 either way."""
    for point in LOGS["graphs"]:
        per_layer = point["gib"] * GIB / ((point["graphs"] - point["modes"]) * point["layers"])
        constant = overhead.GRAPH_BYTES_PER_LAYER[point["mla"]]
        assert per_layer / 1.5 <= constant <= per_layer * 1.5, (point["model"], per_layer / MIB)


def test_plan_prints_the_terms(capsys):
    result = plan(Hardware("H200-141GB", 8), Request("deepseek-r1"))
    line = next(row for row in result.lines if row.startswith("overhead"))
    for term in ("vLLM 0.31.0", "activations", "experts of 65536", "sampler", "non-torch", "CUDA graphs"):
        assert term in line
    assert any(n.startswith("profile run: with data parallelism") and "--max-num-batched-tokens 2048" in n
               for n in result.notes)
    assert cli.main(["plan", "--gpu", "H200-141GB", "--gpus-per-node", "8", "--model", "deepseek-r1",
                     "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["overhead"]
    fit = result.profile.fit()
    assert data["expertTokens"] == 65536 and data["totalGiB"] == fit.overhead_gib
    assert fit.kv_gib == pytest.approx(fit.gpu_gib * fit.utilization - fit.weights_gib - fit.overhead_gib)
