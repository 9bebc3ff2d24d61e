"""Data-parallel attention with expert parallelism (DP+EP), as the chart renders it for vLLM.

The rendered command lines go through the argument parser built from tests/data/vllm-serve-args.yaml
(vLLM v0.31.0's flags), then through the rules vLLM v0.31.0 applies when it turns them into a
parallel layout (vllm/engine/arg_utils.py EngineArgs.create_engine_config and
vllm/config/parallel.py ParallelConfig), written out below: on one node every rank lives in the
pod; across nodes each pod runs world/nnodes GPUs and infers its first rank from --node-rank, and
together the pods must cover every rank once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, find, render_with, rendered, validated
from .test_leaderworkerset import LWS_ENV, lws, parse, server, templates

ONE_NODE = ROOT / "values" / "h200-141gb-x8.yaml"
TWO_NODES = ROOT / "values" / "h200-141gb-2x8-rdma.yaml"


def vllm_layout(ns, pods: int, node_rank: int) -> tuple[int, range]:
    """vLLM v0.31.0's reading of one pod's arguments: (local DP size, the DP ranks this pod runs).
    create_engine_config: with --nnodes > 1 the world (DP x TP x PP) must divide by nnodes, the
    pod's first rank is node_rank x (world / nnodes) // (TP x PP) and, in internal load-balancing
    mode, its local size (world / nnodes) // (TP x PP); with one node every rank is local."""
    within = ns.tensor_parallel_size * ns.pipeline_parallel_size
    world = (ns.data_parallel_size or 1) * within
    if pods == 1:
        return world // within, range(0, world // within)
    assert ns.nnodes == pods and world % ns.nnodes == 0, "vLLM: --nnodes must evenly divide the world size"
    assert 0 <= node_rank < ns.nnodes
    local = max((world // ns.nnodes) // within, 1)
    first = (node_rank * (world // ns.nnodes)) // within
    return local, range(first, first + local)


def check_parallel_rules(ns) -> None:
    """ParallelConfig's checks that concern what the chart renders."""
    if ns.enable_eplb:
        assert ns.enable_expert_parallel, "enable_expert_parallel must be True to use EPLB"
    if ns.eplb_config:
        config = json.loads(ns.eplb_config)
        assert set(config) <= {"window_size", "step_interval", "num_redundant_experts", "log_balancedness",
                               "log_balancedness_interval", "use_async", "policy", "communicator"}
        assert config.get("num_redundant_experts", 0) == 0 or ns.enable_eplb


def test_one_node_runs_every_rank_behind_one_api_server():
    (deployment,) = [d for d in find(rendered(ONE_NODE), "Deployment") if d["metadata"]["name"] == "r1-vllm"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    ns = parse(container, {})
    check_parallel_rules(ns)
    assert (ns.tensor_parallel_size, ns.pipeline_parallel_size, ns.data_parallel_size) == (1, 1, 8)
    assert ns.enable_expert_parallel and ns.nnodes is None and not ns.headless
    local, ranks = vllm_layout(ns, 1, 0)
    assert local == 8 == container["resources"]["limits"]["nvidia.com/gpu"] and list(ranks) == list(range(8))
    # max-num-seqs is per rank: the values file's header counts the ranks' caches together
    assert "x 8 data-parallel ranks" in ONE_NODE.read_text()
    # the plan's batch, through vLLM's own flag: every rank's batch reaches the experts in its profile run
    assert ns.max_num_batched_tokens == 2048


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_wide_expert_parallelism_across_two_nodes(version: str):
    result = validated(TWO_NODES, version)
    assert result.ok, result.errors
    leader, worker = templates(lws(result.documents))
    covered: list[int] = []
    for template, index in ((leader, 0), (worker, 1)):
        container = server(template)
        ns = parse(container, {**LWS_ENV, "LWS_WORKER_INDEX": str(index)})
        check_parallel_rules(ns)
        assert ns.data_parallel_size == 16 and ns.enable_expert_parallel and ns.headless == (index > 0)
        assert ns.max_num_batched_tokens == 2048
        local, ranks = vllm_layout(ns, 2, ns.node_rank)
        assert local == container["resources"]["limits"]["nvidia.com/gpu"] == 8
        covered += ranks
        # the experts' all-to-all crosses the nodes over RDMA: the devices and IPC_LOCK are there
        assert "rdma/rdma_shared_device_a" in container["resources"]["limits"]
        assert "IPC_LOCK" in container["securityContext"]["capabilities"]["add"]
    assert sorted(covered) == list(range(16)), "the pods run every rank once"


def test_eplb_and_all2all_render_as_the_flags_vllm_accepts(tmp_path: Path):
    docs = render_with(ONE_NODE, {"vllm": {"engine": {"enableEplb": True, "numRedundantExperts": 8,
                                                       "all2allBackend": "deepep_high_throughput"}}}, tmp_path)
    (deployment,) = [d for d in find(docs, "Deployment") if d["metadata"]["name"] == "r1-vllm"]
    ns = parse(deployment["spec"]["template"]["spec"]["containers"][0], {})
    check_parallel_rules(ns)
    assert ns.enable_eplb and json.loads(ns.eplb_config) == {"num_redundant_experts": 8}
    assert ns.all2all_backend == "deepep_high_throughput"


@pytest.mark.parametrize(("overlay", "expected"), [
    ({"enableEplb": True, "enableExpertParallel": False},
     "vllm.engine.enableEplb needs vllm.engine.enableExpertParallel"),
    ({"numRedundantExperts": 8}, "vllm.engine.numRedundantExperts 8 needs vllm.engine.enableEplb"),
    ({"dataParallelSize": 4}, "vllm.engine.dataParallelSize (4) = 4 GPUs, but vllm.gpu.count is 8"),
], ids=["eplb-without-ep", "redundant-without-eplb", "ranks-not-gpus"])
def test_inconsistent_data_parallel_values_are_refused(overlay: dict, expected: str, tmp_path: Path):
    with pytest.raises(validation.RenderError) as excinfo:
        render_with(ONE_NODE, {"vllm": {"engine": overlay}}, tmp_path)
    assert expected in str(excinfo.value)


def test_deepep_across_nodes_needs_rdma(tmp_path: Path):
    with pytest.raises(validation.RenderError) as excinfo:
        render_with(TWO_NODES, {"vllm": {"rdma": {"enabled": False},
                                         "engine": {"all2allBackend": "deepep_low_latency"}}}, tmp_path)
    assert "vllm.engine.all2allBackend deepep_low_latency across vllm.nodes 2 needs GPUDirect RDMA" in \
        str(excinfo.value)


def test_redundant_experts_count_in_the_fit(tmp_path: Path):
    """EPLB's redundant experts take memory on every GPU: on 8 x H200 with data parallel 8, 256
    redundant copies double the experts' 76 GiB per GPU, which no longer fits."""
    with pytest.raises(validation.RenderError) as excinfo:
        render_with(ONE_NODE, {"vllm": {"engine": {"enableEplb": True, "numRedundantExperts": 256}}}, tmp_path)
    assert "vllm.model.name deepseek-ai/DeepSeek-R1" in str(excinfo.value)
    assert "x data 8" in str(excinfo.value)


def test_engines_without_data_parallelism_say_so():
    """AIBrix's vLLM 0.7.3 has no data parallelism, and Ray Serve LLM's is planned across nodes only
    with RDMA: their MoE plans say why and stay tensor (x pipeline) parallel; a kuberay plan on one
    node has the layout and no such note; a dense model's plan says nothing of it."""
    from generator.model import Hardware, Request
    from generator.planner import plan

    aibrix = plan(Hardware("H20-96GB", 8, 2, rdma=True), Request("deepseek-r1"))
    assert aibrix.profile.engine == "aibrix" and aibrix.profile.data_parallel == 1
    assert any("AIBrix's vLLM 0.7.3 has no data parallelism" in n for n in aibrix.notes)
    ray = plan(Hardware("H100-80GB", 8, 2), Request("deepseek-r1"))
    assert ray.profile.engine == "kuberay" and ray.profile.data_parallel == 1
    assert any("build_dp_openai_app" in n and "RDMA" in n for n in ray.notes)
    one_node = plan(Hardware("H200-141GB", 8), Request("deepseek-r1", engine="kuberay"))
    assert one_node.profile.data_parallel == 8 and not any(n.startswith("layouts:") for n in one_node.notes)
    dense = plan(Hardware("H100-80GB", 8, 2), Request("deepseek-r1-distill-llama-70b", engine="kuberay"))
    assert not any(n.startswith("layouts:") for n in dense.notes)


ROUTED = ROOT / "tests" / "values-valid" / "routing-vllm-data-parallel.yaml"


def test_prefix_cache_routing_addresses_each_rank():
    """With global.routing.strategy prefixCache the ranks serve an API each (vLLM v0.31.0's multi-port
    external load balancing), and the InferencePool lists every rank's port, so the endpoint picker
    chooses the rank by its prefix cache. dp_supervisor.validate_multi_port_external_lb_args: more
    than one rank, a local size of 2 or more dividing the size, ranks within the size, the
    supervisor's port outside the ranks' ports; the supervisor's /health answers once all do."""
    docs = rendered(ROUTED)
    (deployment,) = [d for d in find(docs, "Deployment") if d["metadata"]["name"] == "r1-vllm"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    ns = parse(container, {})
    assert ns.data_parallel_multi_port_external_lb and ns.data_parallel_size == ns.data_parallel_size_local == 8
    assert ns.data_parallel_size % ns.data_parallel_size_local == 0
    rank_ports = [ns.port + rank for rank in range(ns.data_parallel_size_local)]
    assert ns.data_parallel_supervisor_port not in rank_ports
    (pool,) = find(docs, "InferencePool")
    assert [p["number"] for p in pool["spec"]["targetPorts"]] == rank_ports
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert sorted(ports.values()) == sorted([*rank_ports, ns.data_parallel_supervisor_port])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert ports[container[probe]["httpGet"]["port"]] == ns.data_parallel_supervisor_port
    # without the switch, one API server balances the ranks itself: one endpoint
    plain = [d for d in find(rendered(ONE_NODE), "Deployment") if d["metadata"]["name"] == "r1-vllm"][0]
    assert not parse(plain["spec"]["template"]["spec"]["containers"][0], {}).data_parallel_multi_port_external_lb


def test_prefix_cache_routing_of_one_data_parallel_replica_is_not_refused_as_single(tmp_path: Path):
    """One replica of 8 ranks gives the router 8 endpoints; one replica without ranks is refused."""
    assert rendered(ROUTED)
    with pytest.raises(validation.RenderError) as excinfo:
        render_with(ROUTED, {"vllm": {"engine": {"dataParallelSize": 1, "tensorParallelSize": 8,
                                                 "maxNumSeqs": 40}}}, tmp_path)
    assert "vllm runs at most 1 replica" in str(excinfo.value)


@pytest.mark.parametrize(("overlay", "expected"), [
    # arg_utils.create_engine_config: "Non-MoE models do not support external data parallel mode"
    ({"vllm": {"model": {"name": "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"},
               "engine": {"enableExpertParallel": False}}},
     "deepseek-ai/DeepSeek-R1-Distill-Llama-8B is a dense model"),
    # fused_moe/layer.py: "EPLB currently only supports even distribution" of experts over EP ranks
    ({"vllm": {"engine": {"enableEplb": True, "numRedundantExperts": 5}}},
     "vllm.engine.numRedundantExperts 5: the 256 routed experts and 5 redundant ones do not divide over the 8 GPUs"),
], ids=["dense-external-dp", "eplb-uneven"])
def test_values_vllm_refuses_for_data_parallel_ranks(overlay: dict, expected: str, tmp_path: Path):
    with pytest.raises(validation.RenderError) as excinfo:
        render_with(ROUTED, overlay, tmp_path)
    assert expected in str(excinfo.value)


def test_eplb_over_one_gpu_is_refused(tmp_path: Path):
    """config/parallel.py: EPLB needs more than one GPU of tensor x data parallelism."""
    with pytest.raises(validation.RenderError) as excinfo:
        render_with(ROOT / "values" / "h200-141gb-x8.yaml",
                    {"vllm": {"engine": {"enableEplb": True, "dataParallelSize": 1}, "gpu": {"count": 1}}}, tmp_path)
    assert "vllm.engine.tensorParallelSize x dataParallelSize is 1" in str(excinfo.value)


def test_uneven_experts_count_the_fullest_gpu():
    """Twelve ranks do not divide 256 experts: vLLM gives the first four 22 and the others 21, and the
    fit counts the fullest GPU's 22 (of 256) of the experts."""
    from generator import catalog

    ckpt = catalog.MODELS["deepseek-r1"].checkpoint("fp8")
    per_gpu = catalog.weights_per_gpu(ckpt, 1, 1, 12, 0, 256)
    assert float(per_gpu) == pytest.approx(ckpt.shared_gib + ckpt.experts_gib * 22 / 256)
    even = catalog.weights_per_gpu(ckpt, 1, 1, 8, 0, 256)
    assert float(even) == pytest.approx(ckpt.shared_gib + ckpt.experts_gib / 8)
