"""The `llm-serving` command: exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import cli, tools
from generator.build import ROOT

from .conftest import HELM_VERSIONS, helm, run_cli


def test_unknown_profile_is_one_line_exit_2():
    proc = run_cli("validate", "--no-generate", "no-such-profile")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "no-such-profile" in proc.stderr and "h100-80gb" in proc.stderr


def test_bad_yaml_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("vllm: [unclosed\n")
    proc = run_cli("validate", "--no-generate", str(bad))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "not valid YAML" in proc.stderr


def test_crds_missing_upstream_exit_2(tmp_path):
    proc = run_cli("crds", "--upstream", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_validate_one_profile_prints_summary(capsys):
    assert cli.main(["validate", "--no-generate", "l4-24gb"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("profile"))
    for column in ("engine", "model", "GPUs", "TPxPP", "objects", "result"):
        assert column in header
    row = next(line for line in out.splitlines() if line.startswith("l4-24gb"))
    model = yaml.safe_load((ROOT / "values" / "l4-24gb.yaml").read_text())["vllm"]["model"]["name"]
    assert "vllm" in row and model in row and row.endswith("ok")


def test_validate_fails_on_invalid_file(capsys):
    bad = ROOT / "tests/values-invalid/tp-exceeds-gpus.yaml"
    assert cli.main(["validate", "--no-generate", str(bad)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_package_builds_an_installable_archive(tmp_path):
    import tarfile

    assert cli.main(["package", "--destination", str(tmp_path)]) == 0
    (archive,) = tmp_path.glob("llm-serving-*.tgz")
    names = tarfile.open(archive).getnames()
    assert "llm-serving/values.schema.json" in names
    assert "llm-serving/charts/vllm/templates/deployment.yaml" in names
    assert not [n for n in names if "/ci/" in n], "ci values stay out of the package"
    helm = next(iter(tools.require_helm_binaries().values()))
    proc = subprocess.run([str(helm), "template", "r1", str(archive), "-f",
                           str(ROOT / "values" / "cpu-only.yaml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def one_line_exit_2(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)


def test_non_utf8_files_are_one_line_exit_2(tmp_path):
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00gpu: H100-80GB\n")
    one_line_exit_2(run_cli("plan", "--hardware", str(binary)), "bin.yaml", "not UTF-8", "save it as UTF-8")
    one_line_exit_2(run_cli("validate", "--no-generate", str(binary)), "bin.yaml", "not UTF-8")


@pytest.mark.parametrize("text, needles", [
    ("- vllm\n- ollama\n", ["top level is a list", "vllm:"]),
    ("vllm: 5\n", ["vllm is 5", "not a mapping"]),
    ("ollama: [deepseek-r1:8b]\n", ["ollama is", "not a mapping"]),
])
def test_values_of_the_wrong_shape_are_one_line_exit_2(tmp_path, text, needles):
    bad = tmp_path / "shape.yaml"
    bad.write_text(text)
    good = ROOT / "values" / "l4-24gb.yaml"
    # The bad file comes second: nothing is validated (no half report) before the error.
    proc = run_cli("validate", "--no-generate", str(good), str(bad))
    one_line_exit_2(proc, "shape.yaml", *needles)
    assert "validating" not in proc.stdout


@pytest.mark.parametrize("args, option", [
    (["--nodes", "0"], "--nodes"),
    (["--gpu", "H100-80GB", "--nodes", "-1"], "--nodes"),
    (["--gpu", "none", "--nodes", "0"], "--nodes"),
    (["--gpu", "H100-80GB", "--gpus-per-node", "-2"], "--gpus-per-node"),
    (["--gpu", "H100-80GB", "--gpus-per-node", "0"], "--gpus-per-node"),
    (["--gpu", "H100-80GB", "--gpus-per-node", "17"], "--gpus-per-node"),
    (["--gpu", "H100-80GB", "--context", "-5"], "--context"),
    (["--gpu", "none", "--cpu", "0"], "--cpu"),
    (["--gpu", "none", "--memory", "-8"], "--memory"),
    (["--nodes", "two"], "--nodes"),
    (["--gpu", "none", "--gpus-per-node", "2"], "--gpus-per-node"),
])
def test_plan_numeric_options_are_checked(args, option):
    proc = run_cli("plan", *args)
    one_line_exit_2(proc, option)
    assert proc.stdout == ""


def test_hardware_file_with_a_gpu_needs_gpus_per_node(tmp_path):
    hw = tmp_path / "hw.yaml"
    hw.write_text("gpu: H100-80GB\nnodes: 1\n")
    one_line_exit_2(run_cli("plan", "--hardware", str(hw)), "gpusPerNode", "missing")
    hw.write_text("gpu: H100-80GB\ngpusPerNode: 0\n")
    one_line_exit_2(run_cli("plan", "--hardware", str(hw)), "gpusPerNode")
    hw.write_text("gpu: null\ngpusPerNode: 4\n")
    one_line_exit_2(run_cli("plan", "--hardware", str(hw)), "gpusPerNode", "gpu null")
    hw.write_text("gpu: H100-80GB\ngpusPerNode: 8\nnodes: 2\n")
    assert run_cli("plan", "--hardware", str(hw)).returncode == 0


def test_hardware_file_is_not_mixed_with_hardware_flags(tmp_path):
    hw = tmp_path / "hw.yaml"
    hw.write_text("gpu: H100-80GB\ngpusPerNode: 8\n")
    one_line_exit_2(run_cli("plan", "--hardware", str(hw), "--nodes", "2", "--rdma"),
                    "--hardware", "--nodes", "--rdma", "in the file")


def test_refusal_in_json_is_a_json_object_on_stdout(tmp_path):
    out = tmp_path / "no.yaml"
    proc = run_cli("plan", "--gpu", "H100-80GB", "--gpus-per-node", "8", "--model", "deepseek-r1", "--precision", "fp8",
               "--format", "json", "-o", str(out))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["refused"] is True and "689 GB" in data["reason"]
    assert data["numbers"]["model"] == "deepseek-r1" and data["numbers"]["weightsGiB"] == 642.0
    assert "2 nodes of 8 x H100-80GB" in data["suggestions"]
    assert not out.exists()


# ---------------------------------------------------------------- which helm validate uses

def _fake_helm(directory: Path, version: str) -> Path:
    """A stand-in binary that answers `helm version --template ...` with `version`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "helm"
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def test_find_helms_prefers_the_pinned_pair(monkeypatch, tmp_path):
    pinned = {pin.version: _fake_helm(tmp_path / pin.version, pin.version) for pin in tools.HELM_PINS}
    monkeypatch.setattr(tools, "installed_path", lambda pin: pinned[pin.version])
    monkeypatch.setenv("PATH", str(_fake_helm(tmp_path / "path", "v3.17.2").parent))
    assert tools.find_helms() == pinned


def test_find_helms_falls_back_to_the_helm_on_path(monkeypatch, tmp_path):
    monkeypatch.setattr(tools, "installed_path", lambda pin: tmp_path / "none" / pin.version)
    on_path = _fake_helm(tmp_path / "path", "v3.17.2")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert tools.find_helms() == {"v3.17.2": on_path}
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(tools.ToolError, match="no helm found.*--helm"):
        tools.find_helms()


def test_find_helms_takes_every_helm_given(tmp_path):
    first, second = _fake_helm(tmp_path / "a", "v3.16.4"), _fake_helm(tmp_path / "b", "v4.0.0")
    assert tools.find_helms([str(first), str(second)]) == {"v3.16.4": first, "v4.0.0": second}
    not_helm = tmp_path / "nothing"
    with pytest.raises(tools.ToolError, match=f"--helm {not_helm}"):
        tools.find_helms([str(not_helm)])


def test_validate_with_one_helm_names_its_version():
    version = HELM_VERSIONS[-1]
    proc = run_cli("validate", "--no-generate", "cpu-only", "--helm", str(helm(version)))
    assert proc.returncode == 0, proc.stderr
    assert f"validating with helm {version}" in proc.stdout and f"objects (helm {version})" in proc.stdout
