"""vLLM's runtime memory per GPU besides weights and KV cache, as the engine's own release sizes it.

vLLM 0.31.0 (vllm/v1/worker/gpu_worker.py `determine_available_memory`, vllm/utils/mem_utils.py
`memory_profiling`) gives the KV cache what is left of ceil(total memory x gpu_memory_utilization)
after:
- the weights;
- everything else allocated since the worker's memory snapshot, which is taken after NCCL's
  communicators are created (`init_device`): the persistent buffers of the first forward pass
  (the MoE workspace, the all-to-all buffers, cuBLAS workspaces) and non-torch growth;
- the transient peak of one profile run (`GPUModelRunner.profile_run`): the larger of a forward pass
  of `max_num_batched_tokens` dummy tokens and the sampler run over `max_num_seqs` requests
  (`_dummy_sampler_run`) that follows it;
- from v0.21 (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS, on by default), the estimated memory of the
  CUDA graphs it is about to capture (`GPUModelRunner.profile_cudagraph_memory`).

This module computes each of these terms from the model's shape (config.json facts in the catalog),
the layout (tensor, pipeline and data parallel sizes) and the batch limits, in whole bytes; the
chart's fit check (common.fit.overhead) does the same arithmetic on the same integers, and
tests/test_fit_check.py requires both to agree. What cannot be derived from vLLM's code (the
driver's memory per captured graph node, non-torch growth) is calibrated on vLLM's own startup
logs, listed with their sources in tests/data/vllm-memory-logs.yaml, which tests/test_overhead.py
checks the constants against.

Older releases inside the other engines' images (Ray 2.52's vLLM 0.11.0, AIBrix's 0.7.3) size the
same way except where `Release` says: their batch defaults differ and they do not subtract CUDA
graphs (which they capture after the KV cache, in the memory above the utilization). Their
activations are modelled with 0.31.0's kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.catalog import Gpu, Model

MIB = 2**20
GIB = 2**30

# Activations are in the model's 16-bit dtype (bf16/fp16) whatever the weights' precision.
ACTIVATION_BYTES = 2
# The sampler's dummy run (`_dummy_sampler_run`, v0.31.0) computes logits for min(max_num_seqs,
# max_num_batched_tokens) requests over the vocabulary; its second warm-up call (with a generator)
# takes the native path (vllm/v1/sample/ops/topk_topp_sampler.py `forward_native`): top-k/top-p in
# place, then fp32 probabilities and an fp32 exponential noise tensor. 16-bit logits, their fp32
# copy (sampler.py), probabilities and noise: 2 + 4 + 4 + 4 bytes per logit.
SAMPLER_BYTES_PER_LOGIT = 14
# Non-torch growth after the snapshot (cuBLAS/cuBLASLt workspaces, NCCL's lazily registered
# buffers, custom all-reduce graph buffers), as vLLM's V1 logs report it ("... GiB for non-torch
# memory"): 0.07 GiB on one GPU (tests/data/vllm-memory-logs.yaml: an H100 and a B200 log), 0.95 GiB
# on a GPU of four with expert parallelism. One GPU 128 MiB, a GPU of several 1 GiB.
NON_TORCH_ONE_GPU = 128 * MIB
NON_TORCH_MULTI_GPU = 1 * GIB
# The V0 engine (vLLM 0.7.3, AIBrix's) takes its snapshot before NCCL starts, so its non-torch memory
# holds NCCL's and the custom all-reduce's buffers too: 2.53 GiB on a GPU of DeepSeek-R1 over 2 x 8
# H20 (vllm-project/vllm#13074), 1.8 to 3.6 GiB in the other logs of several GPUs.
NON_TORCH_MULTI_GPU_V0 = 2688 * MIB  # 2.625 GiB
# DeepEP's all-to-all buffers, allocated in the profile run (vllm/distributed/device_communicators/
# all2all.py, v0.31.0): VLLM_DEEPEP_BUFFER_SIZE_MB (1024) of NVLink buffer, and as much again of
# RDMA buffer when the ranks span nodes. (deepep_low_latency sizes its RDMA buffer by DeepEP's
# hint, which grows with experts x tokens per rank: the 1 GiB here is its floor.)
DEEPEP_BUFFER = 1024 * MIB
# CUDA graphs: `profile_cudagraph_memory` captures the largest and the second-largest batch size
# of each mode and estimates first capture + (graphs - 1) x the second one's growth. That growth is
# the graph's own memory in the driver (its kernel nodes), which grows with the layers: per layer of
# the GPU and per graph, 512 KiB for MLA/MoE layers (one log: 0.64 MiB, with DeepSeek-V3.2's sparse
# indexer, which R1 has not) and 224 KiB for GQA layers (two logs: 0.17 and 0.30 MiB), from the
# figures in tests/data/vllm-memory-logs.yaml.
GRAPH_BYTES_PER_LAYER = {True: 512 * 1024, False: 224 * 1024}
# MLA's block (cache_config.block_size of FlashMLA and FlashAttention-MLA) and the cap of its
# chunked-prefill workspace (`mla_workspace_tokens`).
MLA_BLOCK_SIZE = 64
MLA_WORKSPACE_ROWS = 64 * 1024
# The OpenAI server's default batches (`Release.batch_defaults`): the first tier whose GPU memory
# (GiB) the GPU has, as (GiB, max_num_batched_tokens, max_num_seqs); the 160 GiB tier only in
# releases with it, the 70 GiB one not on A100.
BATCH_TIERS = ((160, 16384, 1024), (70, 8192, 1024), (0, 2048, 256))
NOT_THE_70_GIB_TIER = "A100"  # vLLM PR #17885: larger batches lowered A100's throughput
# V0 (v0.7.3): chunked prefill above this context, then a batch of V0_CHUNK tokens; 256 sequences.
V0_CHUNKED_ABOVE, V0_CHUNK, V0_SEQS = 32768, 2048, 256
# SchedulerConfig.DEFAULT_MAX_NUM_BATCHED_TOKENS_FOR_BATCHED_DP (v0.30 and v0.31), for the
# all-to-all backends of ParallelConfig.use_batched_dp_moe.
BATCHED_DP_TOKENS = 256
BATCHED_DP_BACKENDS = ("deepep_low_latency", "nixl_ep")
# The largest captured batch: default_max_graph_size, and on data-center Blackwell.
GRAPH_CAP, GRAPH_CAP_BLACKWELL = 512, 1024


def version_tuple(text: str) -> tuple[int, ...]:
    """A release number as comparable integers: "0.31.0" -> (0, 31, 0)."""
    return tuple(int(part) for part in text.split("."))


@dataclass(frozen=True)
class Release:
    """How a vLLM release sizes the batch it profiles and whether it subtracts CUDA graphs."""

    version: str

    @property
    def v1(self) -> bool:
        """The V1 engine serves by default (0.8.0 on; 0.7.3 runs V0 unless VLLM_USE_V1=1)."""
        return version_tuple(self.version) >= (0, 8, 0)

    @property
    def subtracts_graphs(self) -> bool:
        """VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS on by default (v0.21.0 on, vllm/envs.py)."""
        return version_tuple(self.version) >= (0, 21, 0)

    @property
    def large_gpu_tier(self) -> bool:
        """`EngineArgs.get_batch_defaults` has the tier of GPUs of 160 GiB and more (read in
        v0.30.0 and v0.31.0; v0.11.0 has not)."""
        return version_tuple(self.version) >= (0, 30, 0)

    def batch_defaults(self, gpu: Gpu, context: int) -> tuple[int, int]:
        """(max_num_batched_tokens, max_num_seqs) the OpenAI server takes when not set.

        V1 (vllm/engine/arg_utils.py `get_batch_defaults`, v0.31.0 l.2829): 16384 and 1024 on GPUs
        of 160 GiB and more; 8192 and 1024 on GPUs of 70 GiB and more but A100; else 2048 and 256.
        V0 (v0.7.3, vllm/config.py SchedulerConfig and arg_utils.py): chunked prefill only above a
        context of 32768, then 2048 tokens, else max(context, 2048); 256 sequences."""
        if not self.v1:
            return (V0_CHUNK if context > V0_CHUNKED_ABOVE else max(context, V0_CHUNK)), V0_SEQS
        (large, *_), (big, *_), _ = BATCH_TIERS
        for gib, tokens, seqs in BATCH_TIERS:
            if gpu.memory_gib >= gib and (gib != large or self.large_gpu_tier) \
                    and (gib != big or not gpu.name.startswith(NOT_THE_70_GIB_TIER)):
                return tokens, seqs
        raise AssertionError("the last tier takes every GPU")

    @property
    def newer_batch_rules(self) -> bool:
        """Read in v0.30.0 and v0.31.0 (vllm/engine/arg_utils.py
        `_set_default_max_num_seqs_and_batched_tokens_args`), not in v0.11.0: a default batch of 256
        tokens for batched data-parallel MoE (deepep_low_latency or nixl_ep with expert and data
        parallelism), at least the context when chunked prefill is off (v0.11.0 forces it on), and
        at most max_num_seqs x the context."""
        return version_tuple(self.version) >= (0, 30, 0)

    def batch(self, gpu: Gpu, context: int, max_num_seqs: int = 0, max_num_batched_tokens: int = 0,
              chunked_prefill: bool = True, batched_dp: bool = False) -> tuple[int, int]:
        """(max_num_batched_tokens, max_num_seqs) the engine runs with: the values set, else its
        defaults (`batch_defaults`, adjusted as vLLM adjusts them; a default max_num_seqs is at
        most the batch)."""
        default_tokens, default_seqs = self.batch_defaults(gpu, context)
        seqs = max_num_seqs or default_seqs
        if not self.v1:
            return max_num_batched_tokens or default_tokens, seqs
        tokens = max_num_batched_tokens
        if not tokens:
            tokens = BATCHED_DP_TOKENS if batched_dp and self.newer_batch_rules else default_tokens
            if self.newer_batch_rules and context:  # context 0: not known, not adjusted
                if not chunked_prefill:
                    tokens = max(context, tokens)
                tokens = min(seqs * context, tokens)
        return tokens, (max_num_seqs or min(seqs, tokens))

    def graph_cap(self, gpu: Gpu) -> int:
        """Largest captured batch by default: 512, 1024 on data-center Blackwell (compute
        capability 10.x) from v0.30.0 (vllm/config/vllm.py `default_max_graph_size`)."""
        return GRAPH_CAP_BLACKWELL if self.large_gpu_tier and 10.0 <= gpu.compute_capability < 11.0 else GRAPH_CAP


def graph_sizes(release: Release, gpu: Gpu, tokens: int, seqs: int) -> list[int]:
    """The batch sizes vLLM captures by default (vllm/config/vllm.py, v0.31.0). Its default
    cudagraph_mode is FULL_AND_PIECEWISE (optimization level O2) where the attention backend supports
    full graphs of uniform decode batches (FlashAttention, FlashInfer, FlashMLA, FlashAttention-MLA,
    ROCm AITER): a piecewise graph per size and a full one per size up to max_num_seqs
    (vllm/v1/cudagraph_dispatcher.py). Sizes up to
    cap = min(2 x max_num_seqs, 512 or 1024 on compute capability 10.x, max_num_batched_tokens),
    [1, 2, 4] + range(8, 256, 8) + range(256, cap + 1, 16), plus the batch itself when it is not
    above cap and max_num_seqs (the widest uniform decode batch) when it is above neither the
    512/1024 limit nor the batch."""
    uncapped = min(2 * seqs, release.graph_cap(gpu))
    cap = min(tokens, uncapped)
    sizes = {s for s in (1, 2, 4, *range(8, min(cap + 1, 256), 8), *range(256, cap + 1, 16)) if s <= cap}
    if tokens <= cap:
        sizes.add(tokens)
    if seqs <= uncapped and seqs <= tokens:
        sizes.add(seqs)
    return sorted(sizes)


def mla_workspace_tokens(context: int, seqs: int) -> int:
    """Rows of the tensor MLA attention allocates in the profile run, where it has no metadata
    and simulates the up-projection of a chunked prefill's context (mla_attention.py `forward`,
    v0.31.0): the chunked-prefill workspace, min(max(8 x max_model_len, 4 x max_num_seqs x block
    size), 65536) (`determine_chunked_prefill_workspace_size`), at the MLA backends' block of 64."""
    return min(max(8 * context, 4 * seqs * MLA_BLOCK_SIZE), MLA_WORKSPACE_ROWS)


@dataclass(frozen=True)
class Widths:
    """Elements per token (or per workspace row) of the tensors of one profile run on a GPU."""

    residual: int  # the residual stream and the hidden state, 2 x hidden, through every layer
    attention: int  # a layer's attention intermediates, split by tensor parallelism
    workspace: int  # per row of MLA's simulated context up-projection (mla_workspace_tokens)
    dense: int  # a dense MLP's gate, up and activation, split by tensor parallelism
    experts: int  # per token the GPU's experts take: their workspaces (and gathered inputs)


def widths(model: Model, tensor_parallel: int, data_parallel: int = 1) -> Widths:
    """The widths of `Widths`, from the model's config.json facts:
    - MLA (mla_attention.py): per local head the query (qk_nope + qk_rope) and the output (v_head);
      the simulated up-projection holds keys and values (qk_nope + v_head) per local head and row;
    - GQA: query and output per local head, key and value per local KV head;
    - dense MLP: gate and up (2 x intermediate) and the activation (intermediate);
    - experts: the Triton experts' workspaces (fused_moe/experts/triton_moe.py `workspace_shapes`),
      workspace1 (top-k x max(moe_intermediate, hidden)), which the output (hidden) reuses
      (modular_kernel.py `_allocate_buffers`: one chunk), and workspace2 (top-k x max(2 x
      moe_intermediate, hidden)); with data parallelism the gathered hidden states (hidden) and the
      top-k weights and ids (4 bytes each: 4 x top-k elements of 2 bytes) (fused_moe/
      prepare_finalize/naive_dp_ep.py, all2all.py `dispatch`)."""
    tp = tensor_parallel
    heads = model.attention_heads // tp
    h = model.hidden_size
    if model.mla:
        attention = heads * (model.qk_nope_head_dim + model.qk_rope_head_dim + model.v_head_dim)
        workspace = heads * (model.qk_nope_head_dim + model.v_head_dim)
    else:
        attention = heads * model.head_dim * 2 + 2 * max(1, model.kv_heads // tp) * model.head_dim
        workspace = 0
    experts = 0
    if model.routed_experts:
        i, k = model.moe_intermediate_size, model.experts_per_token
        experts = k * (max(i, h) + max(2 * i, h)) + ((h + 4 * k) if data_parallel > 1 else 0)
    return Widths(2 * h, attention, workspace, 3 * model.intermediate_size // tp, experts)


def forward_elements(w: Widths, tokens: int, workspace_rows: int) -> int:
    """The forward pass's transient peak over a batch of `tokens`: the residual stream and the
    larger of a layer's attention (with MLA's simulated up-projection) and a dense MLP."""
    return tokens * w.residual + max(tokens * w.attention + workspace_rows * w.workspace, tokens * w.dense)


@dataclass(frozen=True)
class Overhead:
    """The runtime memory of one GPU besides weights and KV cache, in bytes, term by term."""

    release: str
    batched_tokens: int  # max_num_batched_tokens of the profile run, per data-parallel rank
    seqs: int  # max_num_seqs of the sampler run
    moe_tokens: int  # tokens the GPU's experts take in the profile run
    experts: int  # the experts' workspaces (kept) and gathered inputs
    forward: int  # the forward pass's transient peak
    sampler: int  # the sampler run's transient peak
    non_torch: int
    all2all: int
    graphs: int  # CUDA graphs vLLM estimates and subtracts (0 below v0.21, or eager)
    graph_count: int

    @property
    def activation(self) -> int:
        """The profile run: the experts' workspaces, which stay, and one transient peak, the
        forward pass's or the sampler's, which run one after the other."""
        return self.experts + max(self.forward, self.sampler)

    @property
    def total(self) -> int:
        return self.activation + self.non_torch + self.all2all + self.graphs

    @property
    def mib(self) -> int:
        """The total rounded up to whole MiB, the unit the planner and the chart subtract."""
        return -(-self.total // MIB)

    @property
    def gib(self) -> float:
        return self.mib / 1024

    def as_dict(self) -> dict[str, Any]:
        """The terms for `plan --format json`, in GiB."""
        def g(n: int) -> float:
            return round(n / GIB, 3)
        return {"release": self.release, "batchedTokens": self.batched_tokens, "maxNumSeqs": self.seqs,
                "expertTokens": self.moe_tokens, "activationGiB": g(self.activation), "expertsGiB": g(self.experts),
                "forwardGiB": g(self.forward), "samplerGiB": g(self.sampler), "nonTorchGiB": g(self.non_torch),
                "deepepGiB": g(self.all2all), "cudaGraphsGiB": g(self.graphs), "cudaGraphs": self.graph_count,
                "totalGiB": self.gib}

    def line(self) -> str:
        def g(n: int) -> str:
            return f"{n / GIB:.1f}"
        experts = f"experts {g(self.experts)} for {self.moe_tokens} tokens + " if self.experts else ""
        return (f"overhead {self.gib:.1f} GiB (vLLM {self.release}): profile run of {self.batched_tokens} tokens "
                f"{g(self.activation)} ({experts}the larger of forward {g(self.forward)} and sampler "
                f"{g(self.sampler)} for {self.seqs} seqs) + non-torch {g(self.non_torch)}"
                + (f" + DeepEP buffers {g(self.all2all)}" if self.all2all else "")
                + f" + CUDA graphs {g(self.graphs)} ({self.graph_count} graphs)")


def overhead(model: Model, gpu: Gpu, release: str, tensor_parallel: int = 1, pipeline_parallel: int = 1,
             data_parallel: int = 1, max_num_seqs: int = 0, max_num_batched_tokens: int = 0,
             context: int = 0, eager: bool = False, all2all: str = "", nodes: int = 1,
             chunked_prefill: bool = True, expert_parallel: bool = True) -> Overhead:
    """vLLM `release`'s runtime memory on one GPU of a layout. max_num_seqs / max_num_batched_tokens
    0 take the release's defaults for the GPU (`Release.batch`; context: the max-model-len, which
    they depend on, as on chunked_prefill and expert_parallel); `eager` (--enforce-eager) captures
    no CUDA graphs; `all2all` is the --all2all-backend and `nodes` the nodes one replica spans."""
    rel = Release(release)
    batched_dp = all2all in BATCHED_DP_BACKENDS and data_parallel > 1 and expert_parallel
    tokens, seqs = rel.batch(gpu, context, max_num_seqs, max_num_batched_tokens, chunked_prefill, batched_dp)
    w = widths(model, tensor_parallel, data_parallel)
    # With data parallelism the ranks' tokens are gathered for the experts (allgather_reducescatter)
    # or dispatched to them (DeepEP): the profile run's dummy tokens, all alike, route to the same
    # experts, so one GPU takes every rank's tokens.
    moe_tokens = tokens * data_parallel if w.experts else tokens
    experts = ACTIVATION_BYTES * moe_tokens * w.experts
    rows = mla_workspace_tokens(context, seqs) if w.workspace else 0
    forward = ACTIVATION_BYTES * forward_elements(w, tokens, rows)
    sampler = min(seqs, tokens) * model.vocab_size * SAMPLER_BYTES_PER_LOGIT
    gpus = tensor_parallel * pipeline_parallel * data_parallel
    non_torch = (NON_TORCH_MULTI_GPU if rel.v1 else NON_TORCH_MULTI_GPU_V0) if gpus > 1 else NON_TORCH_ONE_GPU
    deepep = all2all.startswith("deepep") and data_parallel > 1
    buffers = (DEEPEP_BUFFER * (2 if nodes > 1 else 1)) if deepep else 0
    graphs = count = 0
    if rel.subtracts_graphs and not eager:
        sizes = graph_sizes(rel, gpu, tokens, seqs)
        full = [size for size in sizes if size <= seqs]  # FULL graphs of uniform decode batches
        # The first capture's memory: the largest batch's forward pass (its graph runs with
        # attention metadata, so without MLA's simulated up-projection); the experts' workspace is
        # already as large as it gets. Each further graph: its kernels' memory in the driver.
        first = ACTIVATION_BYTES * forward_elements(w, sizes[-1], 0)
        layers = math.ceil(model.layers / pipeline_parallel)
        graphs = first + (len(sizes) - 1 + len(full) - 1) * layers * GRAPH_BYTES_PER_LAYER[model.mla]
        count = len(sizes) + len(full)
    return Overhead(release, tokens, seqs, moe_tokens, experts, forward, sampler, non_torch, buffers, graphs, count)
