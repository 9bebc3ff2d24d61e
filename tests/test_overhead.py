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
    """DeepSeek-R1 at tensor parallel 8 on H200 with vLLM 0.31.0's default batch (8192 tokens; 64
    sequences, 32768-token context). Per token: 2 x 7168 of residual stream; MLA's query and output,
    16 local heads x (128 + 64 + 128) = 5120, with its simulated up-projection of 65536 rows x 16
    heads x (128 + 128) = 4096 each, outweigh the dense MLP's 3 x 18432 / 8 = 6912; the experts'
    workspaces 8 x (7168 + 7168) = 114688. The forward pass (2 bytes an element) outweighs the
    sampler (64 x 129280 logits x 14 bytes). CUDA graphs: batches up to 128 (2 x 64): [1, 2, 4] and
    8 to 128 by 8, 19 piecewise, 11 of them up to 64 also full; the first capture is the forward pass
    of 128 tokens (no up-projection), each further graph 61 layers x 512 KiB."""
    o = overhead.overhead(R1, GPUS["H200-141GB"], "0.31.0", tensor_parallel=8, max_num_seqs=64, context=32768)
    assert (o.batched_tokens, o.seqs, o.moe_tokens) == (8192, 64, 8192)
    assert o.experts == 2 * 8192 * 114688
    assert o.forward == 2 * (8192 * 14336 + 8192 * 5120 + 65536 * 4096)
    assert o.sampler == 64 * 129280 * 14 < o.forward
    assert o.activation == o.experts + o.forward
    assert (o.non_torch, o.all2all) == (GIB, 0)
    assert o.graph_count == 19 + 11
    assert o.graphs == 2 * 128 * (14336 + 6912) + (18 + 10) * 61 * 512 * 1024
    # 1879048192 + 855638016 + 1073741824 + 900923392 bytes, rounded up to whole MiB
    assert o.mib == 4492


def test_data_parallel_experts_take_every_ranks_tokens():
    """With data-parallel attention the ranks' tokens are gathered (or dispatched) to the experts, and
    the profile run's dummy tokens route alike: one GPU's experts take 8 x 8192 tokens, with their
    gathered hidden states (7168) and top-k weights and ids (4 x 8); the attention is whole on each
    rank (128 heads), its simulated up-projection too (65536 rows x 128 x 256)."""
    o = overhead.overhead(R1, GPUS["H200-141GB"], "0.31.0", data_parallel=8, max_num_seqs=64, context=32768)
    assert o.moe_tokens == 8 * 8192
    assert o.experts == 2 * 8 * 8192 * (114688 + 7168 + 32)
    assert o.forward == 2 * (8192 * 14336 + 8192 * 128 * 320 + 65536 * 128 * 256)
    dense = catalog.MODELS["deepseek-r1-distill-qwen-14b"]
    plain = overhead.overhead(dense, GPUS["H100-80GB"], "0.31.0", context=32768)
    assert (plain.moe_tokens, plain.experts) == (8192, 0)


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


def graph_counts(gpu: str, tokens: int, seqs: int) -> tuple[int, int]:
    sizes = overhead.graph_sizes(overhead.Release("0.31.0"), GPUS[gpu], tokens, seqs)
    return len(sizes), sum(1 for size in sizes if size <= seqs)


def test_graph_sizes_as_logged():
    """The default list up to 512 is the log's 51 sizes, all of them full graphs too when 1024
    sequences are allowed (PIECEWISE=51, FULL=51); data-center Blackwell captures up to 1024."""
    (logged,) = LOGS["capture_sizes"]
    assert graph_counts("H200-141GB", 8192, 1024) == (logged["count"], logged["count"])
    assert graph_counts("B200-180GB", 16384, 1024) == (51 + (1024 - 512) // 16,) * 2
    # 13 sequences: batches up to 26, and 13 itself; full graphs up to 13
    assert overhead.graph_sizes(overhead.Release("0.31.0"), GPUS["H200-141GB"], 8192, 13) == [1, 2, 4, 8, 13, 16, 24]
    assert graph_counts("H200-141GB", 8192, 13) == (7, 5)
    # a batch of 20 tokens caps the sizes and is captured itself
    assert overhead.graph_sizes(overhead.Release("0.31.0"), GPUS["H200-141GB"], 20, 13) == [1, 2, 4, 8, 13, 16, 20]


def test_cuda_graphs_only_where_the_release_subtracts_them():
    """Subtracted from v0.21 (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS); none with --enforce-eager."""
    gpu = GPUS["H200-141GB"]
    assert overhead.overhead(R1, gpu, "0.31.0", 8).graphs > 0
    assert overhead.overhead(R1, gpu, "0.31.0", 8, eager=True).graphs == 0
    assert overhead.overhead(R1, gpu, "0.11.0", 8).graphs == 0
    assert overhead.overhead(R1, gpu, "0.7.3", 8, context=32768).graphs == 0
    assert overhead.overhead(R1, gpu, "0.31.0", 8, max_num_seqs=13).graph_count == 7 + 5


def test_mla_profile_up_projection():
    """MLA without attention metadata allocates the chunked-prefill workspace's up-projection:
    min(max(8 x context, 4 x max_num_seqs x 64), 65536) rows."""
    assert overhead.mla_workspace_tokens(32768, 64) == 65536
    assert overhead.mla_workspace_tokens(4096, 64) == 32768
    assert overhead.mla_workspace_tokens(1024, 64) == 16384
    dense = catalog.MODELS["deepseek-r1-distill-qwen-14b"]
    assert overhead.widths(dense, 1).workspace == 0


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
    for term in ("vLLM 0.31.0", "profile run of 2048 tokens", "for 16384 tokens", "forward", "sampler", "non-torch",
                 "CUDA graphs"):
        assert term in line
    # the plan sets a 2048-token batch for data parallelism, and says what vLLM's default would cost
    assert result.profile.max_num_batched_tokens == 2048
    note = next(n for n in result.notes if n.startswith("profile run: with data parallelism"))
    default = result.profile.fit(max_num_batched_tokens=0)
    assert "vLLM's default 8192 would leave" in note and f"({default.kv_tokens} tokens)" in note
    assert default.kv_tokens < result.profile.fit().kv_tokens
    latency = plan(Hardware("H200-141GB", 8), Request("deepseek-r1", objective="latency"))
    assert latency.profile.max_num_batched_tokens == 0  # tensor parallel: vLLM's default batch
    assert cli.main(["plan", "--gpu", "H200-141GB", "--gpus-per-node", "8", "--model", "deepseek-r1",
                     "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["overhead"]
    assert data["expertTokens"] == 8 * 2048 and data["batchedTokens"] == 2048
    # the JSON terms compose as the profile run does: kept workspaces + the larger transient peak
    assert data["activationGiB"] == pytest.approx(data["expertsGiB"] + max(data["forwardGiB"], data["samplerGiB"]),
                                                  abs=0.002)
    assert data["totalGiB"] == pytest.approx(data["activationGiB"] + data["nonTorchGiB"] + data["deepepGiB"]
                                             + data["cudaGraphsGiB"], abs=0.004)
