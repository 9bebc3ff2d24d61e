"""A checkov scan of every rendered profile and feature variant; only findings listed, with a
reason, in tests/checkov-skips.yaml are accepted. checkov runs from its own virtualenv
(.tools/checkov, made by `make bootstrap`) with --skip-download: no network.

checkov only knows core workload kinds, so the pod templates inside custom resources (KubeRay's
RayService, AIBrix's RayClusterFleet: the multi-node profiles' real pods) are each added to the
scan as a synthetic `v1 Pod` named `<Kind>.<name>.<group>` (custom_resource_pods)."""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from generator.build import ROOT

from .conftest import ALL_FILES, WORKLOAD_KINDS, containers_anywhere, custom_resource_pods, rendered

CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
SKIPS = yaml.safe_load((ROOT / "tests" / "checkov-skips.yaml").read_text())
# Kinds whose pods checkov scans itself; a pod template in any other kind becomes a synthetic Pod.
CHECKOV_WORKLOADS = WORKLOAD_KINDS


def scan_documents(docs: list[dict]) -> list[dict]:
    """The rendered documents plus a synthetic Pod for each custom resource's pod template."""
    return [*docs, *(pod for doc in docs for pod in custom_resource_pods(doc))]


def skip_entries(check: str) -> list[dict]:
    """A check's skips: one {reason, resources} or a list of them (see tests/checkov-skips.yaml)."""
    entry = SKIPS.get(check, [])
    return entry if isinstance(entry, list) else [entry]


def skipped_by(check: str, resource: str) -> dict | None:
    return next((e for e in skip_entries(check) if re.fullmatch(e["resources"], resource)), None)


def test_every_skip_has_a_reason_and_its_resources():
    for check in SKIPS:
        assert check.startswith("CKV"), check
        for entry in skip_entries(check):
            assert isinstance(entry, dict) and set(entry) == {"reason", "resources"}, check
            assert isinstance(entry["reason"], str) and len(entry["reason"]) > 40, check
            re.compile(entry["resources"])


def scan(directory: Path) -> dict[str, list[dict]]:
    """checkov's failed and passed checks for the YAML files in a directory."""
    if not CHECKOV.exists():
        pytest.fail("checkov is not installed: run `make bootstrap` (it creates .tools/checkov)")
    proc = subprocess.run([str(CHECKOV), "-d", str(directory), "--framework", "kubernetes", "--skip-download",
                           "--quiet", "--compact", "-o", "json"], capture_output=True, text=True, check=False)
    data = json.loads(proc.stdout)
    reports = data if isinstance(data, list) else [data]
    return {kind: [c for r in reports for c in r.get("results", {}).get(kind, [])]
            for kind in ("failed_checks", "passed_checks")}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> dict:
    """Findings per check, every resource checkov evaluated and the synthetic CR pods, each
    as "<values file>: <Kind>.<namespace>.<name>"."""
    directory = tmp_path_factory.mktemp("rendered")
    synthetic = []
    for values_file in ALL_FILES:
        docs = scan_documents(rendered(values_file))
        synthetic += [f"{values_file.stem}: Pod.default.{d['metadata']['name']}"
                      for d in docs if "checkov-scan/source" in d["metadata"].get("annotations", {})]
        (directory / f"{values_file.stem}.yaml").write_text(yaml.safe_dump_all(docs))
    result = scan(directory)
    found: dict[str, list[str]] = defaultdict(list)
    for failed in result["failed_checks"]:
        found[failed["check_id"]].append(f"{Path(failed['file_path']).stem}: {failed['resource']}")
    evaluated = {f"{Path(c['file_path']).stem}: {c['resource']}" for c in
                 result["failed_checks"] + result["passed_checks"]}
    return {"findings": found, "evaluated": evaluated, "synthetic": synthetic}


def test_no_finding_outside_the_skip_file(scanned):
    unexpected = {}
    for check, where in scanned["findings"].items():
        where = [w for w in where if not skipped_by(check, w.split(": ", 1)[1])]
        if where:
            unexpected[check] = where
    assert not unexpected, json.dumps(unexpected, indent=1)


def test_every_skip_is_needed(scanned):
    """A skip that matches no finding is stale, or names resources it does not cover."""
    used = {(check, id(skipped_by(check, w.split(": ", 1)[1])))
            for check, where in scanned["findings"].items() for w in where}
    stale = [(check, entry["resources"]) for check in SKIPS for entry in skip_entries(check)
             if (check, id(entry)) not in used]
    assert not stale, stale


def test_custom_resource_pods_are_scanned(scanned):
    """Each RayService / RayClusterFleet pod template reaches checkov as a Pod (the 671B profiles)."""
    names = {s.split(": ", 1)[1] for s in scanned["synthetic"]}
    assert {"Pod.default.RayService.r1-kuberay.head", "Pod.default.RayClusterFleet.deepseek-r1-671b.head",
            "Pod.default.RayClusterFleet.deepseek-r1-671b.worker-group"} <= names, names
    assert any(n.startswith("Pod.default.RayService.r1-kuberay.") and not n.endswith(".head") for n in names)
    missing = [s for s in scanned["synthetic"] if s not in scanned["evaluated"]]
    assert not missing, missing


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_no_container_escapes_the_scan(values_file):
    """Every container outside checkov's own workload kinds is in a synthetic Pod."""
    for doc in rendered(values_file):
        if doc["kind"] not in CHECKOV_WORKLOADS:
            pods = custom_resource_pods(doc)
            assert containers_anywhere(doc) == sum(containers_anywhere(p["spec"]) for p in pods), doc["kind"]


def ray_service(worker_spec: dict) -> dict:
    pod = {"containers": [{"name": "ray", "image": "rayproject/ray:2.49.0"}]}
    return {"apiVersion": "ray.io/v1", "kind": "RayService", "metadata": {"name": "rs"}, "spec": {
        "rayClusterConfig": {"headGroupSpec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": pod}},
                             "workerGroupSpecs": [{"groupName": "gpu", "template": {"spec": worker_spec}},
                                                  {"template": {"spec": pod}}]}}}


def test_custom_resource_pods_names_each_group():
    service = ray_service({"containers": []})
    fleet = {"kind": "RayClusterFleet", "metadata": {"name": "f"},
             "spec": {"template": {"spec": service["spec"]["rayClusterConfig"]}}}
    pods = custom_resource_pods(service)
    assert [p["metadata"]["name"] for p in pods] == ["RayService.rs.head", "RayService.rs.gpu", "RayService.rs.1"]
    assert pods[0]["metadata"]["labels"] == {"a": "b"} and pods[0]["kind"] == "Pod"
    assert pods[1]["metadata"]["annotations"]["checkov-scan/source"] == \
        "spec.rayClusterConfig.workerGroupSpecs[0].template"
    assert [p["metadata"]["name"] for p in custom_resource_pods(fleet)] == [
        "RayClusterFleet.f.head", "RayClusterFleet.f.gpu", "RayClusterFleet.f.1"]
    assert custom_resource_pods({"kind": "Deployment", "metadata": {"name": "d"},
                                 "spec": {"template": {"spec": {"containers": []}}}}) == []


def test_scan_catches_a_privileged_container(tmp_path):
    bad = {"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": True}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "x"},
           "spec": {"containers": [bad]}}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump_all(scan_documents([pod, ray_service({"containers": [bad]})])))
    failed = {(f["check_id"], f["resource"]) for f in scan(tmp_path)["failed_checks"]}
    assert {("CKV_K8S_16", "Pod.x.bad"), ("CKV_K8S_16", "Pod.default.RayService.rs.gpu")} <= failed
    assert "CKV_K8S_16" not in SKIPS
