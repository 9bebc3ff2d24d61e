"""Engine backends. Each module exposes `BACKEND`, a `Backend` with the same contract, and the
registry below is the one list of engines: the planner, the CLI and the build ask it, and
nothing else names an engine.

What a backend says about its chart:
- `name`: subchart directory under charts/llm-serving/charts/ and its key in the umbrella values;
- `description`, `app_version` (the pinned engine image tag) and `keywords` for Chart.yaml;
- `interface`: the values interface (generator.interface.Group) of the subchart;
- `enabled_by_default`: the engine the umbrella's own values.yaml enables;
- `images`: the image the chart runs per GPU vendor (the first is the default one); a vendor
  missing here is one the pinned images cannot drive;
- `files(cmd)`: extra generated files the subchart ships, by path inside the subchart;
- `profile_values(profile)`: the values a planned profile sets for this engine;
- `summary(values)`: model, GPUs and TP x PP of rendered values, for the validation report;
- `arithmetic(profile)`: the memory arithmetic of a profile, lines for its file header;
- `pod_security(values)`: the Pod Security level the engine's pods need with those values
  (`restricted`, or `privileged` for a stated hardware need) and that need.

What the planner asks it:
- `precisions`: the checkpoint precisions it loads, best first; `weights_doc` says which in words;
  `vllm_versions`: per GPU vendor, the vLLM release inside its image (none: not a vLLM engine),
  against which catalog.QUANTIZATIONS says which checkpoints it loads;
- `needs_gpu`, `multi_node`: whether it runs on CPU-only nodes, and across several nodes;
- `chosen_for(hw, gpu)`: whether the planner picks it for that hardware when no engine is asked
  for (exactly one backend answers yes for any hardware);
- `shapes(hw)`: the ways it can spread one model over the hardware, preferred first;
  `data_parallel_shapes(hw, model)`: the data-parallel attention layouts (Shape.data_parallel)
  its engine runs for that model there, after them (none: the engine has no data parallelism
  there, and `no_data_parallel` says why in a MoE model's plan);
- `fit(model, ckpt, gpu, hw, shape, utilization, context, req)`: the memory arithmetic of one
  candidate (a catalog.Fit), or catalog.DoesNotFit with the numbers;
- `utilizations`: the GPU memory fractions it tries, in order;
- `pod_cpu(hw, shape)`, `pod_memory_gib(model, ckpt, shape, fit, gpu)`: each pod's requests, and
  `least_memory_gib` (same arguments) the least it runs with when a machine leaves less (None:
  the memory cannot shrink, as ollama's on CPU, where it holds the model);
- `notes(hw)`: assumptions a plan for that hardware rests on;
- `expert_parallel(model, ckpt, gpu, hw, shape, asked)`: why the plan spreads a MoE model's experts
  over the GPUs ("" for no); ValueError when asked of an engine whose pinned version cannot;
- `kv_cache_fp8(model, gpu)`: why the pinned engine cannot keep that model's KV cache in FP8 on
  that GPU ("" when it can): the planner tries an FP8 cache only where this is "".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import catalog, interface
from ..interface import Group
from ..model import Hardware, Profile, Request, Shape

FitFunction = Callable[[catalog.Model, catalog.Checkpoint, catalog.Gpu | None, Hardware, Shape, float, int,
                        Request], catalog.Fit]


@dataclass(frozen=True)
class Backend:
    name: str
    description: str
    app_version: str
    keywords: tuple[str, ...]
    interface: Group
    profile_values: Callable[[Profile], dict[str, Any]]
    summary: Callable[[dict[str, Any]], dict[str, str]]
    pod_security: Callable[[dict[str, Any]], tuple[str, str]]
    images: Mapping[str, str]
    precisions: tuple[str, ...]
    weights_doc: str
    chosen_for: Callable[[Hardware, catalog.Gpu | None], bool]
    shapes: Callable[[Hardware], list[Shape]]
    fit: FitFunction
    pod_cpu: Callable[[Hardware, Shape], int]
    pod_memory_gib: Callable[[catalog.Model, catalog.Checkpoint, Shape, catalog.Fit, catalog.Gpu | None], int]
    expert_parallel: Callable[[catalog.Model, catalog.Checkpoint, catalog.Gpu | None, Hardware, Shape, bool], str]
    kv_cache_fp8: Callable[[catalog.Model, catalog.Gpu | None], str]
    needs_gpu: bool = True
    multi_node: bool = False
    least_memory_gib: Callable[[catalog.Model, catalog.Checkpoint, Shape, catalog.Fit, catalog.Gpu | None], int] \
        | None = None
    utilizations: tuple[float, ...] = (0.90, 0.95)
    arithmetic: Callable[[Profile], list[str]] = lambda profile: profile.fit().lines()
    notes: Callable[[Hardware], tuple[str, ...]] = lambda hw: ()
    files: Callable[[str], dict[str, str]] = lambda cmd: {}
    enabled_by_default: bool = False
    vllm_versions: Mapping[str, str] = field(default_factory=dict)
    data_parallel_shapes: Callable[[Hardware, catalog.Model], list[Shape]] = lambda hw, model: []
    no_data_parallel: str = ""  # why a MoE plan of this engine may have no data-parallel layout ("": say nothing)

    def vllm_release(self, gpu: catalog.Gpu) -> str:
        """The vLLM release the engine runs on `gpu`'s vendor, for its memory arithmetic
        (generator/overhead.py); catalog.DEFAULT_RELEASE where it has no image for that vendor."""
        return self.vllm_versions.get(gpu.vendor, catalog.DEFAULT_RELEASE)

    @property
    def default_image(self) -> str:
        image = interface.defaults(self.interface)["image"]
        return f"{image['repository']}:{image['tag']}"

    @property
    def other_images(self) -> tuple[str, ...]:
        """Images the chart runs besides its values' default (e.g. the ROCm build for AMD GPUs),
        listed in the umbrella's Artifact Hub annotation."""
        default = self.default_image
        return tuple(dict.fromkeys(ref for ref in self.images.values() if ref != default))


def _registry() -> dict[str, Backend]:
    from . import aibrix, kuberay, ollama, vllm

    return {b.name: b for b in (vllm.BACKEND, ollama.BACKEND, kuberay.BACKEND, aibrix.BACKEND)}


REGISTRY: dict[str, Backend] = _registry()


def serving(precision: str) -> list[Backend]:
    """The backends that load checkpoints of `precision`."""
    return [b for b in REGISTRY.values() if precision in b.precisions]


def for_vendor(vendor: str) -> list[Backend]:
    """The backends whose pinned images drive GPUs of `vendor`."""
    return [b for b in REGISTRY.values() if vendor in b.images]
