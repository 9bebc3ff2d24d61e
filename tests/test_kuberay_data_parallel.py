"""KubeRay: Ray Serve LLM's data-parallel attention (Ray 2.52's ray.serve.llm:build_dp_openai_app).

The rendered serveConfigV2 is checked against tests/data/ray-serve-dp.yaml (the builder's args, the
fields of LLMConfig, what the data-parallel deployment requires and refuses, the engine arguments of
Ray 2.52's vLLM 0.11.0, with their sources), and, where a Python with ray 2.52.0 is at hand
(LLM_SERVING_RAY_PYTHON), against Ray's own classes by tests/ray_serve_check.py. The refusals of
inconsistent values are in tests/values-invalid/kuberay-dp-*.yaml.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import validation
from generator.build import ROOT

from .conftest import ALL_FILES, HELM_VERSIONS, find, render_with, rendered

DP = ROOT / "tests" / "values-valid" / "kuberay-data-parallel.yaml"
DP_RDMA = ROOT / "tests" / "values-valid" / "kuberay-data-parallel-rdma.yaml"
RAY_DP = yaml.safe_load((ROOT / "tests" / "data" / "ray-serve-dp.yaml").read_text())
RAY_ROUTER = yaml.safe_load((ROOT / "tests" / "data" / "ray-serve-router.yaml").read_text())
ENGINE_ARGS = set(RAY_DP["engineKwargs"]["asyncEngineArgs"]) | set(RAY_DP["engineKwargs"]["frontendArgs"])


def application(docs: list[dict]) -> tuple[dict, dict]:
    (service,) = find(docs, "RayService")
    (app,) = yaml.safe_load(service["spec"]["serveConfigV2"])["applications"]
    return service, app


def dp_app_errors(service: dict, app: dict) -> list[str]:
    """What Ray 2.52 would refuse in a data-parallel application (tests/data/ray-serve-dp.yaml), and
    whether the ranks fill the RayService's workers the way Ray's rank assigner places them."""
    errors: list[str] = []

    def unknown(node: dict, allowed: list[str], where: str) -> None:
        errors.extend(f"{where}.{k}: not a field of Ray {RAY_DP['ray']}" for k in node if k not in allowed)

    def missing(node: dict, required: list[str], where: str) -> None:
        errors.extend(f"{where}.{k}: required by Ray {RAY_DP['ray']}" for k in required if k not in node)

    if app.get("import_path") != RAY_DP["importPath"]:
        return [f"import_path {app.get('import_path')}, not {RAY_DP['importPath']}"]
    args = app["args"]
    unknown(args, RAY_DP["args"]["fields"], "args")
    missing(args, RAY_DP["args"]["required"], "args")
    config = args.get("llm_config")
    if not isinstance(config, dict):
        return errors + ["args.llm_config: one LLMConfig (a mapping)"]
    unknown(config, RAY_DP["llmConfig"]["fields"], "llm_config")
    missing(config, RAY_DP["llmConfig"]["required"], "llm_config")
    unknown(config.get("model_loading_config", {}), RAY_DP["modelLoadingConfig"], "model_loading_config")
    deployment = config.get("deployment_config", {})
    unknown(deployment, RAY_DP["deploymentConfig"]["fields"], "deployment_config")
    errors.extend(f"deployment_config.{k}: refused by Ray's data-parallel deployment" for k in deployment
                  if k in RAY_DP["deploymentConfig"]["refusedWithDataParallel"] + RAY_DP["deploymentConfig"]["refused"])
    kwargs = config.get("engine_kwargs", {})
    errors.extend(f"engine_kwargs.{k}: not an engine argument of vLLM {RAY_DP['engineKwargs']['vllm']}"
                  for k in kwargs if k not in ENGINE_ARGS)
    errors.extend(f"engine_kwargs.{k}: Ray sets it" for k in kwargs
                  if k in RAY_DP["engineKwargs"]["refused"] + RAY_DP["engineKwargs"]["setPerRank"])
    experimental = config.get("experimental_configs", {})
    missing(experimental, RAY_DP["experimentalConfigs"]["required"], "experimental_configs")
    env = config.get("runtime_env", {}).get("env_vars", {})
    backend = env.get(RAY_DP["engineKwargs"]["all2allBackendEnv"])
    if backend is not None and backend not in RAY_DP["engineKwargs"]["all2allBackends"]:
        errors.append(f"runtime_env.env_vars.{RAY_DP['engineKwargs']['all2allBackendEnv']} {backend}: not a choice "
                      f"of vLLM {RAY_DP['engineKwargs']['vllm']}")
    placement = config.get("placement_group_config", {})
    unknown(placement, RAY_DP["placementGroupConfig"]["fields"], "placement_group_config")
    if placement.get("strategy") != RAY_DP["placementGroupConfig"]["dataParallelStrategy"]:
        errors.append(f"placement_group_config.strategy {placement.get('strategy')}: each rank is packed on one node")
    dp = kwargs.get("data_parallel_size", 1)
    within = kwargs.get("tensor_parallel_size", 1) * kwargs.get("pipeline_parallel_size", 1)
    if [b.get("GPU") for b in placement.get("bundles", [])] != [1] * within:
        errors.append(f"placement_group_config.bundles: one GPU for each of the rank's {within} GPUs")
    per_node = experimental.get("dp_size_per_node")
    if not isinstance(dp, int) or dp < 2:
        errors.append(f"engine_kwargs.data_parallel_size {dp}: the data-parallel application needs 2 or more")
    # _DPRankAssigner: node k gets ranks k x per_node ... and no more; every worker node must hold that many
    workers = service["spec"]["rayClusterConfig"]["workerGroupSpecs"]
    gpus = [g["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"]
            for g in workers for _ in range(g["replicas"])]
    if not isinstance(per_node, int) or per_node < 1 or dp % per_node:
        errors.append(f"experimental_configs.dp_size_per_node {per_node}: must divide data_parallel_size {dp}")
    elif any(n != per_node * within for n in gpus) or len(gpus) != dp // per_node:
        errors.append(f"workers of {gpus} GPUs do not hold {dp // per_node} nodes of {per_node} ranks x {within} GPUs")
    return errors


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_the_dp_app_is_what_ray_2_52_builds(version: str):
    service, app = application(rendered(DP, version))
    assert dp_app_errors(service, app) == []
    config = app["args"]["llm_config"]
    assert config["engine_kwargs"]["data_parallel_size"] == 8 and config["engine_kwargs"]["enable_expert_parallel"]
    assert config["experimental_configs"] == {"dp_size_per_node": 8}
    assert "autoscaling_config" not in config["deployment_config"]
    assert config["runtime_env"]["env_vars"]["VLLM_ALL2ALL_BACKEND"] == "allgather_reducescatter"


def test_planned_values_render_the_dp_app(tmp_path: Path):
    """`llm-serving plan --engine kuberay` on 8 x H200 writes values for the DP application, experts spread."""
    from generator import cli

    out = tmp_path / "planned.yaml"
    assert cli.main(["plan", "--gpu", "H200-141GB", "--gpus-per-node", "8", "--model", "deepseek-r1",
                     "--engine", "kuberay", "-o", str(out)]) == 0
    service, app = application(rendered(out))
    assert dp_app_errors(service, app) == []
    kwargs = app["args"]["llm_config"]["engine_kwargs"]
    assert (kwargs["data_parallel_size"], kwargs["tensor_parallel_size"]) == (8, 1)
    assert kwargs["enable_expert_parallel"] is True
    planned = yaml.safe_load(out.read_text())["kuberay"]["serve"]["llmConfigs"][0]["engineKwargs"]
    variant = yaml.safe_load(DP.read_text())["kuberay"]["serve"]["llmConfigs"][0]["engineKwargs"]
    assert planned == variant, "tests/values-valid/kuberay-data-parallel.yaml is the planned layout"
    # two RDMA nodes: 16 ranks, RDMA on (tests/values-valid/kuberay-data-parallel-rdma.yaml)
    assert cli.main(["plan", "--gpu", "H200-141GB", "--gpus-per-node", "8", "--nodes", "2", "--rdma",
                     "--model", "deepseek-r1", "--engine", "kuberay", "-o", str(out)]) == 0
    planned = yaml.safe_load(out.read_text())["kuberay"]
    variant = yaml.safe_load(DP_RDMA.read_text())["kuberay"]
    assert planned["serve"]["llmConfigs"][0]["engineKwargs"] == variant["serve"]["llmConfigs"][0]["engineKwargs"]
    assert planned["rdma"] == variant["rdma"] == {"enabled": True}
    assert (planned["workerGroups"][0]["replicas"], planned["workerGroups"][0]["gpus"]) == (2, 8)


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_across_rdma_nodes_the_workers_request_rdma(version: str):
    """16 ranks on two workers of 8 GPUs: node pack placement of 8 ranks per worker; the experts'
    all-to-all crosses the nodes, so the workers request the RDMA devices, configure NCCL for them and
    add IPC_LOCK as root (the image's user is ray, uid 1000, which would not get the capability)."""
    service, app = application(rendered(DP_RDMA, version))
    assert dp_app_errors(service, app) == []
    config = app["args"]["llm_config"]
    assert config["engine_kwargs"]["data_parallel_size"] == 16
    assert config["experimental_configs"]["dp_size_per_node"] == 8
    (group,) = service["spec"]["rayClusterConfig"]["workerGroupSpecs"]
    (worker,) = group["template"]["spec"]["containers"]
    assert group["replicas"] == 2 and worker["resources"]["limits"]["rdma/rdma_shared_device_a"] == "8"
    assert worker["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]
    assert worker["securityContext"]["runAsUser"] == 0
    assert "runAsNonRoot" not in group["template"]["spec"]["securityContext"]
    assert {"name": "NCCL_IB_DISABLE", "value": "0"} in worker["env"]
    head = service["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]
    assert head["securityContext"]["runAsNonRoot"] is True
    assert "add" not in head["containers"][0]["securityContext"]["capabilities"]
    # without RDMA the workers stay as they were: no devices, no capability, the image's user
    service, _ = application(rendered(DP, version))
    (group,) = service["spec"]["rayClusterConfig"]["workerGroupSpecs"]
    (worker,) = group["template"]["spec"]["containers"]
    assert "add" not in worker["securityContext"]["capabilities"] and "runAsUser" not in worker["securityContext"]
    assert group["template"]["spec"]["securityContext"]["runAsUser"] == 1000


def test_the_check_fails_what_ray_refuses():
    """dp_app_errors against the refusals Ray 2.52's source states (tests/data/ray-serve-dp.yaml)."""
    service, app = application(rendered(DP))

    def broken(change: Any) -> list[str]:
        copy = json.loads(json.dumps(app))
        change(copy["args"], copy["args"]["llm_config"])
        return dp_app_errors(service, copy)

    assert broken(lambda a, c: a.update(llm_configs=[a.pop("llm_config")]))
    assert broken(lambda a, c: c["deployment_config"].update(autoscaling_config={"max_replicas": 2}))
    assert broken(lambda a, c: c["deployment_config"].update(num_replicas=8))
    assert broken(lambda a, c: c.pop("experimental_configs"))
    assert broken(lambda a, c: c["experimental_configs"].update(dp_size_per_node=3))
    assert broken(lambda a, c: c["experimental_configs"].update(dp_size_per_node=4))  # 8 ranks on one node of 8
    assert broken(lambda a, c: c["engine_kwargs"].update(all2all_backend="deepep_low_latency"))  # vLLM 0.11: env only
    assert broken(lambda a, c: c["engine_kwargs"].update(data_parallel_rank=0))
    assert broken(lambda a, c: c["placement_group_config"].update(strategy="PACK"))
    assert broken(lambda a, c: c["runtime_env"]["env_vars"].update(VLLM_ALL2ALL_BACKEND="deepep_v2"))


def test_every_rendered_ray_config_passes_vllm_0_11_arguments():
    """Ray refuses an engine_kwargs key that is no field of vLLM's AsyncEngineArgs or FrontendArgs; the
    kuberay profiles and variants (the plain application as well) render only known ones."""
    files = [f for f in ALL_FILES
             if (yaml.safe_load(f.read_text()) or {}).get("kuberay", {}).get("enabled")]
    assert DP in files and ROOT / "values" / "h100-80gb-2x8.yaml" in files
    for path in files:
        _, app = application(rendered(path))
        configs = [app["args"]["llm_config"]] if "llm_config" in app["args"] else app["args"]["llm_configs"]
        for config in configs:
            assert set(config["engine_kwargs"]) <= ENGINE_ARGS, (path.name, set(config["engine_kwargs"]) - ENGINE_ARGS)


def test_without_data_parallelism_the_plain_application_stays():
    _, app = application(rendered(ROOT / "values" / "h100-80gb-2x8.yaml"))
    assert app["import_path"] == "ray.serve.llm:build_openai_app"
    (config,) = app["args"]["llm_configs"]
    assert "data_parallel_size" not in config["engine_kwargs"] and "experimental_configs" not in config
    assert "placement_group_config" not in config and "autoscaling_config" in config["deployment_config"]


def test_the_ranks_count_in_the_gpus_and_the_fit(tmp_path: Path):
    values = yaml.safe_load(DP.read_text())["kuberay"]
    four = [{**values["workerGroups"][0], "gpus": 4}]
    with pytest.raises(validation.RenderError) as excinfo:
        render_with(DP, {"kuberay": {"workerGroups": four}}, tmp_path, crds=True)
    assert "tensorParallelSize 1 x pipelineParallelSize 1 x dataParallelSize 8 x maxReplicas 1" in str(excinfo.value)
    # data parallel 4 on 4 H200s: 33 GiB + 609 / 4 GiB of weights per GPU do not fit
    config = values["serve"]["llmConfigs"][0]
    config["engineKwargs"]["dataParallelSize"] = 4
    with pytest.raises(validation.RenderError) as excinfo:
        render_with(DP, {"kuberay": {"serve": {"llmConfigs": [config]}, "workerGroups": four}}, tmp_path,
                    crds=True)
    assert "kuberay.serve.llmConfigs[0].modelSource deepseek-ai/DeepSeek-R1" in str(excinfo.value)
    assert "over tensor 1 x pipeline 1 x data 4" in str(excinfo.value)


def test_prefix_cache_routing_chooses_between_the_ranks(tmp_path: Path):
    """Each rank is a Serve replica of the DP deployment with its own engine and prefix cache: the
    prefix-aware router (request_router_config of the deployment) picks the rank; 8 ranks are not
    refused as a single replica."""
    docs = render_with(DP, {"global": {"routing": {"strategy": "prefixCache"}}}, tmp_path, crds=True)
    service, app = application(docs)
    assert dp_app_errors(service, app) == []
    router = app["args"]["llm_config"]["deployment_config"]["request_router_config"]
    assert router["request_router_class"] == RAY_ROUTER["routerClass"]
    assert set(router) <= set(RAY_ROUTER["requestRouterConfig"])


@functools.cache
def ray_python() -> str:
    """A Python with ray 2.52.0: LLM_SERVING_RAY_PYTHON, else this one; skip with the reason when there is none."""
    python = os.environ.get("LLM_SERVING_RAY_PYTHON", sys.executable)
    probe = subprocess.run([python, "-c", "import ray, ray.serve; print(ray.__version__)"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        if "LLM_SERVING_RAY_PYTHON" in os.environ:  # `make test` installs it (.tools/ray): required there
            pytest.fail(f"LLM_SERVING_RAY_PYTHON={python} cannot import ray: {probe.stderr.strip()[-300:]}")
        pytest.skip(f"ray is not importable by {python}: set LLM_SERVING_RAY_PYTHON to a Python with "
                    f"ray[serve]=={RAY_DP['ray']} and pyarrow (no vLLM needed; `make test` installs them in "
                    ".tools/ray) to check against Ray's own classes; tests/data/ray-serve-dp.yaml is checked "
                    "without it")
    if probe.stdout.strip() != RAY_DP["ray"]:
        pytest.skip(f"{python} has ray {probe.stdout.strip()}, the chart renders for ray {RAY_DP['ray']}")
    return python


@pytest.mark.parametrize(("values", "routing"), [(DP, "service"), (DP, "prefixCache"), (DP_RDMA, "service")],
                         ids=["one-node", "one-node-prefix-cache", "two-rdma-nodes"])
def test_ray_2_52_validates_the_dp_app(values: Path, routing: str, tmp_path: Path):
    python = ray_python()
    docs = rendered(values) if routing == "service" else \
        render_with(values, {"global": {"routing": {"strategy": routing}}}, tmp_path, crds=True)
    _, app = application(docs)
    assert ("request_router_config" in app["args"]["llm_config"]["deployment_config"]) == (routing == "prefixCache")
    result = subprocess.run([python, str(ROOT / "tests" / "ray_serve_check.py"),
                             str(ROOT / "tests" / "data" / "ray-serve-dp.yaml")],
                            input=json.dumps({"applications": [app]}), capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
