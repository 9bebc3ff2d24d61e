"""Time our whole validation against a bare `helm template` of the same profiles, side by side.

Not a test: prints a table and the ratio. In each round, one after the other:
  bare      = `helm template` of every profile with every pinned helm, one after the other, as a
              user would run them (the same flags as the validation's render);
  validated = `llm-serving validate --no-generate` of the same profiles: the values against the
              schema, `helm lint --strict` and `helm template` with both helm versions, and every
              document against the Kubernetes schemas (oldest and newest version) or our CRD
              schemas, profiles in parallel (one helm pair per CPU), interpreter start included.
The ratio is median(validated) / median(bare) over the rounds. Target: <= 1.3; the script exits 1
when the ratio is above it (`make bench`, the GitHub workflow's benchmark job), 0 when it is met.
Not part of `make test`: timings on a shared machine are noisy, and the rounds take minutes.
Run: make bench   (or .venv/bin/python benchmarks/render_vs_validate.py [--repeat N] [--target R] [profile ...])
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import tools, validation  # noqa: E402

TARGET = 1.3


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True, env=env)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default 5); the medians are compared")
    parser.add_argument("--target", type=float, default=TARGET, help=f"highest ratio accepted (default {TARGET})")
    parser.add_argument("profiles", nargs="*", help="profile names (default: all)")
    args = parser.parse_args()
    helms = tools.require_helm_binaries()
    files = sorted((ROOT / "values").glob("*.yaml"))
    if args.profiles:
        files = [f for f in files if f.stem in args.profiles]
    if not files:
        print("no profile to time", file=sys.stderr)
        return 1
    renders = [[str(helm), "template", "r1", str(validation.CHART), "-f", str(path), "--namespace", "llm",
                *validation._api_version_args()] for path in files for helm in helms.values()]
    # The pinned pair is what make installs; put it first on PATH so validate finds both.
    env = {**os.environ, "PATH": os.pathsep.join([*(str(p.parent) for p in helms.values()), os.environ["PATH"]])}
    validate = [sys.executable, "-m", "generator", "validate", "--no-generate", *map(str, files)]
    timed(validate, env)  # warm the page cache once
    bare_s, validated_s = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for command in renders:
            subprocess.run(command, capture_output=True, check=True)
        bare_s.append(time.perf_counter() - start)
        validated_s.append(timed(validate, env))
    bare, validated = statistics.median(bare_s), statistics.median(validated_s)
    ratio = validated / bare
    print(f"profiles: {len(files)} ({', '.join(f.stem for f in files)}); helm {', '.join(helms)}; "
          f"{os.cpu_count()} CPUs; {args.repeat} rounds")
    print(f"{'round':<8}{'bare s':>10}{'validated s':>14}")
    for i, (b, v) in enumerate(zip(bare_s, validated_s, strict=True), 1):
        print(f"{i:<8}{b:>10.2f}{v:>14.2f}")
    print(f"{'median':<8}{bare:>10.2f}{validated:>14.2f}")
    met = verdict(ratio, args.target)
    print(f"\nratio {ratio:.2f} (target <= {args.target}): {'met' if met else 'NOT met'}")
    return 0 if met else 1


def verdict(ratio: float, target: float = TARGET) -> bool:
    """The target is met when validating costs at most `target` times the bare render."""
    return ratio <= target


if __name__ == "__main__":
    raise SystemExit(main())
