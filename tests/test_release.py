"""Versioning and release metadata: one SemVer version for every chart and the Python package,
CHANGELOG.md with a section per release, the Artifact Hub annotations and artifacthub-repo.yml
generated from them (so `generate --check` catches a disagreement), `llm-serving package --sign`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
import yaml

from generator import __version__, build, cli, release, write
from generator.build import ROOT

from .conftest import HELM_VERSIONS, helm, run_cli
from .signing import throwaway_key

CHART = ROOT / "charts" / "llm-serving"
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()
RELEASES = ROOT / "tests" / "releases"


def chart_yamls() -> list[dict]:
    files = [CHART / "Chart.yaml", *sorted((CHART / "charts").glob("*/Chart.yaml"))]
    return [yaml.safe_load(p.read_text()) for p in files]


# ---------------------------------------------------------------- one version

def test_one_semver_version_for_every_chart_and_the_package():
    release.parse_version(__version__)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "generator.__version__"}
    for chart in chart_yamls():
        assert chart["version"] == __version__, chart["name"]
        for dependency in chart.get("dependencies", []):
            assert dependency["version"] == __version__, (chart["name"], dependency["name"])


def test_cli_prints_the_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"llm-serving {__version__}"


@pytest.mark.parametrize(("text", "ok"), [
    ("0.2.0", True), ("1.0.0-rc.1", True), ("2.0.0+build.5", True), ("10.20.30", True),
    ("0.2", False), ("v0.2.0", False), ("01.2.3", False), ("1.2.3-01", False), ("1.2.3-", False),
])
def test_semver_syntax(text: str, ok: bool):
    if ok:
        release.parse_version(text)
    else:
        with pytest.raises(release.ReleaseError, match="not SemVer"):
            release.parse_version(text)


def test_semver_precedence_follows_the_spec():
    # The example chain of SemVer 2.0.0, section 11.
    chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
             "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    keys = [release.parse_version(v).precedence() for v in chain]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


@pytest.mark.parametrize(("old", "new", "kind"), [
    ("0.1.0", "0.2.0", "minor"), ("0.1.0", "0.1.1", "patch"), ("0.9.3", "1.0.0", "major"),
    ("1.4.2", "2.0.0-rc.1", "major"), ("2.0.0-rc.1", "2.0.0", "patch"), ("1.2.3", "1.2.3", None),
    ("1.2.3", "1.2.2", None),
])
def test_bump(old: str, new: str, kind: str | None):
    assert release.bump(release.parse_version(old), release.parse_version(new)) == kind


# ---------------------------------------------------------------- CHANGELOG.md

def test_changelog_has_the_current_release_and_the_kept_previous_one():
    sections = release.changelog(CHANGELOG)
    assert __version__ in sections and sections[__version__].changes
    kept = [p.name for p in RELEASES.iterdir() if p.is_dir()]
    assert kept and set(kept) <= set(sections), "every release kept in tests/releases/ has a changelog section"
    # Newest first, each one newer than the next.
    keys = [release.parse_version(v).precedence() for v in sections]
    assert keys == sorted(keys, reverse=True)


def test_changelog_parsing():
    text = ("# Changelog\n\n## [Unreleased]\n\n### Added\n\n- not yet\n\n## [1.1.0-rc.1] - 2026-01-02\n\n"
            "### Security\n\n- a CVE fixed\n  in two lines\n\n"
            "### Removed\n\n- **Breaking:** `foo` is gone: use `bar`\n\n"
            "## [1.0.0] - 2025-12-01\n\n### Fixed\n\n- one\n")
    sections = release.changelog(text)
    assert list(sections) == ["1.1.0-rc.1", "1.0.0"]
    assert sections["1.1.0-rc.1"].changes == (("security", "a CVE fixed in two lines"),
                                              ("removed", "**Breaking:** `foo` is gone: use `bar`"))
    assert sections["1.1.0-rc.1"].breaking == ("**Breaking:** `foo` is gone: use `bar`",)
    notes = release.chart_annotations({"CHANGELOG.md": text}.get, version="1.1.0-rc.1")
    assert notes["artifacthub.io/containsSecurityUpdates"] == "true"
    assert notes["artifacthub.io/prerelease"] == "true"
    assert yaml.safe_load(notes["artifacthub.io/changes"])[0] == {"kind": "security",
                                                                  "description": "a CVE fixed in two lines"}


@pytest.mark.parametrize(("text", "message"), [
    ("## [1.0.0] - 2025-12-01\n\n### Improved\n\n- x\n", "use one of Added, Changed"),
    ("## [1.0.0] - 2025-12-01\n\n- x\n", "outside `### Added`"),
    ("## 1.0.0\n", "`## [1.2.3] - YYYY-MM-DD`"),
    ("## [1.0] - 2025-12-01\n", "not SemVer"),
    ("## [1.0.0]\n### Fixed\n- a\n## [1.0.0]\n", "a second section for 1.0.0"),
])
def test_bad_changelog_is_refused_naming_the_line(text: str, message: str):
    with pytest.raises(release.ReleaseError, match=re.escape(message)):
        release.changelog(text)


def test_generate_refuses_a_version_without_changelog_section(tmp_path: Path):
    """The one-line error of `llm-serving generate`, and nothing written."""
    root = tmp_path / "repo"
    for sub in ("charts", "values", "schemas"):
        shutil.copytree(ROOT / sub, root / sub)
    (root / "CHANGELOG.md").write_text(CHANGELOG.replace(f"## [{__version__}]", "## [0.0.1]"))
    before = (root / "charts/llm-serving/Chart.yaml").read_text()
    proc = subprocess.run([sys.executable, "-m", "generator", "generate"], cwd=ROOT,
                          env={"LLM_SERVING_ROOT": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"CHANGELOG.md has no `## [{__version__}]` section" in proc.stderr
    assert (root / "charts/llm-serving/Chart.yaml").read_text() == before


# ---------------------------------------------------------------- Artifact Hub

def test_chart_annotations_come_from_the_changelog():
    annotations = yaml.safe_load((CHART / "Chart.yaml").read_text())["annotations"]
    for key in ("changes", "images", "license", "links", "containsSecurityUpdates", "prerelease"):
        assert f"artifacthub.io/{key}" in annotations, key
    current = release.changelog(CHANGELOG)[__version__]
    changes = yaml.safe_load(annotations["artifacthub.io/changes"])
    assert [(c["kind"], c["description"]) for c in changes] == list(current.changes)
    assert {link["name"] for link in yaml.safe_load(annotations["artifacthub.io/links"])} >= {"source", "changelog"}
    # No maintainers' key committed yet: no signKey (the release workflow refuses to run without it).
    assert ("artifacthub.io/signKey" in annotations) == (ROOT / release.SIGNING_KEY).is_file()


def test_changelog_edit_makes_chart_yaml_stale(tmp_path: Path):
    """generate --check keeps the annotations and the changelog consistent."""
    edited = CHANGELOG.replace("### Changed\n", "### Security\n\n- a fix of the test\n\n### Changed\n", 1)
    assert edited != CHANGELOG
    files = build.generated_files(lambda rel: edited if rel == "CHANGELOG.md" else write.read_text(ROOT, rel))
    stale = [rel for rel, text in files.items() if write.read_text(ROOT, rel) != text]
    assert stale == ["charts/llm-serving/Chart.yaml"]
    annotations = yaml.safe_load(files["charts/llm-serving/Chart.yaml"])["annotations"]
    assert annotations["artifacthub.io/containsSecurityUpdates"] == "true"


def test_signing_key_fingerprint_goes_into_sign_key(key):
    """With the maintainers' public key committed, signKey carries its fingerprint (as gpg computes it)."""
    assert release.openpgp_fingerprint(key.armored) == key.fingerprint
    files = {"CHANGELOG.md": CHANGELOG, release.SIGNING_KEY: key.armored}
    sign_key = yaml.safe_load(release.chart_annotations(files.get)["artifacthub.io/signKey"])
    assert sign_key == {"fingerprint": key.fingerprint, "url": f"{release.RAW}/main/{release.SIGNING_KEY}"}
    with pytest.raises(release.ReleaseError, match="not an ASCII-armored public key"):
        release.openpgp_fingerprint("-----BEGIN PGP PRIVATE KEY BLOCK-----\n")


def test_artifacthub_repo_file():
    text = (ROOT / "artifacthub-repo.yml").read_text()
    assert text == release.artifacthub_repo()
    meta = yaml.safe_load(text)
    assert set(meta) <= {"repositoryID", "owners", "ignore"}
    assert f"{release.OCI_REPOSITORY.removeprefix('oci://')}/llm-serving:artifacthub.io" in text


def test_readme_install_commands_name_this_version_and_real_profiles():
    readme = (ROOT / "README.md").read_text()
    block = readme.split(release.INSTALL_BEGIN, 1)[1].split(release.INSTALL_END, 1)[0]
    assert f"--version {__version__}" in block and f"{release.OCI_REPOSITORY}/llm-serving" in block
    for url in re.findall(r"https://raw\.githubusercontent\.com/\S+", block):
        rel = url.split(f"/v{__version__}/", 1)[1]
        assert (ROOT / rel).is_file(), url


# ---------------------------------------------------------------- package --sign

@pytest.fixture(scope="module")
def key(tmp_path_factory) -> object:
    return throwaway_key(tmp_path_factory.mktemp("key"))


def test_package_sign_writes_provenance_that_helm_verifies(key, tmp_path: Path, capsys):
    assert cli.main(["package", "--destination", str(tmp_path), "--sign", "--key", key.name,
                     "--keyring", str(key.secring)]) == 0
    archive = tmp_path / f"llm-serving-{__version__}.tgz"
    prov = tmp_path / f"llm-serving-{__version__}.tgz.prov"
    assert archive.is_file() and prov.is_file(), capsys.readouterr()
    assert "provenance:" in capsys.readouterr().out
    for version in HELM_VERSIONS:
        proc = subprocess.run([str(helm(version)), "verify", str(archive), "--keyring", str(key.pubring)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0 and key.fingerprint in proc.stdout, proc.stdout + proc.stderr
    # The chart inside says what it is: Chart.yaml of this version, no ci/ values.
    with tarfile.open(archive) as tar:
        meta = yaml.safe_load(tar.extractfile("llm-serving/Chart.yaml").read())  # type: ignore[union-attr]
    assert meta["version"] == __version__


@pytest.mark.parametrize(("args", "message"), [
    (["--sign"], "--sign needs --key"),
    (["--sign", "--key", "x"], "--sign needs --keyring"),
    (["--sign", "--key", "x", "--keyring", "/nonexistent/secring.gpg"], "/nonexistent/secring.gpg"),
    (["--key", "x"], "add --sign"),
    (["--sign", "--key", "x", "--keyring", "{secring}", "--passphrase-file", "{empty}"], "missing or empty"),
])
def test_package_sign_needs_key_and_keyring(args: list[str], message: str, tmp_path: Path):
    out = tmp_path / "dist"
    out.mkdir()
    (tmp_path / "secring.gpg").write_bytes(b"not read")
    (tmp_path / "empty").write_text("\n")
    args = [a.format(secring=tmp_path / "secring.gpg", empty=tmp_path / "empty") for a in args]
    proc = run_cli("package", "--destination", str(out), *args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not list(out.iterdir()), "nothing packaged"


def test_make_package_signs_with_key_and_keyring(key, tmp_path: Path):
    if shutil.which("make") is None:
        pytest.skip("no make")
    proc = subprocess.run(["make", "-s", "package", f"DIST={tmp_path}", f"KEY={key.name}", f"KEYRING={key.secring}"],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / f"llm-serving-{__version__}.tgz.prov").is_file()
    proc = subprocess.run([str(helm(HELM_VERSIONS[0])), "verify", str(tmp_path / f"llm-serving-{__version__}.tgz"),
                           "--keyring", str(key.pubring)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
