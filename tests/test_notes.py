"""NOTES.txt prints commands that work for the chosen exposure: the Ingress host, the HTTPRoute
hostnames, a LoadBalancer address or a port-forward, with the API key header exactly when the
engine checks one, and only Services the release (or its operator) really creates.

Only helm 4 renders NOTES without a cluster (`helm install --dry-run=client`); helm 3.19 asks the
cluster for its version first. CRD checks are off for the same reason (`install` has no
`--api-versions`)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, helm

CHART = ROOT / "charts" / "llm-serving"
VALID = ROOT / "tests" / "values-valid"
AUTH = 'Authorization: Bearer $API_KEY'


def install_dry_run(tmp_path: Path, *files: Path, values: dict | None = None) -> tuple[str, list[dict]]:
    extra: list[str] = []
    for f in files:
        extra += ["-f", str(f)]
    if values:
        path = tmp_path / "extra.yaml"
        path.write_text(yaml.safe_dump(values))
        extra += ["-f", str(path)]
    proc = subprocess.run(
        [str(helm(HELM_VERSIONS[0])), "install", "r1", str(CHART), "--dry-run=client", "-n", "llm",
         "--set", "global.requireCRDs=false", *extra], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    manifest, notes = proc.stdout.split("\nNOTES:\n", 1)
    docs = [d for d in yaml.safe_load_all(manifest.split("MANIFEST:", 1)[1]) if d]
    return notes, docs


def services_named(notes: str) -> set[str]:
    return set(re.findall(r"service/([a-z][a-z0-9-]*)", notes)) | set(
        re.findall(r"get service ([a-z][a-z0-9-]*) ", notes))


def check_services_exist(notes: str, docs: list[dict]) -> None:
    created = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
    operator = {f"r1-kuberay-{s}" for s in ("serve-svc", "head-svc")}  # KubeRay creates these
    assert services_named(notes) <= created | operator, services_named(notes) - created


def test_public_ingress_with_generated_key(tmp_path: Path):
    notes, docs = install_dry_run(tmp_path, ROOT / "values" / "h100-80gb.yaml")
    assert f"curl https://deepseek-r1.example.com/v1/models -H \"{AUTH}\"" in notes
    assert "get secret r1-api-key -o jsonpath='{.data.api-key}'" in notes
    check_services_exist(notes, docs)


def test_ollama_ingress_without_key_header(tmp_path: Path):
    notes, docs = install_dry_run(tmp_path, VALID / "ollama-offline-exposed.yaml",
                                  values={"global": {"apiKey": {"create": True}}})
    assert "curl http://ollama.internal.example.com/v1/models\n" in notes
    assert "port-forward service/r1-ollama 11434:11434" in notes
    assert AUTH not in notes.split("ollama serves", 1)[1]  # ollama checks no key
    check_services_exist(notes, docs)


def test_httproute_hostnames_and_port_forward(tmp_path: Path):
    notes, docs = install_dry_run(tmp_path, VALID / "vllm-keda-httproute-monitoring.yaml")
    assert "Through the HTTPRoute on Gateway gateway-system/external:" in notes
    assert f"curl https://r1.example.com/v1/models -H \"{AUTH}\"" in notes
    check_services_exist(notes, docs)


def test_kuberay_route_without_hostnames(tmp_path: Path):
    notes, docs = install_dry_run(tmp_path, VALID / "kuberay-autoscaling-monitoring.yaml")
    assert "curl http://<gateway address>/v1/models\n" in notes
    assert "port-forward service/r1-kuberay-serve-svc 8000:8000" in notes
    check_services_exist(notes, docs)


def test_vllm_load_balancer(tmp_path: Path):
    notes, docs = install_dry_run(tmp_path, values={
        "global": {"apiKey": {"existingSecret": "llm-api-key"},
                   "networkPolicy": {"allowFrom": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}},
        "vllm": {"service": {"type": "LoadBalancer"}}})
    assert "get service r1-vllm -o jsonpath='{.status.loadBalancer.ingress[0].ip}" in notes
    assert f"curl http://$ADDRESS:8000/v1/models -H \"{AUTH}\"" in notes
    check_services_exist(notes, docs)


@pytest.mark.parametrize("key", [False, True])
def test_aibrix_gateway_call_carries_the_key(tmp_path: Path, key: bool):
    extra = {"global": {"apiKey": {"create": True}}} if key else None
    notes, docs = install_dry_run(tmp_path, VALID / "ui-with-aibrix.yaml", values=extra)
    call = next(line for line in notes.splitlines() if "localhost:8888/v1/chat/completions" in line)
    assert (AUTH in call) is key
    assert ("get secret r1-api-key" in notes) is key
    check_services_exist(notes, docs)


def test_kuberay_route_prefix_reaches_notes_ui_and_helm_test(tmp_path: Path):
    notes, docs = install_dry_run(tmp_path, VALID / "kuberay-api-key.yaml",
                                  values={"kuberay": {"serve": {"routePrefix": "/llm/"}}})
    assert "curl http://localhost:8000/llm/v1/models -H" in notes
    (ui,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "r1-chat-ui"]
    env = {e["name"]: e.get("value") for e in ui["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["BASE_URL"] == "http://r1-kuberay-serve-svc:8000/llm"
    extra = tmp_path / "extra.yaml"  # written by install_dry_run
    rendered_docs = validation.helm_template(helm(HELM_VERSIONS[0]), VALID / "kuberay-api-key.yaml",
                                             extra=("-f", str(extra)))
    (test_pod,) = [d for d in rendered_docs if d["kind"] == "Pod" and d["metadata"]["name"] == "r1-kuberay-test"]
    assert '"http://r1-kuberay-serve-svc:8000/llm/v1/models"' in test_pod["spec"]["containers"][0]["args"][0]
