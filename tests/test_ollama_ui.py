"""ollama preloading and NetworkPolicy, and the chat UI wired to whichever engine is enabled."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.build import ROOT

from .conftest import find, rendered

VALUES = ROOT / "values"
VARIANTS = ROOT / "tests" / "values-valid"
OLLAMA_PROFILES = [VALUES / "cpu-only.yaml", VALUES / "rtx3060-12gb.yaml"]


def deployment(docs, name_suffix: str) -> dict:
    (deploy,) = [d for d in find(docs, "Deployment") if d["metadata"]["name"].endswith(name_suffix)]
    return deploy


@pytest.mark.parametrize("values_file", OLLAMA_PROFILES, ids=lambda p: p.stem)
def test_models_are_pulled_before_the_server_starts(values_file: Path):
    values = yaml.safe_load(values_file.read_text())["ollama"]
    pod = deployment(rendered(values_file), "-ollama")["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    script = init["args"][0]
    for model in values["models"]["pull"]:
        assert f"'{model}'" in script
    assert 'ollama pull "$m"' in script and "set -e" in script
    assert "lifecycle" not in pod["containers"][0], "no postStart pull: it races readiness"
    readiness = pod["containers"][0]["readinessProbe"]["exec"]["command"][-1]
    for model in values["models"]["pull"]:
        assert f"'{model}'" in readiness and "ollama show" in readiness


@pytest.mark.parametrize("values_file", OLLAMA_PROFILES, ids=lambda p: p.stem)
def test_network_policy_admits_only_the_chat_ui(values_file: Path):
    docs = rendered(values_file)
    (policy,) = [p for p in find(docs, "NetworkPolicy") if p["metadata"]["name"] == "r1-ollama"]
    ollama = deployment(docs, "-ollama")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= \
        ollama["spec"]["template"]["metadata"]["labels"].items()
    (rule,) = policy["spec"]["ingress"]
    ui_peer, test_peer = rule["from"]  # the chat UI and the release's `helm test` pods, nothing else
    ui = deployment(docs, "-chat-ui")
    assert ui_peer["podSelector"]["matchLabels"].items() <= ui["spec"]["template"]["metadata"]["labels"].items()
    assert test_peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "helm-test"
    assert ollama["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"] == rule["ports"][0]["port"]


def test_cpu_profile_follows_seed_003():
    values = yaml.safe_load((VALUES / "cpu-only.yaml").read_text())["ollama"]
    container = deployment(rendered(VALUES / "cpu-only.yaml"), "-ollama")["spec"]["template"]["spec"]["containers"][0]
    assert values["models"]["pull"] == ["deepseek-r1:1.5b"]
    assert "nvidia.com/gpu" not in container["resources"]["limits"]
    assert container["resources"]["requests"]["cpu"] == "2"
    assert container["resources"]["requests"]["memory"] == "8Gi"


def test_rtx3060_profile_uses_runtime_class_and_gpu():
    pod = deployment(rendered(VALUES / "rtx3060-12gb.yaml"), "-ollama")["spec"]["template"]["spec"]
    assert pod["runtimeClassName"] == "nvidia"
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1


def test_derived_resources_and_rocm_image():
    pod = deployment(rendered(VARIANTS / "ollama-derived-resources-amd.yaml"), "-ollama")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"].endswith("-rocm")
    assert container["resources"]["limits"]["amd.com/gpu"] == 1
    # largest model (14b, 8.38 GiB) + 4 GiB host memory for loading, rounded up
    assert container["resources"]["requests"]["memory"] == "13Gi"


def test_offline_checks_the_store_and_pulls_nothing():
    docs = rendered(VARIANTS / "ollama-offline-exposed.yaml")
    pod = deployment(docs, "-ollama")["spec"]["template"]["spec"]
    script = pod["initContainers"][0]["args"][0]
    assert "ollama pull" not in script and "ollama show" in script
    assert not find(docs, "PersistentVolumeClaim")
    (policy,) = [p for p in find(docs, "NetworkPolicy") if p["metadata"]["name"] == "r1-ollama"]
    assert len(policy["spec"]["ingress"][0]["from"]) == 3
    assert find(docs, "Ingress")


def ui_env(values_file: Path) -> dict:
    container = deployment(rendered(values_file), "-chat-ui")["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e for e in container["env"]}


@pytest.mark.parametrize("values_file, base_url, model, keyed", [
    (VALUES / "cpu-only.yaml", "http://r1-ollama:11434", "deepseek-r1:1.5b", False),
    (VALUES / "rtx3060-12gb.yaml", "http://r1-ollama:11434", "deepseek-r1:7b", False),
    (VARIANTS / "ui-with-vllm.yaml", "http://r1-vllm:8000", "deepseek-r1", True),
    (VARIANTS / "ui-with-kuberay.yaml", "http://r1-kuberay-serve-svc:8000", "deepseek-r1", False),
    (VARIANTS / "ui-with-aibrix.yaml", "http://deepseek-r1-671b:8000", "deepseek-r1-671b", False),
], ids=["cpu-only", "rtx3060-12gb", "vllm", "kuberay", "aibrix"])
def test_ui_points_at_the_enabled_engine(values_file: Path, base_url: str, model: str, keyed: bool):
    env = ui_env(values_file)
    assert env["BASE_URL"]["value"] == base_url
    assert env["DEFAULT_MODEL"]["value"] == model
    assert env["CUSTOM_MODELS"]["value"] == f"-all,+{model}"
    if keyed:
        assert env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "llm-api-key", "key": "api-key"}
        assert env["CODE"]["valueFrom"]["secretKeyRef"]["name"] == "chat-ui-code"


def test_ui_service_and_engine_services_line_up():
    docs = rendered(VARIANTS / "ui-with-vllm.yaml")
    services = {s["metadata"]["name"]: s for s in find(docs, "Service")}
    base = ui_env(VARIANTS / "ui-with-vllm.yaml")["BASE_URL"]["value"]
    host, port = base.removeprefix("http://").split(":")
    assert services[host]["spec"]["ports"][0]["port"] == int(port)
    (ingress,) = find(docs, "Ingress")
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "r1-chat-ui"


def test_ui_listens_on_all_interfaces():
    # Next.js standalone binds to $HOSTNAME (the pod name in Kubernetes) unless told otherwise.
    assert ui_env(VALUES / "cpu-only.yaml")["HOSTNAME"]["value"] == "0.0.0.0"


def test_ollama_autoscaling():
    docs = rendered(VARIANTS / "ollama-autoscaling.yaml")
    (hpa,) = find(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "r1-ollama" and hpa["spec"]["maxReplicas"] == 4
    assert "replicas" not in deployment(docs, "-ollama")["spec"]
