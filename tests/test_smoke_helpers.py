"""The smoke suite's own logic, testable without a cluster."""

from __future__ import annotations

from types import SimpleNamespace

from .smoke import conftest
from .smoke.test_live_release import SERVER, listening

PROC_NET_TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:2CAA 00000000:0000 01 00000000:00000000 00:00000000 00000000     0        0 2 1
"""


class FakeHost:
    def run(self, command: str):
        return SimpleNamespace(stdout=PROC_NET_TCP, rc=0)


def test_listening_reads_proc_net_tcp():
    assert listening(FakeHost(), 8000)  # 0x1F40, state 0A
    assert not listening(FakeHost(), 11434)  # 0x2CAA is ESTABLISHED, not LISTEN


def test_every_engine_role_has_a_server_check():
    for engine, roles in {"vllm": ["server"], "ollama": ["server"], "kuberay": ["ray-head", "ray-worker"],
                          "aibrix": ["ray-head", "ray-worker"]}.items():
        for role in roles:
            assert (engine, role) in SERVER


def test_without_cluster_the_suite_says_why():
    if conftest.PODS:
        return
    assert conftest.WHY.startswith(("kubectl is not installed", "no Kubernetes cluster", "cannot list pods",
                                    "no running server pods"))
