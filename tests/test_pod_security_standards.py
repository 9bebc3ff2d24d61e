"""Every rendered pod of every profile and feature variant against the Pod Security Standards'
`restricted` profile (tests/pod_security_standards.py), allowing only the stated hardware
exceptions, each granted per pod by what that pod needs: hostPath for node-local weights in an
engine pod that mounts it, and IPC_LOCK as root where a container requests an RDMA device. The
level each profile needs is the one the README's profile table states."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator import build, interface, validation
from generator.backends import REGISTRY

from .conftest import ALL_FILES, VALUES_FILES, PodTemplate, pod_templates, rendered
from .pod_security_standards import LEVELS, containers, level, violations

# The engine's own pods (app.kubernetes.io/component); the chat UI and helm test pods are never among them.
ENGINE_COMPONENTS = {"server", "ray-head", "ray-worker"}


def rdma_containers(spec: dict) -> set[str]:
    """Containers (as the checker names them) that request an RDMA device: they pin memory for
    the NICs (IPC_LOCK), which the device plugins' files allow only to root."""
    return {name for name, c in containers(spec)
            if any("rdma" in r for part in ("limits", "requests") for r in (c.get("resources") or {}).get(part) or {})}


def allowed(template: PodTemplate) -> list[re.Pattern[str]]:
    """The restricted findings this pod's own hardware explains, and no others:
    - hostPath: a volume an engine pod mounts (node-local weights);
    - IPC_LOCK: added by a container that requests an RDMA device;
    - root: in a pod with such a container, which runs as root (its init containers share the
      pod's user); such a container may set runAsUser 0 where its image's own user is not root
      (the Ray image's user is uid 1000).
    The chat UI, helm test pods and any pod without RDMA get no exception."""
    spec, out = template.spec, []
    component = (template.metadata.get("labels") or {}).get("app.kubernetes.io/component")
    if component in ENGINE_COMPONENTS:
        mounted = {m["name"] for _, c in containers(spec) for m in c.get("volumeMounts") or []}
        for volume in spec.get("volumes") or []:
            if "hostPath" in volume and volume["name"] in mounted:
                name = re.escape(volume["name"])
                out.append(re.compile(rf"volumes\[{name}\](\.hostPath \(hostPath volumes\)"
                                      rf"|: hostPath \(volume type\))"))
    rdma = rdma_containers(spec)
    for name in rdma:
        out.append(re.compile(re.escape(f"{name}.securityContext.capabilities.add: IPC_LOCK")))
        out.append(re.compile(re.escape(f"{name}.securityContext.runAsUser: 0")))
    if rdma:
        out.append(re.compile(r".*: runAsNonRoot is not true \(pod or container\)"))
    return out


def stated_needs(values_file: Path) -> tuple[str, str]:
    """(level, need) the enabled engine's backend states for the merged values."""
    merged = validation.merged_values(values_file)
    levels = [REGISTRY[name].pod_security(merged[name]) for name in REGISTRY if merged[name]["enabled"]]
    return max(levels, key=lambda lv: LEVELS.index(lv[0]), default=("restricted", ""))


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_every_pod_meets_restricted_but_for_its_own_hardware_needs(values_file: Path):
    stated, need = stated_needs(values_file)
    worst = "restricted"
    for template in pod_templates(rendered(values_file)):
        patterns = allowed(template)
        unexplained = [v for v in violations(template.spec, "restricted") if not any(p.fullmatch(v) for p in patterns)]
        assert not unexplained, f"{template.name}: {unexplained}"
        worst = max(worst, level(template.spec), key=LEVELS.index)
    assert worst == stated, f"pods need {worst}, the backend states {stated} ({need})"


def test_the_readme_table_states_each_profiles_level():
    table = (build.ROOT / "README.md").read_text()
    for values_file in VALUES_FILES:
        stated, need = stated_needs(values_file)
        row = next(line for line in table.splitlines() if line.startswith(f"| [`{values_file.stem}`]"))
        assert row.rstrip(" |").endswith(stated + (f" ({need})" if need else "")), row


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_no_pod_runs_as_root_without_rdma(values_file: Path):
    """Every pod without an RDMA container runs as a non-root user, in RDMA files too (the chat
    UI, the helm test pod)."""
    for template in pod_templates(rendered(values_file)):
        if not rdma_containers(template.spec):
            context = template.spec["securityContext"]
            assert context.get("runAsNonRoot") is True, (values_file.stem, template.name)
            assert context["runAsUser"] > 0, (values_file.stem, template.name)


def _template(spec: dict, component: str) -> PodTemplate:
    return PodTemplate("p", {"labels": {"app.kubernetes.io/component": component}}, spec, {})


ROOT_WITH_IPC_LOCK = {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},  # runAsNonRoot unset
                      "containers": [{"name": "c", "securityContext": {"allowPrivilegeEscalation": False,
                                                                       "capabilities": {"drop": ["ALL"],
                                                                                        "add": ["IPC_LOCK"]}}}],
                      "volumes": [{"name": "w", "hostPath": {"path": "/mnt"}}]}


@pytest.mark.parametrize("component, rdma, explained", [
    ("server", True, True), ("server", False, False), ("chat-ui", True, False), ("helm-test", False, False)])
def test_exceptions_follow_the_pod(component: str, rdma: bool, explained: bool):
    """Root, IPC_LOCK and a hostPath volume are explained only for an engine pod that mounts the
    volume and whose container requests an RDMA device."""
    spec = yaml.safe_load(yaml.safe_dump(ROOT_WITH_IPC_LOCK))
    spec["containers"][0]["volumeMounts"] = [{"name": "w", "mountPath": "/models"}]
    if rdma:
        spec["containers"][0]["resources"] = {"limits": {"rdma/hca": 1}}
    patterns = allowed(_template(spec, component))
    found = violations(spec, "restricted")
    unexplained = [v for v in found if not any(p.fullmatch(v) for p in patterns)]
    assert (not unexplained) is explained, unexplained


# ---------------------------------------------------------------- the checker itself

RESTRICTED_POD = {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                      "seccompProfile": {"type": "RuntimeDefault"}},
                  "containers": [{"name": "c", "securityContext": {"allowPrivilegeEscalation": False,
                                                                   "capabilities": {"drop": ["ALL"]}}}],
                  "volumes": [{"name": "v", "emptyDir": {}}]}


def _pod(**changes) -> dict:
    pod = yaml.safe_load(yaml.safe_dump(RESTRICTED_POD))
    return interface.merge(pod, changes)


@pytest.mark.parametrize("change, at_least", [
    ({}, "restricted"),
    ({"hostNetwork": True}, "privileged"),
    ({"volumes": [{"name": "h", "hostPath": {"path": "/mnt"}}]}, "privileged"),
    ({"volumes": [{"name": "n", "nfs": {"server": "x", "path": "/"}}]}, "baseline"),
    ({"securityContext": {"runAsNonRoot": None}}, "baseline"),
    ({"securityContext": {"runAsUser": 0}}, "baseline"),
    ({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}, "privileged"),
    ({"containers": [{"name": "c", "securityContext": {"privileged": True}}]}, "privileged"),
    ({"containers": [{"name": "c", "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {
        "drop": ["ALL"], "add": ["IPC_LOCK"]}}}]}, "privileged"),
    ({"containers": [{"name": "c", "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {
        "drop": ["ALL"], "add": ["CHOWN"]}}}]}, "baseline"),
    ({"containers": [{"name": "c", "securityContext": {"capabilities": {"drop": ["ALL"]}}}]}, "baseline"),
    ({"containers": [{"name": "c", "ports": [{"containerPort": 80, "hostPort": 80}], "securityContext": {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}, "privileged"),
])
def test_levels_follow_the_standard(change, at_least):
    assert level(_pod(**change)) == at_least
