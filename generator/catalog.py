"""Catalog: GPUs, models and the memory arithmetic that decides what fits.

Units: GiB = 2**30 bytes everywhere (GPU memory as `nvidia-smi` reports it in MiB / 1024,
checkpoint sizes as the sum of the safetensors files / 2**30).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from generator.overhead import GIB, Overhead, overhead, version_tuple


@dataclass(frozen=True)
class Gpu:
    name: str
    vendor: str  # nvidia | amd
    memory_gib: float  # total device memory as the driver reports it
    bandwidth_gbs: float  # memory bandwidth, GB/s (10**9 bytes), from the datasheet
    bf16: bool  # bfloat16 arithmetic (Ampere and newer, CDNA3); T4 has fp16 only
    fp8: bool  # hardware FP8 tensor cores (Ada, Hopper, CDNA3)
    compute_capability: float  # CUDA compute capability; 0 for AMD
    consumer: bool  # a desktop card: single user, GGUF through ollama fits best
    ray_accelerator: str  # Ray's accelerator_type name (ray.util.accelerators), "" if none
    node_shapes: tuple[str, ...]  # typical machines carrying it
    source: str
    observed: str = ""  # a measured speed reported by a seed, to set against the bound
    fp4: bool = False  # hardware FP4 tensor cores (NVFP4: Blackwell)

    @property
    def resource(self) -> str:
        return VENDOR_RESOURCES[self.vendor]


# Extended resource name each vendor's device plugin advertises.
VENDOR_RESOURCES = {"nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu"}
# The software stack an image must be built for to drive each vendor's GPUs.
VENDOR_STACKS = {"nvidia": "CUDA", "amd": "ROCm"}

GPUS: dict[str, Gpu] = {
    g.name: g
    for g in (
        # Memory: total MiB the driver reports (nvidia-smi / rocm-smi) / 1024.
        Gpu("T4-16GB", "nvidia", 15.0, 320, False, False, 7.5, False, "T4",
            ("n1-standard-8 + 1 x T4 (GCP)", "g4dn.xlarge (AWS)"),
            "NVIDIA T4 datasheet (320 GB/s); nvidia-smi 15360MiB"),
        Gpu("L4-24GB", "nvidia", 22.5, 300, True, True, 8.9, False, "L4",
            ("g2-standard-8 (GCP)", "g6.xlarge (AWS)"),
            "NVIDIA L4 datasheet (300 GB/s); nvidia-smi 23034MiB"),
        Gpu("A10-24GB", "nvidia", 22.5, 600, True, False, 8.6, False, "A10G",
            ("g5.xlarge (AWS, A10G)", "VM.GPU.A10.1 (OCI)"),
            "NVIDIA A10 datasheet (600 GB/s); nvidia-smi 23028MiB"),
        Gpu("A100-40GB", "nvidia", 40.0, 1555, True, False, 8.0, False, "A100-40G",
            ("a2-highgpu-1g (GCP)", "p4d.24xlarge (AWS, 8 GPUs)"),
            "NVIDIA A100 datasheet (1555 GB/s); nvidia-smi 40960MiB"),
        Gpu("H100-80GB", "nvidia", 79.6, 3350, True, True, 9.0, False, "H100",
            ("a3-highgpu-8g (GCP, 8 GPUs, 208 vCPU, 1872 GB)", "p5.48xlarge (AWS, 8 GPUs)"),
            "NVIDIA H100 SXM5 datasheet (3.35 TB/s); nvidia-smi 81559MiB"),
        Gpu("H200-141GB", "nvidia", 140.4, 4800, True, True, 9.0, False, "H200",
            ("a3-ultragpu-8g (GCP, 8 GPUs)", "p5e.48xlarge (AWS, 8 GPUs)"),
            "NVIDIA H200 datasheet (4.8 TB/s); nvidia-smi 143771MiB"),
        Gpu("H20-96GB", "nvidia", 95.6, 4000, True, True, 9.0, False, "H20",
            ("ecs.ebmhpcpni3l.48xlarge (Volcano Engine, 8 GPUs, 192 vCPU, 2048 GiB)",),
            "NVIDIA H20 specifications (4.0 TB/s); nvidia-smi 97871MiB; seed 002"),
        Gpu("MI300X-192GB", "amd", 191.5, 5300, True, True, 0, False, "AMD-Instinct-MI300X-OAM",
            ("ND MI300X v5 (Azure, 8 GPUs)",),
            "AMD Instinct MI300X datasheet (5.3 TB/s, 192 GB HBM3); rocm-smi 191.5 GiB"),
        Gpu("RTX3060-12GB", "nvidia", 12.0, 360, True, False, 8.6, True, "",
            ("desktop: i9-13900, 64 GB RAM (seed 000)",),
            "NVIDIA GeForce RTX 3060 specifications (360 GB/s); nvidia-smi 12288MiB",
            observed="about 40 tokens/s with an R1 distill under ollama (seed 000)"),
        # Compute capabilities: developer.nvidia.com/cuda-gpus. Ray accelerator types:
        # ray-project/ray python/ray/util/accelerators/accelerators.py ("" where Ray has none).
        Gpu("A100-80GB", "nvidia", 80.0, 2039, True, False, 8.0, False, "A100-80G",
            ("a2-ultragpu-1g / -8g (GCP)", "p4de.24xlarge (AWS, 8 GPUs)", "Standard_ND96amsr_A100_v4 (Azure)"),
            "NVIDIA A100 80GB SXM datasheet (2039 GB/s, 80 GB HBM2e); driver total not published for the "
            "SXM4-80GB: its GA100 twin A800-SXM4-80GB reports 81920MiB (dexmal/dexbotic#41)"),
        Gpu("H100NVL-94GB", "nvidia", 93.6, 3900, True, True, 9.0, False, "H100",
            ("Standard_NC40ads_H100_v5 (Azure, 1 GPU)", "Standard_NC80adis_H100_v5 (Azure, 2 GPUs)"),
            "NVIDIA H100 NVL specifications (3.9 TB/s, 94 GB HBM3); nvidia-smi 95830MiB "
            "(NVIDIA/gpu-admin-tools#4); Ray reads its name as H100"),
        Gpu("H800-80GB", "nvidia", 79.6, 3350, True, True, 9.0, False, "H800",
            ("8-GPU HGX servers of Chinese clouds",),
            "H800 SXM: the H100 SXM's GH100 with 80 GB HBM3 and NVLink cut to 400 GB/s; bandwidth and driver "
            "total (81559MiB) taken from the H100 SXM, not published separately"),
        Gpu("L40S-48GB", "nvidia", 45.0, 864, True, True, 8.9, False, "L40S",
            ("g6e.xlarge ... g6e.48xlarge (AWS, 1-8 GPUs)",),
            "NVIDIA L40S datasheet (864 GB/s, 48 GB GDDR6, FP8 tensor cores); nvidia-smi 46068MiB "
            "(akash-network/provider-configs#99)"),
        Gpu("RTX4090-24GB", "nvidia", 24.0, 1008, True, True, 8.9, True, "",
            ("desktop",),
            "NVIDIA GeForce RTX 4090 specifications (1008 GB/s, 24 GB GDDR6X, Ada FP8); nvidia-smi 24564MiB "
            "(RLinf/RLinf#255)"),
        Gpu("RTX5090-32GB", "nvidia", 31.8, 1792, True, True, 12.0, True, "",
            ("desktop",),
            "NVIDIA GeForce RTX 5090 specifications (1792 GB/s, 32 GB GDDR7, FP8 and FP4); nvidia-smi 32607MiB "
            "(noonghunna/club-3090#1261)", fp4=True),
        Gpu("B200-180GB", "nvidia", 179.1, 8000, True, True, 10.0, False, "B200",
            ("a4-highgpu-8g (GCP, 8 GPUs)", "p6-b200.48xlarge (AWS, 8 GPUs)"),
            "NVIDIA B200 (8 TB/s, HBM3e, FP8 and NVFP4); nvidia-smi 183359MiB (NVIDIA/TensorRT-LLM#10278)",
            fp4=True),
        Gpu("MI325X-256GB", "amd", 256.0, 6000, True, True, 0, False, "AMD-Instinct-MI325X-OAM",
            ("8-GPU UBB platforms",),
            "AMD Instinct MI325X specifications (6 TB/s, 256 GB HBM3E, FP8); the rocm-smi total is not published: "
            "256 GiB assumed from the datasheet's 256 GB"),
    )
}


@dataclass(frozen=True)
class Checkpoint:
    """One downloadable set of weights of a model."""

    repo: str  # Hugging Face repository id
    precision: str  # bf16 | fp8 | awq-int4 ...
    weights_gib: float  # sum of safetensors files
    dtype: str  # vLLM --dtype for activations
    quantization: str  # vLLM --quantization, "" when the checkpoint is not quantized
    source: str
    experts_gib: float = 0.0  # a MoE checkpoint's routed experts of the main model (moe_split); 0: dense
    mtp_gib: float = 0.0  # layers the files hold that vLLM does not load (mtp_split: DeepSeek's MTP layer)

    @property
    def loaded_gib(self) -> float:
        """What vLLM loads onto the GPUs: the files less the layers it skips."""
        return self.weights_gib - self.mtp_gib

    @property
    def shared_gib(self) -> float:
        """Everything loaded but the routed experts: attention, dense and shared-expert layers,
        routers, embeddings and lm_head, at their stored precision. Data-parallel attention keeps a
        copy of it on every GPU."""
        return self.loaded_gib - self.experts_gib


@dataclass(frozen=True)
class Quantization:
    """Which engines load checkpoints of one precision, and on which GPUs."""

    precision: str
    gpus: str  # the GPUs it runs on, in words
    runs_on: Callable[[Gpu], bool]
    source: str
    vllm: str = ""  # the first vLLM release that loads it for the models here ("": older than any pinned)
    moe_vllm: str = ""  # the first vLLM release that loads it for DeepSeek-V3's MoE and MLA, if later

    def refuses(self, model: Model, gpu: Gpu, vllm_version: str) -> str:
        """Why vLLM `vllm_version` on `gpu` cannot load it for `model` ("" when it can)."""
        if not self.runs_on(gpu):
            return f"{self.precision} weights run on {self.gpus}, not on {gpu.name}"
        moe = bool(model.mla and self.moe_vllm)
        first = self.moe_vllm if moe else self.vllm
        if vllm_version and first and version_tuple(vllm_version) < version_tuple(first):
            what = "DeepSeek-V3's MoE and MLA layers" if moe else "them"
            return f"vLLM loads {self.precision} weights of {what} from {first} on; this engine runs {vllm_version}"
        return ""


@dataclass(frozen=True)
class Model:
    key: str
    params_b: float  # parameters, billions
    layers: int
    kv_heads: int  # GQA: key/value heads; MLA: 1 (one latent vector per token and layer)
    head_dim: int  # GQA: head dimension; MLA: kv_lora_rank + qk_rope_head_dim
    max_position: int  # max_position_embeddings of config.json
    checkpoints: tuple[Checkpoint, ...]
    source: str
    mla: bool = False  # multi-head latent attention (DeepSeek-V3 architecture)
    active_params_b: float = 0.0  # MoE: parameters read per token; 0 = all (dense)
    attention_heads: int = 0  # tensor parallel size must divide it (0: not checked)
    routed_experts: int = 0  # n_routed_experts of a MoE's config.json (0: dense)
    experts_per_token: int = 0  # num_experts_per_tok: the routed experts each token goes through
    # The widths vLLM's runtime memory depends on (generator/overhead.py), from config.json:
    hidden_size: int = 0
    intermediate_size: int = 0  # the dense MLP's (a MoE's dense layers)
    moe_intermediate_size: int = 0  # each routed expert's (0: dense)
    vocab_size: int = 0
    qk_nope_head_dim: int = 0  # MLA: query/key width without rotary part, per head
    qk_rope_head_dim: int = 0  # MLA: rotary part of query/key, per head
    v_head_dim: int = 0  # MLA: value width per head

    @property
    def active_fraction(self) -> float:
        return self.active_params_b / self.params_b if self.active_params_b else 1.0

    def kv_bytes_per_token(self, kv_dtype_bytes: int = 2) -> int:
        """KV cache of one token over all layers, fp16/bf16 cache.

        GQA stores K and V for every KV head; MLA stores one compressed latent (no separate V).
        """
        per_layer = self.kv_heads * self.head_dim * (1 if self.mla else 2)
        return self.layers * per_layer * kv_dtype_bytes

    def kv_bytes_per_token_per_gpu(self, tensor_parallel: int, pipeline_parallel: int,
                                   kv_cache_dtype: str = "auto") -> float:
        """Pipeline stages split the layers. Tensor parallelism splits GQA heads (a head is
        replicated when TP exceeds the KV heads); the MLA latent is replicated on every rank."""
        split = 1 if self.mla else min(tensor_parallel, self.kv_heads)
        return self.kv_bytes_per_token(KV_CACHE_BYTES[kv_cache_dtype]) / split / pipeline_parallel

    def ollama_tag(self) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.precision == OLLAMA_Q4), None)

    def checkpoint(self, precision: str) -> Checkpoint:
        for ckpt in self.checkpoints:
            if ckpt.precision == precision:
                return ckpt
        raise KeyError(f"{self.key} has no {precision} checkpoint")


# Bytes per element of vLLM's KV cache (`--kv-cache-dtype`): auto keeps the model's 16-bit
# dtype, fp8 stores each element in one byte (e4m3), halving the cache per token.
KV_CACHE_BYTES = {"auto": 2, "fp8": 1}


# The distills' quantized checkpoints. FP8-dynamic (llm-compressor, compressed-tensors, which vLLM
# detects): FP8 weights per output channel and FP8 activations per token, of the Linear layers of
# the transformer blocks only; embeddings and lm_head stay bf16. AWQ (AutoAWQ GEMM): 4-bit weights
# in groups of 128 with an fp16 scale and a 4-bit zero point per group; embeddings and lm_head fp16.
FP8_DYNAMIC = "compressed-tensors FP8-dynamic: FP8 weights per channel, activations per token"
AWQ_GEMM = "AWQ 4-bit GEMM, group 128, zero point"

# ollama's deepseek-r1 tags are Q4_K_M GGUF files of the distills; sizes as the library lists
# them (ollama.com/library/deepseek-r1/tags), in GiB.
OLLAMA_Q4 = "ollama-q4_K_M"

# DeepSeek-V3's routed experts (config.json of DeepSeek-R1 and R1-0528): num_hidden_layers 61, of
# which first_k_dense_replace 3 are dense; each of the other 58 has n_routed_experts 256 experts of
# three hidden_size 7168 x moe_intermediate_size 2048 projections (gate, up, down). The MTP layer's
# experts are not counted: vLLM loads that layer only for speculative decoding.
ROUTED_EXPERT_PARAMETERS = (61 - 3) * 256 * 3 * 7168 * 2048  # 653.9 B of the 671 B
# Bytes per routed-expert parameter as each MoE checkpoint stores it: FP8 one byte (block scales
# under 0.1%); NVFP4 4 bits and an FP8 scale per 16; GPTQ int4 (W4A16) 4 bits and a bf16 scale per
# group of 128.
EXPERT_BYTES = {"fp8": 1.0, "nvfp4": 0.5 + 1 / 16, "w4a16": 0.5 + 2 / 128}


def moe_split(precision: str) -> float:
    """GiB of DeepSeek-V3's routed experts in a checkpoint of `precision` (Checkpoint.experts_gib)."""
    return round(ROUTED_EXPERT_PARAMETERS * EXPERT_BYTES[precision] / GIB, 2)


# DeepSeek-V3's multi-token-prediction layer (config.json num_nextn_predict_layers 1, shipped as
# layer 61): an MLA attention (q_lora_rank 1536, kv_lora_rank 512, 128 heads of 128 + 64 rope dims,
# v_head_dim 128), 256 routed and 1 shared expert, its router, a 2 x 7168 -> 7168 projection, and
# its own copies of the embedding and lm_head (vocab_size 129280). vLLM loads it only for
# speculative decoding: DeepseekV2ForCausalLM.load_weights skips it ("skip spec decode layers for
# main model", vllm/model_executor/models/deepseek_v2.py, v0.31.0).
_H, _HEADS, _VOCAB = 7168, 128, 129280
MTP_SIXTEEN_BIT = 256 * _H + 2 * _VOCAB * _H  # router, embedding and lm_head: bf16 in every release
MTP_LINEAR = (_H * 1536 + 1536 * _HEADS * (128 + 64) + _H * (512 + 64) + 512 * _HEADS * (128 + 128)
              + _HEADS * 128 * _H + (256 + 1) * 3 * _H * 2048 + 2 * _H * _H)
# Bytes per MTP Linear parameter by release: DeepSeek's FP8 one byte; NVIDIA's NVFP4 release keeps
# the layer (outside the model ModelOpt quantizes) in bf16; IST Austria's W4A16 has no MTP layer.
MTP_LINEAR_BYTES = {"fp8": 1, "nvfp4": 2, "w4a16": 0}


def mtp_split(precision: str) -> float:
    """GiB of the MTP layer in a checkpoint of `precision` (Checkpoint.mtp_gib), which vLLM does not load."""
    if not MTP_LINEAR_BYTES[precision]:
        return 0.0
    return round((MTP_LINEAR * MTP_LINEAR_BYTES[precision] + MTP_SIXTEEN_BIT * 2) / GIB, 2)


# config.json (DeepseekV3ForCausalLM): num_hidden_layers 61, kv_lora_rank 512,
# qk_rope_head_dim 64 (MLA latent of 576 per token and layer), max_position_embeddings
# 163840, quantization_config fp8 e4m3 with 128x128 blocks: the weights ship in FP8.
# 671 B parameters (37 B active per token) plus the 14 B multi-token-prediction module:
# 163 safetensors shards, about 689 GB = 642 GiB.
DEEPSEEK_R1 = Model(
    key="deepseek-r1",
    params_b=671,
    layers=61,
    kv_heads=1,
    head_dim=576,
    max_position=163840,
    mla=True,
    active_params_b=37,
    attention_heads=128,
    routed_experts=256,
    experts_per_token=8,
    hidden_size=7168, intermediate_size=18432, moe_intermediate_size=2048, vocab_size=129280,
    qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128,
    checkpoints=(
        Checkpoint(
            repo="deepseek-ai/DeepSeek-R1",
            precision="fp8",
            weights_gib=642.0,
            dtype="auto",
            quantization="",
            source="huggingface.co/deepseek-ai/DeepSeek-R1 (163 safetensors shards, FP8 block-quantized)",
            experts_gib=moe_split("fp8"), mtp_gib=mtp_split("fp8"),
        ),
        Checkpoint("deepseek-r1:671b", OLLAMA_Q4, 376.0, "", "",
                   "ollama.com/library/deepseek-r1:671b (404 GB, Q4_K_M)"),
        # NVIDIA's NVFP4 release (renamed from nvidia/DeepSeek-R1-FP4): ModelOpt FP4 weights and
        # activations of the Linear layers inside the transformer blocks, 4-bit values with an FP8
        # scale per 16; vLLM reads the method (modelopt_fp4) from hf_quant_config.json.
        # A 4-bit community checkpoint vLLM serves on 8 x 80 GB: IST Austria's GPTQ of the routed
        # experts only (compressed-tensors pack-quantized, int4 symmetric, group 128; attention,
        # dense and shared-expert layers in bf16; no MTP layer), which vLLM runs through
        # CompressedTensorsWNA16MoEMethod on Marlin from compute capability 7.5, so on A100. Not
        # cognitivecomputations/DeepSeek-R1-AWQ: it does not load in vLLM 0.10 and later
        # (vllm-project/vllm#23530, open), and its card's flags are gone from v0.31.0.
        Checkpoint("ISTA-DASLab/DeepSeek-R1-GPTQ-4b-128g-experts", "w4a16", 346.0, "bfloat16", "",
                   "huggingface.co/ISTA-DASLab/DeepSeek-R1-GPTQ-4b-128g-experts; github.com/IST-DASLab/MoE-Quant "
                   "README: 346 GB (the arithmetic of the layout matches 346 GiB: 371 GB), 'easily fit onto "
                   "single 8x A100/H100 node', tested with vLLM 0.8.2; 98.8% reasoning recovery",
                   experts_gib=moe_split("w4a16")),
        Checkpoint("nvidia/DeepSeek-R1-NVFP4", "nvfp4", 395.3, "auto", "",
                   "huggingface.co/nvidia/DeepSeek-R1-NVFP4 (80 safetensors shards); NVIDIA's dgxc-benchmarking "
                   "deepseek_r1/inference/README.md: 'total 395G' (ls -lh, GiB: 74 x 5.0 + 4.8 + 3 x 5.1 + 3.4 + "
                   "1.8 = 395.3)", experts_gib=moe_split("nvfp4"), mtp_gib=mtp_split("nvfp4")),
    ),
    source="huggingface.co/deepseek-ai/DeepSeek-R1/blob/main/config.json",
)

MODELS: dict[str, Model] = {
    m.key: m
    for m in (
        # config.json: Qwen2ForCausalLM, num_hidden_layers 28, num_attention_heads 12,
        # num_key_value_heads 2, hidden_size 1536 (head dim 128), max_position_embeddings 131072.
        Model(
            key="deepseek-r1-distill-qwen-1.5b",
            hidden_size=1536, intermediate_size=8960, vocab_size=151936,
            attention_heads=12,
            params_b=1.78,
            layers=28,
            kv_heads=2,
            head_dim=128,
            max_position=131072,
            checkpoints=(
                Checkpoint("deepseek-r1:1.5b", OLLAMA_Q4, 1.04, "", "",
                           "ollama.com/library/deepseek-r1:1.5b (1.1 GB, Q4_K_M)"),
            ),
            source="huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B/blob/main/config.json",
        ),
        # config.json: Qwen2ForCausalLM, num_hidden_layers 28, num_attention_heads 28,
        # num_key_value_heads 4, hidden_size 3584 (head dim 128), max_position_embeddings 131072;
        # bf16 safetensors 15.23 GB.
        Model(
            key="deepseek-r1-distill-qwen-7b",
            hidden_size=3584, intermediate_size=18944, vocab_size=152064,
            attention_heads=28,
            params_b=7.62,
            layers=28,
            kv_heads=4,
            head_dim=128,
            max_position=131072,
            checkpoints=(
                Checkpoint("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "bf16", 14.18, "bfloat16", "",
                           "huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B (2 shards, 15.23 GB)"),
                Checkpoint("deepseek-r1:7b", OLLAMA_Q4, 4.38, "", "",
                           "ollama.com/library/deepseek-r1:7b (4.7 GB, Q4_K_M)"),
            ),
            source="huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B/blob/main/config.json",
        ),
        # config.json: Qwen2ForCausalLM, num_hidden_layers 48, num_attention_heads 40,
        # num_key_value_heads 8, hidden_size 5120 (head dim 128), max_position_embeddings 131072,
        # torch_dtype bfloat16. 14.77 B parameters -> 29.5 GB (27.5 GiB) of bf16 safetensors.
        Model(
            key="deepseek-r1-distill-qwen-14b",
            hidden_size=5120, intermediate_size=13824, vocab_size=152064,
            attention_heads=40,
            params_b=14.77,
            layers=48,
            kv_heads=8,
            head_dim=128,
            max_position=131072,
            checkpoints=(
                Checkpoint(
                    repo="deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
                    precision="bf16",
                    weights_gib=27.5,
                    dtype="bfloat16",
                    quantization="",
                    source="huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-14B (4 safetensors shards)",
                ),
                Checkpoint("deepseek-r1:14b", OLLAMA_Q4, 8.38, "", "",
                           "ollama.com/library/deepseek-r1:14b (9.0 GB, Q4_K_M)"),
                Checkpoint(
                    repo="casperhansen/deepseek-r1-distill-qwen-14b-awq",
                    precision="awq-int4",
                    weights_gib=9.3,
                    dtype="float16",
                    quantization="awq_marlin",
                    source="huggingface.co/casperhansen/deepseek-r1-distill-qwen-14b-awq/tree/main (AWQ 4-bit, "
                           "group 128; 2 shards, 4.99 + 4.99 = 9.98 GB)",
                ),
                Checkpoint("RedHatAI/DeepSeek-R1-Distill-Qwen-14B-FP8-dynamic", "fp8", 15.2, "bfloat16", "",
                           f"huggingface.co/RedHatAI/DeepSeek-R1-Distill-Qwen-14B-FP8-dynamic ({FP8_DYNAMIC}); "
                           "its file list was not found: 16.32 GB computed from config.json as for the other "
                           "FP8-dynamic distills, whose listed totals the same arithmetic matches"),
            ),
            source="huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-14B/blob/main/config.json",
        ),
        # config.json: LlamaForCausalLM, num_hidden_layers 32, num_attention_heads 32,
        # num_key_value_heads 8, head_dim 128, max_position_embeddings 131072 (rope llama3, x8);
        # bf16 safetensors 8.67 + 7.39 = 16.06 GB.
        Model(
            key="deepseek-r1-distill-llama-8b",
            hidden_size=4096, intermediate_size=14336, vocab_size=128256,
            attention_heads=32,
            params_b=8.03,
            layers=32,
            kv_heads=8,
            head_dim=128,
            max_position=131072,
            checkpoints=(
                Checkpoint("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "bf16", 14.96, "bfloat16", "",
                           "huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Llama-8B (2 shards, 16.06 GB)"),
                # ollama's deepseek-r1:8b is the Qwen3 distill now: the Llama one through its GGUF name.
                Checkpoint("hf.co/unsloth/DeepSeek-R1-Distill-Llama-8B-GGUF:Q4_K_M", OLLAMA_Q4, 4.58, "", "",
                           "huggingface.co/unsloth/DeepSeek-R1-Distill-Llama-8B-GGUF "
                           "(DeepSeek-R1-Distill-Llama-8B-Q4_K_M.gguf, 4.92 GB, Q4_K_M)"),
                Checkpoint("RedHatAI/DeepSeek-R1-Distill-Llama-8B-FP8-dynamic", "fp8", 8.46, "bfloat16", "",
                           f"huggingface.co/RedHatAI/DeepSeek-R1-Distill-Llama-8B-FP8-dynamic ({FP8_DYNAMIC}; "
                           "2 shards); 9.08 GB, the 5 + 4.08 GB listed for the same scheme's upload "
                           "huggingface.co/JamAndTeaStudios/DeepSeek-R1-Distill-Llama-8B-FP8-Dynamic/tree/main"),
                Checkpoint("casperhansen/deepseek-r1-distill-llama-8b-awq", "awq-int4", 5.34, "float16", "awq_marlin",
                           f"huggingface.co/casperhansen/deepseek-r1-distill-llama-8b-awq ({AWQ_GEMM}); 5.73 GB, "
                           "the 4.68 + 1.05 GB listed for the same configuration's upload "
                           "huggingface.co/jakiAJK/DeepSeek-R1-Distill-Llama-8B_AWQ/tree/main"),
            ),
            source="huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Llama-8B/blob/main/config.json",
        ),
        # ollama's deepseek-r1:8b is now DeepSeek-R1-0528 distilled into Qwen3 8B (it was the
        # Llama 8B distill before). config.json: Qwen3ForCausalLM, num_hidden_layers 36,
        # num_attention_heads 32, num_key_value_heads 8, head_dim 128, hidden_size 4096,
        # max_position_embeddings 131072 (YaRN over Qwen3's 32768); Qwen3-8B has 8.19 B
        # parameters. Only the ollama tag is catalogued: the bf16 safetensors are not sized here.
        Model(
            key="deepseek-r1-0528-qwen3-8b",
            hidden_size=4096, intermediate_size=12288, vocab_size=151936,
            attention_heads=32,
            params_b=8.19,
            layers=36,
            kv_heads=8,
            head_dim=128,
            max_position=131072,
            checkpoints=(
                Checkpoint("deepseek-r1:8b", OLLAMA_Q4, 4.84, "", "",
                           "ollama.com/library/deepseek-r1:8b (5.2 GB, Q4_K_M)"),
            ),
            source="huggingface.co/deepseek-ai/DeepSeek-R1-0528-Qwen3-8B/blob/main/config.json",
        ),
        # config.json: Qwen2ForCausalLM (Qwen2.5-32B), num_hidden_layers 64, num_attention_heads
        # 40, num_key_value_heads 8, hidden_size 5120 (head dim 128), max_position_embeddings
        # 131072; 32.76 B parameters -> 65.5 GB (61.0 GiB) of bf16 safetensors.
        Model(
            key="deepseek-r1-distill-qwen-32b",
            hidden_size=5120, intermediate_size=27648, vocab_size=152064,
            attention_heads=40,
            params_b=32.76,
            layers=64,
            kv_heads=8,
            head_dim=128,
            max_position=131072,
            checkpoints=(
                Checkpoint("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "bf16", 61.0, "bfloat16", "",
                           "huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-32B (8 shards, 65.5 GB)"),
                Checkpoint("deepseek-r1:32b", OLLAMA_Q4, 18.6, "", "",
                           "ollama.com/library/deepseek-r1:32b (20 GB, Q4_K_M)"),
                Checkpoint("RedHatAI/DeepSeek-R1-Distill-Qwen-32B-FP8-dynamic", "fp8", 31.98, "bfloat16", "",
                           f"huggingface.co/RedHatAI/DeepSeek-R1-Distill-Qwen-32B-FP8-dynamic ({FP8_DYNAMIC}; "
                           "7 shards, the first 5 GB and the last 4.91 GB); 34.34 GB, the total listed for the "
                           "same scheme's upload huggingface.co/cortecs/DeepSeek-R1-Distill-Qwen-32B-FP8-Dynamic/"
                           "tree/main (5 + 4.91 + 4 x 4.88 + 4.91 GB), whose first and last shards match"),
                Checkpoint("Valdemardi/DeepSeek-R1-Distill-Qwen-32B-AWQ", "awq-int4", 18.0, "float16", "awq_marlin",
                           f"huggingface.co/Valdemardi/DeepSeek-R1-Distill-Qwen-32B-AWQ/tree/main ({AWQ_GEMM}; "
                           "4 shards, 4.96 + 4.99 + 4.96 + 4.42 = 19.33 GB)"),
            ),
            source="huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-32B/blob/main/config.json",
        ),
        # config.json: LlamaForCausalLM (Llama-3.3-70B-Instruct), num_hidden_layers 80,
        # num_attention_heads 64, num_key_value_heads 8, hidden_size 8192 (head dim 128),
        # max_position_embeddings 131072; 70.55 B parameters -> 141.1 GB (131.4 GiB) in bf16.
        Model(
            key="deepseek-r1-distill-llama-70b",
            hidden_size=8192, intermediate_size=28672, vocab_size=128256,
            attention_heads=64,
            params_b=70.55,
            layers=80,
            kv_heads=8,
            head_dim=128,
            max_position=131072,
            checkpoints=(
                Checkpoint("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "bf16", 131.4, "bfloat16", "",
                           "huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Llama-70B (17 shards, 141.1 GB)"),
                Checkpoint("deepseek-r1:70b", OLLAMA_Q4, 40.0, "", "",
                           "ollama.com/library/deepseek-r1:70b (43 GB, Q4_K_M)"),
                Checkpoint("RedHatAI/DeepSeek-R1-Distill-Llama-70B-FP8-dynamic", "fp8", 67.71, "bfloat16", "",
                           f"huggingface.co/RedHatAI/DeepSeek-R1-Distill-Llama-70B-FP8-dynamic ({FP8_DYNAMIC}; "
                           "15 shards); 72.7 GB, the total listed for Neural Magic's identical upload "
                           "huggingface.co/nm-testing/DeepSeek-R1-Distill-Llama-70B-FP8-dynamic/tree/main, whose "
                           "shards 2, 5, 12 and 13 (4.98, 4.9, 4.9, 4.9 GB) match"),
                Checkpoint("casperhansen/deepseek-r1-distill-llama-70b-awq", "awq-int4", 37.04, "float16", "awq_marlin",
                           f"huggingface.co/casperhansen/deepseek-r1-distill-llama-70b-awq/tree/main ({AWQ_GEMM}; "
                           "9 shards: 1-8 listed as 4.97 + 6 x 4.89 + 3.36 = 37.67 GB; the 9th, not seen, holds "
                           "the bf16 lm_head, 128256 x 8192 x 2 bytes = 2.10 GB: 39.77 GB)"),
            ),
            source="huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Llama-70B/blob/main/config.json",
        ),
        DEEPSEEK_R1,
        # DeepSeek-R1-0528: the same architecture as R1 (vLLM's DeepSeek recipe serves either; NVIDIA's
        # model card: 671 B parameters, 37 B active, DeepSeek-V3-Base), released as FP8 weights in 163
        # shards like R1. The total of its file list was not found: R1's 642 GiB is assumed.
        replace(
            DEEPSEEK_R1,
            key="deepseek-r1-0528",
            checkpoints=(
                Checkpoint("deepseek-ai/DeepSeek-R1-0528", "fp8", 642.0, "auto", "",
                           "huggingface.co/deepseek-ai/DeepSeek-R1-0528 (FP8 block-quantized like R1; size "
                           "assumed equal to R1's)", experts_gib=moe_split("fp8"), mtp_gib=mtp_split("fp8")),
                Checkpoint("ISTA-DASLab/DeepSeek-R1-0528-GPTQ-4b-128g-experts", "w4a16", 346.0, "bfloat16", "",
                           "huggingface.co/ISTA-DASLab/DeepSeek-R1-0528-GPTQ-4b-128g-experts; github.com/IST-DASLab/"
                           "MoE-Quant README: 346 GB, the layout of the R1 checkpoint (routed experts in int4, "
                           "group 128)", experts_gib=moe_split("w4a16")),
                Checkpoint("nvidia/DeepSeek-R1-0528-FP4", "nvfp4", 395.3, "auto", "",
                           "huggingface.co/nvidia/DeepSeek-R1-0528-FP4 (ModelOpt NVFP4, TensorRT-LLM on B200 in its "
                           "card); its file list was not found: the size of nvidia/DeepSeek-R1-NVFP4 is assumed",
                           experts_gib=moe_split("nvfp4"), mtp_gib=mtp_split("nvfp4")),
            ),
            source="huggingface.co/deepseek-ai/DeepSeek-R1-0528/blob/main/config.json (DeepseekV3ForCausalLM, "
                   "as R1)",
        ),
    )
}

# The precisions of the catalog's checkpoints: who loads them, from which release, on which GPUs.
QUANTIZATIONS: dict[str, Quantization] = {
    q.precision: q
    for q in (
        Quantization("bf16", "any GPU (fp16 compute where bf16 is missing: T4)", lambda g: True,
                     "the models' own dtype; vLLM --dtype"),
        Quantization("fp8", "GPUs with FP8 hardware: Ada, Hopper, Blackwell, MI300", lambda g: g.fp8,
                     "docs.vllm.ai features/quantization/fp8 (W8A8 FP8 needs compute capability 8.9; older GPUs "
                     "run FP8 weights only as W8A16 through Marlin, which the planner does not choose); "
                     "DeepSeek-V3's block-quantized FP8 is what seed 002's vLLM 0.7.3 serves"),
        # RTX 50 cards (SM120) are left out: vLLM's NVFP4 MoE kernels were written for SM100.
        Quantization("nvfp4", "B200-class Blackwell (SM100, FP4 tensor cores)",
                     lambda g: g.fp4 and 10.0 <= g.compute_capability < 11.0,
                     "vLLM PR #16362 'Enable nvidia/DeepSeek-R1-FP4 Model' (ModelOpt NVFP4 MoE, first in v0.9.0); "
                     "nvidia/DeepSeek-R1-NVFP4 model card: NVIDIA Blackwell, TensorRT-LLM; vLLM's DeepSeek recipe "
                     "serves it on 4 x B200", vllm="0.9.0"),
        Quantization("w4a16", "NVIDIA GPUs of compute capability 7.5 and newer (Marlin MoE)",
                     lambda g: g.vendor == "nvidia" and g.compute_capability >= 7.5,
                     "compressed-tensors pack-quantized int4 (CompressedTensorsWNA16MoEMethod, Marlin from "
                     "compute capability 7.5: vllm/model_executor/layers/fused_moe/experts/marlin_moe.py, v0.31.0); "
                     "IST-DASLab/MoE-Quant lists vLLM 0.8.2 as tested", moe_vllm="0.8.2"),
        Quantization("awq-int4", "NVIDIA GPUs of compute capability 7.5 and newer (AWQ Marlin from 8.0)",
                     lambda g: g.vendor == "nvidia" and g.compute_capability >= 7.5,
                     "docs.vllm.ai v0.9.2 features/quantization/supported_hardware (AWQ: Turing and newer; "
                     "Marlin: Ampere and newer); DeepSeek-V3's MoE with AWQ from vLLM 0.7.3 (PRs #13236, "
                     "#13181: MLA with most quantizations)", moe_vllm="0.7.3"),
        Quantization(OLLAMA_Q4, "CPU, NVIDIA and AMD GPUs (ollama's llama.cpp)", lambda g: True,
                     "ollama.com/library/deepseek-r1 (GGUF Q4_K_M)"),
    )
}


# The vLLM release of the vLLM image (backends/vllm.py tags the image with it; bump it here and run
# `llm-serving generate`), and the one the memory arithmetic sizes for when the caller names none.
DEFAULT_RELEASE = "0.31.0"

# Startup budget model (used for the startupProbe): download from the hub at a
# conservative 50 MiB/s, load from local disk or page cache at 500 MiB/s, then
# torch.compile and CUDA-graph capture, which take minutes on first start.
DOWNLOAD_GIB_PER_S = 50 / 1024
LOAD_GIB_PER_S = 500 / 1024
WARMUP_S = 300
STARTUP_MARGIN = 1.5


@dataclass(frozen=True)
class Fit:
    """The arithmetic behind a profile, per GPU, in GiB."""

    gpu_gib: float
    utilization: float
    weights_gib: float
    # vLLM's runtime memory besides weights and KV cache, term by term; GiB for another runtime
    overhead: Overhead | float
    kv_gib: float
    kv_tokens: int
    max_model_len: int
    max_num_seqs: int
    kv_cache_dtype: str = "auto"  # vLLM --kv-cache-dtype: auto (the model's 16 bits) or fp8
    data_parallel: int = 1  # data-parallel ranks, each with a KV cache of its own of kv_tokens

    @property
    def full_length_sequences(self) -> float:
        return self.kv_tokens / self.max_model_len

    def lines(self) -> list[str]:
        return [
            f"budget   {self.gpu_gib:.1f} GiB x {self.utilization:.2f} = "
            f"{self.gpu_gib * self.utilization:.1f} GiB per GPU",
            f"weights  {self.weights_gib:.1f} GiB per GPU",
            self.overhead.line() if isinstance(self.overhead, Overhead)
            else f"runtime overhead {self.overhead:.1f} GiB",
            f"KV cache {self.kv_gib:.1f} GiB{' in fp8' if self.kv_cache_dtype == 'fp8' else ''} = "
            f"{self.kv_tokens} tokens "
            f"({self.full_length_sequences:.1f} sequences of {self.max_model_len} tokens at once; "
            f"max-num-seqs {self.max_num_seqs}{' per rank' if self.data_parallel > 1 else ''})",
        ] + ([f"x {self.data_parallel} data-parallel ranks = {self.kv_tokens * self.data_parallel} tokens "
              f"({self.full_length_sequences * self.data_parallel:.1f} sequences of {self.max_model_len} tokens "
              "at once per replica)"] if self.data_parallel > 1 else [])


class DoesNotFit(ValueError):
    """Weights and KV cache do not fit; `numbers` holds the figures behind it (GiB, tokens)."""

    def __init__(self, message: str, numbers: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.numbers = numbers or {}


def weights_per_gpu(ckpt: Checkpoint, tensor_parallel: int, pipeline_parallel: int = 1, data_parallel: int = 1,
                    redundant_experts: int = 0, routed_experts: int = 0) -> Fraction:
    """GiB of weights on each GPU, exactly, from the figures as written. Tensor x pipeline parallel
    split everything evenly. Data-parallel attention ranks (each tensor x pipeline GPUs) keep the
    attention, dense and shared-expert weights whole (Checkpoint.shared_gib) and split a MoE's routed
    experts over all of them; EPLB's redundant experts add copies of `redundant_experts` of the
    `routed_experts` experts."""
    gpus = tensor_parallel * pipeline_parallel
    if data_parallel == 1 and not redundant_experts:
        return _exact(ckpt.loaded_gib) / gpus
    experts = Fraction(0)
    if routed_experts:
        # whole experts over the tensor x data parallel ranks of a stage, the first ranks one more
        # when they do not divide (vLLM's expert map): the fullest GPU holds the ceiling
        per_gpu = math.ceil((routed_experts + redundant_experts) / (tensor_parallel * data_parallel))
        experts = _exact(ckpt.experts_gib) * per_gpu / routed_experts / pipeline_parallel
    return _exact(ckpt.shared_gib) / gpus + experts


def _exact(x: float) -> Fraction:
    """A figure as written (79.6, not its binary approximation): the chart's fit check computes
    in decimal, and a cache of exactly 10.5 GiB must hold the same 57344 tokens in both."""
    return Fraction(repr(x))


def fit(model: Model, ckpt: Checkpoint, gpu: Gpu, tensor_parallel: int, utilization: float,
        max_model_len: int, max_num_seqs: int, pipeline_parallel: int = 1,
        kv_cache_dtype: str = "auto", data_parallel: int = 1, redundant_experts: int = 0,
        release: str = DEFAULT_RELEASE, max_num_batched_tokens: int = 0, eager: bool = False,
        all2all: str = "", nodes: int = 1, chunked_prefill: bool = True, expert_parallel: bool = True) -> Fit:
    """Weights per GPU as `weights_per_gpu`; runtime overhead as vLLM `release` measures it
    (generator/overhead.py: max_num_seqs and max_num_batched_tokens 0 take its defaults, `eager`
    captures no CUDA graphs, `all2all` and `nodes` size DeepEP's buffers, `chunked_prefill` off
    makes the default batch the context); KV cache as
    `kv_bytes_per_token_per_gpu`, per GPU of each data-parallel rank (each rank caches its own
    requests)."""
    gpus = tensor_parallel * pipeline_parallel
    exact_weights = weights_per_gpu(ckpt, tensor_parallel, pipeline_parallel, data_parallel, redundant_experts,
                                    model.routed_experts)
    weights = float(exact_weights)
    runtime = overhead(model, gpu, release, tensor_parallel, pipeline_parallel, data_parallel, max_num_seqs,
                       max_num_batched_tokens, max_model_len, eager, all2all, nodes, chunked_prefill,
                       expert_parallel)
    exact_kv = _exact(gpu.memory_gib) * _exact(utilization) - exact_weights - Fraction(runtime.mib, 1024)
    kv_gib = float(exact_kv)
    kv_per_token = model.kv_bytes_per_token_per_gpu(tensor_parallel, pipeline_parallel, kv_cache_dtype)
    kv_tokens = math.floor(exact_kv * GIB / _exact(kv_per_token)) if exact_kv > 0 else 0
    result = Fit(gpu.memory_gib, utilization, weights, runtime, kv_gib, kv_tokens,
                 max_model_len, runtime.seqs, kv_cache_dtype, data_parallel)
    if kv_tokens < max_model_len:
        # vLLM refuses to start when one sequence of max-model-len does not fit the KV cache.
        raise DoesNotFit(
            f"{ckpt.repo} on {gpus * data_parallel} x {gpu.name}: KV cache holds {kv_tokens} tokens, "
            f"fewer than max-model-len {max_model_len}\n" + "\n".join(result.lines()),
            {"weightsGiBPerGpu": weights, "kvCacheGiB": kv_gib, "kvTokens": kv_tokens},
        )
    return result


def startup_seconds(ckpt: Checkpoint, from_hub: bool = True) -> int:
    download = ckpt.weights_gib / DOWNLOAD_GIB_PER_S if from_hub else 0
    load = ckpt.weights_gib / LOAD_GIB_PER_S
    return math.ceil((download + load + WARMUP_S) * STARTUP_MARGIN)
