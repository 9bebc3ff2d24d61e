"""A checkov scan of every rendered profile and feature variant; only findings listed, with a
reason, in tests/checkov-skips.yaml are accepted. checkov runs from its own virtualenv
(.tools/checkov, made by `make bootstrap`) with --skip-download: no network."""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from generator.build import ROOT

from .conftest import VALUES_FILES, rendered

CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
SKIPS = yaml.safe_load((ROOT / "tests" / "checkov-skips.yaml").read_text())
VARIANTS = sorted((ROOT / "tests" / "values-valid").glob("*.yaml"))


def reason_and_scope(entry) -> tuple[str, str]:
    """A skip is a reason (every resource), or {reason, resources: regex of resource names}."""
    if isinstance(entry, dict):
        return entry["reason"], entry["resources"]
    return entry, ""


def test_every_skip_has_a_reason():
    for check, entry in SKIPS.items():
        reason, _ = reason_and_scope(entry)
        assert check.startswith("CKV") and isinstance(reason, str) and len(reason) > 40, check


def scan(directory: Path) -> dict:
    if not CHECKOV.exists():
        pytest.fail("checkov is not installed: run `make bootstrap` (it creates .tools/checkov)")
    proc = subprocess.run([str(CHECKOV), "-d", str(directory), "--framework", "kubernetes", "--skip-download",
                           "--quiet", "--compact", "-o", "json"], capture_output=True, text=True, check=False)
    data = json.loads(proc.stdout)
    return data if isinstance(data, dict) else {"results": {"failed_checks": [
        f for report in data for f in report["results"]["failed_checks"]]}}


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> dict[str, list[str]]:
    directory = tmp_path_factory.mktemp("rendered")
    for values_file in [*VALUES_FILES, *VARIANTS]:
        docs = rendered(values_file)
        (directory / f"{values_file.stem}.yaml").write_text(yaml.safe_dump_all(docs))
    found: dict[str, list[str]] = defaultdict(list)
    for failed in scan(directory)["results"]["failed_checks"]:
        found[failed["check_id"]].append(f"{Path(failed['file_path']).stem}: {failed['resource']}")
    return found


def test_no_finding_outside_the_skip_file(findings):
    unexpected = {}
    for check, where in findings.items():
        if check in SKIPS:
            _, scope = reason_and_scope(SKIPS[check])
            where = [w for w in where if scope and not re.search(scope, w)]
        if where:
            unexpected[check] = where
    assert not unexpected, json.dumps(unexpected, indent=1)


def test_scan_catches_a_privileged_container(tmp_path):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "x"},
           "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                    "securityContext": {"privileged": True}}]}}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(pod))
    checks = {f["check_id"] for f in scan(tmp_path)["results"]["failed_checks"]}
    assert "CKV_K8S_16" in checks and "CKV_K8S_16" not in SKIPS
