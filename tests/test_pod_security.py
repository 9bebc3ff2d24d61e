"""Pod security of every rendered pod, including the pod templates inside RayService and
RayClusterFleet: service-account tokens only where the API is used, and `helm test` pods with a
read-only root filesystem that read the API key from a mounted file."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from generator.build import ROOT

from .conftest import ALL_FILES, containers_anywhere, custom_resource_pods, find, pod_specs, rendered
from .test_helm_test_script import Handler, script, server  # noqa: F401 - server is a fixture


def helm_test_pods(docs: list[dict]) -> list[dict]:
    return [d for d in find(docs, "Pod") if d["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_the_pod_walk_reaches_every_container(values_file):
    """conftest.pod_templates, the walk every pod check uses, finds every container the render
    holds, in whatever kind (a kind it missed would go unchecked by all of them)."""
    docs = rendered(values_file)
    templates = pod_specs(docs)
    assert templates, f"{values_file.stem}: no pod found"
    assert sum(containers_anywhere(d) for d in docs) == sum(containers_anywhere(spec) for _, spec, _ in templates)


def test_the_pod_walk_covers_each_workload_kind():
    containers = {"containers": [{"name": "c"}]}
    docs = [{"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": containers}}},
            {"kind": "CronJob", "metadata": {"name": "cj"}, "spec": {"jobTemplate": {"spec": {"template": {
                "metadata": {"labels": {"a": "b"}}, "spec": containers}}}}},
            {"kind": "Pod", "metadata": {"name": "p"}, "spec": containers},
            {"kind": "LeaderWorkerSet", "metadata": {"name": "l"}, "spec": {"leaderWorkerTemplate": {
                "leaderTemplate": {"spec": containers}, "workerTemplate": {"spec": containers}}}}]
    assert [name for name, _, _ in pod_specs(docs)] == ["d", "cj", "p", "LeaderWorkerSet.l.leader",
                                                         "LeaderWorkerSet.l.worker"]


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_token_only_on_the_autoscaling_ray_head(values_file):
    """Only the KubeRay head with in-tree autoscaling (its Ray autoscaler sidecar) gets a token."""
    for name, spec, owner in pod_specs(rendered(values_file)):
        autoscaler = (owner["kind"] == "RayService" and name.endswith(".head")
                      and owner["spec"]["rayClusterConfig"].get("enableInTreeAutoscaling"))
        assert spec.get("automountServiceAccountToken") is (None if autoscaler else False), name


@pytest.mark.parametrize("values_file", [ROOT / "values" / "h20-96gb-2x8-rdma.yaml",
                                         ROOT / "tests" / "values-valid" / "ui-with-aibrix.yaml"], ids=lambda p: p.stem)
def test_aibrix_pods_mount_no_token(values_file):
    (fleet,) = find(rendered(values_file), "RayClusterFleet")
    pods = custom_resource_pods(fleet)
    assert {p["metadata"]["name"].rsplit(".", 1)[1] for p in pods} == {"head", "worker-group"}
    assert all(p["spec"]["automountServiceAccountToken"] is False for p in pods)


def test_kuberay_workers_get_no_token_with_autoscaling():
    (service,) = find(rendered(ROOT / "tests" / "values-valid" / "kuberay-autoscaling-monitoring.yaml"), "RayService")
    cluster = service["spec"]["rayClusterConfig"]
    assert cluster["enableInTreeAutoscaling"] is True
    assert "automountServiceAccountToken" not in cluster["headGroupSpec"]["template"]["spec"]
    assert cluster["workerGroupSpecs"]
    assert all(g["template"]["spec"]["automountServiceAccountToken"] is False for g in cluster["workerGroupSpecs"])


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_helm_test_pods_are_read_only(values_file):
    """The test pod's root filesystem is read-only; the only path it writes, /tmp, is an emptyDir."""
    for pod in helm_test_pods(rendered(values_file)):
        volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
        for c in pod["spec"]["containers"]:
            assert c["securityContext"]["readOnlyRootFilesystem"] is True, pod["metadata"]["name"]
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            assert "emptyDir" in volumes[mounts["/tmp"]]
            assert "/tmp/reply" in c["args"][0]


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_helm_test_pods_read_the_api_key_from_a_file(values_file):
    """No Secret in the test pod's environment: the key is a read-only file named by API_KEY_FILE."""
    docs = rendered(values_file)
    secrets = [d for d in find(docs, "Secret")]
    for pod in helm_test_pods(docs):
        (c,) = pod["spec"]["containers"]
        env = {e["name"]: e for e in c.get("env", [])}
        assert not any("valueFrom" in e for e in env.values()), pod["metadata"]["name"]
        if "API_KEY_FILE" not in env:
            continue
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        mount = next(m for m in c["volumeMounts"] if env["API_KEY_FILE"]["value"].startswith(m["mountPath"] + "/"))
        assert mount["readOnly"] is True
        secret = volumes[mount["name"]]["secret"]
        assert [i["path"] for i in secret["items"]] == [env["API_KEY_FILE"]["value"].rsplit("/", 1)[1]]
        if secrets:  # a generated key: the Secret the chart creates, with the key the volume reads
            assert any(s["metadata"]["name"] == secret["secretName"] and secret["items"][0]["key"] in s.get("data", {})
                       | s.get("stringData", {}) for s in secrets)


def test_the_key_variant_mounts_the_key():
    (pod,) = helm_test_pods(rendered(ROOT / "tests" / "values-valid" / "generated-api-key.yaml"))
    assert {e["name"] for e in pod["spec"]["containers"][0]["env"]} == {"API_KEY_FILE"}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("given, passes", [("k1", True), ("bad", False)])
def test_chat_test_script_reads_the_key_file(server, tmp_path, given, passes):  # noqa: F811
    Handler.key = "k1"
    text, _ = script("tests/values-valid/generated-api-key.yaml", "http://r1-vllm:8000")
    text = text.replace("PORT", str(server.server_address[1])).replace("/tmp/reply", str(tmp_path / "reply"))
    (tmp_path / "api-key").write_text(given)
    env = {"PATH": "/usr/bin:/bin", "API_KEY_FILE": str(tmp_path / "api-key")}
    proc = subprocess.run(["sh", "-c", text], env=env, capture_output=True, text=True, timeout=60)
    assert (proc.returncode == 0) == passes, proc.stdout + proc.stderr
