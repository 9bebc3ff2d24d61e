"""Engine backends. Each module exposes `BACKEND`, a `Backend` with the same contract:

- `name`: subchart directory under charts/llm-serving/charts/ and its key in the umbrella values;
- `description`, `app_version` (the pinned engine image tag) and `keywords` for Chart.yaml;
- `interface`: the values interface (generator.interface.Group) of the subchart;
- `profile_values(profile)`: the values a hardware profile sets for this engine;
- `summary(values)`: model, GPUs and TP x PP of rendered values, for the validation report;
- `arithmetic(profile)`: the memory arithmetic of a profile, lines for its file header;
- `other_images`: images the chart runs besides those in its values' defaults (e.g. the ROCm
  build chosen for AMD GPUs), listed in the umbrella's Artifact Hub annotation.

The registry below is the one list of engines; nothing else enumerates them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..interface import Group


@dataclass(frozen=True)
class Backend:
    name: str
    description: str
    app_version: str
    keywords: tuple[str, ...]
    interface: Group
    profile_values: Callable[[Any], dict[str, Any]]
    summary: Callable[[dict[str, Any]], dict[str, str]]
    arithmetic: Callable[[Any], list[str]] = lambda profile: profile.fit().lines()
    other_images: tuple[str, ...] = ()


def _registry() -> dict[str, Backend]:
    from . import aibrix, kuberay, ollama, vllm

    return {b.name: b for b in (vllm.BACKEND, ollama.BACKEND, kuberay.BACKEND, aibrix.BACKEND)}


REGISTRY: dict[str, Backend] = _registry()
