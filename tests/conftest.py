"""Shared fixtures. Renders are cached per (values file, helm version): each runs once per session."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from generator import tools, validation
from generator.build import ROOT

VALUES_FILES = sorted((ROOT / "values").glob("*.yaml"))
INVALID_FILES = sorted((ROOT / "tests" / "values-invalid").glob("*.yaml"))
# Feature variants that must render and validate (tests/values-valid/), one glob for every module.
VARIANTS = sorted((ROOT / "tests" / "values-valid").glob("*.yaml"))
ALL_FILES = [*VALUES_FILES, *VARIANTS]  # everything that must render
HELM_VERSIONS = [pin.version for pin in tools.HELM_PINS]


@functools.cache
def helm(version: str) -> Path:
    found = tools.helm_binaries()
    if version not in found:
        pytest.fail(f"helm {version} is not installed: run `make bootstrap` (or `llm-serving tools`)")
    return found[version]


@functools.cache
def validated(values_file: Path, version: str) -> validation.Result:
    return validation.validate_file(values_file, version, helm(version))


def rendered(values_file: Path, version: str = HELM_VERSIONS[0]) -> list[dict]:
    result = validated(values_file, version)
    assert result.ok, "\n".join(result.errors)
    return result.documents


def render_with(values_file: Path, overlay: dict, tmp_path: Path, crds: bool = False) -> list[dict]:
    """Render a values file with `overlay` given after it (`-f`, merged the way helm merges values files)."""
    extra = tmp_path / "overlay.yaml"
    extra.write_text(yaml.safe_dump(overlay))
    return validation.helm_template(helm(HELM_VERSIONS[0]), values_file, extra=("-f", str(extra)), crds=crds)


def header(path: Path, key: str) -> list[str]:
    """The texts of a test values file's `# <key>: <text>` comment lines (`# expect:`, `# base:` ...)."""
    return [line.split(":", 1)[1].strip() for line in path.read_text().splitlines() if line.startswith(f"# {key}:")]


def find(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def secret_file(spec: dict, container: dict, path_env: str) -> dict:
    """The Secret volume source behind the file the env var `path_env` names; the mount is read-only."""
    env = {e["name"]: e for e in container["env"]}
    path = env[path_env]["value"]
    (mount,) = [m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
    assert mount.get("readOnly") is True, mount
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    assert [item["path"] for item in volume["secret"]["items"]] == [path.rsplit("/", 1)[1]]
    return volume["secret"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`llm-serving <args>` as a user runs it (its own process, from the checkout)."""
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)


# ---------------------------------------------------------------- every pod the release creates

# Built-in kinds whose pods the API server and controllers create from spec.template (CronJob:
# spec.jobTemplate.spec.template); a pod template in any other kind (RayService, RayClusterFleet,
# LeaderWorkerSet, ...) is found by custom_resource_pods wherever it sits.
WORKLOAD_KINDS = {"Pod", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "ReplicationController",
                  "Job", "CronJob"}


class PodTemplate(NamedTuple):
    name: str  # the workload's name; <Kind>.<name>.<group> inside a custom resource
    metadata: dict[str, Any]  # the pod's metadata (labels, annotations)
    spec: dict[str, Any]  # the pod spec
    owner: dict[str, Any]  # the rendered document it comes from


def custom_resource_pods(doc: dict) -> list[dict]:
    """Every pod template (a `template`, or a LeaderWorkerSet's `leaderTemplate` and
    `workerTemplate`, whose spec has containers) inside a custom resource, as a v1 Pod named
    <Kind>.<name>.<group>: the group is "head" under headGroupSpec, a list item's groupName (or
    index) under workerGroupSpecs, "leader" or "worker" in a LeaderWorkerSet; the template's
    labels are kept (checkov's NetworkPolicy check and ours match them like the pods the operator
    creates); annotation checkov-scan/source says where the template sits."""
    if doc.get("kind") in WORKLOAD_KINDS:
        return []
    pods: list[dict] = []

    def walk(node, group: str, path: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                name = item.get("groupName") if isinstance(item, dict) else None
                walk(item, name or f"{group}{i}", f"{path}[{i}]")
        elif isinstance(node, dict):
            for key, value in node.items():
                where = f"{path}.{key}"
                template = key in ("template", "leaderTemplate", "workerTemplate")  # LeaderWorkerSet's two
                if template and isinstance(value, dict) and "containers" in (value.get("spec") or {}):
                    role = group if key == "template" else key.removesuffix("Template")
                    metadata = value.get("metadata") or {}
                    pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": {
                        "name": ".".join(p for p in (doc["kind"], doc["metadata"]["name"], role) if p),
                        "labels": metadata.get("labels") or {},
                        "annotations": {**(metadata.get("annotations") or {}), "checkov-scan/source": where[1:]},
                    }, "spec": value["spec"]})
                else:
                    walk(value, key.removesuffix("GroupSpec") if key.endswith("GroupSpec") else group, where)

    walk(doc.get("spec"), "", ".spec")
    return pods


def pod_templates(docs: list[dict]) -> list[PodTemplate]:
    """Every pod the release creates or has created, of every workload kind: the one walk every
    test that checks pods uses (a new kind is added here once)."""
    out = []
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "Pod":
            out.append(PodTemplate(name, doc["metadata"], doc["spec"], doc))
        elif kind in WORKLOAD_KINDS:
            spec = doc["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else doc["spec"]
            out.append(PodTemplate(name, spec["template"].get("metadata") or {}, spec["template"]["spec"], doc))
        else:
            out += [PodTemplate(p["metadata"]["name"], p["metadata"], p["spec"], doc)
                    for p in custom_resource_pods(doc)]
    return out


def pod_specs(docs: list[dict]) -> list[tuple[str, dict, dict]]:
    """(name, pod spec, owning document) of every pod the release creates or has created."""
    return [(t.name, t.spec, t.owner) for t in pod_templates(docs)]


def containers_anywhere(node) -> int:
    """Containers (and init containers) in a document, wherever they sit: what a pod walk must reach."""
    if isinstance(node, list):
        return sum(containers_anywhere(item) for item in node)
    if not isinstance(node, dict):
        return 0
    return sum(len(value) if key in ("containers", "initContainers") and isinstance(value, list)
               else containers_anywhere(value) for key, value in node.items())
