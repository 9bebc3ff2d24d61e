"""Hardware-aware planner: from a hardware profile and a model to a plan that fits, or a refusal.

Choices, in order:
- engine: ollama for CPU and consumer GPUs (GGUF), vLLM for one node, KubeRay for several nodes,
  AIBrix for several nodes linked by RDMA; a forced engine is checked against the hardware;
- parallelism: vLLM uses the smallest tensor-parallel size that fits (the node's other GPUs
  become replicas); KubeRay splits tensor parallel within a node and pipeline parallel across
  nodes (seed 004); AIBrix runs tensor parallel over every GPU when RDMA links them (seed 002);
- precision: the best checkpoint that fits (bf16, then fp8 where the GPU has FP8, then AWQ 4-bit),
  at the requested context, else at the longest context from 32768 down to 4096 tokens whose KV
  cache holds two full-length sequences (the margin);
- sizes: max-num-seqs from the KV budget, /dev/shm, CPU and memory, startup probe budget.
A plan that does not fit is refused with the numbers and the nearest hardware that would work
(`Refused`, with `as_dict()` for machine-readable output). A request that cannot mean anything
(unknown precision, a context beyond the model's, an ollama tag for another engine) is a
ValueError naming the option and the fix.

Also refused: a tensor-parallel size that does not divide the model's attention heads (vLLM
would not load it), and AMD GPUs for engines whose pinned image is CUDA-only (KubeRay, AIBrix).
CPU nodes without a stated RAM size are assumed to have DEFAULT_CPU_MEMORY_GIB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from . import catalog
from .interface import Group, Value
from .profiles import Profile

MIN_CONTEXT = 4096
DEFAULT_CONTEXT = 32768
MAX_SEQS = 256
MARGIN_SEQUENCES = 2  # an automatic plan's KV cache holds at least this many full contexts
MIN_REQUEST_CONTEXT = 512  # the smallest context every engine's chart schema accepts (ollama's)
PRECISION_ORDER = ("bf16", "fp8", "awq-int4")
ENGINES = ("ollama", "vllm", "kuberay", "aibrix")
# Engines whose pinned image has an AMD (ROCm) build the charts select: vLLM's vllm-openai-rocm,
# ollama's -rocm tag. KubeRay's rayproject/ray-llm and AIBrix's aibrix/vllm-openai are CUDA-only.
ROCM_ENGINES = ("vllm", "ollama")
# RAM assumed for a CPU node when neither --memory nor memoryGiB says (a 4-vCPU, 16 GiB machine
# such as e2-standard-4 or m5.xlarge); the plan states the assumption.
DEFAULT_CPU_MEMORY_GIB = 16


class Refused(catalog.DoesNotFit):
    """The hardware cannot serve the model; the message has the numbers and the alternatives.

    `numbers` holds the figures behind the refusal, `suggestions` the hardware or models that
    would work; `as_dict()` is what `plan --format json` prints."""

    def __init__(self, message: str, numbers: dict[str, Any] | None = None,
                 suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.numbers = numbers or {}
        self.suggestions = suggestions or []

    def as_dict(self) -> dict[str, Any]:
        lines = str(self).splitlines()
        return {"refused": True, "reason": lines[0], "details": lines[1:], "numbers": self.numbers,
                "suggestions": self.suggestions}


@dataclass(frozen=True)
class Hardware:
    gpu: str | None  # catalog GPU name; None: CPU only
    gpus_per_node: int = 0
    nodes: int = 1
    cpu_per_node: int | None = None
    memory_gib_per_node: int | None = None
    rdma: bool = False
    cloud: str = ""

    def __post_init__(self) -> None:
        if self.gpu is not None and self.gpu not in catalog.GPUS:
            raise ValueError(f"gpu {self.gpu!r}: unknown; GPUs: {', '.join(catalog.GPUS)} (or none)")
        if self.nodes < 1:
            raise ValueError(f"nodes {self.nodes}: give 1 or more")
        if self.gpu is not None and self.gpus_per_node < 1:
            raise ValueError(f"GPUs per node {self.gpus_per_node}: a node with {self.gpu} has at least 1")
        if self.gpu is None and self.gpus_per_node:
            raise ValueError(f"GPUs per node {self.gpus_per_node} without a GPU model: name the GPU")
        for name, value in (("vCPUs per node", self.cpu_per_node), ("RAM per node", self.memory_gib_per_node)):
            if value is not None and value < 1:
                raise ValueError(f"{name} {value}: give 1 or more")

    def describe(self) -> str:
        if self.gpu is None:
            return f"{self.nodes} CPU node(s)"
        return f"{self.nodes} node(s) x {self.gpus_per_node} {self.gpu}" + (" with RDMA" if self.rdma else "")


@dataclass(frozen=True)
class Request:
    model: str = "deepseek-r1"  # catalog model key, `deepseek-r1` (671B) or an ollama tag
    engine: str | None = None
    context: int | None = None
    precision: str | None = None
    max_num_seqs: int | None = None
    utilization: float | None = None
    cpu_per_replica: int | None = None
    memory_gib_per_replica: int | None = None
    served_model_name: str = "deepseek-r1"
    engine_env: dict[str, str] = field(default_factory=dict)
    tolerate_gpu_taint: bool = False


@dataclass(frozen=True)
class Plan:
    hardware: Hardware
    profile: Profile
    tensor_parallel: int
    pipeline_parallel: int
    replicas: int
    lines: tuple[str, ...]  # the memory arithmetic
    decode_tokens_per_s: float | None  # upper bound from memory bandwidth
    startup_seconds: int
    notes: tuple[str, ...] = ()  # assumptions the plan rests on

    def table(self) -> list[tuple[str, str]]:
        p = self.profile
        rows = [
            ("hardware", self.hardware.describe()),
            ("engine", p.engine),
            ("model", f"{p.checkpoint.repo} ({p.precision})"),
            ("parallelism", f"tensor {self.tensor_parallel} x pipeline {self.pipeline_parallel}"
                            + (f", {self.replicas} replicas" if self.replicas > 1 else "")),
            ("context", f"{p.max_model_len} tokens"),
            ("max-num-seqs", str(p.max_num_seqs)),
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
        return rows

    def as_dict(self) -> dict[str, Any]:
        p = self.profile
        return {
            "hardware": self.hardware.__dict__, "engine": p.engine, "model": p.model,
            "checkpoint": p.checkpoint.repo, "precision": p.precision,
            "tensorParallel": self.tensor_parallel, "pipelineParallel": self.pipeline_parallel,
            "replicas": self.replicas, "context": p.max_model_len, "maxNumSeqs": p.max_num_seqs,
            "gpuMemoryUtilization": p.gpu_memory_utilization, "memory": list(self.lines),
            "decodeTokensPerSecondBound": self.decode_tokens_per_s,
            "startupSeconds": self.startup_seconds, "notes": list(self.notes),
        }


# ---------------------------------------------------------------- lookups

def resolve_model(name: str) -> tuple[catalog.Model, str | None]:
    """(model, forced precision): a catalog key, or an ollama tag such as `deepseek-r1:7b`."""
    if name in catalog.MODELS:
        return catalog.MODELS[name], None
    for model in catalog.MODELS.values():
        tag = model.ollama_tag()
        if tag and tag.repo == name:
            return model, catalog.OLLAMA_Q4
    known = ", ".join(list(catalog.MODELS) + [t.repo for m in catalog.MODELS.values() if (t := m.ollama_tag())])
    raise ValueError(f"unknown model {name!r}; known: {known}")


def choose_engine(hw: Hardware, forced: str | None) -> str:
    if forced and forced not in ENGINES:
        raise ValueError(f"unknown engine {forced!r}; engines: {', '.join(ENGINES)}")
    gpu = catalog.GPUS[hw.gpu] if hw.gpu else None
    if gpu is None or hw.gpus_per_node == 0:
        if forced and forced != "ollama":
            raise Refused(f"{forced} needs GPUs; {hw.describe()} has none: use --engine ollama",
                          {"engine": forced, "hardware": hw.describe()}, ["--engine ollama"])
        return "ollama"
    if forced:
        if forced in ("vllm", "ollama") and hw.nodes > 1:
            raise Refused(f"{forced} serves from one node; for {hw.nodes} nodes use kuberay or aibrix",
                          {"engine": forced, "nodes": hw.nodes}, ["--engine kuberay", "--engine aibrix"])
        # aibrix without RDMA is the TCP fallback: tensor parallel per node x pipeline across nodes
        return forced
    if gpu.consumer:
        return "ollama"
    if hw.nodes == 1:
        return "vllm"
    return "aibrix" if hw.rdma else "kuberay"


def _checkpoints(model: catalog.Model, gpu: catalog.Gpu | None, engine: str,
                 forced: str | None) -> list[catalog.Checkpoint]:
    if engine == "ollama":
        tag = model.ollama_tag()
        return [tag] if tag else []
    found = [c for c in model.checkpoints if c.precision != catalog.OLLAMA_Q4]
    if forced:
        return [c for c in found if c.precision == forced]
    usable = [c for c in found if c.precision != "fp8" or (gpu and gpu.fp8)]
    return sorted(usable, key=lambda c: PRECISION_ORDER.index(c.precision)
                  if c.precision in PRECISION_ORDER else len(PRECISION_ORDER))


def _for_gpu(ckpt: catalog.Checkpoint, gpu: catalog.Gpu) -> catalog.Checkpoint:
    """Adapt a checkpoint to the GPU: fp16 where bf16 is missing, plain AWQ below sm80 (Marlin)."""
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


def _tp_candidates(model: catalog.Model, gpus: int) -> list[int]:
    sizes = [t for t in (1, 2, 4, 8, 16) if t <= gpus and gpus % t == 0]
    return [t for t in sizes if not model.attention_heads or model.attention_heads % t == 0]


# ---------------------------------------------------------------- planning

def _gpu_plan(hw: Hardware, req: Request, engine: str, model: catalog.Model,
              forced_precision: str | None,
              suggest: bool) -> tuple[catalog.Checkpoint, int, int, int, int, catalog.Fit]:
    """(checkpoint, tp, pp, replicas, context, fit) for vllm, kuberay or aibrix."""
    gpu = catalog.GPUS[hw.gpu or ""]
    if engine == "vllm":
        shapes = [(tp, 1, hw.gpus_per_node // tp) for tp in _tp_candidates(model, hw.gpus_per_node)]
    else:
        if engine == "kuberay" or not hw.rdma:
            shape = (hw.gpus_per_node, hw.nodes)
        else:  # aibrix over RDMA: tensor parallel across every GPU (seed 002)
            shape = (hw.gpus_per_node * hw.nodes, 1)
        if model.attention_heads and model.attention_heads % shape[0]:
            raise _heads_refusal(hw, req, engine, model, *shape, suggest=suggest)
        shapes = [(*shape, 1)]
    last: catalog.DoesNotFit | None = None
    # Utilization 0.90 (vLLM's default) before 0.95; precision first (quality), then the longest
    # context that fits, then the fewest GPUs.
    utilizations = [req.utilization] if req.utilization else [0.90, 0.95]
    candidates = [(util, ckpt, context, shape) for util in utilizations
                  for ckpt in _checkpoints(model, gpu, engine, req.precision or forced_precision)
                  for context in _contexts(model, req) for shape in shapes]
    for util, ckpt, context, (tp, pp, replicas) in candidates:
        seqs = req.max_num_seqs or 1
        try:
            fit = catalog.fit(model, ckpt, gpu, tp, util, context, seqs, pipeline_parallel=pp)
        except catalog.DoesNotFit as exc:
            last = exc
            continue
        if not req.context and fit.kv_tokens < MARGIN_SEQUENCES * context:
            last = catalog.DoesNotFit(
                f"{ckpt.repo} on {tp * pp} x {gpu.name}: KV cache holds {fit.kv_tokens} tokens, "
                f"fewer than {MARGIN_SEQUENCES} sequences of {context}")
            continue  # automatic choices keep room for more than one full-length sequence
        if not req.max_num_seqs:
            seqs = max(1, min(MAX_SEQS, fit.kv_tokens // max(1, context // 2)))
            fit = replace(fit, max_num_seqs=seqs)
        return _for_gpu(ckpt, gpu), tp, pp, replicas, context, fit
    raise _refusal(hw, req, engine, model, last, suggest)


def _ollama_need(model: catalog.Model, ckpt: catalog.Checkpoint, context: int, parallel: int) -> tuple[float, float]:
    kv = model.kv_bytes_per_token() * context * parallel / catalog.GIB
    return ckpt.weights_gib, kv


def _gguf_only(model: catalog.Model) -> bool:
    return all(c.precision == catalog.OLLAMA_Q4 for c in model.checkpoints)


def _engine(hw: Hardware, req: Request, model: catalog.Model, tag: bool) -> str:
    """An ollama tag, or a model the catalog has only as an ollama tag, goes to ollama."""
    if not (tag or _gguf_only(model)):
        return choose_engine(hw, req.engine)
    gguf = model.ollama_tag()
    what = f"{req.model} is an ollama tag (GGUF)" if tag or gguf is None else \
        f"{model.key} is in the catalog only as the ollama tag {gguf.repo}"
    hf = f"--model {model.key} (Hugging Face weights)" if not _gguf_only(model) else ""
    if req.engine not in (None, "ollama"):
        choose_engine(hw, req.engine)  # the hardware's objection to the engine comes first
        raise ValueError(f"--model {req.model}: {what}, served by ollama only: use --engine ollama"
                         + (f", or {hf} for {req.engine}" if hf else ""))
    if hw.nodes > 1:
        raise Refused(f"{what} and ollama serves from one node, not {hw.nodes}: plan for --nodes 1"
                      + (f", or use {hf} with kuberay or aibrix" if hf else ""),
                      {"engine": "ollama", "nodes": hw.nodes}, ["--nodes 1"] + ([hf] if hf else []))
    return choose_engine(hw, "ollama")


def _check_request(req: Request, engine: str, model: catalog.Model, gpu: catalog.Gpu | None) -> None:
    """ValueError for a precision or context that cannot apply, naming what would."""
    if req.context is not None:
        if req.context < MIN_REQUEST_CONTEXT:
            raise ValueError(f"--context {req.context}: below {MIN_REQUEST_CONTEXT} tokens, the least the "
                             f"charts accept; give {MIN_REQUEST_CONTEXT} to {model.max_position}")
        if req.context > model.max_position:
            raise ValueError(f"--context {req.context}: {model.key} handles at most {model.max_position} tokens "
                             f"(max_position_embeddings of its config.json); give {model.max_position} or less")
    precision = req.precision
    if not precision:
        return
    known = (*PRECISION_ORDER, catalog.OLLAMA_Q4)
    if precision not in known:
        raise ValueError(f"--precision {precision}: unknown; precisions: {', '.join(known)}")
    if engine == "ollama":
        if precision != catalog.OLLAMA_Q4:
            raise ValueError(f"--precision {precision}: ollama serves the catalog's 4-bit GGUF tags "
                             f"({catalog.OLLAMA_Q4}) only; drop --precision, or use --engine vllm")
        return
    available = [c.precision for c in model.checkpoints if c.precision in PRECISION_ORDER]
    if precision not in available:
        raise ValueError(f"--precision {precision}: {model.key} has no {precision} checkpoint for {engine} "
                         f"in the catalog; its precisions: {', '.join(available) or 'none'}")
    if precision == "fp8" and gpu is not None and not gpu.fp8:
        others = [p for p in available if p != "fp8"]
        fp8_gpus = [name for name, g in catalog.GPUS.items() if g.fp8]
        raise ValueError(f"--precision fp8: {gpu.name} has no FP8 support; precisions of {model.key} on "
                         f"{gpu.name}: {', '.join(others) or 'none'} (FP8 GPUs: {', '.join(fp8_gpus)})")


def _check_vendor(hw: Hardware, req: Request, engine: str, gpu: catalog.Gpu | None, suggest: bool) -> None:
    """Refuse AMD GPUs for an engine whose pinned image is CUDA-only."""
    if gpu is None or gpu.vendor != "amd" or engine in ROCM_ENGINES:
        return
    from . import interface
    from .backends import REGISTRY
    from .backends.vllm import VLLM_ROCM_IMAGE

    image = interface.defaults(REGISTRY[engine].interface)["image"]
    image_ref = f"{image['repository']}:{image['tag']}"
    rocm = f"{VLLM_ROCM_IMAGE[0]}:{VLLM_ROCM_IMAGE[1]}"
    suggestions = []
    one_node = replace(hw, nodes=1, rdma=False)
    if suggest and _fits(one_node, replace(req, engine="vllm")):
        suggestions.append(f"vllm on {one_node.describe()} ({rocm})")
    raise Refused(
        f"{engine} runs {image_ref}, a CUDA-only image, and {gpu.name} is an AMD GPU ({gpu.resource}): "
        f"the chart pins no ROCm build for {engine}. Engines with a ROCm image: vllm ({rocm}, one node) "
        f"and ollama (its -rocm tag)."
        + ("\nwould fit: " + "; ".join(suggestions) if suggestions else ""),
        {"engine": engine, "image": image_ref, "gpu": gpu.name, "vendor": gpu.vendor}, suggestions)


def plan(hw: Hardware, req: Request, *, suggest: bool = True) -> Plan:
    model, forced_precision = resolve_model(req.model)
    engine = _engine(hw, req, model, forced_precision == catalog.OLLAMA_Q4)
    gpu = catalog.GPUS[hw.gpu] if hw.gpu else None
    _check_request(req, engine, model, gpu)
    _check_vendor(hw, req, engine, gpu, suggest)
    if engine == "ollama":
        from .backends.ollama import CPU_MIN_MEMORY_GIB, RUNTIME_GIB

        ckpt = model.ollama_tag()
        if ckpt is None:
            raise Refused(f"{model.key} has no ollama tag in the catalog",
                          {"model": model.key, "engine": engine}, ["--engine vllm"])
        parallel = req.max_num_seqs or 2
        notes: tuple[str, ...] = ()
        if gpu:
            capacity: float = gpu.memory_gib
            where = f"{gpu.memory_gib:.1f} GiB of {gpu.name}"
        else:
            capacity = hw.memory_gib_per_node or DEFAULT_CPU_MEMORY_GIB
            where = f"{capacity} GiB of RAM"
            if hw.memory_gib_per_node is None:
                where += " assumed per node (pass --memory)"
                notes = (f"RAM per node assumed to be {DEFAULT_CPU_MEMORY_GIB} GiB: pass --memory "
                         "(memoryGiB in a hardware file) with your nodes' size",)
        for context in _contexts(model, req):
            weights, kv = _ollama_need(model, ckpt, context, parallel)
            need = weights + kv + RUNTIME_GIB
            # On CPU the pod requests the total plus 1 GiB, at least CPU_MIN_MEMORY_GIB (the
            # backend's sizing): that request must fit the node.
            request = need if gpu else max(CPU_MIN_MEMORY_GIB, math.ceil(need + 1))
            if request <= capacity:
                break
        else:
            asks = f"{need:.1f} GiB" if gpu else \
                f"a {request} GiB memory request ({need:.1f} GiB + 1, at least {CPU_MIN_MEMORY_GIB})"
            raise _refusal(hw, req, engine, model, catalog.DoesNotFit(
                f"{ckpt.repo} needs {asks} (weights {weights:.1f}, KV cache "
                f"{kv:.1f} for {context} tokens x {parallel}), more than the {where}"), suggest,
                {"needGiB": round(float(request), 1), "capacityGiB": capacity})
        profile = Profile(
            name="planned", title="", engine=engine, gpu=hw.gpu, gpus_per_node=1 if gpu else 0,
            nodes=1, model=model.key, precision=ckpt.precision, max_model_len=context,
            max_num_seqs=parallel, gpu_memory_utilization=1.0,
            cpu_per_replica=req.cpu_per_replica or (4 if gpu else 2),
            memory_gib_per_replica=req.memory_gib_per_replica,
            tolerate_gpu_taint=req.tolerate_gpu_taint, served_model_name=req.served_model_name,
            engine_env=dict(req.engine_env))
        from .backends.ollama import arithmetic
        bound = gpu.bandwidth_gbs * 1e9 / (ckpt.weights_gib * catalog.GIB) if gpu else None
        return Plan(hw, profile, 1, 1, 1, tuple(arithmetic(profile)), bound,
                    catalog.startup_seconds(ckpt), notes)

    ckpt, tp, pp, replicas, context, fit = _gpu_plan(hw, req, engine, model, forced_precision, suggest)
    assert gpu is not None
    active = ckpt.weights_gib * catalog.GIB * model.active_fraction
    bound = tp * gpu.bandwidth_gbs * 1e9 / active
    # One pod per replica (vLLM) or per node (Ray); each stages its share of the weights in RAM.
    pods_per_model = 1 if engine == "vllm" else hw.nodes
    gpus_per_pod = tp if engine == "vllm" else hw.gpus_per_node
    memory = req.memory_gib_per_replica or math.ceil(ckpt.weights_gib / pods_per_model + 8)
    cpu = req.cpu_per_replica or max(2, min(4 * gpus_per_pod, (hw.cpu_per_node or 10**6) - 2))
    profile = Profile(
        name="planned", title="", engine=engine, gpu=hw.gpu, gpus_per_node=gpus_per_pod,
        nodes=pods_per_model, model=model.key, precision=ckpt.precision, max_model_len=context,
        max_num_seqs=fit.max_num_seqs, gpu_memory_utilization=fit.utilization, cpu_per_replica=cpu,
        memory_gib_per_replica=memory, tolerate_gpu_taint=req.tolerate_gpu_taint,
        served_model_name=req.served_model_name, engine_env=dict(req.engine_env),
        checkpoint_override=ckpt, replicas=replicas * (hw.nodes if engine == "vllm" else 1),
        rdma=hw.rdma and engine == "aibrix")
    return Plan(hw, profile, tp, pp, replicas, tuple(fit.lines()), bound, catalog.startup_seconds(ckpt))


# ---------------------------------------------------------------- refusals

def _fits(hw: Hardware, req: Request) -> bool:
    try:
        plan(hw, req, suggest=False)
    except (catalog.DoesNotFit, ValueError):
        return False
    return True


def _refusal(hw: Hardware, req: Request, engine: str, model: catalog.Model,
             cause: catalog.DoesNotFit | None, suggest: bool = True,
             numbers: dict[str, Any] | None = None) -> Refused:
    tag = model.ollama_tag()
    if engine == "ollama" and tag:
        ckpts = [tag]
    else:
        ckpts = [c for c in model.checkpoints if c.precision != catalog.OLLAMA_Q4] or list(model.checkpoints)
    smallest = min(ckpts, key=lambda c: c.weights_gib)
    head = (f"{model.key} needs at least {smallest.weights_gib * catalog.GIB / 1e9:.0f} GB "
            f"({smallest.weights_gib:.0f} GiB) of weights ({smallest.precision}); {hw.describe()} "
            f"cannot hold them with room for KV cache")
    facts: dict[str, Any] = {"model": model.key, "engine": engine, "hardware": hw.describe(),
                             "weightsGiB": smallest.weights_gib, "precision": smallest.precision}
    if hw.gpu:
        gpu = catalog.GPUS[hw.gpu]
        total = gpu.memory_gib * hw.gpus_per_node * hw.nodes
        head += f" ({total:.0f} GiB of GPU memory in all, {(req.utilization or 0.9):.2f} usable)"
        facts.update(gpuMemoryGiB=round(total, 1), usableFraction=req.utilization or 0.9)
    facts.update(numbers or {})
    lines = [head + "."]
    if cause:
        lines.append(f"closest attempt: {str(cause).splitlines()[0]}")
        facts["closestAttempt"] = str(cause).splitlines()[0]
    options: list[str] = []
    if suggest:
        options = []
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


def _heads_refusal(hw: Hardware, req: Request, engine: str, model: catalog.Model, tp: int, pp: int,
                   suggest: bool = True) -> Refused:
    """Tensor parallelism splits the attention heads evenly; vLLM refuses any other size."""
    heads = model.attention_heads
    sizes = [t for t in range(1, 17) if heads % t == 0]
    if engine == "aibrix" and hw.rdma:
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
               if suggest and _fits(other, replace(req, engine=engine))][:3]
    return Refused(
        f"{engine} runs tensor parallel {tp} {where}, but {model.key}'s {heads} attention heads do not "
        f"divide by {tp}: vLLM would not load it. Tensor-parallel sizes that divide {heads} (up to 16): "
        f"{', '.join(map(str, sizes))}."
        + (f"\nwould fit: {'; '.join(options) or 'nothing in the catalog'}" if suggest else ""),
        {"engine": engine, "model": model.key, "tensorParallel": tp, "pipelineParallel": pp,
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
    Group("cloud", "Where the nodes run (hints for node selectors and descriptions).", (
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
        cloud=(data.get("cloud") or {}).get("nodeShape", ""))
