"""`helm upgrade` from the previous release works: every profile rendered with the previous
release's package and profile (tests/releases/<version>/) and with the checkout (its own profile,
and the old profile file a user kept) changes no field Kubernetes treats as immutable, unless the
version is a major bump whose changelog says `**Breaking:**`; and the version bump is at least
what the change of default values needs (README "Upgrade": removed value or refused old profile:
major; changed or added default: minor)."""

from __future__ import annotations

import copy
import functools
import re
import shutil
import tarfile
from pathlib import Path

import pytest
import yaml

from generator import __version__, interface, release, validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, VALUES_FILES, helm, rendered
from .upgrade import immutable_changes, object_changes, quantity, value_changes

RELEASES = ROOT / "tests" / "releases"
CHART = ROOT / "charts" / "llm-serving"


def previous_release() -> str:
    """The newest release kept in tests/releases/ that is older than the checkout."""
    current = release.parse_version(__version__).precedence()
    kept = [d.name for d in RELEASES.iterdir() if d.is_dir()]
    older = [v for v in kept if release.parse_version(v).precedence() < current]
    assert older, f"tests/releases/ keeps no release older than {__version__}: keep the previous one (README there)"
    return max(older, key=lambda v: release.parse_version(v).precedence())


PREVIOUS = previous_release()
PACKAGE = RELEASES / PREVIOUS / f"llm-serving-{PREVIOUS}.tgz"
OLD_PROFILES = {p.name for p in (RELEASES / PREVIOUS / "values").glob("*.yaml")}
PROFILES = [p for p in VALUES_FILES if p.name in OLD_PROFILES]
HOW = (f"helm upgrade from {PREVIOUS} fails on these. Keep the field as it was, or release a major version "
       "whose CHANGELOG.md entry starts with `**Breaking:**` and tells users what to do (README: Upgrade).")


def breaking_allowed(previous: str, current: str, changelog_text: str) -> bool:
    """A release may break upgrades from `previous` when it is a major bump whose changelog
    section has a `**Breaking:**` entry."""
    bump = release.bump(release.parse_version(previous), release.parse_version(current))
    entry = release.changelog(changelog_text).get(current)
    return bump == "major" and entry is not None and bool(entry.breaking)


def breaking_release() -> bool:
    return breaking_allowed(PREVIOUS, __version__, (ROOT / "CHANGELOG.md").read_text())


def render(chart: Path, values_file: Path) -> list[dict]:
    return validation.helm_template(helm(HELM_VERSIONS[0]), values_file, chart=chart)


def test_previous_release_is_older_and_in_the_changelog():
    with tarfile.open(PACKAGE) as tar:
        meta = yaml.safe_load(tar.extractfile("llm-serving/Chart.yaml").read())  # type: ignore[union-attr]
    assert meta["version"] == PREVIOUS
    assert release.bump(release.parse_version(PREVIOUS), release.parse_version(__version__)) is not None
    assert PREVIOUS in release.changelog((ROOT / "CHANGELOG.md").read_text())
    assert PROFILES, "no profile of the previous release is still shipped"


@pytest.mark.parametrize("values_file", PROFILES, ids=[p.stem for p in PROFILES])
def test_upgrade_from_previous_release_changes_no_immutable_field(values_file: Path):
    old_values = RELEASES / PREVIOUS / "values" / values_file.name
    old = render(PACKAGE, old_values)
    problems = immutable_changes(old, rendered(values_file))
    try:
        kept = render(CHART, old_values)
    except validation.RenderError as exc:
        problems.append(f"the {PREVIOUS} profile {values_file.name} is refused by this chart: "
                        f"{str(exc).splitlines()[0]}")
    else:
        problems += [p for p in immutable_changes(old, kept) if p not in problems]
    if problems and not breaking_release():
        pytest.fail(f"{values_file.stem}:\n  " + "\n  ".join(problems) + f"\n{HOW}")


def _chart_defaults(files: dict[str, str]) -> dict:
    """The values a release starts from: each subchart's values.yaml under its name, the
    umbrella's values.yaml over them (helm's merge)."""
    merged: dict = {}
    for rel, text in sorted(files.items()):
        match = re.fullmatch(r"llm-serving/charts/([^/]+)/values\.yaml", rel)
        if match:
            merged[match.group(1)] = yaml.safe_load(text) or {}
    return interface.merge(merged, yaml.safe_load(files["llm-serving/values.yaml"]) or {})


@functools.cache
def defaults() -> tuple[dict, dict]:
    with tarfile.open(PACKAGE) as tar:
        old = {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers()  # type: ignore[union-attr]
               if m.isfile() and m.name.endswith("values.yaml")}
    new = {f"llm-serving/{p.relative_to(CHART).as_posix()}": p.read_text()
           for p in [CHART / "values.yaml", *(CHART / "charts").glob("*/values.yaml")]}
    return _chart_defaults(old), _chart_defaults(new)


def required_bump(removed: list[str], changed: list[str], added: list[str]) -> str:
    return "major" if removed else "minor" if changed or added else "patch"


def test_version_bump_covers_the_change_of_default_values():
    removed, changed, added = value_changes(*defaults())
    need = required_bump(removed, changed, added)
    # A shipped profile that changed (sizes, versions, arguments) changes what its users run: minor.
    for values_file in PROFILES:
        old, new = (yaml.safe_load((d / values_file.name).read_text()) or {}
                    for d in (RELEASES / PREVIOUS / "values", ROOT / "values"))
        if any(value_changes(old, new)):
            changed.append(f"profile {values_file.stem}")
            need = max(need, "minor", key=release.BUMPS.index)
    bump = release.bump(release.parse_version(PREVIOUS), release.parse_version(__version__))
    assert bump is not None
    detail = "\n  ".join([*(f"removed: {p}" for p in removed), *(f"changed: {p}" for p in changed),
                          *(f"added: {p}" for p in added)][:40])
    assert release.BUMPS.index(bump) >= release.BUMPS.index(need), (
        f"{PREVIOUS} -> {__version__} is a {bump} bump, but the default values changed for a {need} one "
        f"(README: Upgrade):\n  {detail}")
    if need == "major":
        assert breaking_release(), f"removed values need a `**Breaking:**` changelog entry:\n  {detail}"


# ---------------------------------------------------------------- the checks can fail

def test_changed_selector_label_is_caught(tmp_path: Path):
    """A selector label added in the common library chart: the upgrade check names the objects."""
    chart = tmp_path / "llm-serving"
    shutil.copytree(CHART, chart)
    labels = chart / "charts/common/templates/_labels.tpl"
    text = labels.read_text()
    define = '{{- define "common.labels.selector" -}}'
    assert define in text, "the selector labels moved: point this test at their define"
    head, tail = text.split(define, 1)
    body, rest = tail.split("{{- end -}}", 1)
    labels.write_text(f"{head}{define}{body}\nupgrade-check: changed\n{{{{- end -}}}}{rest}")
    profile = ROOT / "values" / "cpu-only.yaml"
    problems = immutable_changes(rendered(profile), render(chart, profile))
    assert any(p.startswith("Deployment r1-ollama: spec.selector would change") for p in problems), problems
    assert all("upgrade-check" in p for p in problems if "selector" in p)


def _doc(kind: str, spec: dict, api: str = "v1", annotations: dict | None = None) -> dict:
    meta: dict = {"name": "r1-x", "namespace": "llm"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}


def test_each_rule_names_object_and_field():
    pvc = _doc("PersistentVolumeClaim", {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                                         "resources": {"requests": {"storage": "500Gi"}}})
    for change, field in [({"storageClassName": "slow"}, "spec.storageClassName"),
                          ({"accessModes": ["ReadWriteMany"]}, "spec.accessModes"),
                          ({"resources": {"requests": {"storage": "400Gi"}}}, "spec.resources.requests.storage")]:
        new = copy.deepcopy(pvc)
        new["spec"].update(change)
        (problem,) = object_changes(pvc, new)
        assert problem.startswith(f"PersistentVolumeClaim r1-x: {field} would change"), problem
    larger = copy.deepcopy(pvc)
    larger["spec"]["resources"]["requests"]["storage"] = "0.6Ti"
    assert object_changes(pvc, larger) == []

    svc = _doc("Service", {"clusterIP": "None", "ports": [{"port": 80}]})
    (problem,) = object_changes(svc, _doc("Service", {"ports": [{"port": 80}]}))
    assert problem.startswith("Service r1-x: spec.clusterIP would change from \"None\" to unset")
    problems = object_changes(_doc("Service", {"type": "ClusterIP"}), _doc("Service", {"type": "LoadBalancer"}))
    assert problems == [], "ClusterIP -> LoadBalancer is an allowed update"

    job = _doc("Job", {"template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}, "batch/v1")
    job2 = _doc("Job", {"template": {"spec": {"containers": [{"name": "a", "image": "x:2"}]}}}, "batch/v1")
    assert [p.split(" would")[0] for p in immutable_changes([job], [job2])] == ["Job r1-x: spec.template"]
    hook = {"helm.sh/hook": "pre-upgrade"}
    assert immutable_changes([_doc("Job", job["spec"], "batch/v1", hook)],
                             [_doc("Job", job2["spec"], "batch/v1", hook)]) == [], "helm recreates hooks"

    lws = _doc("LeaderWorkerSet", {"leaderWorkerTemplate": {"size": 2, "subGroupPolicy": {"subGroupSize": 2}}},
               "leaderworkerset.x-k8s.io/v1")
    lws2 = _doc("LeaderWorkerSet", {"leaderWorkerTemplate": {"size": 2}}, "leaderworkerset.x-k8s.io/v1")
    assert object_changes(lws, lws2)[0].startswith(
        "LeaderWorkerSet r1-x: spec.leaderWorkerTemplate.subGroupPolicy.subGroupSize")
    deployment = _doc("Deployment", {"selector": {"matchLabels": {"a": "1"}}, "replicas": 1}, "apps/v1")
    scaled = _doc("Deployment", {"selector": {"matchLabels": {"a": "1"}}, "replicas": 3}, "apps/v1")
    assert immutable_changes([deployment], [scaled]) == []


def test_quantities():
    assert quantity("500Gi") == 500 * 2**30 and quantity("1.5T") == 1_500_000_000_000 and quantity("100") == 100
    assert quantity("0.5Ti") > quantity("500Gi") > quantity("500G")


def test_value_changes_and_the_bump_they_need():
    old = {"vllm": {"image": {"tag": "v1"}, "args": [], "gone": 1, "extra": {}}}
    new = {"vllm": {"image": {"tag": "v2"}, "args": [], "extra": {"k": 1}, "fresh": True}}
    removed, changed, added = value_changes(old, new)
    assert removed == ["vllm.gone"]
    assert changed == ['vllm.extra: {} -> a map', 'vllm.image.tag: "v1" -> "v2"']
    assert added == ["vllm.fresh"]
    assert required_bump(removed, changed, added) == "major"
    assert required_bump([], changed, []) == "minor" and required_bump([], [], []) == "patch"


def test_only_a_major_release_that_says_breaking_may_break_upgrades():
    said = "## [1.0.0] - 2026-01-01\n\n### Changed\n\n- **Breaking:** the selector changed: reinstall\n"
    silent = "## [1.0.0] - 2026-01-01\n\n### Changed\n\n- the selector changed\n"
    minor = "## [0.3.0] - 2026-01-01\n\n### Changed\n\n- **Breaking:** the selector changed: reinstall\n"
    assert breaking_allowed("0.2.0", "1.0.0", said)
    assert not breaking_allowed("0.2.0", "1.0.0", silent)
    assert not breaking_allowed("0.2.0", "0.3.0", minor)


@pytest.fixture(scope="module")
def next_patch_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout's chart as its next patch release would package it: every Chart.yaml's version
    raised, nothing else changed."""
    chart = tmp_path_factory.mktemp("next") / "llm-serving"
    shutil.copytree(CHART, chart)
    for meta in chart.rglob("Chart.yaml"):
        meta.write_text(meta.read_text().replace(__version__, __version__ + "-next"))
    return chart


@pytest.mark.parametrize("values_file", VALUES_FILES, ids=lambda p: p.stem)
def test_an_upgrade_that_changes_only_the_version_restarts_no_pod(values_file: Path, next_patch_chart: Path):
    """A pod template that carries the chart version (helm.sh/chart) changes with every release:
    Kubernetes then replaces every pod (the weights load again) and a RayService builds a second
    cluster. Pod templates carry no label that changes with the version alone."""
    from .conftest import pod_templates

    def templates(docs: list[dict]) -> dict[str, dict]:
        return {t.name: {"metadata": t.metadata, "spec": t.spec} for t in pod_templates(docs)
                if (t.metadata.get("annotations") or {}).get("helm.sh/hook") is None}

    now = templates(rendered(values_file))
    after = templates(render(next_patch_chart, values_file))
    changed = [name for name in now if now[name] != after.get(name)]
    assert not changed, f"{values_file.stem}: the pod templates of {changed} change with the chart version alone"
