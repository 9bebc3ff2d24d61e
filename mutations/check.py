"""Mutation check: break one behaviour at a time, on purpose, and see a test fail.

Each entry of mutations/mutations.yaml names a file, a text that must occur in it exactly once,
its replacement (the broken behaviour), and the tests that must catch it. For every entry, in a
scratch copy of the checkout (the working tree as it is, uncommitted changes included), the
script applies the mutation, runs the named tests (or, with --full, the whole suite), and reverts.
A mutation is `killed` when the tests fail, `SURVIVED` when they pass (the test is missing or
cannot fail), `STALE` when its text no longer occurs exactly once (update the entry).

Run:  make mutations                         (every entry, named tests: a few minutes)
      .venv/bin/python mutations/check.py [--full] [--keep] [id ...]
Exit: 0 when every mutation is killed, 1 otherwise. Not part of `make test` (it is slow).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "mutations" / "mutations.yaml"


def load(path: Path = LIST) -> list[dict]:
    entries = yaml.safe_load(path.read_text())["mutations"]
    ids = [e["id"] for e in entries]
    duplicated = {i for i in ids if ids.count(i) > 1}
    if duplicated:
        raise SystemExit(f"{path}: ids used twice: {sorted(duplicated)}")
    for entry in entries:
        missing = {"id", "file", "from", "to", "tests"} - set(entry)
        if missing:
            raise SystemExit(f"{path}: {entry.get('id', '?')} lacks {sorted(missing)}")
    return entries


def apply(text: str, entry: dict) -> str | None:
    """The mutated text, or None when the entry's text does not occur exactly once."""
    if text.count(entry["from"]) != 1:
        return None
    return text.replace(entry["from"], entry["to"])


def scratch_copy(dest: Path) -> None:
    """The checkout's tracked and untracked (not ignored) files, with its helm binaries linked."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    if (ROOT / ".tools").is_dir():
        (dest / ".tools").symlink_to(ROOT / ".tools")


def run_tests(copy: Path, tests: list[str]) -> tuple[bool, str]:
    env = {**os.environ, "LLM_SERVING_ROOT": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                          cwd=copy, env=env, capture_output=True, text=True, check=False)
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    return proc.returncode == 0, tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ids", nargs="*", help="run only these mutations (default: all)")
    parser.add_argument("--full", action="store_true", help="run the whole suite for each mutation, not only "
                        "the tests it names (about 2 minutes each)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy and print its path")
    args = parser.parse_args(argv)
    entries = [e for e in load() if not args.ids or e["id"] in args.ids]
    unknown = set(args.ids) - {e["id"] for e in entries}
    if unknown:
        print(f"unknown mutation ids: {sorted(unknown)}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="llm-serving-mutations-"))
    copy = scratch / "checkout"
    scratch_copy(copy)
    results: list[tuple[str, str, str]] = []
    try:
        baseline_ok, tail = run_tests(copy, sorted({t for e in entries for t in e["tests"]}) if not args.full else [])
        if not baseline_ok:
            print(f"the tests fail before any mutation ({tail}): fix them first", file=sys.stderr)
            return 2
        for entry in entries:
            target = copy / entry["file"]
            original = target.read_text()
            mutated = apply(original, entry)
            if mutated is None:
                results.append((entry["id"], "STALE", f"{entry['file']}: the text to mutate is not there once"))
                continue
            target.write_text(mutated)
            start = time.monotonic()
            try:
                passed, tail = run_tests(copy, [] if args.full else entry["tests"])
            finally:
                target.write_text(original)
            verdict = "SURVIVED" if passed else "killed"
            results.append((entry["id"], verdict, f"{tail} ({time.monotonic() - start:.0f} s)"))
            print(f"{verdict:<9}{entry['id']}: {tail}", flush=True)
    finally:
        if args.keep:
            print(f"scratch copy: {copy}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print()
    width = max(len(r[0]) for r in results) if results else 0
    for ident, verdict, detail in results:
        print(f"{verdict:<9}{ident:<{width}}  {detail}")
    bad = [r for r in results if r[1] != "killed"]
    print(f"\n{len(results) - len(bad)} of {len(results)} mutations killed")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
