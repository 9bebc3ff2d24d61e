"""Smoke suite against a live release (kubectl backend of testinfra).

Run after `helm install`:  LLM_SERVING_RELEASE=r1 LLM_SERVING_NAMESPACE=llm make smoke
Uses the current kubectl context (or KUBECONFIG). Without a reachable cluster, or without pods
of the release, every test is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

RELEASE = os.environ.get("LLM_SERVING_RELEASE", "r1")
NAMESPACE = os.environ.get("LLM_SERVING_NAMESPACE", "llm")


@dataclass(frozen=True)
class ServerPod:
    engine: str  # vllm | ollama | kuberay | aibrix
    role: str  # server | ray-head | ray-worker
    name: str
    container: str
    gpus: int
    env: dict[str, str]

    def host(self) -> Any:
        import testinfra

        return testinfra.get_host(f"kubectl://{self.name}?container={self.container}&namespace={NAMESPACE}")


def _kubectl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=30, check=False)


def discover() -> tuple[list[ServerPod], str]:
    """Running server pods of the release, or ([], why not)."""
    if shutil.which("kubectl") is None:
        return [], "kubectl is not installed"
    if _kubectl("version", "--request-timeout=5s").returncode != 0:
        return [], "no Kubernetes cluster is reachable with the current kubectl context"
    proc = _kubectl("get", "pods", "-n", NAMESPACE, "-l", f"app.kubernetes.io/instance={RELEASE}",
                    "--field-selector=status.phase=Running", "-o", "json")
    if proc.returncode != 0:
        return [], f"cannot list pods in namespace {NAMESPACE}: {proc.stderr.strip()}"
    pods = []
    for item in json.loads(proc.stdout)["items"]:
        labels = item["metadata"]["labels"]
        engine = labels.get("app.kubernetes.io/name", "")
        role = labels.get("app.kubernetes.io/component", "")
        if engine not in ("vllm", "ollama", "kuberay", "aibrix") or role not in ("server", "ray-head", "ray-worker"):
            continue
        container = item["spec"]["containers"][0]
        limits = container.get("resources", {}).get("limits", {})
        gpus = sum(int(v) for k, v in limits.items() if k in ("nvidia.com/gpu", "amd.com/gpu"))
        env = {e["name"]: e.get("value", "") for e in container.get("env", [])}
        pods.append(ServerPod(engine, role, item["metadata"]["name"], container["name"], gpus, env))
    if not pods:
        return [], f"no running server pods of release {RELEASE} in namespace {NAMESPACE}"
    return pods, ""


PODS, WHY = discover()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pod" in metafunc.fixturenames:
        if PODS:
            metafunc.parametrize("pod", PODS, ids=[f"{p.engine}-{p.role}-{p.name}" for p in PODS])
        else:
            metafunc.parametrize("pod", [pytest.param(None, marks=pytest.mark.skip(reason=WHY))], ids=["no-release"])
