"""KubeRay RayService: the 2 x 8 H100 profile against KubeRay's DeepSeek-R1 sample, and the
operator check."""

from __future__ import annotations

import pytest
import yaml

from generator import validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, find, helm, rendered, secret_file
from .sample_compare import differences

PROFILE = ROOT / "values" / "h100-80gb-2x8.yaml"
SAMPLE = ROOT / "tests" / "data" / "upstream" / "samples" / "kuberay" / "ray-service.deepseek.yaml"

# Differences we make on purpose; every other difference fails the test.
DELIBERATE = {
    # Objects are named after the release ("<release>-kuberay"), as in every chart.
    "metadata.name",
}


def test_differences_are_named():
    sample = {"spec": {"a": "1", "ports": [{"name": "x", "containerPort": 1}],
                       "tolerations": [{"key": "k"}], "serveConfigV2": "x: 1\n"}}
    render = {"spec": {"a": 1, "ports": [{"name": "x", "containerPort": 2}], "tolerations": [],
                       "serveConfigV2": "x: 2\n"}}
    found = differences(sample, render)
    assert any(d.startswith("spec.ports[name=x].containerPort") for d in found)
    assert any(d.startswith("spec.tolerations[0]") for d in found)
    assert any(d.startswith("spec.serveConfigV2(yaml).x") for d in found)
    assert not any(d.startswith("spec.a") for d in found)


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_profile_matches_upstream_sample(version: str):
    sample = yaml.safe_load(SAMPLE.read_text())
    (service,) = find(rendered(PROFILE, version), "RayService")
    found = [d for d in differences(sample, service)
             if d.split(":", 1)[0] not in DELIBERATE]
    assert not found, "render differs from ray-service.deepseek.yaml:\n" + "\n".join(found)


def test_serve_config_is_built_from_values():
    values = yaml.safe_load(PROFILE.read_text())["kuberay"]
    (service,) = find(rendered(PROFILE), "RayService")
    serve = yaml.safe_load(service["spec"]["serveConfigV2"])
    (app,) = serve["applications"]
    assert app["import_path"] == "ray.serve.llm:build_openai_app"
    (config,) = app["args"]["llm_configs"]
    kwargs = values["serve"]["llmConfigs"][0]["engineKwargs"]
    assert config["engine_kwargs"]["tensor_parallel_size"] == kwargs["tensorParallelSize"] == 8
    assert config["engine_kwargs"]["pipeline_parallel_size"] == kwargs["pipelineParallelSize"] == 2
    workers = service["spec"]["rayClusterConfig"]["workerGroupSpecs"]
    gpus = sum(g["replicas"] * g["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"]
               for g in workers)
    assert gpus == 16
    for group in workers:
        assert group["minReplicas"] == group["maxReplicas"] == group["replicas"]
        shm = next(v for v in group["template"]["spec"]["volumes"] if v["name"] == "dshm")
        assert shm["emptyDir"]["medium"] == "Memory"


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_missing_operator_is_a_clear_install_error(version: str):
    with pytest.raises(validation.RenderError) as excinfo:
        validation.helm_template(helm(version), PROFILE, crds=False)
    message = str(excinfo.value)
    assert "ray.io/v1/RayService" in message and "KubeRay operator" in message
    assert "--api-versions ray.io/v1/RayService" in message
    # ...and --api-versions is the documented bypass for helm template.
    docs = validation.helm_template(helm(version), PROFILE, crds=False,
                                    extra=("--api-versions", "ray.io/v1/RayService"))
    assert find(docs, "RayService")


def test_autoscaling_monitoring_variant():
    docs = rendered(ROOT / "tests/values-valid/kuberay-autoscaling-monitoring.yaml")
    (service,) = find(docs, "RayService")
    spec = service["spec"]
    assert spec["upgradeStrategy"]["type"] == "NewCluster"
    assert spec["rayClusterConfig"]["enableInTreeAutoscaling"] is True
    (group,) = spec["rayClusterConfig"]["workerGroupSpecs"]
    assert (group["minReplicas"], group["replicas"], group["maxReplicas"]) == (1, 1, 2)
    pod = group["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False  # only the head's autoscaler sidecar needs it
    head = spec["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]
    assert "automountServiceAccountToken" not in head
    assert secret_file(pod, pod["containers"][0], "HF_TOKEN_PATH")["secretName"] == "hf-token"
    cache = next(v for v in pod["volumes"] if v["name"] == "cache")
    assert cache["persistentVolumeClaim"]["claimName"] == "r1-kuberay-cache"
    (pvc,) = find(docs, "PersistentVolumeClaim")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    serve = yaml.safe_load(spec["serveConfigV2"])["applications"][0]["args"]["llm_configs"][0]
    assert serve["engine_kwargs"]["kv_cache_dtype"] == "fp8"
    assert serve["accelerator_type"] == "L4"
    (monitor,) = find(docs, "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    (route,) = find(docs, "HTTPRoute")
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "r1-kuberay-serve-svc", "port": 8000}]
    (metrics,) = [s for s in find(docs, "Service") if s["metadata"]["name"].endswith("-metrics")]
    assert metrics["spec"]["clusterIP"] == "None"


def test_ray_pods_run_as_the_image_user():
    (service,) = find(rendered(PROFILE), "RayService")
    cluster = service["spec"]["rayClusterConfig"]
    for template in [cluster["headGroupSpec"]["template"], *(g["template"] for g in cluster["workerGroupSpecs"])]:
        context = template["spec"]["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] == 1000


def test_head_has_a_writable_hf_home():
    """HF_HOME is set on every Ray pod; the head (uid 1000, no weights) gets an emptyDir there."""
    (service,) = find(rendered(PROFILE), "RayService")
    head = service["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]
    container = head["containers"][0]
    home = next(e["value"] for e in container["env"] if e["name"] == "HF_HOME")
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == home)
    volume = next(v for v in head["volumes"] if v["name"] == mount["name"])
    assert "emptyDir" in volume and not mount.get("readOnly")
