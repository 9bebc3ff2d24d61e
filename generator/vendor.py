"""Upstream files the project ships as they are: AIBrix's Grafana dashboard in the aibrix
subchart, and chart-testing's own Chart.yaml schema and yamllint config (what `ct lint` uses).

`llm-serving vendor --upstream <shared/upstream>` copies them into the charts; the charts
never read ../shared at install time. Each copy is byte-identical to its upstream file, whose
repository, path and commit are listed in PROVENANCE.md next to it (the root one for the
chart-testing files).
"""

from __future__ import annotations

from pathlib import Path

# chart-relative destination -> path under the upstream folder
FILES = {
    "chart_schema.yaml": "chart-testing/chart_schema.yaml",
    "lintconf.yaml": "chart-testing/lintconf.yaml",
    "charts/llm-serving/charts/aibrix/files/dashboards/aibrix-engine-dashboard-vllm.json":
        "samples/aibrix/deepseek-r1/static/AIBrix-Engine-Dashboard-vLLM-1741078999667.json",
    # The same vLLM engine dashboard serves the vllm subchart.
    "charts/llm-serving/charts/vllm/files/dashboards/vllm-engine-dashboard.json":
        "samples/aibrix/deepseek-r1/static/AIBrix-Engine-Dashboard-vLLM-1741078999667.json",
}


def vendored(upstream: Path) -> dict[str, str]:
    return {dest: (upstream / src).read_text(encoding="utf-8") for dest, src in FILES.items()}
