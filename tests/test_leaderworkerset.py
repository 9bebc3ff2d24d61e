"""vLLM across nodes without Ray: the LeaderWorkerSet mode of the vllm chart (values with
`vllm.nodes` above 1, the h100-80gb-2x8-vllm profile), checked against LWS's own vLLM example on
the fields that make it work, and its command lines parsed as vLLM defines its arguments."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest
import yaml

from generator import validation
from generator.build import ROOT
from generator.model import Hardware, Request
from generator.planner import plan

from .conftest import HELM_VERSIONS, VALUES_FILES, find, render_with, rendered, validated
from .test_pod_security import pod_specs

PROFILE = ROOT / "values" / "h100-80gb-2x8-vllm.yaml"
UPSTREAM = ROOT / "tests" / "data" / "upstream" / "samples" / "lws" / "vllm-gpu-lws.yaml"
ARGS = yaml.safe_load((ROOT / "tests" / "data" / "vllm-serve-args.yaml").read_text())
# What LWS injects into every pod of a group (kubernetes-sigs/lws pkg/utils/... env): the leader's
# DNS name and the pod's index in its group (0: the leader).
LWS_ENV = {"LWS_LEADER_ADDRESS": "r1-vllm-0.r1-vllm.llm", "LWS_GROUP_SIZE": "2"}


def vllm_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vllm serve", exit_on_error=False, allow_abbrev=False)
    parser.add_argument(ARGS["positional"])
    types = {"str": str, "int": int, "float": float}
    for flag, spec in ARGS["flags"].items():
        if spec.get("boolean"):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction)
        elif spec.get("store_true"):
            parser.add_argument(flag, action="store_true")
        elif "choices" in spec:
            parser.add_argument(flag, choices=spec["choices"])
        else:
            parser.add_argument(flag, type=types[spec["type"]])
    return parser


def expand(args: list[str], env: dict[str, str]) -> list[str]:
    """Kubernetes' $(VAR) expansion of container args from the container's environment."""
    out = []
    for arg in args:
        for name, value in env.items():
            arg = arg.replace(f"$({name})", value)
        assert "$(" not in arg, f"{arg}: a variable the pod does not define"
        out.append(arg)
    return out


def parse(container: dict, env: dict[str, str]) -> argparse.Namespace:
    assert container["command"] == ["vllm", "serve"]
    try:
        ns = vllm_parser().parse_args(expand(container["args"], env))
    except (argparse.ArgumentError, SystemExit) as exc:  # unknown flag or bad value
        raise AssertionError(f"vllm serve would refuse: {shlex.join(container['args'])}: {exc}") from exc
    for flag, spec in ARGS["flags"].items():
        value = getattr(ns, flag.lstrip("-").replace("-", "_"))
        if value is not None and "min" in spec:
            assert value >= spec["min"], f"{flag}={value}"
    return ns


def lws(docs: list[dict]) -> dict:
    (found,) = find(docs, "LeaderWorkerSet")
    return found


def templates(obj: dict) -> tuple[dict, dict]:
    tpl = obj["spec"]["leaderWorkerTemplate"]
    return tpl["leaderTemplate"], tpl["workerTemplate"]


def server(template: dict) -> dict:
    (container,) = [c for c in template["spec"]["containers"] if c["name"] == "vllm"]
    return container


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_profile_renders_a_valid_leaderworkerset(version):
    result = validated(PROFILE, version)
    assert result.ok, result.errors
    assert not find(result.documents, "Deployment")
    obj = lws(result.documents)
    values = yaml.safe_load(PROFILE.read_text())["vllm"]
    assert obj["spec"]["leaderWorkerTemplate"]["size"] == values["nodes"] == 2


def test_agrees_with_lws_upstream_vllm_example():
    sample = next(d for d in yaml.safe_load_all(UPSTREAM.read_text()) if d and d["kind"] == "LeaderWorkerSet")
    ours = lws(rendered(PROFILE))
    assert ours["apiVersion"] == sample["apiVersion"]
    s_tpl, o_tpl = sample["spec"]["leaderWorkerTemplate"], ours["spec"]["leaderWorkerTemplate"]
    assert o_tpl["size"] == s_tpl["size"] == 2
    assert o_tpl["restartPolicy"] == s_tpl["restartPolicy"] == "RecreateGroupOnPodRestart"
    assert {"leaderTemplate", "workerTemplate"} <= set(o_tpl)
    # The leader labels itself as the sample does (its Service selects role: leader), ours by role.
    assert s_tpl["leaderTemplate"]["metadata"]["labels"] == {"role": "leader"}
    assert o_tpl["leaderTemplate"]["metadata"]["labels"]["llm-serving/role"] == "leader"
    # Workers find the leader through the variable LWS injects, as the sample's workers do.
    sample_worker = " ".join(s_tpl["workerTemplate"]["spec"]["containers"][0]["command"])
    assert "$(LWS_LEADER_ADDRESS)" in sample_worker
    for template in templates(ours):
        assert "--master-addr=$(LWS_LEADER_ADDRESS)" in server(template)["args"]
    # GPUs per pod and /dev/shm as a memory-backed emptyDir, as in the sample.
    for s_part, o_part in zip((s_tpl["leaderTemplate"], s_tpl["workerTemplate"]), templates(ours), strict=True):
        s_gpus = s_part["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"]
        assert int(s_gpus) == server(o_part)["resources"]["limits"]["nvidia.com/gpu"] == 8
        (shm,) = [v for v in o_part["spec"]["volumes"] if v["name"] == "dshm"]
        assert shm["emptyDir"]["medium"] == "Memory"


def test_leader_and_workers_parse_as_vllm_arguments():
    values = validation.merged_values(PROFILE)["vllm"]
    leader, worker = templates(lws(rendered(PROFILE)))
    ns = {}
    for role, template, index in (("leader", leader, "0"), ("worker", worker, "1")):
        ns[role] = parse(server(template), {**LWS_ENV, "LWS_WORKER_INDEX": index})
    assert ns["leader"].nnodes == ns["worker"].nnodes == values["nodes"]
    assert (ns["leader"].node_rank, ns["worker"].node_rank) == (0, 1)
    assert not ns["leader"].headless and ns["worker"].headless
    assert ns["leader"].master_addr == ns["worker"].master_addr == LWS_ENV["LWS_LEADER_ADDRESS"]
    assert ns["leader"].master_port == ns["worker"].master_port == values["multiNode"]["masterPort"]
    tp, pp = ns["leader"].tensor_parallel_size, ns["leader"].pipeline_parallel_size
    assert (tp, pp) == (8, 2) and tp * pp == values["gpu"]["count"] * values["nodes"]
    # Seed 004's Ray Serve config: the same model settings, without Ray.
    assert (ns["leader"].max_model_len, ns["leader"].max_num_seqs, ns["leader"].gpu_memory_utilization) == \
        (16384, 40, 0.92)
    assert ns["leader"].served_model_name == "deepseek"


@pytest.mark.parametrize("values_file", [p for p in VALUES_FILES
                                         if yaml.safe_load(p.read_text()).get("vllm", {}).get("enabled")],
                         ids=lambda p: p.stem)
def test_every_vllm_profile_parses_as_vllm_arguments(values_file: Path):
    for _name, spec, _ in pod_specs(rendered(values_file)):
        for container in spec["containers"]:
            if container.get("command") == ["vllm", "serve"]:
                parse(container, {**LWS_ENV, "LWS_WORKER_INDEX": "1"})


def test_an_fp8_kv_cache_renders_as_the_flag_vllm_parses(tmp_path: Path):
    """vllm.engine.kvCacheDtype fp8 on an FP8 GPU (H100) renders --kv-cache-dtype=fp8, which vLLM's
    parser accepts; auto renders no flag (vLLM's default)."""
    docs = render_with(ROOT / "values" / "h100-80gb.yaml", {"vllm": {"engine": {"kvCacheDtype": "fp8"}}}, tmp_path)
    (deployment,) = find(docs, "Deployment")
    (container,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "vllm"]
    assert parse(container, {}).kv_cache_dtype == "fp8"
    plain = [c for _, spec, _ in pod_specs(rendered(ROOT / "values" / "h100-80gb.yaml"))
             for c in spec["containers"] if c.get("command") == ["vllm", "serve"]]
    assert plain and all(parse(c, {}).kv_cache_dtype is None for c in plain)


def test_the_api_and_its_guards_point_at_the_leader_only():
    docs = rendered(PROFILE)
    leader, worker = templates(lws(docs))
    role = "llm-serving/role"
    (service,) = [s for s in find(docs, "Service") if s["metadata"]["name"] == "r1-vllm"]
    assert service["spec"]["selector"][role] == "leader"
    (pdb,) = find(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"][role] == "leader"
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(server(leader))
    assert not {"startupProbe", "readinessProbe", "livenessProbe", "ports"} & set(server(worker))
    assert worker["metadata"]["labels"][role] == "worker"
    tests = [p for p in find(docs, "Pod") if p["metadata"]["name"].endswith("-test")]
    assert tests and all("http://r1-vllm:8000" in " ".join(p["spec"]["containers"][0]["args"]) for p in tests)
    spec = lws(docs)["spec"]
    assert spec["rolloutStrategy"]["rollingUpdateConfiguration"]["maxSurge"] == 0
    assert spec["startupPolicy"] == "LeaderCreated"


def test_group_pods_reach_each_other_on_every_port():
    (policy,) = [p for p in find(rendered(PROFILE), "NetworkPolicy") if p["metadata"]["name"] == "r1-vllm"]
    group = [r for r in policy["spec"]["ingress"] if "ports" not in r]
    assert len(group) == 1
    (peer,) = group[0]["from"]
    assert peer["podSelector"]["matchLabels"] == policy["spec"]["podSelector"]["matchLabels"]
    others = [r for r in policy["spec"]["ingress"] if "ports" in r]
    assert all(p["port"] == "http" for r in others for p in r["ports"])


def _render(tmp_path, vllm: dict, api: bool = True) -> list[dict]:
    return render_with(PROFILE, {"vllm": vllm}, tmp_path, crds=api)


def test_autoscalers_scale_the_leaderworkerset(tmp_path):
    docs = _render(tmp_path, {"autoscaling": {"enabled": True, "minReplicas": 1, "maxReplicas": 2},
                              "cache": {"type": "emptyDir"}})
    (hpa,) = find(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "leaderworkerset.x-k8s.io/v1",
                                             "kind": "LeaderWorkerSet", "name": "r1-vllm"}
    assert "replicas" not in lws(docs)["spec"]


def test_keda_scales_the_leaderworkerset(tmp_path):
    """KEDA's ScaledObject names the LeaderWorkerSet (its scale subresource counts groups), not a
    Deployment the chart never renders in this mode; KEDA creates its HPA against that target."""
    docs = _render(tmp_path, {"autoscaling": {"enabled": True, "minReplicas": 1, "maxReplicas": 2, "keda": {
        "enabled": True, "prometheusAddress": "http://prometheus-operated.monitoring:9090"}},
        "cache": {"type": "emptyDir"}})
    assert not find(docs, "HorizontalPodAutoscaler") and not find(docs, "Deployment")
    (scaled,) = find(docs, "ScaledObject")
    target = lws(docs)
    assert scaled["spec"]["scaleTargetRef"] == {"apiVersion": target["apiVersion"], "kind": target["kind"],
                                                "name": target["metadata"]["name"]}
    assert "replicas" not in target["spec"]
    for doc in docs:
        assert validation.document_errors(doc, "") == [], doc["kind"]


def test_install_without_the_lws_controller_names_it(tmp_path):
    with pytest.raises(validation.RenderError, match="LeaderWorkerSet controller.*--api-versions "
                                                     "leaderworkerset.x-k8s.io/v1/LeaderWorkerSet"):
        _render(tmp_path, {}, api=False)


def test_parallelism_must_cover_every_node(tmp_path):
    with pytest.raises(validation.RenderError, match=r"vllm.gpu.count x vllm.nodes"):
        _render(tmp_path, {"engine": {"pipelineParallelSize": 1}})


def test_planner_plans_this_mode_for_vllm_and_lists_it_otherwise():
    forced = plan(Hardware("H100-80GB", 8, 2), Request("deepseek-r1", engine="vllm"))
    p = forced.profile
    assert (p.engine, p.tensor_parallel, p.pipeline_parallel, p.pods, p.gpus_per_pod) == ("vllm", 8, 2, 2, 8)
    default = plan(Hardware("H100-80GB", 8, 2), Request("deepseek-r1"))
    assert default.profile.engine == "kuberay"
    assert any(a.startswith("--engine vllm") for a in default.alternatives)


def test_rdma_is_the_common_option_aibrix_uses():
    docs = rendered(ROOT / "tests" / "values-valid" / "vllm-lws-rdma.yaml")
    for template in templates(lws(docs)):
        container = server(template)
        assert container["resources"]["requests"]["rdma/rdma_shared_device_a"] == "1"
        assert container["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]
        assert "runAsNonRoot" not in template["spec"]["securityContext"], "IPC_LOCK takes effect for root only"
        assert {"name": "NCCL_IB_DISABLE", "value": "0"} in container["env"]
        assert template["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"] == "rdma-net"
    # the same helpers render AIBrix's fleet
    fleet_helpers = (ROOT / "charts/llm-serving/charts/aibrix/templates/_helpers.tpl").read_text()
    assert "common.rdma.resources" in fleet_helpers and "common.rdma.env" in fleet_helpers
