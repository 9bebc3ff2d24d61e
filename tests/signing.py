"""A throwaway OpenPGP key for the signing tests: made by gpg in a temporary GNUPGHOME, exported
as the legacy keyrings helm reads, its gpg-agent stopped before the test goes on."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

KEY_SPEC = """%no-protection
Key-Type: RSA
Key-Length: 2048
Name-Real: {name}
Name-Email: release-test@example.invalid
Expire-Date: 0
%commit
"""


@dataclass(frozen=True)
class Key:
    name: str
    fingerprint: str  # as gpg prints it: 40 hex digits, upper case
    secring: Path  # `gpg --export-secret-keys`: what `helm package --sign --keyring` reads
    pubring: Path  # `gpg --export`: what `helm verify --keyring` reads
    armored: str  # `gpg --armor --export`: what a project publishes (signing-key.asc)


def throwaway_key(directory: Path, name: str = "llm-serving test key") -> Key:
    gpg = shutil.which("gpg")
    if gpg is None:
        pytest.skip("gpg is not installed, so no test key can be made (Debian: apt-get install gnupg; "
                    ".ci/run installs it)")
    home = directory / "gnupg"
    home.mkdir(mode=0o700, parents=True)
    env = {**os.environ, "GNUPGHOME": str(home)}

    def run(*args: str, data: str | None = None) -> bytes:
        proc = subprocess.run([gpg, "--batch", "--quiet", *args], env=env, input=data.encode() if data else None,
                              capture_output=True, check=False, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        return proc.stdout

    try:
        run("--gen-key", data=KEY_SPEC.format(name=name))
        colons = run("--list-keys", "--with-colons").decode()
        fingerprint = next(line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr:"))
        secring, pubring = directory / "secring.gpg", directory / "pubring.gpg"
        secring.write_bytes(run("--export-secret-keys", name))
        pubring.write_bytes(run("--export", name))
        armored = run("--armor", "--export", name).decode()
    finally:
        if shutil.which("gpgconf"):
            subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True, check=False, timeout=60)
    return Key(name, fingerprint, secring, pubring, armored)
