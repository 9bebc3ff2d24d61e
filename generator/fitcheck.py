"""The fit check of edited values: the catalog facts the chart needs to redo the planner's memory
arithmetic (catalog.fit, and ollama's sizing) at render time, and the same check in Python for
`llm-serving validate`'s report.

One arithmetic, two runtimes: `chart_data()` is written into the common chart as
`common.fit.data` (charts/llm-serving/charts/common/templates/_fitdata.tpl), and the hand-written
helpers of `_fit.tpl` compute from it, for the rendered values, what catalog.fit computes for a
plan: weights per GPU, the runtime overhead, KV bytes per token per GPU, the tokens the cache
holds. tests/test_fit_check.py evaluates both on a grid of every catalog GPU x checkpoint x
layout x context and requires the same verdict and token count.

What the chart checks (and refuses, naming the field, the numbers and the nearest fix):
- precision: the engine's vLLM cannot load the checkpoint's precision on the GPU
  (catalog.QUANTIZATIONS against each backend's `vllm_versions` and images);
- heads: tensor parallel does not divide the attention heads (vLLM refuses to load);
- weights: the weights per GPU do not fit `memory x gpuMemoryUtilization - overhead`;
- context: one sequence of `maxModelLen` does not fit the KV cache that is left.
ollama runs what does not fit its GPU with layers offloaded to the CPU, slower but running: it is
refused only when weights, KV cache and runtime exceed the GPUs' memory and the pod's memory
limit together (on CPU: the memory limit alone), which it could never hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import catalog, overhead
from .backends import REGISTRY, Backend
from .backends import ollama as ollama_backend
from .backends.common import DATA_PARALLEL_BATCH


def _loads(backend: Backend, model: catalog.Model, ckpt: catalog.Checkpoint) -> list[str]:
    """The GPUs on which the backend's images load the checkpoint (vendor and vLLM release)."""
    quantization = catalog.QUANTIZATIONS[ckpt.precision]
    return [name for name, gpu in catalog.GPUS.items()
            if gpu.vendor in backend.images
            and not quantization.refuses(model, gpu, backend.vllm_versions.get(gpu.vendor, ""))]


def vllm_engines() -> list[Backend]:
    """The backends that run vLLM on GPUs (the chart's vLLM-family fit check)."""
    return [b for b in REGISTRY.values() if b.vllm_versions]


def chart_data() -> dict[str, Any]:
    """The facts of common.fit.data: GPUs, models, checkpoints (by repository or tag), and for
    each vLLM engine which GPUs load each checkpoint."""
    engines = vllm_engines()
    gpus = {name: {"memoryGiB": g.memory_gib, "vendor": g.vendor, "fp8": g.fp8, "consumer": g.consumer,
                   "computeCapability": g.compute_capability}
            for name, g in catalog.GPUS.items()}
    models: dict[str, Any] = {}
    checkpoints: dict[str, Any] = {}
    for model in catalog.MODELS.values():
        models[model.key] = {
            "layers": model.layers, "kvHeads": model.kv_heads, "headDim": model.head_dim, "mla": model.mla,
            "maxPosition": model.max_position, "attentionHeads": model.attention_heads,
            "routedExperts": model.routed_experts, "expertsPerToken": model.experts_per_token,
            "hiddenSize": model.hidden_size, "intermediateSize": model.intermediate_size,
            "moeIntermediateSize": model.moe_intermediate_size, "vocabSize": model.vocab_size,
            "qkNopeHeadDim": model.qk_nope_head_dim, "qkRopeHeadDim": model.qk_rope_head_dim,
            "vHeadDim": model.v_head_dim,
            # best precision first, as the planner prefers them
            "checkpoints": [c.repo for c in sorted(model.checkpoints, key=_preference)],
        }
        for ckpt in model.checkpoints:
            # weightsGiB: what vLLM loads (Checkpoint.loaded_gib, the files less the layers it skips)
            entry: dict[str, Any] = {"model": model.key, "precision": ckpt.precision, "weightsGiB": ckpt.loaded_gib,
                                     "expertsGiB": ckpt.experts_gib, "sharedGiB": ckpt.shared_gib}
            if ckpt.precision == catalog.OLLAMA_Q4:
                entry["loads"] = {"ollama": sorted(catalog.GPUS)}
            else:
                entry["loads"] = {b.name: _loads(b, model, ckpt) for b in engines
                                  if ckpt.precision in b.precisions}
            checkpoints[ckpt.repo] = entry
    return {
        "overhead": {
            "activationBytes": overhead.ACTIVATION_BYTES, "samplerBytesPerLogit": overhead.SAMPLER_BYTES_PER_LOGIT,
            "nonTorchOneGpu": overhead.NON_TORCH_ONE_GPU, "nonTorchMultiGpu": overhead.NON_TORCH_MULTI_GPU,
            "nonTorchMultiGpuV0": overhead.NON_TORCH_MULTI_GPU_V0,
            "deepepBuffer": overhead.DEEPEP_BUFFER, "mlaBlockSize": overhead.MLA_BLOCK_SIZE,
            "mlaWorkspaceRows": overhead.MLA_WORKSPACE_ROWS,
            "batchTiers": [{"minGiB": gib, "tokens": tokens, "seqs": seqs}
                           for gib, tokens, seqs in overhead.BATCH_TIERS],
            "notThe70GiBTier": overhead.NOT_THE_70_GIB_TIER,
            "v0": {"chunkedAbove": overhead.V0_CHUNKED_ABOVE, "chunk": overhead.V0_CHUNK, "seqs": overhead.V0_SEQS},
            "batchedDpTokens": overhead.BATCHED_DP_TOKENS, "batchedDpBackends": list(overhead.BATCHED_DP_BACKENDS),
            # the batch data-parallel plans set (backends.common.DATA_PARALLEL_BATCH), offered as a fix
            "dataParallelBatch": DATA_PARALLEL_BATCH,
            "graphCap": overhead.GRAPH_CAP, "graphCapBlackwell": overhead.GRAPH_CAP_BLACKWELL,
            "graphBytesPerLayer": {"mla": overhead.GRAPH_BYTES_PER_LAYER[True],
                                   "gqa": overhead.GRAPH_BYTES_PER_LAYER[False]},
        },
        "vllmReleases": {v: _release(v) for b in engines for v in sorted(set(b.vllm_versions.values()))},
        "defaultRelease": catalog.DEFAULT_RELEASE,
        "kvCacheBytes": dict(catalog.KV_CACHE_BYTES),
        "vllmVersions": {b.name: dict(b.vllm_versions) for b in engines},
        "ollama": {"runtimeGiB": ollama_backend.RUNTIME_GIB},
        "unmodelledFlags": list(UNMODELLED_FLAGS),
        "gpus": gpus, "models": models, "checkpoints": checkpoints,
    }


def _release(version: str) -> dict[str, bool]:
    """What common.fit.overhead needs of a vLLM release (overhead.Release)."""
    r = overhead.Release(version)
    return {"v1": r.v1, "subtractsGraphs": r.subtracts_graphs, "largeGpuTier": r.large_gpu_tier,
            "newerBatchRules": r.newer_batch_rules}


def _preference(ckpt: catalog.Checkpoint) -> int:
    order = (*REGISTRY["vllm"].precisions, catalog.OLLAMA_Q4)
    return order.index(ckpt.precision) if ckpt.precision in order else len(order)


def template(cmd: str) -> str:
    """_fitdata.tpl: the data as a named template (a library chart has no files of its own that
    the including charts could read)."""
    data = json.dumps(chart_data(), sort_keys=True, separators=(",", ":"))
    assert "{{" not in data, "the data would open a template action"
    return (f"{{{{/* Generated by `{cmd}` from generator/catalog.py and generator/fitcheck.py; do not edit "
            "by hand.\ncommon.fit.data: the catalog facts the fit check (_fit.tpl) computes with: per GPU its "
            "memory (GiB), vendor,\nFP8 and compute capability; per model its KV layout and the widths vLLM's "
            "runtime memory depends on;\nper checkpoint (repository or ollama tag) its model, precision, weights "
            "(GiB) and the GPUs each engine\nloads it on; the overhead's constants (generator/overhead.py) and "
            "what each engine's vLLM release does.\n"
            "Usage: {{ $data := include \"common.fit.data\" . | fromJson }}\n*/}}\n"
            "{{- define \"common.fit.data\" -}}\n" + data + "\n{{- end -}}\n")


# ---------------------------------------------------------------- the same check in Python


@dataclass(frozen=True)
class Report:
    """The fit of one engine's values: the KV cache it leaves, or why it cannot be checked."""

    engine: str
    model: str
    checked: bool
    kv_tokens: int = 0
    context: int = 0
    note: str = ""  # why it is not checked, or the refusal
    ranks: int = 1  # data-parallel ranks, each with a KV cache of kv_tokens

    @property
    def sequences(self) -> float:
        return self.ranks * self.kv_tokens / self.context if self.context else 0.0

    def cell(self) -> str:
        if not self.checked:
            return "not checked"
        if self.note:
            return "does not fit"
        ranks = f" x {self.ranks} ranks" if self.ranks > 1 else ""
        return f"{self.kv_tokens} tokens{ranks}, {self.sequences:.1f} x {self.context}"


# vLLM flags that change what the arithmetic models (CPU offload, a fixed KV cache size, swap, and
# speculative decoding, which loads the MTP layer the catalog leaves out): with one of them in
# extraArgs the fit is not checked (the chart's vLLM validate.yaml reads this list from common.fit.data).
UNMODELLED_FLAGS = ("--cpu-offload-gb", "--kv-cache-memory-bytes", "--speculative-config", "--swap-space")


def _vllm_inputs(engine: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """What each vLLM engine's values say, in common terms: checkpoint, GPU, layout, context."""
    v = values[engine]
    if engine == "vllm":
        # extraArgs come last on the command line, and argparse takes the last of a flag given twice
        e, args = v["engine"], list(v["engine"].get("extraArgs") or [])
        beyond = [flag for flag in UNMODELLED_FLAGS if any(a == flag or a.startswith(flag + "=") for a in args)]
        if beyond:
            return [{"model": v["model"]["name"], "beyond": beyond}]
        return [{"model": v["model"]["name"], "gpu": v["gpu"].get("model", ""), "tp": e["tensorParallelSize"],
                 "pp": e["pipelineParallelSize"], "dp": e.get("dataParallelSize", 1),
                 "redundant": e.get("numRedundantExperts", 0) if e.get("enableEplb") else 0,
                 "context": int(_arg(args, "--max-model-len") or e["maxModelLen"]),
                 "utilization": float(_arg(args, "--gpu-memory-utilization") or e["gpuMemoryUtilization"]),
                 "kv": _arg(args, "--kv-cache-dtype") or e.get("kvCacheDtype", "auto"),
                 "seqs": int(_arg(args, "--max-num-seqs") or e.get("maxNumSeqs") or 0),
                 "tokens": int(_arg(args, "--max-num-batched-tokens") or e.get("maxNumBatchedTokens") or 0),
                 "eager": _has(args, "--enforce-eager"),
                 "all2all": _arg(args, "--all2all-backend") or e.get("all2allBackend") or "",
                 "nodes": int(v.get("nodes", 1)),
                 "chunked": _switch(args, "--enable-chunked-prefill", e.get("enableChunkedPrefill", True)),
                 "ep": _switch(args, "--enable-expert-parallel", bool(e.get("enableExpertParallel")))}]
    if engine == "kuberay":
        out = []
        for config in v["serve"]["llmConfigs"]:
            kw = config["engineKwargs"]
            extra = kw.get("extra") or {}
            out.append({"model": config["modelSource"], "gpu": v["gpu"].get("model", ""),
                        "tp": kw["tensorParallelSize"], "pp": kw["pipelineParallelSize"],
                        "dp": kw.get("dataParallelSize", 1),
                        "context": kw["maxModelLen"], "utilization": kw["gpuMemoryUtilization"],
                        "kv": extra.get("kv_cache_dtype", "auto"), "seqs": int(kw.get("maxNumSeqs") or 0),
                        "tokens": int(extra.get("max_num_batched_tokens") or 0),
                        "eager": bool(extra.get("enforce_eager")),
                        "chunked": bool(kw.get("enableChunkedPrefill", True))})
        return out
    if engine == "aibrix":
        e, args = v["engine"], list(v["engine"].get("extraArgs") or [])
        return [{"model": v["storage"]["huggingface"]["repo"], "gpu": v["gpu"].get("model", ""),
                 "tp": e["tensorParallelSize"], "pp": e["pipelineParallelSize"], "context": e["maxModelLen"],
                 "utilization": float(_arg(args, "--gpu-memory-utilization") or 0.9),
                 "kv": _arg(args, "--kv-cache-dtype") or "auto",
                 "seqs": int(_arg(args, "--max-num-seqs") or 0),
                 "tokens": int(_arg(args, "--max-num-batched-tokens") or 0),
                 "eager": _has(args, "--enforce-eager")}]
    return []


def _switch(args: list[str], flag: str, default: bool) -> bool:
    """A boolean flag as vLLM's argument parser leaves it: the last of `--flag` and `--no-flag`,
    else `default`, as common.fit.switch reads it."""
    found = default
    for arg in args:
        if arg in (flag, "--no-" + flag.removeprefix("--")):
            found = arg == flag
    return found


def _has(args: list[str], flag: str) -> bool:
    """Whether `flag` is in a list of arguments, as common.fit.hasFlag reads it."""
    return any(a == flag or a.startswith(flag + "=") for a in args)


def _arg(args: list[str], flag: str) -> str:
    """The value of `flag` in a list of arguments (`--flag value` or `--flag=value`; the last one,
    as argparse takes it), as common.fit.arg reads it."""
    found = ""
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith(flag + "="):
            found = arg.split("=", 1)[1]
    return found


def reports(values: dict[str, Any]) -> list[Report]:
    """The fit of every enabled vLLM engine's model in merged umbrella values."""
    out = []
    for backend in vllm_engines():
        if not values.get(backend.name, {}).get("enabled"):
            continue
        for item in _vllm_inputs(backend.name, values):
            out.append(_report(backend.name, item))
    return out


def _report(engine: str, item: dict[str, Any]) -> Report:
    if item.get("beyond"):
        return Report(engine, item["model"], False,
                      note=f"{', '.join(item['beyond'])} in {engine}.engine.extraArgs: the fit is not checked")
    repo, gpu_name = item["model"], item["gpu"]
    model, ckpt = next(((m, c) for m in catalog.MODELS.values() for c in m.checkpoints if c.repo == repo),
                       (None, None))
    if model is None or ckpt is None:
        return Report(engine, repo, False, note=f"{repo} is not in the catalog: its fit is not checked")
    if gpu_name not in catalog.GPUS:
        return Report(engine, repo, False, note=f"{engine}.gpu.model is empty: the fit of {repo} is not checked")
    context = int(item["context"]) or model.max_position
    kv = "fp8" if str(item["kv"]).startswith("fp8") else "auto"
    try:
        gpu = catalog.GPUS[gpu_name]
        fit = catalog.fit(model, ckpt, gpu, int(item["tp"]), float(item["utilization"]),
                          context, int(item.get("seqs", 0)), pipeline_parallel=int(item["pp"]), kv_cache_dtype=kv,
                          data_parallel=int(item.get("dp", 1)), redundant_experts=int(item.get("redundant", 0)),
                          release=REGISTRY[engine].vllm_release(gpu),
                          max_num_batched_tokens=int(item.get("tokens", 0)), eager=bool(item.get("eager")),
                          all2all=str(item.get("all2all", "")), nodes=int(item.get("nodes", 1)),
                          chunked_prefill=bool(item.get("chunked", True)), expert_parallel=bool(item.get("ep", True)))
    except catalog.DoesNotFit as refusal:
        return Report(engine, repo, True, 0, context, str(refusal).splitlines()[0])
    return Report(engine, repo, True, fit.kv_tokens, context, ranks=fit.data_parallel)
