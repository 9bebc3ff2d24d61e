"""The mutation list (mutations/mutations.yaml) stays applicable: each entry's text occurs exactly
once in its file and names tests that exist, so `make mutations` reports killed or SURVIVED, not
STALE. The mutations themselves run outside this suite (make mutations)."""

from __future__ import annotations

import re
import sys

import pytest

from generator.build import ROOT

sys.path.insert(0, str(ROOT / "mutations"))
import check  # noqa: E402

sys.path.remove(str(ROOT / "mutations"))

ENTRIES = check.load()


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["id"])
def test_mutation_applies_and_names_existing_tests(entry: dict):
    text = (ROOT / entry["file"]).read_text()
    mutated = check.apply(text, entry)
    assert mutated is not None and mutated != text, f"{entry['id']}: its text is not in {entry['file']} once"
    assert entry["tests"]
    for test in entry["tests"]:
        path, _, name = test.partition("::")
        source = (ROOT / path).read_text()
        if name:
            assert re.search(rf"^def {re.escape(name.split('[')[0])}\(", source, re.M), test


def test_apply_needs_exactly_one_occurrence():
    entry = {"from": "a", "to": "b"}
    assert check.apply("xay", entry) == "xby"
    assert check.apply("xy", entry) is None and check.apply("aa", entry) is None


def test_the_issue_mutations_are_listed():
    assert {"engine-tolerations-ignored", "keda-always-targets-a-deployment", "hpa-without-targets-accepted",
            "serve-key-case-insensitive", "api-key-not-reused-on-upgrade", "generate-check-exit-code"} <= \
        {e["id"] for e in ENTRIES}
