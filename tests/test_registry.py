"""The chart survives the way users get it: a real OCI registry (Debian's `docker-registry`, the
CNCF distribution registry, on 127.0.0.1 only, stopped at the end) and a chart repository
(`helm repo index`, served over HTTP as GitHub Pages serves it).

The package `llm-serving package --sign` makes (throwaway key) is pushed with its provenance,
pulled back by version and by digest with both helm versions (the same bytes), verified on pull,
and the pulled chart renders every profile byte-identical to the checkout. The README's one
command installs (client dry run) from the registry and from the chart repository with the
profile read from a URL. `helm verify` fails on a tampered package, a tampered provenance file
and a foreign key.

Without the registry binary the module is skipped, saying how to install it; `.ci/run` installs
it and sets LLM_SERVING_REQUIRE_REGISTRY=1, which turns the skip into a failure."""

from __future__ import annotations

import functools
import http.server
import io
import os
import re
import shlex
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import __version__, cli, release, validation
from generator.build import ROOT

from .conftest import HELM_VERSIONS, VALUES_FILES, helm
from .signing import Key, throwaway_key

REGISTRY = shutil.which("docker-registry")
CHART = f"llm-serving-{__version__}.tgz"
# The API key the chart generates is random at every render: its one line is masked.
RANDOM_KEY = re.compile(r"^(  api-key: ).+$", re.M)


@pytest.fixture(scope="module", autouse=True)
def _need_registry():
    if REGISTRY is None:
        reason = ("Debian's docker-registry (the CNCF distribution registry) is not installed: "
                  "`apt-get install docker-registry` (.ci/run installs it)")
        if os.environ.get("LLM_SERVING_REQUIRE_REGISTRY"):
            pytest.fail(reason)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Iterator[str]:
    """host:port of a registry listening on 127.0.0.1 only; stopped when the module ends."""
    base = tmp_path_factory.mktemp("registry")
    for _ in range(3):  # another process may take the port between choosing and binding it
        port = _free_port()
        config = base / "config.yml"
        config.write_text(f"version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
                          f"storage:\n  filesystem:\n    rootdirectory: {base / 'data'}\n"
                          f"http:\n  addr: 127.0.0.1:{port}\n  secret: test-only\n")
        log = (base / "registry.log").open("w")
        proc = subprocess.Popen([str(REGISTRY), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        up = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as answer:
                    up = answer.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        if up:
            break
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    else:
        pytest.fail(f"the registry did not start: {(base / 'registry.log').read_text()[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A static web server on 127.0.0.1 (GitHub Pages and raw.githubusercontent.com stand-in):
    its URL and the folder it serves."""
    root = tmp_path_factory.mktemp("web")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass(frozen=True)
class Signed:
    key: Key
    package: Path  # with <package>.prov beside it


@pytest.fixture(scope="module")
def signed(tmp_path_factory) -> Signed:
    key = throwaway_key(tmp_path_factory.mktemp("key"))
    dest = tmp_path_factory.mktemp("dist")
    assert cli.main(["package", "--destination", str(dest), "--sign", "--key", key.name,
                     "--keyring", str(key.secring)]) == 0
    return Signed(key, dest / CHART)


def helm_env(home: Path) -> dict[str, str]:
    """helm with its config, cache and registry logins in `home`, no cluster."""
    return {**os.environ, "HELM_CONFIG_HOME": str(home / "config"), "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_DATA_HOME": str(home / "data"), "HELM_REGISTRY_CONFIG": str(home / "registry.json"),
            "KUBECONFIG": os.devnull}


def run_helm(version: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm(version)), *args], env=helm_env(home), capture_output=True, text=True,
                          check=False, timeout=300)


@pytest.fixture(scope="module")
def pushed(registry: str, signed: Signed, tmp_path_factory) -> str:
    """The signed package pushed (with its provenance); the digest helm reports."""
    proc = run_helm(HELM_VERSIONS[0], "push", str(signed.package), f"oci://{registry}/charts", "--plain-http",
                    home=tmp_path_factory.mktemp("helm"))
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout + proc.stderr
    assert f"{registry}/charts/llm-serving:{__version__}" in output, output
    (digest,) = re.findall(r"Digest: (sha256:[0-9a-f]{64})", output)
    return digest


@pytest.fixture(scope="module")
def pulled(registry: str, pushed: str, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("pulled")
    proc = run_helm(HELM_VERSIONS[0], "pull", f"oci://{registry}/charts/llm-serving", "--version", __version__,
                    "--plain-http", "--destination", str(dest), home=tmp_path_factory.mktemp("helm"))
    assert proc.returncode == 0, proc.stderr
    return dest / CHART


def test_registry_listens_on_loopback_only(registry: str):
    port = int(registry.rsplit(":", 1)[1])
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1"
    if address.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    with socket.socket() as s:
        s.settimeout(5)
        assert s.connect_ex((address, port)) != 0, f"the registry answers on {address}:{port}"


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_pull_by_version_and_by_digest_gives_the_pushed_bytes(version: str, registry: str, signed: Signed,
                                                              pushed: str, tmp_path: Path):
    ref = f"oci://{registry}/charts/llm-serving"
    by_version, by_digest = tmp_path / "by-version", tmp_path / "by-digest"
    by_version.mkdir()
    by_digest.mkdir()
    # The keyring as README "Verify a release" makes it: the published armored key, dearmored.
    keyring = tmp_path / "llm-serving.gpg"
    subprocess.run(["gpg", "--batch", "--dearmor", "--output", str(keyring)], input=signed.key.armored.encode(),
                   check=True, capture_output=True, env={**os.environ, "GNUPGHOME": str(tmp_path / "gnupg")})
    proc = run_helm(version, "pull", ref, "--version", __version__, "--plain-http", "--destination",
                    str(by_version), "--verify", "--keyring", str(keyring), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert signed.key.fingerprint in proc.stdout + proc.stderr, "pulled with --verify: helm names the key"
    assert pushed in proc.stdout + proc.stderr
    assert (by_version / CHART).read_bytes() == signed.package.read_bytes()
    assert (by_version / f"{CHART}.prov").read_bytes() == Path(f"{signed.package}.prov").read_bytes()
    proc = run_helm(version, "pull", f"{ref}@{pushed}", "--plain-http", "--destination", str(by_digest),
                    home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (archive,) = by_digest.glob("*.tgz")
    assert archive.read_bytes() == signed.package.read_bytes()
    unknown = pushed[:-4] + ("0000" if not pushed.endswith("0000") else "1111")
    proc = run_helm(version, "pull", f"{ref}@{unknown}", "--plain-http", "--destination", str(by_digest),
                    home=tmp_path)
    assert proc.returncode != 0, "a digest the registry does not hold is refused"


def _template(chart: Path | str, values_file: Path, home: Path, *extra: str) -> str:
    args = validation._template_command(helm(HELM_VERSIONS[0]), values_file, Path(chart), "r1", extra, True)
    proc = subprocess.run(args, env=helm_env(home), capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return RANDOM_KEY.sub(r"\1<generated>", proc.stdout)


@pytest.mark.parametrize("values_file", VALUES_FILES, ids=[p.stem for p in VALUES_FILES])
def test_pulled_chart_renders_like_the_checkout(values_file: Path, pulled: Path, tmp_path: Path):
    assert _template(pulled, values_file, tmp_path) == _template(validation.CHART, values_file, tmp_path)


def _readme_commands() -> list[str]:
    block = (ROOT / "README.md").read_text().split(release.INSTALL_BEGIN, 1)[1].split(release.INSTALL_END, 1)[0]
    text = "\n".join(re.findall(r"```sh\n(.*?)```", block, re.S)).replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _local(command: str, registry: str, web_url: str, version: str) -> list[str]:
    """A README command pointed at the local registry and web server. `install` runs as helm 4's
    client dry run; helm 3's needs a cluster, so helm 3 runs `template` with the same arguments."""
    command = (command.replace(release.OCI_REPOSITORY, f"oci://{registry}/charts")
               .replace(f"{release.RAW}/v{__version__}", f"{web_url}/tag")
               .replace(release.CHART_REPOSITORY, f"{web_url}/pages"))
    args = shlex.split(command)
    if args[1] == "install":
        args += ["--plain-http"] if "oci://" in command else []
        if version.lstrip("v").startswith("3."):
            args[1] = "template"
        else:
            args += ["--dry-run=client"]
    return args


def test_readme_one_command_installs_from_the_registry_and_the_chart_repository(
        registry: str, pushed: str, signed: Signed, web: tuple[str, Path], tmp_path: Path):
    web_url, web_root = web
    # The release tag's profiles, and the chart repository the release workflow keeps on GitHub Pages.
    shutil.copytree(ROOT / "values", web_root / "tag" / "values")
    pages = web_root / "pages"
    pages.mkdir()
    shutil.copy2(signed.package, pages)
    shutil.copy2(f"{signed.package}.prov", pages)
    proc = run_helm(HELM_VERSIONS[0], "repo", "index", str(pages), "--url", f"{web_url}/pages", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    commands = _readme_commands()
    assert [c.split()[1] for c in commands] == ["install", "repo", "install"], commands
    for version in HELM_VERSIONS:
        home = tmp_path / version
        for command in commands:
            proc = run_helm(version, *_local(command, registry, web_url, version)[1:], home=home)
            assert proc.returncode == 0, (command, proc.stderr)
            if command.split()[1] == "install":
                assert "kind: Deployment" in proc.stdout, command
        # The chart repository serves the signed package: install --verify checks it.
        proc = run_helm(version, *_local(commands[-1], registry, web_url, version)[1:], "--verify", "--keyring",
                        str(signed.key.pubring), home=home)
        assert proc.returncode == 0, proc.stderr


def _tampered(package: Path, dest: Path) -> Path:
    """The package with one value changed, repacked under the same name: what an attacker ships."""
    out = dest / package.name
    with tarfile.open(package) as src, tarfile.open(out, "w:gz") as tar:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if member.name == "llm-serving/values.yaml" and data is not None:
                data = data.replace(b"enabled: false", b"enabled: true", 1)
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    return out


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_helm_verify_passes_on_the_signed_package_and_fails_on_a_tampered_one(version: str, signed: Signed,
                                                                              tmp_path: Path):
    ok = run_helm(version, "verify", str(signed.package), "--keyring", str(signed.key.pubring), home=tmp_path)
    assert ok.returncode == 0 and signed.key.fingerprint in ok.stdout, ok.stderr
    # A changed package beside the original provenance file.
    tampered_dir = tmp_path / "tampered"
    tampered_dir.mkdir()
    tampered = _tampered(signed.package, tampered_dir)
    shutil.copy2(f"{signed.package}.prov", f"{tampered}.prov")
    assert tampered.read_bytes() != signed.package.read_bytes()
    bad = run_helm(version, "verify", str(tampered), "--keyring", str(signed.key.pubring), home=tmp_path)
    assert bad.returncode != 0 and "sha256" in bad.stderr.lower(), bad.stdout + bad.stderr
    # The original package with an edited provenance file: the signature no longer matches.
    edited_dir = tmp_path / "edited-prov"
    edited_dir.mkdir()
    shutil.copy2(signed.package, edited_dir)
    prov = Path(f"{signed.package}.prov").read_text()
    (edited_dir / f"{CHART}.prov").write_text(prov.replace("name: llm-serving", "name: llm-servinq", 1))
    bad = run_helm(version, "verify", str(edited_dir / CHART), "--keyring", str(signed.key.pubring), home=tmp_path)
    assert bad.returncode != 0, bad.stdout
    # The right package checked against another key.
    other = throwaway_key(tmp_path / "other", name="someone else")
    bad = run_helm(version, "verify", str(signed.package), "--keyring", str(other.pubring), home=tmp_path)
    assert bad.returncode != 0, bad.stdout
