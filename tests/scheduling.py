"""The kube-scheduler's filters that decide where a pod may run, as the Kubernetes documentation
states them, for checking rendered pods against node descriptions kept as data:

- NodeSelector (`spec.nodeSelector`): every key must be a node label with that value.
- NodeAffinity, required (`requiredDuringSchedulingIgnoredDuringExecution`): the
  nodeSelectorTerms are ORed, the matchExpressions (and matchFields) of one term ANDed; operators
  In, NotIn, Exists, DoesNotExist, Gt, Lt; NotIn and DoesNotExist hold for a missing label. With
  both nodeSelector and nodeAffinity, both must hold. Preferred terms only score: the sum of
  the weights of the terms a node matches.
- TaintToleration: a NoSchedule or NoExecute taint keeps the pod off unless one toleration
  matches it: same key (an empty key with Exists matches every key), operator Exists (any
  value) or Equal (the same value; Equal is the default), and the same effect (an empty effect
  matches every effect). PreferNoSchedule only scores.
- NodeResourcesFit: the pod's requests, the larger of the sum over its containers and the
  largest init container (plus `overhead`), must fit the node's allocatable minus what is
  already requested there, for CPU, memory and extended resources such as nvidia.com/gpu.

Sources: kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/ (nodeSelector, node
affinity, operators), .../taint-and-toleration/, .../resource-bin-packing/ and
kubernetes.io/docs/concepts/configuration/manage-resources-containers/ (requests, init
containers), and kubernetes.io/docs/concepts/scheduling-eviction/pod-overhead/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SUFFIX = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60, "m": 0.001}


def quantity(value: Any) -> float:
    """A Kubernetes quantity ("500m", "16Gi", 4, "1.5") as a number (CPU in cores, bytes)."""
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError(f"not a quantity: {value!r}")
    return float(match.group(1)) * _SUFFIX[match.group(2)]


@dataclass(frozen=True)
class Node:
    name: str
    labels: dict[str, str]
    allocatable: dict[str, Any]
    taints: tuple[dict[str, str], ...] = ()
    requested: dict[str, Any] = field(default_factory=dict)  # by pods already there (daemonsets)


def _expression(expr: dict[str, Any], labels: dict[str, str]) -> bool:
    key, op, values = expr["key"], expr["operator"], expr.get("values") or []
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt"):
        if not present or len(values) != 1:
            return False
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    raise ValueError(f"unknown operator {op!r}")


def term_matches(term: dict[str, Any], node: Node) -> bool:
    """One NodeSelectorTerm: all its expressions hold; a term with none matches no node."""
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    node_fields = {"metadata.name": node.name}
    return all(_expression(e, node.labels) for e in expressions) and \
        all(_expression(f, node_fields) for f in fields)


def _pod_spec(pod: dict[str, Any]) -> dict[str, Any]:
    return pod.get("spec", pod)


def selector_and_affinity_match(pod: dict[str, Any], node: Node) -> bool:
    spec = _pod_spec(pod)
    for key, value in (spec.get("nodeSelector") or {}).items():
        if node.labels.get(key) != value:
            return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is None:
        return True
    return any(term_matches(term, node) for term in required.get("nodeSelectorTerms") or [])


def preference_score(pod: dict[str, Any], node: Node) -> int:
    spec = _pod_spec(pod)
    preferred = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                 .get("preferredDuringSchedulingIgnoredDuringExecution")) or []
    return sum(p["weight"] for p in preferred if term_matches(p["preference"], node))


def tolerates(toleration: dict[str, Any], taint: dict[str, str]) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint["effect"]:
        return False
    operator = toleration.get("operator") or "Equal"
    key = toleration.get("key") or ""
    if not key:
        return operator == "Exists"
    if key != taint["key"]:
        return False
    return operator == "Exists" or (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated_taints(pod: dict[str, Any], node: Node) -> list[dict[str, str]]:
    tolerations = _pod_spec(pod).get("tolerations") or []
    return [t for t in node.taints if t["effect"] in ("NoSchedule", "NoExecute")
            and not any(tolerates(tol, t) for tol in tolerations)]


def pod_requests(pod: dict[str, Any]) -> dict[str, float]:
    spec = _pod_spec(pod)
    total: dict[str, float] = {}
    for container in spec.get("containers") or []:
        for name, value in ((container.get("resources") or {}).get("requests") or {}).items():
            total[name] = total.get(name, 0) + quantity(value)
    for container in spec.get("initContainers") or []:
        for name, value in ((container.get("resources") or {}).get("requests") or {}).items():
            total[name] = max(total.get(name, 0), quantity(value))
    for name, value in (spec.get("overhead") or {}).items():
        total[name] = total.get(name, 0) + quantity(value)
    return total


def misfit_resources(pod: dict[str, Any], node: Node) -> dict[str, tuple[float, float]]:
    """{resource: (requested, free)} for every resource the pod requests beyond what is free."""
    out = {}
    for name, want in pod_requests(pod).items():
        free = quantity(node.allocatable.get(name, 0)) - quantity(node.requested.get(name, 0))
        if want > free + 1e-9:
            out[name] = (want, free)
    return out


def reasons(pod: dict[str, Any], node: Node) -> list[str]:
    """Why the scheduler's filters put the pod off the node; empty: it fits."""
    out = []
    if not selector_and_affinity_match(pod, node):
        out.append("node(s) didn't match Pod's node affinity/selector")
    for taint in untolerated_taints(pod, node):
        out.append(f"node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}")
    for name, (want, free) in misfit_resources(pod, node).items():
        out.append(f"Insufficient {name} (requests {want:g}, free {free:g})")
    return out


def fits(pod: dict[str, Any], node: Node) -> bool:
    return not reasons(pod, node)
