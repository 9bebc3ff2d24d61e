"""Hardware-aware planner: from a hardware profile and a model to a plan that fits, or a refusal.

The planner knows no engine by name: it asks the backends of the registry (generator/backends)
the questions of their contract, in this order:
- engine: the one asked for, checked against the hardware (GPUs needed, several nodes served),
  else the backend that answers `chosen_for` the hardware: ollama for CPU and consumer GPUs (GGUF),
  vLLM for one node, KubeRay for several nodes, AIBrix for several nodes linked by RDMA. A model
  known only as GGUF tags, or asked for by its tag, goes to the backend that loads GGUF;
- vendor: a backend without an image for the GPU's vendor is refused, naming those that have one;
- shape: the backend's `shapes` of the hardware whose tensor-parallel size divides the model's
  attention heads (vLLM would not load any other): on one node vLLM's tensor-parallel sizes that
  fit (the node's other GPUs become replicas), weighed by _layout (LAYOUT_GAIN); across nodes
  tensor parallel within a node and pipeline parallel across them (KubeRay, seed 004; vLLM on a
  LeaderWorkerSet); AIBrix tensor parallel over every GPU over RDMA (seed 002);
- precision: the best checkpoint the backend's engine loads on the GPU (catalog.QUANTIZATIONS:
  bf16, fp8 on FP8 GPUs, nvfp4 on Blackwell, w4a16, awq-int4) that fits the backend's arithmetic
  (`fit`: for the GPU engines a KV cache of two full-length sequences at least) at the requested
  context, else at 32768 or 16384 tokens (REASONING_CONTEXT), else at 8192 or 4096;
- KV cache: the model's 16-bit cache, else FP8 where the backend says its engine keeps that
  model's cache in FP8 on the GPU (`kv_cache_fp8`), before a shorter context or a refusal;
- sizes: the backend's max-num-seqs, CPU and memory per pod, within the allocatable of the
  smallest machine the hardware names (_size_pods); expert parallelism where the backend says
  (its recipe, or asked); /dev/shm and probe budgets come from the profile in the backend's values;
- alternatives: the other engines that would serve the request on the same hardware.
A plan that does not fit is refused with the numbers and the nearest hardware that would work
(`Refused`, with `as_dict()` for machine-readable output). A request that cannot mean anything
(unknown precision, a context beyond the model's, a GGUF tag for another engine) is a
ValueError naming the option and the fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from . import catalog, platforms
from .backends import REGISTRY, Backend, for_vendor, serving
from .backends.common import planned_batch
from .interface import Group, Value
from .model import Hardware, Profile, Request, Shape
from .overhead import Overhead

MIN_CONTEXT = 4096
DEFAULT_CONTEXT = 32768
# DeepSeek evaluated R1 and its distills with up to 32768 generated tokens (the model cards'
# "maximum generation length"); a context below 16384 cuts long reasoning traces short. So an
# automatic plan takes the best precision that fits at least REASONING_CONTEXT tokens, and goes
# shorter only when no checkpoint does.
REASONING_CONTEXT = 16384
KV_CACHE_DTYPES = tuple(catalog.KV_CACHE_BYTES)
MIN_REQUEST_CONTEXT = 512  # the smallest context every engine's chart schema accepts (ollama's)

__all__ = ["Hardware", "Plan", "Refused", "Request", "hardware_from_dict", "plan", "resolve_model"]


class Refused(catalog.DoesNotFit):
    """The hardware cannot serve the model; the message has the numbers and the alternatives.

    `numbers` holds the figures behind the refusal, `suggestions` the hardware or models that
    would work; `as_dict()` is what `plan --format json` prints."""

    def __init__(self, message: str, numbers: dict[str, Any] | None = None,
                 suggestions: list[str] | None = None) -> None:
        super().__init__(message, numbers)
        self.suggestions = suggestions or []

    def as_dict(self) -> dict[str, Any]:
        lines = str(self).splitlines()
        return {"refused": True, "reason": lines[0], "details": lines[1:], "numbers": self.numbers,
                "suggestions": self.suggestions}


@dataclass(frozen=True)
class Plan:
    hardware: Hardware
    profile: Profile
    lines: tuple[str, ...]  # the memory arithmetic
    decode_tokens_per_s: float | None  # upper bound from memory bandwidth
    startup_seconds: int
    notes: tuple[str, ...] = ()  # assumptions the plan rests on
    alternatives: tuple[str, ...] = ()  # the other engines that would serve it on this hardware
    layouts: tuple[str, ...] = ()  # the layouts that fit, the chosen one first (_layout)
    objective: str = "throughput"  # what chose the layout (_layout)

    @property
    def layout(self) -> str:
        """The chosen layout's name (Shape.layout)."""
        p = self.profile
        return Shape(p.tensor_parallel, p.pipeline_parallel, p.gpus_per_pod, p.pods, p.replicas,
                     p.data_parallel).layout

    @property
    def tensor_parallel(self) -> int:
        return self.profile.tensor_parallel

    @property
    def pipeline_parallel(self) -> int:
        return self.profile.pipeline_parallel

    @property
    def replicas(self) -> int:
        return self.profile.replicas

    def table(self) -> list[tuple[str, str]]:
        p = self.profile
        rows = [
            ("hardware", self.hardware.describe()),
            ("engine", p.engine),
            ("model", f"{p.checkpoint.repo} ({p.precision})"),
            ("parallelism", f"tensor {p.tensor_parallel} x pipeline {p.pipeline_parallel}"
                            + (f" x data {p.data_parallel} (+ expert parallel)" if p.data_parallel > 1 else "")
                            + (f", {p.replicas} replicas" if p.replicas > 1 else "")),
            ("context", f"{p.max_model_len} tokens"),
            ("max-num-seqs", str(p.max_num_seqs)),
            ("kv cache", "fp8 (--kv-cache-dtype fp8)" if p.kv_cache_dtype == "fp8" else "the model's 16-bit dtype"),
        ]
        rows += [("memory" if i == 0 else "", line) for i, line in enumerate(self.lines)]
        if self.decode_tokens_per_s is not None:
            rows.append(("decode bound", f"<= {self.decode_tokens_per_s:.0f} tokens/s per sequence "
                                         "(memory bandwidth / bytes read per token)"))
            observed = catalog.GPUS[self.hardware.gpu].observed if self.hardware.gpu else ""
            if observed:
                rows.append(("observed", observed))
        rows.append(("startup budget", f"{self.startup_seconds} s (download, load, warm-up, 50% margin)"))
        rows += [("note", note) for note in self.notes]
        rows += [("layout" if i == 0 else "", line) for i, line in enumerate(self.layouts)]
        if self.alternatives:
            rows.append(("alternatives", "; ".join(self.alternatives)))
        return rows

    def as_dict(self) -> dict[str, Any]:
        p = self.profile
        return {
            "hardware": self.hardware.as_dict(), "engine": p.engine, "model": p.model,
            "checkpoint": p.checkpoint.repo, "precision": p.precision,
            "tensorParallel": p.tensor_parallel, "pipelineParallel": p.pipeline_parallel,
            "dataParallel": p.data_parallel, "layout": self.layout,
            "replicas": p.replicas, "gpusPerPod": p.gpus_per_pod, "podsPerReplica": p.pods,
            "context": p.max_model_len, "maxNumSeqs": p.max_num_seqs, "kvCacheDtype": p.kv_cache_dtype,
            "gpuMemoryUtilization": p.gpu_memory_utilization, "cpuPerPod": p.cpu_per_pod,
            "memoryGiBPerPod": p.memory_gib_per_pod, "memory": list(self.lines),
            "decodeTokensPerSecondBound": self.decode_tokens_per_s,
            "startupSeconds": self.startup_seconds, "notes": list(self.notes),
            "alternatives": list(self.alternatives), "layouts": list(self.layouts), "objective": self.objective,
            # vLLM's runtime memory besides weights and KV cache, term by term (engines running vLLM)
            "overhead": self._overhead(),
        }

    def _overhead(self) -> dict[str, Any] | None:
        p = self.profile
        if not p.gpu or not REGISTRY[p.engine].vllm_versions:
            return None
        overhead = p.fit().overhead
        return overhead.as_dict() if isinstance(overhead, Overhead) else None


# ---------------------------------------------------------------- lookups

def resolve_model(name: str) -> tuple[catalog.Model, str | None]:
    """(model, forced precision): a catalog key, or a GGUF tag such as `deepseek-r1:7b`."""
    if name in catalog.MODELS:
        return catalog.MODELS[name], None
    for model in catalog.MODELS.values():
        tag = model.ollama_tag()
        if tag and tag.repo == name:
            return model, tag.precision
    known = ", ".join(list(catalog.MODELS) + [t.repo for m in catalog.MODELS.values() if (t := m.ollama_tag())])
    raise ValueError(f"unknown model {name!r}; known: {known}")


def _names(backends: list[Backend]) -> str:
    return " or ".join(b.name for b in backends)


def choose_engine(hw: Hardware, forced: str | None) -> str:
    if forced and forced not in REGISTRY:
        raise ValueError(f"unknown engine {forced!r}; engines: {', '.join(REGISTRY)}")
    gpu = catalog.GPUS[hw.gpu] if hw.gpu else None
    if forced:
        backend = REGISTRY[forced]
        if backend.needs_gpu and (gpu is None or hw.gpus_per_node == 0):
            cpu = [b for b in REGISTRY.values() if not b.needs_gpu]
            raise Refused(f"{forced} needs GPUs; {hw.describe()} has none: use --engine {_names(cpu)}",
                          {"engine": forced, "hardware": hw.describe()}, [f"--engine {b.name}" for b in cpu])
        if gpu is not None and not backend.multi_node and hw.nodes > 1:
            multi = [b for b in REGISTRY.values() if b.multi_node]
            raise Refused(f"{forced} serves from one node; for {hw.nodes} nodes use {_names(multi)}",
                          {"engine": forced, "nodes": hw.nodes}, [f"--engine {b.name}" for b in multi])
        return forced
    chosen = [b.name for b in REGISTRY.values() if b.chosen_for(hw, gpu)]
    assert len(chosen) == 1, f"backends chosen for {hw.describe()}: {chosen}"
    return chosen[0]


def _checkpoints(model: catalog.Model, gpu: catalog.Gpu | None, backend: Backend,
                 forced: str | None) -> list[catalog.Checkpoint]:
    """The model's checkpoints the backend loads on the GPU, best first (catalog.QUANTIZATIONS:
    FP8 weights on FP8 GPUs, NVFP4 on Blackwell, each from the vLLM release that loads it)."""
    found = [c for c in model.checkpoints if c.precision in backend.precisions]
    if forced:
        return [c for c in found if c.precision == forced]
    usable = [c for c in found if not _unloadable(backend, model, c.precision, gpu)]
    return sorted(usable, key=lambda c: backend.precisions.index(c.precision))


def _unloadable(backend: Backend, model: catalog.Model, precision: str, gpu: catalog.Gpu | None) -> str:
    """Why the backend's engine cannot load `precision` weights of the model on the GPU ("" if it can)."""
    if gpu is None:  # CPU plans are the engines without GPUs (choose_engine refuses the others)
        return ""
    return catalog.QUANTIZATIONS[precision].refuses(model, gpu, backend.vllm_versions.get(gpu.vendor, ""))


def _for_gpu(ckpt: catalog.Checkpoint, gpu: catalog.Gpu | None) -> catalog.Checkpoint:
    """Adapt a checkpoint to the GPU: fp16 where bf16 is missing, plain AWQ below sm80 (Marlin)."""
    if gpu is None:
        return ckpt
    dtype, quant = ckpt.dtype, ckpt.quantization
    if dtype == "bfloat16" and not gpu.bf16:
        dtype = "float16"
    if quant == "awq_marlin" and gpu.vendor == "nvidia" and gpu.compute_capability < 8.0:
        quant = "awq"
    return replace(ckpt, dtype=dtype, quantization=quant)


def _contexts(model: catalog.Model, req: Request) -> list[int]:
    if req.context:
        return [req.context]
    out, ctx = [], min(DEFAULT_CONTEXT, model.max_position)
    while ctx >= MIN_CONTEXT:
        out.append(ctx)
        ctx //= 2
    return out


# Throughput on a multi-GPU node: several smaller replicas batch independently and talk less
# across GPUs, so they are preferred; fewer, larger replicas are chosen only when their KV cache
# holds at least LAYOUT_GAIN times the concurrent max-length sequences (replicas x sequences of
# the context each replica's KV cache holds). DeepSeek-R1 on 8 x MI300X: tensor 8 x 1 replica
# holds 40 sequences of 32768 tokens, tensor 4 x 2 replicas 8, so it runs as one replica of
# tensor parallel 8, as the vLLM recipe for AMD GPUs does (vllm-project/recipes
# DeepSeek/AMD_GPU/README.md).
LAYOUT_GAIN = 1.25


def _sequences(shape: Shape, fit: catalog.Fit, context: int) -> int:
    """Concurrent sequences of `context` tokens: each replica's data-parallel ranks cache their own."""
    return shape.replicas * shape.data_parallel * (fit.kv_tokens // context)


OBJECTIVES = ("throughput", "latency")


def _layout(fitting: list[tuple[Shape, catalog.Fit]], context: int,
            objective: str = "throughput") -> tuple[Shape, catalog.Fit, tuple[str, ...]]:
    """The layout among those that fit (smallest replicas first, data-parallel layouts last), by
    LAYOUT_GAIN; for the latency objective among the tensor-parallel layouts only (vLLM's recipe
    runs TP+EP for low load: every GPU works on each token, no all-to-all between ranks). And,
    when there was a choice, each layout's line for the plan, the chosen one first."""
    pool = fitting
    if objective == "latency":
        pool = [f for f in fitting if f[0].data_parallel == 1] or fitting
    best = pool[0]
    for candidate in pool[1:]:
        if _sequences(*candidate, context) >= LAYOUT_GAIN * _sequences(*best, context):
            best = candidate
    if len(fitting) == 1:
        return (*best, ())

    def line(shape: Shape, fit: catalog.Fit) -> str:
        return (f"{shape.layout}: {fit.kv_tokens} KV tokens per GPU, {_sequences(shape, fit, context)} sequences "
                f"of {context} tokens at once")

    lines = [f"chosen: {line(*best)}"] + [f"not chosen: {line(*other)}" for other in fitting if other is not best]
    lines.append(f"objective {objective}: "
                 + ("the most concurrent max-length sequences: the smallest replicas that fit, unless fewer, larger "
                    f"ones or data-parallel ranks hold at least {LAYOUT_GAIN}x as many (--objective latency: "
                    "tensor parallel)" if objective == "throughput" else
                    "tensor parallel, every GPU on each token: the smallest replicas that fit, unless fewer, larger "
                    f"ones hold at least {LAYOUT_GAIN}x the concurrent max-length sequences (--objective throughput: "
                    "data-parallel ranks too)"))
    return (*best, tuple(lines))


def _divides_heads(model: catalog.Model, shape: Shape) -> bool:
    return not model.attention_heads or model.attention_heads % shape.tensor_parallel == 0


# ---------------------------------------------------------------- planning

def _gguf_only(model: catalog.Model) -> bool:
    tag = model.ollama_tag()
    return tag is not None and all(c.precision == tag.precision for c in model.checkpoints)


def _engine(hw: Hardware, req: Request, model: catalog.Model, tag: bool) -> str:
    """A GGUF tag, or a model the catalog has only as GGUF tags, goes to the backend that loads them."""
    if not (tag or _gguf_only(model)):
        return choose_engine(hw, req.engine)
    gguf = model.ollama_tag()
    assert gguf is not None
    loader = serving(gguf.precision)[0]
    what = f"{req.model} is an {loader.name} tag (GGUF)" if tag else \
        f"{model.key} is in the catalog only as the {loader.name} tag {gguf.repo}"
    hf = f"--model {model.key} (Hugging Face weights)" if not _gguf_only(model) else ""
    if req.engine not in (None, loader.name):
        choose_engine(hw, req.engine)  # the hardware's objection to the engine comes first
        raise ValueError(f"--model {req.model}: {what}, served by {loader.name} only: use --engine {loader.name}"
                         + (f", or {hf} for {req.engine}" if hf else ""))
    if hw.nodes > 1 and not loader.multi_node:
        multi = [b for b in REGISTRY.values() if b.multi_node]
        raise Refused(f"{what} and {loader.name} serves from one node, not {hw.nodes}: plan for --nodes 1"
                      + (f", or use {hf} with {_names(multi)}" if hf else ""),
                      {"engine": loader.name, "nodes": hw.nodes}, ["--nodes 1"] + ([hf] if hf else []))
    return choose_engine(hw, loader.name)


def _check_request(req: Request, backend: Backend, model: catalog.Model, gpu: catalog.Gpu | None) -> None:
    """ValueError for a precision or context that cannot apply, naming what would."""
    if req.context is not None:
        if req.context < MIN_REQUEST_CONTEXT:
            raise ValueError(f"--context {req.context}: below {MIN_REQUEST_CONTEXT} tokens, the least the "
                             f"charts accept; give {MIN_REQUEST_CONTEXT} to {model.max_position}")
        if req.context > model.max_position:
            raise ValueError(f"--context {req.context}: {model.key} handles at most {model.max_position} tokens "
                             f"(max_position_embeddings of its config.json); give {model.max_position} or less")
    if req.objective not in OBJECTIVES:
        raise ValueError(f"--objective {req.objective}: unknown; give {' or '.join(OBJECTIVES)}")
    if req.kv_cache_dtype is not None:
        if req.kv_cache_dtype not in KV_CACHE_DTYPES:
            raise ValueError(f"--kv-cache-dtype {req.kv_cache_dtype}: unknown; give {' or '.join(KV_CACHE_DTYPES)}")
        why = backend.kv_cache_fp8(model, gpu) if req.kv_cache_dtype == "fp8" else ""
        if why:
            able = [b.name for b in REGISTRY.values() if not b.kv_cache_fp8(model, gpu)]
            raise ValueError(f"--kv-cache-dtype fp8: {backend.name} cannot here: {why}; drop --kv-cache-dtype"
                             + (f", or use --engine {' or '.join(able)}" if able else ""))
    precision = req.precision
    if not precision:
        return
    known = list(dict.fromkeys(p for b in REGISTRY.values() for p in b.precisions))
    if precision not in known:
        raise ValueError(f"--precision {precision}: unknown; precisions: {', '.join(known)}")
    engine = backend.name
    if precision not in backend.precisions:
        others = serving(precision)
        raise ValueError(f"--precision {precision}: {engine} serves the catalog's {backend.weights_doc} only; drop "
                         f"--precision, or use --engine {_names(others)}")
    available = [c.precision for c in model.checkpoints if c.precision in backend.precisions]
    if precision not in available:
        raise ValueError(f"--precision {precision}: {model.key} has no {precision} checkpoint for {engine} "
                         f"in the catalog; its precisions: {', '.join(available) or 'none'}")
    why = _unloadable(backend, model, precision, gpu)
    if why and gpu is not None:
        others_p = [p for p in available if p != precision and not _unloadable(backend, model, p, gpu)]
        able = [name for name, g in catalog.GPUS.items() if not _unloadable(backend, model, precision, g)]
        raise ValueError(f"--precision {precision}: {why}; precisions of {model.key} for {engine} on "
                         f"{gpu.name}: {', '.join(others_p) or 'none'} (GPUs that load {precision} for {engine}: "
                         f"{', '.join(able) or 'none'})")


def _check_vendor(hw: Hardware, req: Request, backend: Backend, gpu: catalog.Gpu | None, suggest: bool) -> None:
    """Refuse a GPU whose vendor the backend's pinned images cannot drive (CUDA-only images on AMD)."""
    if gpu is None or gpu.vendor in backend.images:
        return
    image_ref = backend.default_image
    able = for_vendor(gpu.vendor)
    one_node = replace(hw, nodes=1, rdma=False)
    suggestions = [f"{b.name} on {one_node.describe()} ({b.images[gpu.vendor]})" for b in able
                   if suggest and _fits(one_node, replace(req, engine=b.name))]
    built_for = "/".join(catalog.VENDOR_STACKS[v] for v in backend.images)
    stack = catalog.VENDOR_STACKS[gpu.vendor]
    others = " and ".join(f"{b.name} ({b.images[gpu.vendor]}{', one node' if not b.multi_node else ''})"
                          for b in able)
    raise Refused(
        f"{backend.name} runs {image_ref}, a {built_for}-only image, and {gpu.name} is an {gpu.vendor.upper()} GPU "
        f"({gpu.resource}): the chart pins no {stack} build for {backend.name}. Engines with a {stack} image: "
        f"{others or 'none'}."
        + ("\nwould fit: " + "; ".join(suggestions) if suggestions else ""),
        {"engine": backend.name, "image": image_ref, "gpu": gpu.name, "vendor": gpu.vendor}, suggestions)


def plan(hw: Hardware, req: Request, *, suggest: bool = True) -> Plan:
    """The plan of the engine asked for, else of the engine the hardware calls for, with the other
    engines that fit as alternatives; when that one cannot fit the model (and no precision was
    asked for), the first other engine that can serve it there (never refuse what fits), with a
    note saying so. Suggestions, the costly part of a refusal, are worked out only for the refusal
    that is raised."""
    if req.engine:
        return _plan(hw, req, suggest=suggest)
    try:
        chosen = _plan(hw, req, suggest=False)
    except Refused as refused:
        fitting = [] if req.precision else _other_engines(hw, req)
        if fitting:
            first = str(refused).splitlines()[0]
            note = f"engine: {fitting[0].profile.engine}, because the engine this hardware calls for could not: {first}"
            return replace(fitting[0], notes=(note, *fitting[0].notes))
        if not suggest:
            raise
        return _plan(hw, req, suggest=True)  # raises the same refusal, now with its suggestions
    if not suggest:
        return chosen
    alternatives = tuple(f"--engine {p.profile.engine} ({REGISTRY[p.profile.engine].description})"
                         for p in _other_engines(hw, req, skip=chosen.profile.engine))
    return replace(chosen, alternatives=alternatives)


def _other_engines(hw: Hardware, req: Request, skip: str | None = None) -> list[Plan]:
    """The plans of every engine but `skip` that fits the request on this hardware, in registry order."""
    out = []
    for backend in REGISTRY.values():
        if backend.name == skip:
            continue
        try:
            out.append(_plan(hw, replace(req, engine=backend.name), suggest=False))
        except (catalog.DoesNotFit, ValueError):
            continue
    return out


def _plan(hw: Hardware, req: Request, *, suggest: bool = True) -> Plan:
    model, forced_precision = resolve_model(req.model)
    backend = REGISTRY[_engine(hw, req, model, forced_precision is not None)]
    gpu = catalog.GPUS[hw.gpu] if hw.gpu else None
    _check_request(req, backend, model, gpu)
    _check_vendor(hw, req, backend, gpu, suggest)
    if not any(c.precision in backend.precisions for c in model.checkpoints):
        others = [b for b in REGISTRY.values() if any(c.precision in b.precisions for c in model.checkpoints)]
        raise Refused(f"the catalog has no {backend.weights_doc} of {model.key}, which {backend.name} loads",
                      {"model": model.key, "engine": backend.name}, [f"--engine {b.name}" for b in others[:1]])
    checkpoints = _checkpoints(model, gpu, backend, req.precision or forced_precision)
    shapes = backend.shapes(hw) + backend.data_parallel_shapes(hw, model)
    loadable = [s for s in shapes if _divides_heads(model, s)]
    if not loadable:
        raise _heads_refusal(hw, req, backend, model, shapes[0], suggest=suggest)
    last: catalog.DoesNotFit | None = None
    # Contexts of at least REASONING_CONTEXT before shorter ones; within each, the model's 16-bit KV
    # cache before an FP8 one (only where the engine keeps that model's cache in FP8 on this GPU);
    # then precision (quality), utilization 0.90 (vLLM's default) before 0.95, the longest context;
    # then the layout (_layout) among the shapes that fit.
    kv_dtypes = [req.kv_cache_dtype] if req.kv_cache_dtype else \
        ["auto"] + ([] if backend.kv_cache_fp8(model, gpu) else ["fp8"])
    utilizations = [req.utilization] if req.utilization else list(backend.utilizations)
    contexts = _contexts(model, req)
    tiers = [[c for c in contexts if c >= REASONING_CONTEXT], [c for c in contexts if c < REASONING_CONTEXT]]
    candidates = [(kv, util, ckpt, context) for tier in tiers if tier for kv in kv_dtypes for ckpt in checkpoints
                  for util in utilizations for context in tier]
    auto_refusal: catalog.DoesNotFit | None = None

    def fits(kv: str, util: float, ckpt: catalog.Checkpoint, context: int) -> list[tuple[Shape, catalog.Fit]]:
        nonlocal last
        out = []
        for candidate in loadable:
            try:
                out.append((candidate, backend.fit(model, ckpt, gpu, hw, candidate, util, context,
                                                   replace(req, kv_cache_dtype=kv))))
            except catalog.DoesNotFit as exc:
                last = exc
        return out

    for kv, util, ckpt, context in candidates:
        if kv == "fp8" and auto_refusal is None:
            auto_refusal = last  # the closest a 16-bit cache came
        fitting = fits(kv, util, ckpt, context)
        if fitting:
            break
    else:
        raise _refusal(hw, req, backend, model, last, suggest)
    choices: tuple[str, ...] = ()
    if kv == "fp8":
        choices += (_kv_note(req, auto_refusal),)
    if context >= REASONING_CONTEXT and not req.precision and not req.context:
        better = checkpoints[:checkpoints.index(ckpt)]
        shorter = next(((b, c) for b in better for c in tiers[1] for u in utilizations if fits(kv, u, b, c)), None)
        if shorter:
            choices += (f"precision: {ckpt.precision} at {context} tokens rather than {shorter[0].precision} at "
                        f"{shorter[1]}: the best precision that fits {REASONING_CONTEXT} tokens or more is chosen, "
                        "as reasoning traces run long (--precision or --context choose otherwise)",)
    shape, fit, layouts = _layout(fitting, context, req.objective)
    expert_reason = backend.expert_parallel(model, ckpt, gpu, hw, shape, req.expert_parallel)
    cpu, memory = _size_pods(hw, req, backend, model, ckpt, shape, fit, gpu)
    profile = Profile(
        name="planned", title="", engine=backend.name, gpu=hw.gpu, model=model.key, precision=ckpt.precision,
        max_model_len=context, max_num_seqs=fit.max_num_seqs, gpu_memory_utilization=fit.utilization,
        tensor_parallel=shape.tensor_parallel, pipeline_parallel=shape.pipeline_parallel,
        gpus_per_pod=shape.gpus_per_pod, pods=shape.pods, replicas=shape.replicas,
        cpu_per_pod=cpu, memory_gib_per_pod=memory,
        served_model_name=req.served_model_name,
        engine_env=dict(req.engine_env), checkpoint_override=_for_gpu(ckpt, gpu), hardware=hw.describe(),
        expert_parallel=bool(expert_reason), kv_cache_dtype=kv,
        rdma=hw.rdma, data_parallel=shape.data_parallel,
        max_num_batched_tokens=_batch(backend, model, gpu, shape, context))
    bound = _decode_bound(gpu, ckpt, model, shape) if gpu else None
    notes = choices + backend.notes(hw) + ((f"expert parallel: {expert_reason}",) if expert_reason else ())
    if shape.data_parallel > 1 and model.routed_experts and gpu is not None:
        notes += (_profile_batch_note(profile, fit),)
    if model.routed_experts and backend.no_data_parallel and gpu is not None \
            and not any(s.data_parallel > 1 for s in shapes):
        notes += (f"layouts: {backend.no_data_parallel}",)
    return Plan(hw, profile, tuple(backend.arithmetic(profile)), bound, catalog.startup_seconds(ckpt),
                notes, layouts=layouts, objective=req.objective)


def _batch(backend: Backend, model: catalog.Model, gpu: catalog.Gpu | None, shape: Shape, context: int) -> int:
    """The --max-num-batched-tokens the plan sets (backends.common.planned_batch; 0: vLLM's default)."""
    if gpu is None or not backend.vllm_versions:
        return 0
    return planned_batch(model, gpu, shape, backend.vllm_release(gpu), context)


def _profile_batch_note(profile: Profile, fit: catalog.Fit) -> str:
    """What vLLM's profile run costs a data-parallel MoE plan, and what the plan's batch saves."""
    o = fit.overhead
    assert isinstance(o, Overhead)
    line = (f"profile run: with data parallelism the experts take every rank's {o.batched_tokens} dummy tokens "
            f"({o.moe_tokens} tokens, {o.experts / catalog.GIB:.1f} GiB of workspaces per GPU), which vLLM "
            "keeps out of the KV cache")
    if not profile.max_num_batched_tokens:
        return line
    default = profile.fit(max_num_batched_tokens=0)
    return (line + f"; so the plan sets --max-num-batched-tokens {profile.max_num_batched_tokens}, where vLLM's "
            f"default {default.overhead.batched_tokens if isinstance(default.overhead, Overhead) else 0} would "
            f"leave {fit.kv_gib - default.kv_gib:.1f} GiB less KV cache per rank ({default.kv_tokens} tokens): "
            "prompts prefill in smaller steps")


def _decode_bound(gpu: catalog.Gpu, ckpt: catalog.Checkpoint, model: catalog.Model, shape: Shape) -> float:
    """Tokens/s one sequence can decode at most: memory bandwidth over the bytes read per token on
    the busiest GPU. Tensor parallelism reads every active weight once per token over its GPUs at
    once; a data-parallel rank reads its attention, dense and shared-expert weights whole, and the
    token's routed experts (experts_per_token of routed_experts) are read spread over the ranks."""
    if shape.data_parallel > 1 and model.routed_experts:
        active = (ckpt.shared_gib / shape.tensor_parallel + ckpt.experts_gib * model.experts_per_token
                  / model.routed_experts / (shape.tensor_parallel * shape.data_parallel))
    else:
        active = ckpt.loaded_gib * model.active_fraction / shape.tensor_parallel
    return gpu.bandwidth_gbs * 1e9 / (active * catalog.GIB)


def _kv_note(req: Request, auto_refusal: catalog.DoesNotFit | None) -> str:
    """Why the plan keeps the KV cache in FP8: asked, or nothing fits with a 16-bit cache (an
    automatic FP8 cache always follows a 16-bit attempt that did not fit)."""
    if req.kv_cache_dtype == "fp8":
        return "KV cache: fp8 (--kv-cache-dtype fp8), as asked"
    assert auto_refusal is not None
    why = str(auto_refusal).splitlines()[0]
    return ("KV cache: fp8 (--kv-cache-dtype fp8), one byte per element instead of two, because with the "
            f"model's 16-bit cache nothing fits ({why}). Without calibrated scales in the checkpoint vLLM "
            "uses a scale of 1.0: a small accuracy cost; --kv-cache-dtype auto refuses instead")


# ---------------------------------------------------------------- sizing against the machines

def _machines(hw: Hardware) -> list[platforms.Machine]:
    """The catalogued machines the hardware names; ValueError for one that carries other GPUs."""
    out = []
    for name in hw.machines:
        machine = platforms.MACHINES.get(name)
        if machine is None:
            continue  # a free-form description (a hardware file's cloud.nodeShape): not sized
        if machine.gpu != hw.gpu or machine.gpus < hw.gpus_per_node:
            carries = f"{machine.gpus} x {machine.gpu}" if machine.gpu else "no GPU"
            wants = f"{hw.gpus_per_node} x {hw.gpu}" if hw.gpu else "no GPU"
            fitting = ", ".join(m.name for m in platforms.machines_for(hw.gpu)) if hw.gpu else "a CPU type"
            raise ValueError(f"machine {name} carries {carries}, not {wants}: name machines of the planned GPU "
                             f"({fitting})")
        out.append(machine)
    return out


def _size_pods(hw: Hardware, req: Request, backend: Backend, model: catalog.Model, ckpt: catalog.Checkpoint,
               shape: Shape, fit: catalog.Fit, gpu: catalog.Gpu | None) -> tuple[int, int]:
    """(CPU, GiB) each pod requests: what was asked, else the backend's sizes, within what the
    smallest named machine leaves to the pods the plan puts on one node (allocatable less the
    DaemonSet room of platforms.DAEMONSET_*). A request that does not fit is refused."""
    cpu = req.cpu_per_pod or backend.pod_cpu(hw, shape)
    memory = req.memory_gib_per_pod or backend.pod_memory_gib(model, ckpt, shape, fit, gpu)
    machines = _machines(hw)
    if not machines:
        return cpu, memory
    per_node = max(1, math.ceil(shape.pods * shape.replicas / hw.nodes))
    cpu_machine = min(machines, key=lambda m: m.allocatable[0])
    memory_machine = min(machines, key=lambda m: m.allocatable[1])
    cpu_left = (cpu_machine.allocatable[0] - platforms.DAEMONSET_CPU) / per_node
    memory_left = (memory_machine.allocatable[1] - platforms.DAEMONSET_MEMORY_GIB) / per_node
    least = backend.least_memory_gib(model, ckpt, shape, fit, gpu) if backend.least_memory_gib else memory
    if not req.cpu_per_pod:
        cpu = min(cpu, math.floor(cpu_left))
    if not req.memory_gib_per_pod and memory > memory_left:
        memory = max(math.floor(memory_left), least)
    for what, asked, left, machine, unit in (("CPU", cpu, cpu_left, cpu_machine, ""),
                                              ("memory", memory, memory_left, memory_machine, " GiB")):
        if asked > left + 1e-9 or asked < 1:
            alloc_cpu, alloc_memory = machine.allocatable
            room = (f"{platforms.DAEMONSET_CPU} CPU" if what == "CPU"
                    else f"{platforms.DAEMONSET_MEMORY_GIB} GiB")
            raise Refused(
                f"{per_node} {backend.name} pod(s) per node asking {asked}{unit} {what} each do not fit "
                f"{machine.name} ({machine.vcpu} vCPU, {machine.memory_gib:g} GiB; {alloc_cpu:.2f} CPU and "
                f"{alloc_memory:.1f} GiB allocatable on {machine.platform}, less {room} kept for DaemonSets): "
                f"at most {math.floor(left)}{unit} each fits"
                + (f", and the engine needs at least {least} GiB" if what == "memory" and least > left else ""),
                {"machine": machine.name, "resource": what, "requestedPerPod": asked, "podsPerNode": per_node,
                 "allocatableCpu": round(alloc_cpu, 3), "allocatableMemoryGiB": round(alloc_memory, 2),
                 "daemonSetCpu": platforms.DAEMONSET_CPU, "daemonSetMemoryGiB": platforms.DAEMONSET_MEMORY_GIB},
                [f"--machine of a larger type than {machine.name}"])
    return cpu, memory


# ---------------------------------------------------------------- refusals

def _fits(hw: Hardware, req: Request) -> bool:
    try:
        plan(hw, req, suggest=False)
    except (catalog.DoesNotFit, ValueError):
        return False
    return True


def _refusal(hw: Hardware, req: Request, backend: Backend, model: catalog.Model,
             cause: catalog.DoesNotFit | None, suggest: bool = True) -> Refused:
    gpu = catalog.GPUS[hw.gpu] if hw.gpu else None
    ckpts = [c for c in model.checkpoints if c.precision in backend.precisions
             and c.precision == (req.precision or c.precision)] or list(model.checkpoints)
    ckpts = [c for c in ckpts if not _unloadable(backend, model, c.precision, gpu)] or ckpts
    smallest = min(ckpts, key=lambda c: c.weights_gib)
    head = (f"{model.key} needs at least {smallest.weights_gib * catalog.GIB / 1e9:.0f} GB "
            f"({smallest.weights_gib:.0f} GiB) of weights ({smallest.precision}); {hw.describe()} "
            f"cannot hold them with room for KV cache")
    facts: dict[str, Any] = {"model": model.key, "engine": backend.name, "hardware": hw.describe(),
                             "weightsGiB": smallest.weights_gib, "precision": smallest.precision}
    if gpu:
        total = gpu.memory_gib * hw.gpus_per_node * hw.nodes
        head += f" ({total:.0f} GiB of GPU memory in all, {(req.utilization or 0.9):.2f} usable)"
        facts.update(gpuMemoryGiB=round(total, 1), usableFraction=req.utilization or 0.9)
    lines = [head + "."]
    if cause:
        facts.update(cause.numbers)
        lines.append(f"closest attempt: {str(cause).splitlines()[0]}")
        facts["closestAttempt"] = str(cause).splitlines()[0]
    options: list[str] = []
    if suggest:
        if hw.gpu:
            for nodes in range(hw.nodes + 1, 5):
                if _fits(replace(hw, nodes=nodes), replace(req, engine=None)):
                    options.append(f"{nodes} nodes of {hw.gpus_per_node} x {hw.gpu}")
                    break
        for smaller in sorted(catalog.MODELS.values(), key=lambda m: -m.params_b):
            if smaller.params_b < model.params_b and _fits(hw, replace(req, model=smaller.key, engine=None,
                                                                      precision=None)):
                options.append(f"the smaller {smaller.key} on this hardware")
                break
        per_node = max(hw.gpus_per_node, 1)
        for name, other in sorted(catalog.GPUS.items(), key=lambda item: item[1].memory_gib):
            if name == hw.gpu or other.consumer:
                continue
            for count in sorted({per_node, 8}):
                if _fits(Hardware(name, count, 1), replace(req, engine=None)):
                    options.append(f"{count} x {name} on one node")
                    break
        options = options[:4]
        lines.append("would fit: " + ("; ".join(options) if options else "nothing in the catalog"))
    return Refused("\n".join(lines), facts, options)


def _heads_refusal(hw: Hardware, req: Request, backend: Backend, model: catalog.Model, shape: Shape,
                   suggest: bool = True) -> Refused:
    """Tensor parallelism splits the attention heads evenly; vLLM refuses any other size."""
    heads, tp, pp = model.attention_heads, shape.tensor_parallel, shape.pipeline_parallel
    sizes = [t for t in range(1, 17) if heads % t == 0]
    if tp > shape.gpus_per_pod:  # tensor parallel across the nodes, over RDMA
        where = f"over all {hw.nodes} x {hw.gpus_per_node} GPUs"
        candidates = [(f"without --rdma (tensor {hw.gpus_per_node} x pipeline {hw.nodes})", replace(hw, rdma=False))]
        candidates += [(f"{n} nodes of {hw.gpus_per_node} x {hw.gpu} with RDMA", replace(hw, nodes=n))
                       for n in range(2, 9) if heads % (n * hw.gpus_per_node) == 0]
        candidates += [(f"{hw.nodes} nodes of {t} x {hw.gpu} with RDMA", replace(hw, gpus_per_node=t))
                       for t in sorted(sizes, key=lambda t: abs(t - hw.gpus_per_node))
                       if heads % (t * hw.nodes) == 0]
    else:
        where = f"within each node (x pipeline {pp} across the nodes)"
        candidates = [(f"{hw.nodes} nodes of {t} x {hw.gpu}", replace(hw, gpus_per_node=t))
                      for t in sorted(sizes, key=lambda t: abs(t - hw.gpus_per_node))]
    options = [text for text, other in candidates
               if suggest and _fits(other, replace(req, engine=backend.name))][:3]
    return Refused(
        f"{backend.name} runs tensor parallel {tp} {where}, but {model.key}'s {heads} attention heads do not "
        f"divide by {tp}: vLLM would not load it. Tensor-parallel sizes that divide {heads} (up to 16): "
        f"{', '.join(map(str, sizes))}."
        + (f"\nwould fit: {'; '.join(options) or 'nothing in the catalog'}" if suggest else ""),
        {"engine": backend.name, "model": model.key, "tensorParallel": tp, "pipelineParallel": pp,
         "attentionHeads": heads}, options)


# ---------------------------------------------------------------- hardware profile files

HARDWARE = Group("hardware", "A hardware profile: what `llm-serving plan --hardware <file>` reads.", (
    Value("gpu", None, "GPU model from the catalog; null for CPU-only nodes.",
          {"type": ["string", "null"], "enum": [*sorted(catalog.GPUS), None]}),
    Value("gpusPerNode", 0, "GPUs in each node.", {"type": "integer", "minimum": 0, "maximum": 16},
          required=False),
    Value("nodes", 1, "Nodes of that shape.", {"type": "integer", "minimum": 1, "maximum": 64},
          required=False),
    Value("cpu", None, "vCPUs per node.", {"type": ["integer", "null"], "minimum": 1}, required=False),
    Value("memoryGiB", None, "RAM per node, GiB.", {"type": ["integer", "null"], "minimum": 1},
          required=False),
    Group("interconnect", "Links between nodes.", (
        Value("rdma", False, "InfiniBand/RoCE between the nodes (GPUDirect RDMA).", {"type": "boolean"}),
    ), required=False),
    Group("cloud", "Where the nodes run; the node shape is shown in the plan and its values file.", (
        Value("provider", "", "e.g. gcp, aws, azure, volcengine, on-prem.", {"type": "string"}),
        Value("nodeShape", "", "Machine type, e.g. a3-highgpu-8g.", {"type": "string"}),
    ), required=False),
))


def hardware_from_dict(data: dict[str, Any]) -> Hardware:
    """A schema-valid hardware profile; ValueError naming the field when gpu and gpusPerNode
    disagree (the schema cannot say that gpusPerNode is required with a GPU)."""
    gpu, per_node = data.get("gpu"), data.get("gpusPerNode")
    if gpu is not None and not per_node:
        raise ValueError(f"gpusPerNode: {'missing' if per_node is None else per_node} with gpu {gpu}: "
                         "set gpusPerNode to the GPUs in each node (1-16)")
    if gpu is None and per_node:
        raise ValueError(f"gpusPerNode: {per_node} with gpu null: name the gpu, or set gpusPerNode to 0 "
                         "for CPU nodes")
    return Hardware(
        gpu=data.get("gpu"), gpus_per_node=int(data.get("gpusPerNode", 0)), nodes=int(data.get("nodes", 1)),
        cpu_per_node=data.get("cpu"), memory_gib_per_node=data.get("memoryGiB"),
        rdma=bool((data.get("interconnect") or {}).get("rdma", False)),
        machines=tuple(filter(None, [(data.get("cloud") or {}).get("nodeShape", "")])))
