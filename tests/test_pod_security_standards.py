"""Every rendered pod of every profile and feature variant against the Pod Security Standards'
`restricted` profile (tests/pod_security_standards.py), allowing only the stated hardware
exceptions on the pods that carry them: hostPath for node-local weights, and IPC_LOCK as root
for RDMA. The level each profile needs is the one the README's profile table states."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator import build, interface, validation
from generator.backends import REGISTRY

from .conftest import ALL_FILES, VALUES_FILES, rendered
from .pod_security_standards import LEVELS, level, violations
from .test_pod_security import pod_specs

ALLOWED = {  # a stated need -> the restricted findings it explains
    "hostPath": re.compile(r"volumes\[[^\]]+\](\.hostPath \(hostPath volumes\)|: hostPath \(volume type\))"),
    "IPC_LOCK": re.compile(r".*(capabilities\.add: IPC_LOCK|runAsNonRoot is not true \(pod or container\))"),
}


def stated_needs(values_file: Path) -> tuple[str, str]:
    """(level, need) the enabled engine's backend states for the merged values."""
    merged = validation.merged_values(values_file)
    levels = [REGISTRY[name].pod_security(merged[name]) for name in REGISTRY if merged[name]["enabled"]]
    return max(levels, key=lambda lv: LEVELS.index(lv[0]), default=("restricted", ""))


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_every_pod_meets_restricted_but_for_stated_hardware_needs(values_file: Path):
    stated, need = stated_needs(values_file)
    allowed = [pattern for key, pattern in ALLOWED.items() if key in need]
    worst = "restricted"
    for name, spec, _ in pod_specs(rendered(values_file)):
        unexplained = [v for v in violations(spec, "restricted") if not any(p.fullmatch(v) for p in allowed)]
        assert not unexplained, f"{name}: {unexplained}"
        worst = max(worst, level(spec), key=LEVELS.index)
    assert worst == stated, f"pods need {worst}, the backend states {stated} ({need})"


def test_the_readme_table_states_each_profiles_level():
    table = (build.ROOT / "README.md").read_text()
    for values_file in VALUES_FILES:
        stated, need = stated_needs(values_file)
        row = next(line for line in table.splitlines() if line.startswith(f"| [`{values_file.stem}`]"))
        assert row.rstrip(" |").endswith(stated + (f" ({need})" if need else "")), row


@pytest.mark.parametrize("values_file", ALL_FILES, ids=lambda p: p.stem)
def test_no_pod_runs_as_root_without_ipc_lock(values_file: Path):
    _, need = stated_needs(values_file)
    for name, spec, _ in pod_specs(rendered(values_file)):
        if "IPC_LOCK" not in need:
            assert spec["securityContext"].get("runAsNonRoot") is True, (values_file.stem, name)
            assert spec["securityContext"]["runAsUser"] > 0


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
