"""The umbrella's Artifact Hub annotation lists every image the chart can run: each image of
every rendered profile and feature variant (engine, init, UI and helm-test containers, and the
pods inside custom resources) must be in `artifacthub.io/images`."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from generator.build import ROOT

from .conftest import ALL_FILES, rendered


def annotated_images() -> set[str]:
    chart = yaml.safe_load((ROOT / "charts/llm-serving/Chart.yaml").read_text())
    return {entry["image"] for entry in yaml.safe_load(chart["annotations"]["artifacthub.io/images"])}


def images(node: Any) -> set[str]:
    """`image` of every container and init container anywhere in a document."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                # a digest a user pins (image.digest) does not change which image it is
                found |= {c["image"].split("@")[0] for c in value if isinstance(c, dict) and "image" in c}
            found |= images(value)
    elif isinstance(node, list):
        for item in node:
            found |= images(item)
    return found


@pytest.mark.parametrize("values_file", ALL_FILES, ids=[p.stem for p in ALL_FILES])
def test_every_rendered_image_is_annotated(values_file):
    used = set().union(*(images(doc) for doc in rendered(values_file)))
    assert used, "no container rendered"
    assert used <= annotated_images(), f"not in artifacthub.io/images: {sorted(used - annotated_images())}"
