"""What `helm upgrade` from one render to the next would run into: fields the API server (or an
operator's admission webhook or CEL rule) refuses to change on an existing object, and how the
chart's default values changed. Pure functions over rendered documents; tests/test_upgrade.py
feeds them the previous release and the checkout.

Sources of the rules:
- apps/v1 Deployment, DaemonSet, ReplicaSet: `spec.selector` is immutable; StatefulSet may change
  only replicas, ordinals, template, updateStrategy, persistentVolumeClaimRetentionPolicy and
  minReadySeconds (Kubernetes API reference, apps/v1).
- batch/v1 Job: `spec.template` and `spec.selector` are immutable. Helm hooks are exempt: helm
  deletes and recreates them (default hook-delete-policy before-hook-creation).
- v1 Service: `spec.clusterIP`/`clusterIPs` cannot change once set (a headless Service, clusterIP
  None, cannot become a normal one or back); a headless Service is type ClusterIP only.
- v1 PersistentVolumeClaim: the spec is immutable after creation except resources.requests (only
  larger, with an expandable StorageClass) and volumeAttributesClassName.
- LeaderWorkerSet (LWS webhook, ValidateUpdate): subGroupPolicy.subGroupSize cannot change, be
  added or be removed; networkConfig.subdomainPolicy cannot be unset. LWS has no selector field:
  its StatefulSets select by the LWS name.
- RayService, RayCluster (KubeRay CRDs, CEL `self == oldSelf`): spec.managedBy.
- AIBrix RayClusterFleet: spec.selector, which the fleet controller uses as a Deployment uses its
  own to find the RayClusters it owns (a changed selector orphans the running ones).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

HOOK = "helm.sh/hook"
_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
             "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": 10**3, "M": 10**6,
             "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}


def quantity(text: Any) -> Decimal:
    """A Kubernetes resource quantity (`500Gi`, `1.5T`, `100`) as a number."""
    text = str(text)
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * Decimal(_SUFFIXES[suffix])
    return Decimal(text)


def _get(doc: dict, path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _key(doc: dict) -> tuple[str, str, str, str]:
    group = doc["apiVersion"].rpartition("/")[0]
    meta = doc["metadata"]
    return group, doc["kind"], meta.get("namespace", ""), meta["name"]


def _show(value: Any) -> str:
    return "unset" if value is None else json.dumps(value, sort_keys=True)


# (API group, kind) -> the fields whose any change is refused, and why.
FIXED: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("apps", "Deployment"): (("spec.selector", "a Deployment's selector is immutable"),),
    ("apps", "ReplicaSet"): (("spec.selector", "a ReplicaSet's selector is immutable"),),
    ("apps", "DaemonSet"): (("spec.selector", "a DaemonSet's selector is immutable"),),
    ("apps", "StatefulSet"): tuple((f"spec.{field}", "a StatefulSet may change only replicas, ordinals, template, "
                                    "updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds")
                                   for field in ("selector", "serviceName", "volumeClaimTemplates",
                                                 "podManagementPolicy")),
    ("batch", "Job"): (("spec.template", "a Job's pod template is immutable"),
                       ("spec.selector", "a Job's selector is immutable")),
    ("", "Service"): (("spec.clusterIP", "a Service's clusterIP cannot change once set (headless or not)"),
                      ("spec.clusterIPs", "a Service's clusterIPs cannot change once set")),
    ("", "PersistentVolumeClaim"): tuple(
        (f"spec.{field}", "a PersistentVolumeClaim's spec is immutable after creation")
        for field in ("storageClassName", "accessModes", "volumeMode", "volumeName", "selector", "dataSource",
                      "dataSourceRef")),
    ("leaderworkerset.x-k8s.io", "LeaderWorkerSet"): (
        ("spec.leaderWorkerTemplate.subGroupPolicy.subGroupSize",
         "the LWS webhook refuses to change, add or remove subGroupSize"),),
    ("ray.io", "RayService"): (("spec.managedBy", "KubeRay's CRD rule: managedBy is immutable"),),
    ("ray.io", "RayCluster"): (("spec.managedBy", "KubeRay's CRD rule: managedBy is immutable"),),
    ("orchestration.aibrix.ai", "RayClusterFleet"): (
        ("spec.selector", "the fleet controller finds its RayClusters by it: a change orphans the running ones"),),
}


def object_changes(old: dict, new: dict) -> list[str]:
    """The refused changes between two versions of one object, each naming object and field."""
    group, kind, _, name = _key(new)
    found = [(field, _get(old, field), _get(new, field), why) for field, why in FIXED.get((group, kind), ())
             if _get(old, field) != _get(new, field)]
    if kind == "Service" and group == "":
        old_type, new_type = _get(old, "spec.type") or "ClusterIP", _get(new, "spec.type") or "ClusterIP"
        headless = "None" in (_get(old, "spec.clusterIP"), _get(new, "spec.clusterIP"))
        if old_type != new_type and headless:
            found.append(("spec.type", old_type, new_type, "a headless Service is type ClusterIP only"))
    if kind == "PersistentVolumeClaim" and group == "":
        field = "spec.resources.requests.storage"
        before, after = _get(old, field), _get(new, field)
        if before is not None and after is not None and quantity(after) < quantity(before):
            found.append((field, before, after, "a PersistentVolumeClaim cannot shrink"))
    if kind == "LeaderWorkerSet":
        field = "spec.networkConfig.subdomainPolicy"
        if _get(old, field) is not None and _get(new, "spec.networkConfig") is not None and _get(new, field) is None:
            found.append((field, _get(old, field), None, "the LWS webhook refuses to unset subdomainPolicy"))
    return [f"{kind} {name}: {field} would change from {_show(before)} to {_show(after)} ({why})"
            for field, before, after, why in found]


def immutable_changes(old_docs: list[dict], new_docs: list[dict]) -> list[str]:
    """Refused changes of every object both renders hold (helm hooks excepted: helm recreates them)."""
    def index(docs: list[dict]) -> dict:
        return {_key(d): d for d in docs if HOOK not in (d["metadata"].get("annotations") or {})}

    old, new = index(old_docs), index(new_docs)
    return [message for key in sorted(old.keys() & new.keys()) for message in object_changes(old[key], new[key])]


# ---------------------------------------------------------------- default values

def leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted path -> value of every leaf (a list or an empty map is a leaf)."""
    if isinstance(tree, dict) and tree:
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(leaves(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: tree}


def value_changes(old: dict, new: dict) -> tuple[list[str], list[str], list[str]]:
    """(removed, changed, added) value paths between two charts' merged defaults. A leaf that
    became a map of keys is changed, not removed."""
    before, after = leaves(old), leaves(new)
    removed = [p for p in before if p not in after and not any(q.startswith(p + ".") for q in after)]
    changed = [f"{p}: {_show(before[p])} -> {_show(after[p])}" for p in before if p in after and before[p] != after[p]]
    changed += [f"{p}: {_show(before[p])} -> a map" for p in before
                if p not in after and any(q.startswith(p + ".") for q in after)]
    added = [p for p in after if p not in before and not any(p.startswith(q + ".") for q in before)]
    return sorted(removed), sorted(changed), sorted(added)
