"""The validation suite itself: it must fail on broken templates and on bad manifests."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from generator import validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, VALUES_FILES, find, helm, rendered

H100 = ROOT / "values" / "h100-80gb.yaml"


@pytest.fixture()
def chart_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "llm-serving"
    shutil.copytree(validation.CHART, dest)
    return dest


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_broken_template_fails(chart_copy: Path, version: str):
    deployment = chart_copy / "charts/vllm/templates/deployment.yaml"
    deployment.write_text(deployment.read_text().replace("{{- end }}", "", 1))
    result = validation.validate_file(H100, version, helm(version), chart=chart_copy)
    assert not result.ok


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_template_emitting_an_invalid_field_fails(chart_copy: Path, version: str):
    service = chart_copy / "charts/vllm/templates/service.yaml"
    service.write_text(service.read_text().replace("  type: {{", "  typo: 1\n  type: {{", 1))
    result = validation.validate_file(H100, version, helm(version), chart=chart_copy)
    assert any("Service/" in e and "typo" in e for e in result.errors), result.errors


def test_core_kind_checked_for_oldest_and_newest_kubernetes():
    (deploy,) = find(rendered(H100), "Deployment")
    bad = copy.deepcopy(deploy)
    bad["spec"]["template"]["spec"]["containers"][0]["gpus"] = 1
    errors = validation.document_errors(bad)
    assert any("k8s 1.25.0" in e for e in errors) and any("k8s 1.37.0" in e for e in errors)
    bad = copy.deepcopy(deploy)
    bad["spec"]["replicas"] = "two"
    assert validation.document_errors(bad)


def test_cached_core_validation_agrees_with_kubernetes_validate():
    """Our once-built validators must accept and reject exactly what kubernetes-validate does."""
    import kubernetes_validate

    (deploy,) = find(rendered(H100), "Deployment")
    bad = copy.deepcopy(deploy)
    bad["spec"]["template"]["spec"]["containers"][0]["gpus"] = 1
    for doc in [*rendered(H100), bad]:
        for version in ("1.25.0", "1.37.0"):
            ours = validation._core_errors(doc, version)
            try:
                kubernetes_validate.validate(doc, version, strict=True)
                theirs: list[str] | None = []
            except kubernetes_validate.SchemaNotFoundError:
                theirs = None
            except kubernetes_validate.ValidationError as exc:
                theirs = [validation._describe(exc)]
            assert ours == theirs, (doc["kind"], version)


def test_api_not_served_by_oldest_kubernetes_fails():
    doc = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim",
           "metadata": {"name": "x"}, "spec": {}}
    assert any("not served by Kubernetes 1.25.0" in e for e in validation.document_errors(doc))


def test_unknown_kind_fails():
    doc = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    (error,) = validation.document_errors(doc)
    assert "no schema" in error and "Widget" in error


def test_custom_kind_checked_against_crd_schema():
    sample = {
        "apiVersion": "ray.io/v1", "kind": "RayService", "metadata": {"name": "r"},
        "spec": {"rayClusterConfig": {"headGroupSpec": {"rayStartParams": {}, "template": {
            "spec": {"containers": [{"name": "head", "image": "rayproject/ray:2.46.0"}]}}}}},
    }
    assert validation.document_errors(sample) == []
    typo = copy.deepcopy(sample)
    typo["spec"]["rayClusterConfig"]["headGroupSpec"]["rayStartParam"] = {}
    assert any("rayStartParam" in e for e in validation.document_errors(typo))


def test_values_schema_errors_name_the_field(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"vllm": {"engine": {"maxModelLen": "long"}}}))
    assert any(e.startswith("vllm.engine.maxModelLen") for e in validation.values_errors(bad))


def test_every_profile_has_a_schema_for_every_kind():
    for values_file in VALUES_FILES:
        for doc in rendered(values_file):
            assert not [e for e in validation.document_errors(doc) if "no schema" in e]


def test_lint_failure_is_reported_though_the_render_passes(monkeypatch):
    """helm lint runs beside the render: its failure must still fail the profile, with its text."""
    monkeypatch.setattr(validation, "_lint_command",
                        lambda *args: ["sh", "-c", "echo '[ERROR] templates/x.yaml: lint says no'; exit 1"])
    result = validation.validate_file(H100, HELM_VERSIONS[0], helm(HELM_VERSIONS[0]))
    assert not result.ok
    assert result.errors == [f"helm {HELM_VERSIONS[0]}: [ERROR] templates/x.yaml: lint says no"]


def test_no_helm_process_outlives_a_failed_validation(monkeypatch):
    """If waiting for the side-by-side helm processes fails (timeout, Ctrl-C), none is left running."""
    import subprocess

    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    def interrupted(self, timeout=None):
        raise KeyboardInterrupt

    def bad_values():
        raise ValueError("values.yaml: the top level is a list")

    monkeypatch.setattr(subprocess, "Popen", popen)
    with pytest.raises(ValueError):  # the values check, run while helm works, fails
        validation._run_together([["sleep", "30"], ["sleep", "30"]], bad_values)
    monkeypatch.setattr(real_popen, "communicate", interrupted)
    with pytest.raises(KeyboardInterrupt):  # waiting for helm is interrupted
        validation._run_together([["sleep", "30"], ["sleep", "30"]], lambda: None)
    assert len(started) == 4 and all(proc.poll() is not None for proc in started)


def test_validate_all_checks_every_pair_and_the_values_once(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("vllm:\n  engine:\n    maxNumSeqs: zero\n")
    helms = {version: helm(version) for version in HELM_VERSIONS}
    good = VALUES_FILES[0]
    started: list[tuple[str, str]] = []
    results = validation.validate_all([good, bad], helms, jobs=2,
                                      started=lambda path, version: started.append((path.name, version)))
    assert sorted(started) == sorted((p.name, v) for p in (good, bad) for v in helms)
    assert all(results[good, v].ok and results[good, v].documents for v in helms)
    for version in helms:
        assert not results[bad, version].ok and not results[bad, version].documents
    values_errors = [e for v in helms for e in results[bad, v].errors if e.startswith("values: ")]
    assert len(values_errors) == 1 and "vllm.engine.maxNumSeqs" in values_errors[0]


def test_identical_documents_are_validated_once(monkeypatch):
    calls = []
    real = validation._validate_document
    monkeypatch.setattr(validation, "_validate_document", lambda doc, crd_set: calls.append(1) or real(doc, crd_set))
    validation._document_errors.cache_clear()
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}, "bogus": 1}
    first, second = validation.document_errors(doc), validation.document_errors(dict(doc))
    assert first == second and first and len(calls) == 1


def test_helm_runs_with_the_collector_off_unless_the_caller_says(monkeypatch):
    monkeypatch.delenv("GOGC", raising=False)
    assert validation._helm_env()["GOGC"] == "off" and validation._helm_env()["GOMEMLIMIT"] == "2GiB"
    monkeypatch.setenv("GOGC", "100")
    assert validation._helm_env()["GOGC"] == "100"
    lint = validation._lint_command(Path("helm"), Path("v.yaml"), validation.CHART)
    assert "--strict" in lint and "--skip-schema-validation" in lint
