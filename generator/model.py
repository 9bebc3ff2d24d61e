"""The data the planner, the backends and the build share: what the hardware is (`Hardware`),
what is asked of it (`Request`), how an engine spreads over it (`Shape`) and the result
(`Profile`). Plain data with no behaviour beyond arithmetic on itself: the planner sets every
field of a `Profile` once, and the backends only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import catalog


@dataclass(frozen=True)
class Hardware:
    """Identical nodes: a GPU model (None: CPU only) and how many of it each node has."""

    gpu: str | None  # catalog GPU name; None: CPU only
    gpus_per_node: int = 0
    nodes: int = 1
    cpu_per_node: int | None = None
    memory_gib_per_node: int | None = None
    rdma: bool = False
    # Machine types of the nodes (generator/platforms.py MACHINES, e.g. g5.xlarge): the planner
    # sizes pods to fit the smallest. Other names only describe the nodes.
    machines: tuple[str, ...] = ()

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
        shape = f" ({', '.join(self.machines)})" if self.machines else ""
        if self.gpu is None:
            return f"{self.nodes} CPU node(s){shape}"
        return (f"{self.nodes} node(s) x {self.gpus_per_node} {self.gpu}" + (" with RDMA" if self.rdma else "")
                + shape)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Request:
    """What is asked of the hardware; None leaves the choice to the planner."""

    model: str = "deepseek-r1"  # catalog model key, `deepseek-r1` (671B) or an ollama tag
    engine: str | None = None
    context: int | None = None
    precision: str | None = None
    max_num_seqs: int | None = None
    utilization: float | None = None
    cpu_per_pod: int | None = None
    memory_gib_per_pod: int | None = None
    served_model_name: str = "deepseek-r1"
    engine_env: dict[str, str] = field(default_factory=dict)
    expert_parallel: bool = False  # ask for expert parallelism of a MoE model (--enable-expert-parallel)
    # vLLM's --kv-cache-dtype: "auto" (16 bits) or "fp8"; None: auto, and fp8 only when nothing
    # fits with a 16-bit cache and the engine supports it for the model and GPU.
    kv_cache_dtype: str | None = None
    # Which fitting layout to take: "throughput" (the most concurrent max-length sequences: data-
    # parallel attention for DeepSeek's MoE where it fits) or "latency" (tensor parallel, as vLLM's
    # recipe runs it for low load).
    objective: str = "throughput"


@dataclass(frozen=True)
class Shape:
    """How one engine spreads a model over the hardware.

    A model replica runs in `pods` pods of `gpus_per_pod` GPUs each, split tensor_parallel x
    pipeline_parallel ways; `replicas` model replicas run side by side."""

    tensor_parallel: int
    pipeline_parallel: int
    gpus_per_pod: int
    pods: int = 1
    replicas: int = 1
    # Data-parallel attention ranks of one replica (vLLM --data-parallel-size), each tensor_parallel
    # x pipeline_parallel GPUs: attention and dense weights on every rank, a MoE's routed experts
    # split over all of them (expert parallelism), each rank's own KV cache.
    data_parallel: int = 1

    @property
    def layout(self) -> str:
        """The layout's name, as plans and values files print it."""
        if self.data_parallel > 1:
            across = f" across {self.pods} nodes" if self.pods > 1 else ""
            return f"data parallel {self.data_parallel} + expert parallel{across}"
        split = f"tensor {self.tensor_parallel}" + (f" x pipeline {self.pipeline_parallel}"
                                                     if self.pipeline_parallel > 1 else "")
        return split + (f", {self.replicas} replicas" if self.replicas > 1 else "")


@dataclass(frozen=True)
class Profile:
    """A planned deployment: one `values/<name>.yaml` for a shipped profile, or `plan -o`'s file."""

    name: str
    title: str
    engine: str
    gpu: str | None  # catalog GPU name; None: CPU only
    model: str
    precision: str
    max_model_len: int
    max_num_seqs: int
    gpu_memory_utilization: float
    tensor_parallel: int
    pipeline_parallel: int
    gpus_per_pod: int  # GPUs each pod requests (0: CPU only)
    pods: int  # pods of one model replica: 1, or one per node when a replica spans nodes
    replicas: int  # model replicas (vLLM: pods of gpus_per_pod GPUs each)
    cpu_per_pod: int  # CPU request of each pod
    memory_gib_per_pod: int  # memory request of each pod, GiB
    served_model_name: str = "deepseek-r1"  # the `model` clients send
    # MoE experts spread over the GPUs instead of split across them (vLLM's
    # --enable-expert-parallel, Ray Serve's engine kwarg enable_expert_parallel).
    expert_parallel: bool = False
    kv_cache_dtype: str = "auto"  # vLLM --kv-cache-dtype (Ray Serve's engine kwarg kv_cache_dtype)
    engine_env: dict[str, str] = field(default_factory=dict)  # env of the engine processes
    # The planner's checkpoint adapted to the GPU (fp16 for bf16 weights on T4, plain AWQ below
    # sm80); None: the catalog's checkpoint of `precision`.
    checkpoint_override: catalog.Checkpoint | None = None
    hardware: str = ""  # the machines the profile is planned for, as Hardware.describe() puts it
    rdma: bool = False  # the nodes are linked by RDMA (AIBrix then runs tensor parallel across them)
    # --max-num-batched-tokens the plan sets (0: vLLM's default for the GPU); per data-parallel rank
    max_num_batched_tokens: int = 0
    data_parallel: int = 1  # data-parallel attention ranks of one replica (Shape.data_parallel)
    overrides: dict[str, Any] = field(default_factory=dict)  # deployment choices, merged last

    @property
    def checkpoint(self) -> catalog.Checkpoint:
        return self.checkpoint_override or catalog.MODELS[self.model].checkpoint(self.precision)

    def fit(self, max_num_batched_tokens: int | None = None) -> catalog.Fit:
        """The memory arithmetic per GPU for the profile's parallelism, at its own
        --max-num-batched-tokens unless another is given (0: vLLM's default)."""
        if self.gpu is None:
            raise ValueError(f"profile {self.name} has no GPU")
        from generator.backends import REGISTRY  # backends build profiles: import at use

        gpu = catalog.GPUS[self.gpu]
        release = REGISTRY[self.engine].vllm_release(gpu)
        return catalog.fit(catalog.MODELS[self.model], self.checkpoint, gpu,
                           self.tensor_parallel, self.gpu_memory_utilization, self.max_model_len,
                           self.max_num_seqs, pipeline_parallel=self.pipeline_parallel,
                           kv_cache_dtype=self.kv_cache_dtype, data_parallel=self.data_parallel,
                           release=release, nodes=self.pods,
                           max_num_batched_tokens=self.max_num_batched_tokens if max_num_batched_tokens is None
                           else max_num_batched_tokens,
                           expert_parallel=self.expert_parallel)

