"""Every engine's pods have a NetworkPolicy: APIs open only to the chat UI, helm tests, the
ingress namespaces and allowFrom; Ray ports only between the release's Ray pods and operator."""

from __future__ import annotations

import pytest

from generator.build import ROOT

from .conftest import ALL_FILES, find, pod_templates, render_with, rendered


def selects(policy: dict, labels: dict) -> bool:
    return policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_every_pod_has_a_network_policy(values_file):
    """Every pod of every workload kind (conftest.pod_templates), the LeaderWorkerSet's leader and
    workers included; helm test pods run once and are let in by the engines' policies instead."""
    docs = rendered(values_file)
    policies = find(docs, "NetworkPolicy")
    if not policies:  # a variant that turns them off
        assert not values_on(values_file), values_file.stem
        return
    pods = [t for t in pod_templates(docs) if (t.metadata.get("annotations") or {}).get("helm.sh/hook") != "test"]
    assert pods, f"{values_file.stem}: no pod checked"
    for pod in pods:
        labels = pod.metadata.get("labels") or {}
        assert any(selects(p, labels) for p in policies), f"{pod.name}: no NetworkPolicy selects {labels}"


def values_on(values_file) -> bool:
    from generator import validation

    return validation.merged_values(values_file)["global"]["networkPolicy"]["enabled"]


def test_leaderworkerset_pods_are_selected():
    """The multi-node vLLM profile's pods are all inside a LeaderWorkerSet: both templates count."""
    pods = pod_templates(rendered(ROOT / "values/h100-80gb-2x8-vllm.yaml"))
    assert {p.name for p in pods if p.owner["kind"] == "LeaderWorkerSet"} == {
        "LeaderWorkerSet.r1-vllm.leader", "LeaderWorkerSet.r1-vllm.worker"}


def test_vllm_api_open_to_ui_ingress_and_monitoring_only():
    docs = rendered(ROOT / "tests/values-valid/ui-with-vllm.yaml")
    (policy,) = [p for p in find(docs, "NetworkPolicy") if p["metadata"]["name"] == "r1-vllm"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    components = [p["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
                  for p in rule["from"] if "podSelector" in p]
    namespaces = [v for p in rule["from"] if "namespaceSelector" in p
                  for e in p["namespaceSelector"]["matchExpressions"] for v in e["values"]]
    assert components == ["chat-ui", "helm-test"]
    assert namespaces == ["ingress-nginx", "monitoring"]


def test_ray_ports_stay_inside_the_release():
    docs = rendered(ROOT / "values/h100-80gb-2x8.yaml")
    (policy,) = find(docs, "NetworkPolicy")
    internal, operator, api = policy["spec"]["ingress"][:3]
    assert "ports" not in internal  # every Ray port, but only from the release's Ray pods
    (peer,) = internal["from"]
    assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "r1"
    assert operator["from"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "kuberay-operator"}
    # the dashboard (Serve deploy and status) and the proxy health check KubeRay's RayService
    # controller runs on the head (GET :8000/-/healthz) before labelling it ray.io/serve=true
    assert operator["ports"] == [{"port": 8265, "protocol": "TCP"}, {"port": 8000, "protocol": "TCP"}]
    assert api["ports"] == [{"port": 8000, "protocol": "TCP"}]


def test_aibrix_control_plane_reaches_api_and_metrics_only():
    docs = rendered(ROOT / "values/h20-96gb-2x8-rdma.yaml")
    (policy,) = find(docs, "NetworkPolicy")
    internal, control = policy["spec"]["ingress"][:2]
    (peer,) = internal["from"]
    assert peer == {"podSelector": {"matchLabels": {"model.aibrix.ai/name": "deepseek-r1-671b"}}}
    assert "ports" not in internal
    names = control["from"][0]["namespaceSelector"]["matchExpressions"][0]["values"]
    assert names == ["aibrix-system", "envoy-gateway-system"]
    assert control["ports"] == [{"port": 8000, "protocol": "TCP"}, {"port": 8080, "protocol": "TCP"}]


def test_disabling_network_policies(tmp_path):
    docs = render_with(ROOT / "values/h100-80gb.yaml", {"global": {"networkPolicy": {"enabled": False}}}, tmp_path)
    assert not find(docs, "NetworkPolicy")


@pytest.mark.parametrize(("global_on", "ollama_on"), [(True, True), (True, False), (False, True), (False, False)])
def test_ollama_network_policy_needs_both_switches(tmp_path, global_on, ollama_on):
    """ollama's NetworkPolicy is rendered only when global.networkPolicy.enabled and
    ollama.networkPolicy.enabled are both true; the UI's follows the global switch alone."""
    docs = render_with(ROOT / "values/cpu-only.yaml", {
        "global": {"networkPolicy": {"enabled": global_on}},
        # without ollama's own policy, its exposure needs consent
        "ollama": {"networkPolicy": {"enabled": ollama_on}, "exposure": {"allowUnauthenticated": True}},
    }, tmp_path)
    names = {p["metadata"]["name"] for p in find(docs, "NetworkPolicy")}
    assert ("r1-ollama" in names) is (global_on and ollama_on)
    assert ("r1-chat-ui" in names) is global_on
