"""The catalog's memory arithmetic against config.json: each model's layers, KV heads, head
dimension (the MLA latent for DeepSeek-V3) and parameter count, and each Hugging Face
checkpoint's size recomputed from its precision, as tests/data/model-configs.yaml states the
facts. A size typed wrong, or a checkpoint filed under the wrong precision, fails here."""

from __future__ import annotations

import pytest
import yaml

from generator import catalog, overhead
from generator.build import ROOT

CONFIGS = yaml.safe_load((ROOT / "tests" / "data" / "model-configs.yaml").read_text())
BYTES = CONFIGS["bytes_per_parameter"]
TOLERANCE = 0.02  # listed sizes are rounded to 0.01 GB per shard; scales and norms are not counted


def dense_counts(c: dict) -> tuple[int, int]:
    """(all parameters, parameters of the Linear layers inside the transformer blocks)."""
    h, hd = c["hidden"], c["head_dim"]
    q, kv = c["heads"] * hd, c["kv_heads"] * hd
    attention = h * q + 2 * h * kv + q * h
    mlp = 3 * h * c["intermediate"]
    bias = (q + 2 * kv) if c["qkv_bias"] else 0
    norms = 2 * h
    embed = c["vocab"] * h
    linear = c["layers"] * (attention + mlp)
    total = linear + c["layers"] * (bias + norms) + embed * (1 if c["tied"] else 2) + h
    return total, linear


def moe_counts(c: dict) -> dict[str, int]:
    """DeepseekV3: parameters of the main model, those read per token, the MTP layer's, and which
    of them are Linear weights (routed experts apart)."""
    h, heads = c["hidden"], c["heads"]
    attention = (h * c["q_lora_rank"] + c["q_lora_rank"] * heads * (c["qk_nope_head_dim"] + c["qk_rope_head_dim"])
                 + h * (c["kv_lora_rank"] + c["qk_rope_head_dim"])
                 + c["kv_lora_rank"] * heads * (c["qk_nope_head_dim"] + c["v_head_dim"])
                 + heads * c["v_head_dim"] * h)
    dense_mlp = 3 * h * c["intermediate"]
    expert = 3 * h * c["moe_intermediate"]
    router = c["routed_experts"] * h
    moe_layers = c["layers"] - c["dense_layers"]
    embed_and_head = 2 * c["vocab"] * h
    shared = c["dense_layers"] * (attention + dense_mlp) + moe_layers * (attention + c["shared_experts"] * expert)
    routed = moe_layers * c["routed_experts"] * expert
    mtp = (attention + (c["routed_experts"] + c["shared_experts"]) * expert + router + 2 * h * h + embed_and_head) \
        * c["mtp_layers"]
    return {
        "main": shared + routed + moe_layers * router + embed_and_head,
        "active": shared + moe_layers * (c["experts_per_token"] * expert + router) + embed_and_head,
        "routed": routed, "shared_linear": shared, "sixteen_bit": moe_layers * router + embed_and_head,
        "mtp": mtp, "mtp_sixteen_bit": router + embed_and_head,
    }


def expected_bytes(model_key: str, precision: str) -> float:
    if model_key in CONFIGS["dense"]:
        total, linear = dense_counts(CONFIGS["dense"][model_key])
        if precision == "bf16":
            return total * BYTES["bf16"]
        # FP8-dynamic and AWQ quantize the blocks' Linear layers; embeddings, lm_head, norms stay 16-bit.
        return linear * BYTES[precision] + (total - linear) * BYTES["bf16"]
    n = moe_counts(CONFIGS["moe"][model_key.removesuffix("-0528")])
    if precision == "fp8":
        # DeepSeek's release: every Linear weight in FP8 (MTP layer included); embeddings, lm_head and
        # the routers in bf16.
        linear = n["shared_linear"] + n["routed"] + n["mtp"] - n["mtp_sixteen_bit"]
        return linear * BYTES["fp8"] + (n["sixteen_bit"] + n["mtp_sixteen_bit"]) * BYTES["bf16"]
    if precision == "nvfp4":
        # NVIDIA's release: the routed experts of the main model in NVFP4; attention, dense and shared
        # expert layers, and the MTP layer (outside the Hugging Face model ModelOpt quantizes) in bf16.
        return n["routed"] * BYTES["nvfp4"] + (n["shared_linear"] + n["sixteen_bit"] + n["mtp"]) * BYTES["bf16"]
    if precision == "w4a16":
        # IST Austria's GPTQ: the routed experts of the main model in int4 with a bf16 scale per 128;
        # everything else in bf16; no MTP layer.
        return n["routed"] * BYTES["w4a16"] + (n["shared_linear"] + n["sixteen_bit"]) * BYTES["bf16"]
    raise AssertionError(f"no arithmetic for {precision} of {model_key}")


HF_CHECKPOINTS = [(m.key, c) for m in catalog.MODELS.values() for c in m.checkpoints
                  if c.precision != catalog.OLLAMA_Q4]


@pytest.mark.parametrize("key, ckpt", HF_CHECKPOINTS, ids=[c.repo for _, c in HF_CHECKPOINTS])
def test_checkpoint_size_matches_its_precision(key, ckpt):
    expected_gib = expected_bytes(key, ckpt.precision) / catalog.GIB
    assert ckpt.weights_gib == pytest.approx(expected_gib, rel=TOLERANCE), \
        f"{ckpt.repo}: catalog {ckpt.weights_gib} GiB, config.json arithmetic {expected_gib:.2f} GiB"


@pytest.mark.parametrize("key", list(CONFIGS["dense"]))
def test_dense_model_facts(key):
    c, model = CONFIGS["dense"][key], catalog.MODELS[key]
    assert (model.layers, model.kv_heads, model.head_dim, model.attention_heads, model.max_position) == \
        (c["layers"], c["kv_heads"], c["head_dim"], c["heads"], c["max_position"])
    total, _ = dense_counts(c)
    assert model.params_b == pytest.approx(total / 1e9, rel=0.005)
    # K and V of every KV head, every layer, two bytes each
    assert model.kv_bytes_per_token() == 2 * c["layers"] * c["kv_heads"] * c["head_dim"] * 2


@pytest.mark.parametrize("key", ["deepseek-r1", "deepseek-r1-0528"])
def test_mla_model_facts(key):
    c, model = CONFIGS["moe"]["deepseek-r1"], catalog.MODELS[key]
    assert model.mla and model.kv_heads == 1
    assert model.head_dim == c["kv_lora_rank"] + c["qk_rope_head_dim"]  # the latent cached per token and layer
    assert (model.layers, model.attention_heads, model.max_position) == (c["layers"], c["heads"], c["max_position"])
    n = moe_counts(c)
    assert model.params_b == pytest.approx(n["main"] / 1e9, rel=0.005)
    assert model.active_params_b == pytest.approx(n["active"] / 1e9, rel=0.02)
    assert model.kv_bytes_per_token() == c["layers"] * 576 * 2
    assert model.kv_bytes_per_token(catalog.KV_CACHE_BYTES["fp8"]) == c["layers"] * 576


def test_every_checkpoint_precision_is_in_the_quantization_table():
    for model in catalog.MODELS.values():
        for ckpt in model.checkpoints:
            quantization = catalog.QUANTIZATIONS[ckpt.precision]
            assert quantization.source and quantization.gpus, ckpt.precision


def mtp_bytes(precision: str) -> float:
    """Bytes of the MTP layer as each release ships it, from config.json facts."""
    n = moe_counts(CONFIGS["moe"]["deepseek-r1"])
    linear, sixteen = n["mtp"] - n["mtp_sixteen_bit"], n["mtp_sixteen_bit"]
    return {"fp8": linear * BYTES["fp8"] + sixteen * BYTES["bf16"],  # DeepSeek's release: FP8 Linear layers
            "nvfp4": (linear + sixteen) * BYTES["bf16"],  # NVIDIA's: the layer ModelOpt leaves in bf16
            "w4a16": 0}[precision]  # IST Austria's: no MTP layer


MOE_CHECKPOINTS = [(m.key, c) for m in catalog.MODELS.values() if m.mla for c in m.checkpoints
                   if c.precision != catalog.OLLAMA_Q4]


@pytest.mark.parametrize("key, ckpt", MOE_CHECKPOINTS, ids=[c.repo for _, c in MOE_CHECKPOINTS])
def test_moe_split_matches_config_facts(key, ckpt):
    """The routed experts and the rest of each MoE checkpoint, recomputed from config.json facts:
    data-parallel attention keeps the rest whole on every GPU and splits only the experts."""
    n = moe_counts(CONFIGS["moe"]["deepseek-r1"])
    experts_gib = n["routed"] * BYTES[ckpt.precision] / catalog.GIB
    rest_gib = (expected_bytes(key, ckpt.precision) - mtp_bytes(ckpt.precision)) / catalog.GIB - experts_gib
    assert ckpt.experts_gib == pytest.approx(experts_gib, rel=0.005)
    # the rest is the listed total less the experts and the MTP layer: it carries the listed total's
    # whole tolerance (TOLERANCE of the total, in GiB)
    assert ckpt.shared_gib == pytest.approx(rest_gib, abs=TOLERANCE * ckpt.weights_gib), \
        (ckpt.repo, ckpt.shared_gib, rest_gib)


def test_dense_checkpoints_have_no_experts():
    for model in catalog.MODELS.values():
        for ckpt in model.checkpoints:
            assert (ckpt.experts_gib > 0) == (model.mla and ckpt.precision != catalog.OLLAMA_Q4), ckpt.repo


def test_w4a16_keeps_too_much_in_16_bits_for_data_parallel_on_80_gb():
    """IST Austria's checkpoint quantizes only the routed experts: the 32 GiB it keeps in bf16 plus an
    eighth of the experts exceed what an 80 GB GPU has for weights at vLLM's 0.90 next to data
    parallelism's runtime overhead, so on 8 x A100 80 GB tensor parallelism (which splits the bf16 part
    too) is what loads it with room for a KV cache."""
    model = catalog.MODELS["deepseek-r1"]
    ckpt = model.checkpoint("w4a16")
    gpu = catalog.GPUS["A100-80GB"]
    data_parallel = overhead.overhead(model, gpu, catalog.DEFAULT_RELEASE, data_parallel=8).gib
    tensor_parallel = overhead.overhead(model, gpu, catalog.DEFAULT_RELEASE, tensor_parallel=8).gib
    assert ckpt.shared_gib + ckpt.experts_gib / 8 > gpu.memory_gib * 0.9 - data_parallel
    assert ckpt.weights_gib / 8 < gpu.memory_gib * 0.9 - tensor_parallel


def config_kv_bytes_per_token_per_gpu(model_key: str, tensor_parallel: int, pipeline_parallel: int,
                                      element_bytes: int) -> float:
    """One token's KV cache on one GPU, from config.json alone: GQA caches K and V of every KV head
    (split over tensor-parallel ranks, at most one rank per head); MLA caches the compressed latent
    (kv_lora_rank + qk_rope_head_dim) once, on every rank; pipeline stages split the layers."""
    if model_key in CONFIGS["dense"]:
        c = CONFIGS["dense"][model_key]
        per_token = 2 * c["layers"] * c["kv_heads"] * c["head_dim"] * element_bytes
        return per_token / min(tensor_parallel, c["kv_heads"]) / pipeline_parallel
    c = CONFIGS["moe"][model_key.removesuffix("-0528")]
    return c["layers"] * (c["kv_lora_rank"] + c["qk_rope_head_dim"]) * element_bytes / pipeline_parallel


def test_config_kv_arithmetic_on_known_figures():
    # Qwen2.5-14B: 2 x 48 layers x 8 KV heads x 128 x 2 bytes = 196608 (192 KiB) per token
    assert config_kv_bytes_per_token_per_gpu("deepseek-r1-distill-qwen-14b", 1, 1, 2) == 196608
    assert config_kv_bytes_per_token_per_gpu("deepseek-r1-distill-qwen-14b", 16, 1, 2) == 196608 / 8
    # DeepSeek-R1: 61 layers x 576 latent x 2 bytes, the same on each of 8 ranks, halved by 2 stages
    assert config_kv_bytes_per_token_per_gpu("deepseek-r1", 8, 2, 2) == 61 * 576


@pytest.mark.parametrize("key, ckpt", MOE_CHECKPOINTS, ids=[c.repo for _, c in MOE_CHECKPOINTS])
def test_mtp_layer_is_what_vllm_skips(key, ckpt):
    """The multi-token-prediction layer each release ships, from config.json facts: vLLM loads the
    files less it (DeepseekV2ForCausalLM.load_weights skips the spec-decode layer)."""
    expected = mtp_bytes(ckpt.precision)
    assert ckpt.mtp_gib == pytest.approx(expected / catalog.GIB, abs=0.01)
    assert ckpt.loaded_gib == pytest.approx(ckpt.weights_gib - expected / catalog.GIB, abs=0.01)
