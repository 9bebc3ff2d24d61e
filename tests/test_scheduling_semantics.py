"""The scheduler model of tests/scheduling.py against the Kubernetes documentation's own examples."""

from __future__ import annotations

import pytest

from .scheduling import Node, fits, pod_requests, preference_score, quantity, reasons, tolerates


def node(labels=None, taints=(), allocatable=None, requested=None, name="n1") -> Node:
    return Node(name, labels or {}, allocatable or {"cpu": "4", "memory": "16Gi", "pods": "110"},
                tuple(taints), requested or {})


# assign-pod-node: "pod-nginx" with nodeSelector disktype: ssd
def test_node_selector_needs_every_label():
    pod = {"spec": {"nodeSelector": {"disktype": "ssd"}, "containers": []}}
    assert fits(pod, node({"disktype": "ssd"}))
    assert not fits(pod, node({"disktype": "hdd"})) and not fits(pod, node())


# assign-pod-node: "pods/pod-with-node-affinity.yaml": required topology.kubernetes.io/zone In
# [antarctica-east1, antarctica-west1]; preferred (weight 1) another-node-label-key In [another-node-label-value]
ZONES = ["antarctica-east1", "antarctica-west1"]
AFFINITY = {"spec": {"containers": [], "affinity": {"nodeAffinity": {
    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ZONES}]}]},
    "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"matchExpressions": [
        {"key": "another-node-label-key", "operator": "In", "values": ["another-node-label-value"]}]}}]}}}}


def test_required_affinity_and_preference_from_the_docs():
    east = node({"topology.kubernetes.io/zone": "antarctica-east1"})
    preferred = node({"topology.kubernetes.io/zone": "antarctica-west1",
                      "another-node-label-key": "another-node-label-value"})
    assert fits(AFFINITY, east) and fits(AFFINITY, preferred)
    assert not fits(AFFINITY, node({"topology.kubernetes.io/zone": "us-east1"}))
    assert (preference_score(AFFINITY, east), preference_score(AFFINITY, preferred)) == (0, 1)


def test_terms_are_ored_and_expressions_anded():
    pod = {"spec": {"containers": [], "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]},
                                  {"key": "b", "operator": "Exists"}]},
            {"matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}]}}}}}
    assert fits(pod, node({"a": "1", "b": "x", "c": "y"}))  # first term
    assert not fits(pod, node({"a": "1", "c": "y"}))  # first term half, second fails
    assert fits(pod, node({"a": "2"}))  # second term: c is absent
    required = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{}]}}
    empty_term = {"spec": {"containers": [], "affinity": {"nodeAffinity": required}}}
    assert not fits(empty_term, node({"a": "1"})), "an empty term matches no node"


@pytest.mark.parametrize("operator, values, labels, expected", [
    ("NotIn", ["x"], {}, True),  # "NotIn ... a missing label" matches
    ("NotIn", ["x"], {"k": "x"}, False),
    ("Gt", ["5"], {"k": "6"}, True), ("Gt", ["5"], {"k": "5"}, False), ("Lt", ["5"], {"k": "4"}, True),
    ("Gt", ["5"], {"k": "six"}, False), ("Exists", [], {"k": ""}, True),
])
def test_operators(operator, values, labels, expected):
    pod = {"spec": {"containers": [], "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "k", "operator": operator, "values": values}]}]}}}}}
    assert fits(pod, node(labels)) is expected


def test_node_selector_and_affinity_must_both_hold():
    pod = {"spec": {**AFFINITY["spec"], "nodeSelector": {"disktype": "ssd"}}}
    assert not fits(pod, node({"topology.kubernetes.io/zone": "antarctica-east1"}))
    assert fits(pod, node({"topology.kubernetes.io/zone": "antarctica-east1", "disktype": "ssd"}))


# taint-and-toleration: `kubectl taint nodes node1 key1=value1:NoSchedule` and the two tolerations
# (Equal with value1, and Exists) that both match it
TAINT = {"key": "key1", "value": "value1", "effect": "NoSchedule"}


@pytest.mark.parametrize("toleration, expected", [
    ({"key": "key1", "operator": "Equal", "value": "value1", "effect": "NoSchedule"}, True),
    ({"key": "key1", "operator": "Exists", "effect": "NoSchedule"}, True),
    ({"key": "key1", "value": "value1"}, True),  # Equal is the default; an empty effect matches all
    ({"operator": "Exists"}, True),  # an empty key with Exists matches everything
    ({"key": "key1", "operator": "Equal", "value": "other", "effect": "NoSchedule"}, False),
    ({"key": "key1", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": "key2", "operator": "Exists"}, False),
])
def test_tolerations_from_the_docs(toleration, expected):
    assert tolerates(toleration, TAINT) is expected
    pod = {"spec": {"containers": [], "tolerations": [toleration]}}
    assert fits(pod, node(taints=[TAINT])) is expected


def test_prefer_no_schedule_does_not_filter():
    assert fits({"spec": {"containers": []}}, node(taints=[{"key": "k", "value": "v", "effect": "PreferNoSchedule"}]))


# manage-resources-containers: requests are summed over containers; init containers run first,
# so the larger of their largest and the containers' sum counts
def test_requests_and_fit():
    pod = {"spec": {"containers": [{"resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
                                   {"resources": {"requests": {"cpu": "250m", "memory": "64Mi", "nvidia.com/gpu": 1}}}],
                    "initContainers": [{"resources": {"requests": {"cpu": "2", "memory": "16Mi"}}}]}}
    assert pod_requests(pod) == {"cpu": 2.0, "memory": 128 * 2**20, "nvidia.com/gpu": 1}
    assert fits(pod, node(allocatable={"cpu": "2", "memory": "1Gi", "nvidia.com/gpu": "1"}))
    assert reasons(pod, node(allocatable={"cpu": "1900m", "memory": "1Gi", "nvidia.com/gpu": "1"})) == \
        ["Insufficient cpu (requests 2, free 1.9)"]
    assert "Insufficient nvidia.com/gpu" in reasons(pod, node())[0]
    used = node(allocatable={"cpu": "4", "memory": "1Gi", "nvidia.com/gpu": "1"}, requested={"cpu": "2.5"})
    assert not fits(pod, used)


def test_quantities():
    assert quantity("500m") == 0.5 and quantity("16Gi") == 16 * 2**30 and quantity(4) == 4 and quantity("1G") == 1e9
    with pytest.raises(ValueError):
        quantity("12 GiB")
