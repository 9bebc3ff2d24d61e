"""Grafana dashboards the generator writes (the vLLM and AIBrix ones are vendored upstream files).

Ray Serve LLM: Ray builds its own dashboards inside the head pod, but nothing a Grafana sidecar
can load from the cluster, so the kuberay chart ships this one. Metric names are those Ray 2.52
exports on port 8080 (python/ray/dashboard/modules/metrics/dashboards/serve_llm_dashboard_panels.py
and serve_dashboard_panels.py of ray 2.52.0): vLLM's engine metrics through Ray's stat logger carry
the `ray_vllm_` prefix (vLLM's `:` becomes `_` since vllm-project/vllm#25439), Serve's own carry
`ray_serve_`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# Every metric the dashboard reads, with its labels as Ray 2.52 exports them.
RAY_METRICS: dict[str, tuple[str, ...]] = {
    "ray_vllm_generation_tokens_total": ("model_name", "WorkerId"),
    "ray_vllm_prompt_tokens_total": ("model_name", "WorkerId"),
    "ray_vllm_time_to_first_token_seconds_bucket": ("model_name", "WorkerId", "le"),
    "ray_vllm_request_time_per_output_token_seconds_bucket": ("model_name", "WorkerId", "le"),
    "ray_vllm_e2e_request_latency_seconds_bucket": ("model_name", "WorkerId", "le"),
    "ray_vllm_num_requests_running": ("model_name", "WorkerId"),
    "ray_vllm_num_requests_waiting": ("model_name", "WorkerId"),
    "ray_vllm_kv_cache_usage_perc": ("model_name", "WorkerId"),
    "ray_serve_num_http_requests_total": ("application", "route", "method", "status_code"),
    "ray_serve_num_http_error_requests_total": ("application", "route", "method", "error_code"),
    "ray_serve_http_request_latency_ms_bucket": ("application", "route", "method", "status_code", "le"),
    "ray_serve_deployment_replica_healthy": ("application", "deployment", "replica"),
    "ray_serve_deployment_queued_queries": ("application", "deployment"),
}

MODEL = 'model_name=~"$model_name"'
API = 'route!~"/-/.*"'  # Serve's own health and route-table paths are not API traffic
RATE = "[$__rate_interval]"


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    unit: str
    targets: tuple[tuple[str, str], ...]  # (legend, PromQL)


def _quantile(q: float, metric: str, by: str, selector: str) -> str:
    return f"histogram_quantile({q}, sum by (le, {by}) (rate({metric}{{{selector}}}{RATE})))"


RAY_SERVE_LLM_PANELS: tuple[Panel, ...] = (
    Panel("Generated tokens/s", "Decode throughput per model, all replicas.", "short", (
        ("{{model_name}}", f"sum by (model_name) (rate(ray_vllm_generation_tokens_total{{{MODEL}}}{RATE}))"),)),
    Panel("Prompt tokens/s", "Prefill throughput per model.", "short", (
        ("{{model_name}}", f"sum by (model_name) (rate(ray_vllm_prompt_tokens_total{{{MODEL}}}{RATE}))"),)),
    Panel("Time to first token", "p50 and p95; grows with queueing and prompt length.", "s", (
        ("p50 {{model_name}}", _quantile(0.5, "ray_vllm_time_to_first_token_seconds_bucket", "model_name", MODEL)),
        ("p95 {{model_name}}", _quantile(0.95, "ray_vllm_time_to_first_token_seconds_bucket", "model_name", MODEL)),
    )),
    Panel("Time per output token", "p50 and p95 inter-token time; its inverse is the decode rate one "
          "request sees.", "s", (
        ("p50 {{model_name}}", _quantile(0.5, "ray_vllm_request_time_per_output_token_seconds_bucket",
                                         "model_name", MODEL)),
        ("p95 {{model_name}}", _quantile(0.95, "ray_vllm_request_time_per_output_token_seconds_bucket",
                                         "model_name", MODEL)),
    )),
    Panel("End-to-end request latency", "p95 from arrival to last token.", "s", (
        ("p95 {{model_name}}", _quantile(0.95, "ray_vllm_e2e_request_latency_seconds_bucket", "model_name", MODEL)),
    )),
    Panel("Requests running / waiting", "Waiting requests mean the KV cache or max_num_seqs is full: "
          "add replicas or lower max_model_len.", "short", (
        ("running {{model_name}}", f"sum by (model_name) (ray_vllm_num_requests_running{{{MODEL}}})"),
        ("waiting {{model_name}}", f"sum by (model_name) (ray_vllm_num_requests_waiting{{{MODEL}}})"),
    )),
    Panel("KV cache usage", "Per engine worker; near 100% new requests wait.", "percentunit", (
        ("{{model_name}} {{WorkerId}}", f"max by (model_name, WorkerId) (ray_vllm_kv_cache_usage_perc{{{MODEL}}})"),
    )),
    Panel("HTTP requests/s", "Requests through Serve's HTTP proxies, by status code.", "reqps", (
        ("{{application}} {{status_code}}",
         f"sum by (application, status_code) (rate(ray_serve_num_http_requests_total{{{API}}}{RATE}))"),)),
    Panel("HTTP errors/s", "Includes 401 answers to requests without the API key.", "reqps", (
        ("{{application}} {{error_code}}",
         f"sum by (application, error_code) (rate(ray_serve_num_http_error_requests_total{{{API}}}{RATE}))"),)),
    Panel("HTTP latency", "p95 at Serve's HTTP proxies (whole request, streaming included).", "ms", (
        ("p95 {{application}}", _quantile(0.95, "ray_serve_http_request_latency_ms_bucket", "application", API)),
    )),
    Panel("Healthy replicas", "Serve replicas per deployment (the LLM server and the OpenAI ingress).",
          "short", (
        ("{{application}} {{deployment}}",
         "sum by (application, deployment) (ray_serve_deployment_replica_healthy)"),)),
    Panel("Queued requests", "Requests waiting in Serve's handles for a replica.", "short", (
        ("{{application}} {{deployment}}",
         "sum by (application, deployment) (ray_serve_deployment_queued_queries)"),)),
)

METRIC_NAME = re.compile(r"\b(ray_(?:vllm|serve)_[a-z0-9_]+)\b")


def metrics_used(panels: tuple[Panel, ...]) -> set[str]:
    return {m for p in panels for _, expr in p.targets for m in METRIC_NAME.findall(expr)}


def _panel(index: int, panel: Panel) -> dict[str, Any]:
    width, height = 12, 8
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": panel.title,
        "description": panel.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": height, "w": width, "x": (index % 2) * width, "y": (index // 2) * height},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [{"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend,
                     "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                    for i, (legend, expr) in enumerate(panel.targets)],
    }


def dashboard(title: str, uid: str, panels: tuple[Panel, ...], command: str) -> dict[str, Any]:
    """A Grafana dashboard (JSON model, schemaVersion 39) with a Prometheus datasource and model picker."""
    unknown = metrics_used(panels) - set(RAY_METRICS)
    if unknown:
        raise ValueError(f"dashboard {uid} reads metrics not in RAY_METRICS: {sorted(unknown)}")
    return {
        "$comment": f"Generated by `{command}` from generator/dashboards.py; do not edit by hand.",
        "title": title,
        "uid": uid,
        "description": "Ray Serve LLM (KubeRay RayService) of the llm-serving chart: engine throughput, "
                       "latency, queue and KV cache, and Serve's HTTP traffic.",
        "tags": ["llm-serving", "ray", "vllm"],
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "refresh": "30s",
        "templating": {"list": [
            {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
             "current": {}, "hide": 0},
            {"name": "model_name", "label": "Model", "type": "query",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": {"query": "label_values(ray_vllm_num_requests_running, model_name)", "refId": "models"},
             "definition": "label_values(ray_vllm_num_requests_running, model_name)",
             "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2, "current": {}, "hide": 0},
        ]},
        "annotations": {"list": []},
        "panels": [_panel(i, p) for i, p in enumerate(panels)],
    }


def ray_serve_llm_json(command: str) -> str:
    return json.dumps(dashboard("llm-serving / Ray Serve LLM", "llm-serving-ray-serve-llm",
                                RAY_SERVE_LLM_PANELS, command), indent=2) + "\n"
