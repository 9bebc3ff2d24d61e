"""Time bare `helm template` against our full validation of the same render, per profile.

Not a test: prints a table. For each profile and helm version, in one run:
  bare      = `helm template` alone;
  validated = the suite's whole check of one profile (validation.validate_file): the values
              against the schema, `helm lint --strict` (run beside the render), `helm template`,
              and every document against the Kubernetes schemas (oldest and newest version) or
              our CRD schemas.
Target: validated / bare <= 2. `helm lint` alone is shown for reference.
Run: make bench   (or .venv/bin/python benchmarks/render_vs_validate.py [--repeat N])
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import tools, validation  # noqa: E402


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("profiles", nargs="*", help="profile names (default: all)")
    args = parser.parse_args()
    helms = tools.require_helm_binaries()
    files = sorted((ROOT / "values").glob("*.yaml"))
    if args.profiles:
        files = [f for f in files if f.stem in args.profiles]
    # Warm the schema caches once so the table shows steady-state cost.
    for path in files[:1]:
        for doc in validation.helm_template(next(iter(helms.values())), path):
            validation.document_errors(doc)
    rows = []
    worst = 0.0
    for path in files:
        for version, helm in helms.items():
            def bare(helm=helm, path=path):
                # The same flags as the validation's render: profiles with operators need their kinds.
                subprocess.run([str(helm), "template", "r1", str(validation.CHART), "-f", str(path),
                                "--namespace", "llm", *validation._api_version_args()],
                               capture_output=True, check=True)

            def full(helm=helm, path=path, version=version):
                result = validation.validate_file(path, version, helm)
                assert result.ok, result.errors

            t_bare, t_full = timed(bare, args.repeat), timed(full, args.repeat)
            t_lint = timed(lambda helm=helm, path=path: validation.helm_lint(helm, path), 1)
            ratio = t_full / t_bare
            worst = max(worst, ratio)
            rows.append((path.stem, version, f"{t_bare * 1000:.0f}", f"{t_full * 1000:.0f}",
                         f"{ratio:.2f}x", f"{t_lint * 1000:.0f}"))
    header = ("profile", "helm", "bare ms", "validated ms", "ratio", "lint ms")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(f"\nworst ratio {worst:.2f}x (target <= 2x): {'met' if worst <= 2 else 'NOT met'}")
    return 0 if rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
