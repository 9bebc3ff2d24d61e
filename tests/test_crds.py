"""CRD schemas in schemas/crds/ come from our converter and validate the upstream samples."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator import crds, validation
from generator.build import ROOT

UPSTREAM = ROOT.parent / "shared" / "upstream"


def test_converter_is_strict_and_drops_descriptions():
    crd = {"spec": {"group": "example.com", "names": {"kind": "Widget"}, "versions": [{
        "name": "v1", "served": True, "schema": {"openAPIV3Schema": {
            "type": "object", "description": "x",
            "properties": {"spec": {"type": "object", "required": ["size", "mode"], "properties": {
                "size": {"x-kubernetes-int-or-string": True},
                "mode": {"type": "string", "default": "fast"},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                          "properties": {"a": {"type": "string"}}},
                "note": {"type": "string", "nullable": True}}}}}}}]}}
    ((kind, version, schema),) = list(crds.version_schemas(crd, "test"))
    assert (kind, version) == ("Widget", "v1")
    spec = schema["properties"]["spec"]
    assert spec["additionalProperties"] is False
    assert spec["required"] == ["size"]
    assert spec["properties"]["size"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert "additionalProperties" not in spec["properties"]["extra"]
    assert spec["properties"]["note"]["type"] == ["string", "null"]
    assert "description" not in schema


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="../shared/upstream is not beside this checkout")
def test_committed_crd_schemas_match_the_converter():
    files = crds.convert_tree(UPSTREAM / "crds")
    committed = {p.relative_to(ROOT / "schemas/crds").as_posix()
                 for p in (ROOT / "schemas/crds").rglob("*.json")}
    assert set(files) == committed
    for rel, text in files.items():
        assert (ROOT / "schemas/crds" / rel).read_text() == text, f"re-run `llm-serving crds`: {rel}"


SAMPLES = sorted((UPSTREAM / "samples").rglob("*.yaml")) if UPSTREAM.is_dir() else []


@pytest.mark.skipif(not SAMPLES, reason="../shared/upstream is not beside this checkout")
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_upstream_sample_validates(sample: Path):
    for doc in yaml.safe_load_all(sample.read_text()):
        if doc:
            crd_set = "v0.2.1" if "v0.2.1" in sample.parts[-2] else ""
            assert validation.document_errors(doc, crd_set) == []


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="../shared/upstream is not beside this checkout")
def test_vendored_files_match_upstream():
    from generator import vendor

    for rel, text in vendor.vendored(UPSTREAM).items():
        assert (ROOT / rel).read_text() == text, f"re-run `llm-serving vendor`: {rel}"
