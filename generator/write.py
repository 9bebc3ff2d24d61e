"""Put generated files on disk: only changed files are written, and `--check` writes nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Generated profile files carry this line; one without a profile behind it is stale.
PROFILE_MARK = "from generator/profiles.py; do not edit by hand."


def read_text(root: Path, rel: str) -> str | None:
    path = root / rel
    return path.read_text(encoding="utf-8") if path.exists() else None


@dataclass(frozen=True)
class Stale:
    """A generated file that differs from what the generator writes: changed or missing, or an
    orphan, a generated profile file that no profile generates any more (to be removed)."""

    path: str
    orphan: bool = False

    def __str__(self) -> str:
        return self.path + (" (no profile generates it any more)" if self.orphan else "")


def stale(root: Path, files: dict[str, str]) -> list[Stale]:
    """Generated files whose content on disk differs, is missing, or has no source any more."""
    out = [Stale(rel) for rel, text in sorted(files.items()) if read_text(root, rel) != text]
    for orphan in sorted((root / "values").glob("*.yaml")):
        rel = orphan.relative_to(root).as_posix()
        if rel not in files and PROFILE_MARK in orphan.read_text(encoding="utf-8"):
            out.append(Stale(rel, orphan=True))
    return out


def write(root: Path, files: dict[str, str]) -> list[str]:
    """Write every changed file atomically; return the relative paths written."""
    written = []
    for rel, text in sorted(files.items()):
        if read_text(root, rel) == text:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(rel)
    return written
