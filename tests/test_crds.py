"""CRD schemas in schemas/crds/ come from our converter, name the upstream CRDs they were converted from
(with provenance), and validate the upstream samples (tests/data/upstream/)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from generator import crds, validation
from generator.build import ROOT

from . import upstream_data


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


PROVENANCE = yaml.safe_load(upstream_data.PROVENANCE.read_text())
SAMPLES = sorted(upstream_data.SAMPLES.rglob("*.yaml"))


def test_every_crd_schema_names_an_upstream_crd_with_provenance():
    """Each schemas/crds/ file says which upstream CRD it was converted from ($comment), and that
    CRD is listed with its repository, commit, license and blob in tests/data/upstream/provenance.yaml.
    (Whether the conversion is current: `llm-serving crds --upstream <shared/upstream>/crds --check`,
    run when the upstream folder changes; see mutations/README.md.)"""
    listed = {entry["crd"]: entry["from"] for entry in PROVENANCE["crds"]}
    schemas = sorted((ROOT / "schemas" / "crds").rglob("*.json"))
    assert schemas
    named = set()
    for path in schemas:
        comment = json.loads(path.read_text())["$comment"]
        match = re.search(r"from the upstream CRD (\S+\.yaml)", comment)
        assert match, f"{path}: $comment names no upstream CRD"
        source = match.group(1)
        assert source in listed, f"{path}: {source} has no provenance"
        assert all(listed[source][k] for k in ("repository", "commit", "license", "blob_sha1")), source
        named.add(source)
    assert named == set(listed), f"CRDs with provenance but no schema: {sorted(set(listed) - named)}"


def test_every_sample_has_provenance():
    listed = {entry["file"] for entry in PROVENANCE["samples"]}
    assert {p.relative_to(ROOT).as_posix() for p in SAMPLES} == listed
    for entry in PROVENANCE["samples"]:
        text = (ROOT / entry["file"]).read_text()
        assert f"{entry['from']['repository']} {entry['from']['path']}" in text.splitlines()[0], entry["file"]
        assert entry["from"]["license"] in text.splitlines()[1], entry["file"]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.relative_to(upstream_data.SAMPLES).as_posix())
def test_upstream_sample_validates(sample: Path):
    docs = [doc for doc in yaml.safe_load_all(sample.read_text()) if doc]
    assert docs
    for doc in docs:
        crd_set = "v0.2.1" if "v0.2.1" in sample.parts[-2] else ""
        assert validation.document_errors(doc, crd_set) == []


@pytest.mark.parametrize("entry", PROVENANCE["vendored"], ids=lambda e: e["file"])
def test_vendored_files_are_the_upstream_blobs(entry: dict):
    """Files shipped as upstream wrote them are byte-identical to the upstream git blob."""
    data = (ROOT / entry["file"]).read_bytes()
    assert upstream_data.git_blob_sha1(data) == entry["from"]["blob_sha1"], \
        f"{entry['file']} differs from {entry['from']['repository']} {entry['from']['path']}: " \
        "re-run `llm-serving vendor`"


def test_vendored_files_are_the_ones_vendor_copies():
    from generator import vendor

    assert set(vendor.FILES) == {e["file"] for e in PROVENANCE["vendored"]}
