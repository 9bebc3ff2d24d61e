"""Checks from inside each server pod of a live release: the server process runs, the API port
listens, the model files are in the cache path, the GPUs are visible."""

from __future__ import annotations

import pytest

from .conftest import ServerPod

# process name to look for in /proc/*/cmdline, API port (None: not served from this pod)
SERVER = {
    ("vllm", "server"): ("vllm", 8000),
    ("ollama", "server"): ("ollama", 11434),
    ("kuberay", "ray-head"): ("gcs_server", 8000),
    ("kuberay", "ray-worker"): ("raylet", None),
    ("aibrix", "ray-head"): ("vllm", 8000),
    ("aibrix", "ray-worker"): ("raylet", None),
}


def listening(host, port: int) -> bool:
    """From /proc/net/tcp{,6}: no ss or netstat needed in the image. State 0A = LISTEN."""
    out = host.run("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null").stdout
    wanted = f":{port:04X}"
    return any(len(f := line.split()) > 3 and f[1].endswith(wanted) and f[3] == "0A" for line in out.splitlines())


def test_server_process_running(pod: ServerPod):
    name, _ = SERVER[(pod.engine, pod.role)]
    result = pod.host().run(f"grep -l -a '{name}' /proc/[0-9]*/cmdline")
    assert result.rc == 0 and result.stdout.strip(), f"no {name} process in {pod.name}"


def test_api_port_listens(pod: ServerPod):
    _, port = SERVER[(pod.engine, pod.role)]
    if port is None:
        pytest.skip("this pod serves no API")
    assert listening(pod.host(), port), f"nothing listens on {port} in {pod.name}"


def test_model_files_in_cache_path(pod: ServerPod):
    host = pod.host()
    if pod.engine == "ollama":
        result = host.run("ollama list")
        assert result.rc == 0 and len(result.stdout.strip().splitlines()) > 1, "ollama has no model"
        return
    path = pod.env.get("HF_HOME") or "/models"
    result = host.run(f"find {path} -name '*.safetensors' | head -1")
    if pod.engine == "kuberay" and pod.role == "ray-head":
        pytest.skip("Ray Serve downloads weights on the workers")
    assert result.stdout.strip(), f"no safetensors under {path} in {pod.name}"


def test_gpus_visible(pod: ServerPod):
    if pod.gpus == 0:
        pytest.skip("no GPU requested")
    host = pod.host()
    nvidia = host.run("ls /dev/nvidia[0-9]* 2>/dev/null | wc -l").stdout.strip()
    amd = host.run("ls /dev/dri/renderD* 2>/dev/null | wc -l").stdout.strip()
    assert max(int(nvidia or 0), int(amd or 0)) >= pod.gpus, f"{pod.name} sees fewer than {pod.gpus} GPUs"
