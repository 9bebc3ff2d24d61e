"""Check a rendered serveConfigV2 of Ray Serve LLM's data-parallel application against Ray's own
classes, and tests/data/ray-serve-dp.yaml against the same classes. Run by a Python that has ray
2.52.0 (ray[serve], without vLLM): tests/test_kuberay_data_parallel.py starts it with the serve
config as JSON on stdin and the data file's path as its argument; it prints "ok" or fails.

`ray.serve.llm` and the modules defining DPOpenAiServingArgs, IngressClsConfig and
PlacementGroupConfig import vLLM at their top, so those classes are taken from the installed Ray's
source files (their class statements, executed as they are) next to the imports they need; LLMConfig,
ServeDeploySchema, DeploymentConfig and the rank assigner are imported from Ray, and the prefix-aware
router (public in ray.serve.llm, which imports vLLM) from the module that defines it."""

from __future__ import annotations

import ast
import inspect
import json
import sys
import typing
from pathlib import Path

import pydantic
import ray
import yaml
from ray.llm._internal.common.base_pydantic import BaseModelExtended
from ray.llm._internal.common.utils.import_utils import load_class
from ray.llm._internal.serve.core.configs.llm_config import LLMConfig
from ray.llm._internal.serve.serving_patterns.data_parallel.dp_rank_assigner import _DPRankAssigner
from ray.serve._private.config import DeploymentConfig
from ray.serve.schema import ServeDeploySchema

RAY = Path(ray.__file__).parent
PUBLIC_ROUTER = "ray.serve.llm.request_router:PrefixCacheAffinityRouter"
INTERNAL_ROUTER = "ray.llm._internal.serve.routing_policies.prefix_aware.prefix_aware_router:PrefixCacheAffinityRouter"
SERVE = RAY / "llm" / "_internal" / "serve"


def ray_classes(path: Path, names: list[str], namespace: dict) -> dict:
    """Execute the class statements `names` of Ray's source file `path` in `namespace`."""
    tree = ast.parse(path.read_text())
    found = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name in names]
    assert [n.name for n in found] == names, f"{path}: classes {names} not found as expected"
    exec(compile(ast.Module(body=found, type_ignores=[]), str(path), "exec"), namespace)
    for name in names:
        namespace[name].model_rebuild(_types_namespace=namespace)
    return namespace


def main() -> None:
    data = yaml.safe_load(Path(sys.argv[1]).read_text())
    serve = json.load(sys.stdin)
    assert ray.__version__ == data["ray"], f"ray {ray.__version__}, the data file is for {data['ray']}"
    ServeDeploySchema(**serve)
    (app,) = serve["applications"]
    module, attr = app["import_path"].split(":")
    assert (module, attr) == ("ray.serve.llm", "build_dp_openai_app"), app["import_path"]
    assert f"def {attr}(" in (RAY / "serve" / "llm" / "__init__.py").read_text()

    names = {**vars(typing), "BaseModelExtended": BaseModelExtended, "Field": pydantic.Field,
             "field_validator": pydantic.field_validator, "model_validator": pydantic.model_validator,
             "LLMConfig": LLMConfig, "load_class": load_class, "OpenAiIngress": type("OpenAiIngress", (), {})}
    ray_classes(SERVE / "core" / "ingress" / "builder.py", ["IngressClsConfig"], names)
    ray_classes(SERVE / "serving_patterns" / "data_parallel" / "builder.py", ["DPOpenAiServingArgs"], names)
    ray_classes(SERVE / "engines" / "vllm" / "vllm_models.py", ["BundleConfig", "PlacementGroupConfig"], names)
    # ray.serve.llm.request_router (the class the chart names for prefixCache routing) imports vLLM
    # through ray.serve.llm: DeploymentConfig imports the same router from its defining module instead
    deployment = app["args"]["llm_config"].get("deployment_config", {})
    router = deployment.get("request_router_config")
    if router:
        assert router["request_router_class"] == PUBLIC_ROUTER, router
        public = (RAY / "serve" / "llm" / "request_router.py").read_text()
        assert "class PrefixCacheAffinityRouter(_PrefixCacheAffinityRouter):" in public
        deployment["request_router_config"] = {**router, "request_router_class": INTERNAL_ROUTER}
    args = names["DPOpenAiServingArgs"].model_validate(app["args"])
    llm = args.llm_config
    assert isinstance(llm, LLMConfig)

    # build_dp_deployment and the rank assigner it binds
    dp_size = llm.engine_kwargs.get("data_parallel_size", 1)
    per_node = llm.experimental_configs.get("dp_size_per_node")
    assert per_node is not None, "dp_size_per_node must be set in experimental_configs for DP deployment."
    _DPRankAssigner.func_or_class(dp_size=dp_size, dp_size_per_node=per_node)
    # DPServer.get_deployment_options (LLMServer's copies deployment_config first)
    assert isinstance(dp_size, int) and dp_size > 1
    assert "num_replicas" not in llm.deployment_config and "autoscaling_config" not in llm.deployment_config
    assert not {"placement_group_bundles", "placement_group_strategy"} & set(llm.deployment_config)
    if router:
        ray_router = DeploymentConfig(**llm.deployment_config).request_router_config
        inspect.signature(ray_router.get_request_router_class().initialize_state).bind(
            None, **router.get("request_router_kwargs", {}))
    placement = names["PlacementGroupConfig"](**llm.placement_group_config)
    assert placement.strategy == "STRICT_PACK"

    # the data file against the same classes
    assert set(names["DPOpenAiServingArgs"].model_fields) == set(data["args"]["fields"])
    assert {k for k, f in names["DPOpenAiServingArgs"].model_fields.items() if f.is_required()} == \
        set(data["args"]["required"])
    assert set(LLMConfig.model_fields) == set(data["llmConfig"]["fields"])
    assert {k for k, f in LLMConfig.model_fields.items() if f.is_required()} == set(data["llmConfig"]["required"])
    assert set(type(llm.model_loading_config).model_fields) == set(data["modelLoadingConfig"])
    doc = " ".join(LLMConfig.model_fields["deployment_config"].description.split())
    assert all(f"`{k}`" in doc for k in data["deploymentConfig"]["fields"])
    assert set(names["PlacementGroupConfig"].model_fields) == set(data["placementGroupConfig"]["fields"])
    assert set(typing.get_args(names["PlacementGroupConfig"].model_fields["strategy"].annotation)) == \
        set(data["placementGroupConfig"]["strategies"])
    print("ok")


if __name__ == "__main__":
    main()
