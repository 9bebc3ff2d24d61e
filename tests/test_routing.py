"""global.routing.strategy: prefixCache per engine. vLLM: an InferencePool, its endpoint picker
(EPP) and the HTTPRoute's backend switched to the pool, the picker's EndpointPickerConfig and
arguments checked against the pinned llm-d-router release (tests/data/epp-plugins.yaml), its RBAC,
token, NetworkPolicies, placement and Pod Security; KubeRay: Ray Serve LLM's prefix-aware router
(tests/data/ray-serve-router.yaml); AIBrix: its gateway's prefix-cache strategy. The refusals
(ollama, one replica, no Gateway) are in tests/values-invalid/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, find, helm, pod_specs, render_with, rendered
from .pod_security_standards import violations
from .scheduling import fits, preference_score, untolerated_taints
from .test_network_policies import selects
from .test_notes import install_dry_run
from .test_placement import NODES, gpu_nodes, node

VALID = ROOT / "tests" / "values-valid"
VLLM = VALID / "routing-vllm.yaml"
KUBERAY = VALID / "routing-kuberay.yaml"
AIBRIX = VALID / "routing-aibrix.yaml"
EPP = yaml.safe_load((ROOT / "tests" / "data" / "epp-plugins.yaml").read_text())
RAY = yaml.safe_load((ROOT / "tests" / "data" / "ray-serve-router.yaml").read_text())
POOL_API = "inference.networking.k8s.io/v1/InferencePool"
SERVICE = {"strategy": "service"}


def named(docs: list[dict], kind: str, name: str) -> dict:
    (doc,) = [d for d in find(docs, kind) if d["metadata"]["name"] == name]
    return doc


def picker(docs: list[dict]) -> dict:
    return named(docs, "Deployment", "r1-vllm-epp")


# ---------------------------------------------------------------- the EPP config against its release

def config_errors(config: dict[str, Any]) -> list[str]:
    """What llm-d-router's loader would refuse in an EndpointPickerConfig (tests/data/epp-plugins.yaml)."""
    keys = EPP["keys"]
    errors = []

    def unknown(node: dict, allowed: list[str], where: str) -> None:
        errors.extend(f"{where}.{k}: not a field of {EPP['release']}" for k in node if k not in allowed)

    if config.get("apiVersion") not in EPP["apiVersions"]:
        errors.append(f"apiVersion {config.get('apiVersion')} (the release loads {EPP['apiVersions']})")
    if config.get("kind") != EPP["kind"]:
        errors.append(f"kind {config.get('kind')}")
    unknown(config, keys["config"], "config")
    names: dict[str, str] = {}
    for i, plugin in enumerate(config.get("plugins", [])):
        unknown(plugin, keys["plugin"], f"plugins[{i}]")
        known = EPP["plugins"].get(plugin.get("type"))
        if known is None:
            errors.append(f"plugins[{i}].type {plugin.get('type')!r}: not in the release's registry")
            continue
        if known["stability"] not in ("beta", "stable"):
            errors.append(f"plugins[{i}].type {plugin['type']} needs --allow-experimental-plugins")
        unknown(plugin.get("parameters") or {}, known["parameters"], f"plugins[{i}].parameters")
        name = plugin.get("name", plugin["type"])
        if name in names:
            errors.append(f"plugins[{i}]: name {name} twice")
        names[name] = known["role"]
    for i, profile in enumerate(config.get("schedulingProfiles", [])):
        unknown(profile, keys["schedulingProfile"], f"schedulingProfiles[{i}]")
        for j, ref in enumerate(profile.get("plugins", [])):
            unknown(ref, keys["schedulingPlugin"], f"schedulingProfiles[{i}].plugins[{j}]")
            if ref.get("pluginRef") not in names:
                errors.append(f"schedulingProfiles[{i}].plugins[{j}]: {ref.get('pluginRef')} is no declared plugin")
            elif names[ref["pluginRef"]] == "scorer" and not isinstance(ref.get("weight"), (int, float)):
                errors.append(f"schedulingProfiles[{i}].plugins[{j}]: scorer {ref['pluginRef']} without a weight")
    layer = config.get("dataLayer") or {}
    unknown(layer, keys["dataLayer"], "dataLayer")
    for i, source in enumerate(layer.get("sources", [])):
        unknown(source, keys["dataLayerSource"], f"dataLayer.sources[{i}]")
        if names.get(source.get("pluginRef")) != "source":
            errors.append(f"dataLayer.sources[{i}]: {source.get('pluginRef')} is no declared data source")
        for extractor in source.get("extractors", []):
            unknown(extractor, keys["dataLayerExtractor"], f"dataLayer.sources[{i}].extractors")
            if names.get(extractor.get("pluginRef")) != "extractor":
                errors.append(f"dataLayer.sources[{i}]: {extractor.get('pluginRef')} is no declared extractor")
    return errors


def arg_errors(args: list[str]) -> list[str]:
    """Arguments the release's epp binary would refuse (every one is --name=value)."""
    errors = []
    for arg in args:
        name, sep, value = arg.removeprefix("--").partition("=")
        kind = EPP["flags"].get(name)
        if not arg.startswith("--") or not sep or kind is None:
            errors.append(f"{arg}: not a flag of {EPP['release']}")
        elif kind == "int" and not value.isdigit():
            errors.append(f"{arg}: not an integer")
        elif kind == "bool" and value not in ("true", "false"):
            errors.append(f"{arg}: not a boolean")
        elif isinstance(kind, dict) and value not in kind["choices"]:
            errors.append(f"{arg}: not one of {kind['choices']}")
    return errors


def rendered_config(docs: list[dict]) -> dict:
    config_map = named(docs, "ConfigMap", "r1-vllm-epp")
    (mount,) = [m for m in picker(docs)["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
                if m["name"] == "config"]
    (arg,) = [a for a in picker(docs)["spec"]["template"]["spec"]["containers"][0]["args"]
              if a.startswith("--config-file=")]
    key = arg.split("=", 1)[1].removeprefix(mount["mountPath"] + "/")
    return yaml.safe_load(config_map["data"][key])


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_the_picker_config_is_one_the_pinned_release_loads(version: str):
    config = rendered_config(rendered(VLLM, version))
    assert config_errors(config) == []
    weights = {p["pluginRef"]: p["weight"] for p in config["schedulingProfiles"][0]["plugins"]}
    assert weights == {"prefix-cache-scorer": 3, "queue-scorer": 2, "kv-cache-utilization-scorer": 2}


@pytest.mark.parametrize("broken, found", [
    ({"apiVersion": "inference.networking.x-k8s.io/v1alpha2"}, "apiVersion"),
    ({"plugins": [{"type": "prefix-cache-scorer", "parameters": {"blockSize": 16}}]}, "parameters.blockSize"),
    ({"plugins": [{"type": "prefix-scorer"}]}, "not in the release's registry"),
    ({"schedulingProfiles": [{"name": "default", "plugins": [{"pluginRef": "queue", "weight": 1}]}]},
     "no declared plugin"),
    ({"plugins": [{"type": "queue-scorer"}],
      "schedulingProfiles": [{"name": "default", "plugins": [{"pluginRef": "queue-scorer"}]}]}, "without a weight"),
    ({"scheduler": {}}, "config.scheduler"),
])
def test_the_config_check_can_fail(broken: dict, found: str):
    config = {**rendered_config(rendered(VLLM)), **broken}
    assert any(found in e for e in config_errors(config)), config_errors(config)


def test_the_picker_arguments_are_flags_of_the_release():
    (container,) = picker(rendered(VLLM))["spec"]["template"]["spec"]["containers"]
    assert arg_errors(container["args"]) == []
    assert len(arg_errors(["--pool=x", "--grpc-port=a", "--tracing=yes", "--zap-encoder=text"])) == 4
    args = dict(a.removeprefix("--").split("=", 1) for a in container["args"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == EPP["ports"]
    assert int(args["grpc-port"]) == ports["grpc"] and int(args["grpc-health-port"]) == ports["grpc-health"]
    assert int(args["metrics-port"]) == ports["metrics"]
    assert (args["pool-name"], args["pool-namespace"], args["pool-group"]) == ("r1-vllm", "llm",
                                                                               "inference.networking.k8s.io")
    assert args["metrics-endpoint-auth"] == "false"  # no TokenReview ClusterRole: the NetworkPolicy admits Prometheus
    assert container["image"] == f"ghcr.io/llm-d/llm-d-router-endpoint-picker:{EPP['release']}"
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["grpc"]["port"] == ports["grpc-health"]
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


# ---------------------------------------------------------------- pool, route, install checks

@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_the_route_points_at_the_pool_only_when_the_switch_is_on(version: str, tmp_path: Path):
    docs = rendered(VLLM, version)
    (route,) = find(docs, "HTTPRoute")
    assert route["spec"]["rules"][0]["backendRefs"] == [
        {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "r1-vllm"}]
    assert route["spec"]["parentRefs"]
    if version != HELM_VERSIONS[0]:
        return  # render_with renders with the first helm: the switch-off half once
    off = render_with(VLLM, {"global": {"routing": SERVICE}}, tmp_path, crds=True)
    (route,) = find(off, "HTTPRoute")
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "r1-vllm", "port": 8000}]
    assert not find(off, "InferencePool")
    assert not [d for d in off if d["metadata"]["name"].startswith("r1-vllm-epp")]


def test_the_pool_selects_the_serving_pods_on_the_api_port():
    docs = rendered(VLLM)
    (pool,) = find(docs, "InferencePool")
    service = named(docs, "Service", "r1-vllm")
    assert pool["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    server = named(docs, "Deployment", "r1-vllm")["spec"]["template"]
    assert pool["spec"]["selector"]["matchLabels"].items() <= server["metadata"]["labels"].items()
    assert not pool["spec"]["selector"]["matchLabels"].items() <= \
        picker(docs)["spec"]["template"]["metadata"]["labels"].items()
    (http,) = server["spec"]["containers"][0]["ports"]
    assert pool["spec"]["targetPorts"] == [{"number": http["containerPort"]}]
    ref = pool["spec"]["endpointPickerRef"]
    assert ref["failureMode"] == "FailOpen"
    epp_service = named(docs, "Service", ref["name"])
    assert ref["port"]["number"] in [p["port"] for p in epp_service["spec"]["ports"]]
    assert epp_service["spec"]["selector"].items() <= picker(docs)["spec"]["template"]["metadata"]["labels"].items()


def test_a_leaderworkerset_pool_selects_the_leaders(tmp_path: Path):
    overlay = yaml.safe_load(VLLM.read_text())
    overlay["vllm"].pop("gpu")
    overlay["vllm"].pop("cache")
    docs = render_with(VALID / "vllm-lws-rdma.yaml", overlay, tmp_path, crds=True)
    (pool,) = find(docs, "InferencePool")
    (lws,) = find(docs, "LeaderWorkerSet")
    leader = lws["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["metadata"]["labels"]
    worker = lws["spec"]["leaderWorkerTemplate"]["workerTemplate"]["metadata"]["labels"]
    assert pool["spec"]["selector"]["matchLabels"].items() <= leader.items()
    assert not pool["spec"]["selector"]["matchLabels"].items() <= worker.items()
    for doc in docs:
        assert validation.document_errors(doc) == [], doc["kind"]


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_a_cluster_without_the_inferencepool_api_stops_the_install(version: str):
    others = [a for a in validation.crd_api_versions() if a != POOL_API]
    with pytest.raises(validation.RenderError) as excinfo:
        validation.helm_template(helm(version), VLLM, crds=False,
                                 extra=tuple(x for a in others for x in ("--api-versions", a)))
    message = str(excinfo.value)
    assert POOL_API in message and "Gateway API Inference Extension" in message
    assert "global.routing.strategy=service" in message


def test_the_notes_name_the_picker_and_the_pool_only_when_the_switch_is_on(tmp_path: Path):
    notes, docs = install_dry_run(tmp_path, VLLM)
    assert f"endpoint picker {picker(docs)['metadata']['name']} " in notes
    assert f"get inferencepool {find(docs, 'InferencePool')[0]['metadata']['name']} " in notes
    notes, _ = install_dry_run(tmp_path, VLLM, values={"global": {"routing": SERVICE}})
    assert "endpoint picker" not in notes and "inferencepool" not in notes


# ---------------------------------------------------------------- RBAC, token, policies, placement

def test_the_picker_reads_only_what_it_watches():
    docs = rendered(VLLM)
    assert not find(docs, "ClusterRole") and not find(docs, "ClusterRoleBinding")
    (role,) = find(docs, "Role")
    granted = {(group, resource) for rule in role["rules"]
               for group in rule["apiGroups"] for resource in rule["resources"]}
    assert granted == {("", "pods"), ("inference.networking.k8s.io", "inferencepools"),
                       ("llm-d.ai", "inferenceobjectives"), ("llm-d.ai", "inferencemodelrewrites"),
                       ("inference.networking.x-k8s.io", "inferenceobjectives"),
                       ("inference.networking.x-k8s.io", "inferencemodelrewrites")}
    assert all(rule["verbs"] == ["get", "list", "watch"] for rule in role["rules"])
    (binding,) = find(docs, "RoleBinding")
    spec = picker(docs)["spec"]["template"]["spec"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": spec["serviceAccountName"], "namespace": "llm"}]
    (account,) = find(docs, "ServiceAccount")
    assert account["metadata"]["name"] == spec["serviceAccountName"]
    assert account["automountServiceAccountToken"] is False


def test_only_the_picker_mounts_a_token_read_only():
    docs = rendered(VLLM)
    with_token = []
    for name, spec, _ in pod_specs(docs):
        # no automounted token anywhere: test_pod_security, which walks this file too
        projected = [v for v in spec.get("volumes", []) if any(
            "serviceAccountToken" in s for s in v.get("projected", {}).get("sources", []))]
        if projected:
            with_token.append(name)
            (volume,) = projected
            paths = sorted(item["path"] for s in volume["projected"]["sources"]
                           for item in ([s["serviceAccountToken"]] if "serviceAccountToken" in s
                                        else s.get("configMap", s.get("downwardAPI", {})).get("items", [])))
            assert paths == ["ca.crt", "namespace", "token"]
            (mount,) = [m for c in spec["containers"] for m in c["volumeMounts"] if m["name"] == volume["name"]]
            assert mount == {"name": volume["name"], "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                             "readOnly": True}
    assert with_token == ["r1-vllm-epp"]


def test_network_policies_admit_gateway_picker_and_servers_exactly():
    docs = rendered(VLLM)
    epp = named(docs, "NetworkPolicy", "r1-vllm-epp")
    rules = {tuple(p["port"] for p in rule["ports"]): [v for peer in rule["from"]
                                                       for e in peer["namespaceSelector"]["matchExpressions"]
                                                       for v in e["values"]]
             for rule in epp["spec"]["ingress"]}
    assert rules == {(9002,): ["istio-system"], (9090,): ["monitoring"]}
    assert selects(epp, picker(docs)["spec"]["template"]["metadata"]["labels"])
    server = named(docs, "NetworkPolicy", "r1-vllm")
    assert not selects(server, picker(docs)["spec"]["template"]["metadata"]["labels"])
    api, pool = server["spec"]["ingress"]
    (target,) = find(docs, "InferencePool")[0]["spec"]["targetPorts"]
    assert pool == {"from": [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "r1",
                                         "app.kubernetes.io/name": "vllm-endpoint-picker"}}},
        {"namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In",
                                                     "values": ["istio-system"]}]}}],
        "ports": [{"port": target["number"], "protocol": "TCP"}]}
    gateways = [v for peer in api["from"] if "namespaceSelector" in peer
                for e in peer["namespaceSelector"]["matchExpressions"] for v in e["values"]]
    assert "istio-system" in gateways and api["ports"] == [{"port": "http", "protocol": "TCP"}]
    # every pod selected by a NetworkPolicy: test_network_policies, which walks this file too


def test_the_picker_meets_restricted_and_prefers_cpu_nodes():
    (spec,) = [s for name, s, _ in pod_specs(rendered(VLLM)) if name == "r1-vllm-epp"]
    assert violations(spec, "restricted") == []
    assert spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["runAsUser"] == 65532  # the image's own user (Dockerfile.epp)
    pod = {"spec": spec}
    for platform, data in NODES["platforms"].items():
        cpu_node = node(platform, data["cpu"], gpu=False)
        assert fits(pod, cpu_node)
        for gpu in data["gpus"]:
            for labels in gpu_nodes(platform, gpu):
                assert preference_score(pod, cpu_node) > preference_score(pod, node(platform, labels, gpu=False))
        if data["taints"]:  # and it stays off tainted GPU nodes
            assert untolerated_taints(pod, node(platform, {}, gpu=True))


# ---------------------------------------------------------------- KubeRay and AIBrix

def serve_configs(docs: list[dict]) -> list[dict]:
    (service,) = find(docs, "RayService")
    return yaml.safe_load(service["spec"]["serveConfigV2"])["applications"][0]["args"]["llm_configs"]


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_kuberay_names_ray_serves_prefix_aware_router(version: str, tmp_path: Path):
    for config in serve_configs(rendered(KUBERAY, version)):
        router = config["deployment_config"]["request_router_config"]
        assert set(router) <= set(RAY["requestRouterConfig"])
        assert router["request_router_class"] == RAY["routerClass"]
        assert set(router["request_router_kwargs"]) <= set(RAY["initializeState"])
        assert router["request_router_kwargs"]["do_eviction"] is True
        assert config["deployment_config"]["autoscaling_config"]["max_replicas"] >= 2
    if version != HELM_VERSIONS[0]:
        return  # render_with renders with the first helm: the switch-off half once
    for config in serve_configs(render_with(KUBERAY, {"global": {"routing": SERVICE}}, tmp_path, crds=True)):
        assert "request_router_config" not in config["deployment_config"]


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_aibrix_heads_name_the_prefix_cache_strategy(version: str, tmp_path: Path):
    def annotations(docs: list[dict]) -> dict[str, dict]:
        (fleet,) = find(docs, "RayClusterFleet")
        cluster = fleet["spec"]["template"]["spec"]
        groups = {"head": cluster["headGroupSpec"]}
        groups.update({g["groupName"]: g for g in cluster.get("workerGroupSpecs", [])})
        return {k: g["template"]["metadata"].get("annotations", {}) for k, g in groups.items()}

    found = annotations(rendered(AIBRIX, version))
    # pkg/plugins/gateway/configprofiles/configprofiles.go (AIBrix v0.6.0+): defaultProfile and profiles
    # {routingStrategy}; "prefix-cache" is the router name of pkg/plugins/gateway/algorithms (v0.2.1 on).
    config = yaml.safe_load(found["head"]["model.aibrix.ai/config"])
    assert config == {"defaultProfile": "default", "profiles": {"default": {"routingStrategy": "prefix-cache"}}}
    assert all("model.aibrix.ai/config" not in a for k, a in found.items() if k != "head")
    if version != HELM_VERSIONS[0]:
        return  # render_with renders with the first helm: the switch-off half once
    off = annotations(render_with(AIBRIX, {"global": {"routing": SERVICE}}, tmp_path, crds=True))
    assert all("model.aibrix.ai/config" not in a for a in off.values())
