"""The chart's fit check (common.fit.*) against the planner's arithmetic, and the misfit edits.

- Every tests/values-misfit/*.yaml is one ordinary edit of a shipped profile (`# base: <profile>`)
  that cannot load; helm template (both pins) and `llm-serving validate` refuse it with a message
  holding each `# expect:` text (the field and the numbers).
- The cross-check: one render of a small chart that includes the common chart evaluates
  common.fit.verdict on a grid of every catalog GPU x checkpoint x engine x layout x context x KV
  cache dtype; the planner's own functions (planner._unloadable and the images, _divides_heads,
  the backend's fit) must give the same verdict and the same KV token count everywhere.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import catalog, fitcheck, interface, planner, validation
from generator.backends import REGISTRY
from generator.backends.common import planned_batch
from generator.build import ROOT
from generator.model import Hardware, Request, Shape

from .conftest import HELM_VERSIONS, header, helm, render_with, run_cli
from .test_notes import install_dry_run

MISFITS = sorted((ROOT / "tests" / "values-misfit").glob("*.yaml"))
COMMON = ROOT / "charts" / "llm-serving" / "charts" / "common"


def test_the_misfit_cases_are_there():
    names = {p.stem for p in MISFITS}
    contexts = {f"{gpu}-model-context" for gpu in ("t4-16gb", "l4-24gb", "a10-24gb", "a100-40gb", "l40s-48gb")}
    models = {"l4-24gb-32b-bf16", "t4-16gb-32b-bf16", "a100-40gb-70b-bf16", "h100-80gb-70b-bf16",
              "l40s-48gb-70b-bf16", "a100-80gb-x8-r1-fp8", "h100-80gb-low-utilization"}
    assert contexts | models <= names
    for path in MISFITS:
        (base,) = header(path, "base")
        assert (ROOT / "values" / f"{base}.yaml").is_file(), f"{path.name}: no profile {base}"
        assert header(path, "expect"), f"{path.name} names nothing it expects"


@pytest.mark.parametrize("version", HELM_VERSIONS)
@pytest.mark.parametrize("path", MISFITS, ids=[p.stem for p in MISFITS])
def test_helm_refuses_the_misfit(path: Path, version: str):
    (base,) = header(path, "base")
    with pytest.raises(validation.RenderError) as excinfo:
        validation.helm_template(helm(version), ROOT / "values" / f"{base}.yaml", extra=("-f", str(path)))
    for expected in header(path, "expect"):
        assert expected in str(excinfo.value), f"{path.name}: {expected!r} not in\n{excinfo.value}"


def test_validate_refuses_every_misfit(tmp_path: Path):
    """`llm-serving validate` on every misfit at once (each edit merged into its profile, as the user's
    file would be): it fails, and each file's errors hold its expected texts."""
    edited = []
    for path in MISFITS:
        (base,) = header(path, "base")
        merged = interface.merge(yaml.safe_load((ROOT / "values" / f"{base}.yaml").read_text()),
                        yaml.safe_load(path.read_text()))
        edited.append(tmp_path / path.name)
        edited[-1].write_text(yaml.safe_dump(merged))
    proc = run_cli("validate", "--no-generate", *map(str, edited))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    for path in MISFITS:
        errors = "\n".join(line for line in proc.stderr.splitlines() if line.startswith(f"  {path.name}:"))
        for expected in header(path, "expect"):
            assert expected in errors, f"{path.name}: {expected!r} not in\n{errors}"


def test_shipped_profiles_fit_with_their_planned_numbers():
    """validate's fit column: each vLLM profile's KV tokens as its header states them."""
    for path in sorted((ROOT / "values").glob("*.yaml")):
        reports = fitcheck.reports(validation.merged_values(path))
        for report in reports:
            assert report.checked and not report.note, (path.name, report)
            assert f"= {report.kv_tokens} tokens" in path.read_text(), (path.name, report.kv_tokens)


def test_unknown_model_is_a_warning_and_a_note(tmp_path: Path):
    edited = tmp_path / "custom.yaml"
    edited.write_text(yaml.safe_dump(interface.merge(yaml.safe_load((ROOT / "values" / "l4-24gb.yaml").read_text()),
                                            {"vllm": {"model": {"name": "my-org/my-finetune"}}})))
    proc = run_cli("validate", "--no-generate", str(edited))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning: custom.yaml: my-org/my-finetune is not in the catalog" in proc.stderr
    notes, _ = install_dry_run(tmp_path, edited)
    assert "vllm.model.name my-org/my-finetune is not in the catalog" in notes


def test_the_switch_turns_the_refusal_off(tmp_path: Path):
    path = ROOT / "tests" / "values-misfit" / "l4-24gb-model-context.yaml"
    off = interface.merge(yaml.safe_load(path.read_text()), {"global": {"fitCheck": {"enabled": False}}})
    docs = render_with(ROOT / "values" / "l4-24gb.yaml", off, tmp_path, crds=True)
    (deployment,) = [d for d in docs if d["kind"] == "Deployment" and "vllm" in d["metadata"]["name"]]
    assert "--max-model-len=131072" in deployment["spec"]["template"]["spec"]["containers"][0]["args"]


# ---------------------------------------------------------------- the cross-check

# (tensor, pipeline, data parallel, EPLB's redundant experts)
LAYOUTS = ((1, 1, 1, 0), (2, 1, 1, 0), (4, 1, 1, 0), (8, 1, 1, 0), (8, 2, 1, 0), (16, 1, 1, 0), (6, 1, 1, 0),
           (1, 1, 8, 0), (1, 1, 16, 0), (1, 1, 8, 32), (2, 1, 4, 0))
CONTEXTS = (4096, 32768, 131072, 0)
# The runtime overhead's inputs (generator/overhead.py), cycled over the grid's points: max-num-seqs
# (0: the release's default), max-num-batched-tokens (0: default), --enforce-eager, the all-to-all
# backend, the nodes of a replica, chunked prefill and expert parallelism.
OVERHEAD_VARIANTS = ({"maxNumSeqs": 1}, {"maxNumSeqs": 0}, {"maxNumSeqs": 64, "maxNumBatchedTokens": 4096},
                     {"maxNumSeqs": 256, "eager": True}, {"maxNumSeqs": 0, "maxNumBatchedTokens": 32768},
                     {"maxNumSeqs": 8, "all2allBackend": "deepep_high_throughput", "nodes": 2},
                     {"maxNumSeqs": 600, "all2allBackend": "deepep_low_latency", "nodes": 1},
                     {"maxNumSeqs": 0, "chunkedPrefill": False}, {"maxNumSeqs": 0, "all2allBackend": "nixl_ep"},
                     {"maxNumSeqs": 0, "all2allBackend": "deepep_low_latency", "expertParallel": False},
                     {"maxNumSeqs": 13, "maxNumBatchedTokens": 100})
GRID_TEMPLATE = """{{- $data := include "common.fit.data" . | fromJson -}}
{{- $out := list -}}
{{- range .Values.grid -}}
{{- $v := include "common.fit.verdict" (merge (dict "data" $data) .) | fromJson -}}
{{- $out = append $out (list $v.problem (int64 ($v.kvTokens | default 0))) -}}
{{- end -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: grid
data:
  verdicts: {{ toJson $out | quote }}
"""


def _grid() -> list[dict[str, Any]]:
    points = []
    for backend in fitcheck.vllm_engines():
        for model in catalog.MODELS.values():
            for ckpt in model.checkpoints:
                if ckpt.precision not in backend.precisions:
                    continue
                # the engines differ only in what they load: the layouts and contexts in full for vLLM
                full = backend.name == "vllm"
                for gpu in catalog.GPUS:
                    for tp, pp, dp, redundant in LAYOUTS if full else LAYOUTS[::3]:
                        for context in CONTEXTS if full else CONTEXTS[1::2]:
                            for kv in ("auto", "fp8"):
                                variant = dict(OVERHEAD_VARIANTS[len(points) % len(OVERHEAD_VARIANTS)])
                                if variant == {"maxNumSeqs": 1}:  # the planner's own path: its batch
                                    g = catalog.GPUS[gpu]
                                    variant["maxNumBatchedTokens"] = planned_batch(
                                        model, g, Shape(tp, pp, tp, pp, data_parallel=dp),
                                        backend.vllm_release(g),
                                        context or model.max_position)
                                points.append({"engine": backend.name, "repo": ckpt.repo, "gpu": gpu, "tp": tp,
                                               "pp": pp, "dp": dp, "redundantExperts": redundant,
                                               "utilization": 0.9 if tp > 1 else 0.95,
                                               "kvCacheDtype": kv, "maxModelLen": context, **variant})
    return points


def _planner_verdict(point: dict[str, Any]) -> tuple[str, int]:
    """The planner's answer for one grid point, through its own functions."""
    backend = REGISTRY[point["engine"]]
    model, ckpt = next((m, c) for m in catalog.MODELS.values() for c in m.checkpoints if c.repo == point["repo"])
    gpu = catalog.GPUS[point["gpu"]]
    tp, pp, dp = point["tp"], point["pp"], point["dp"]
    shape = Shape(tp, pp, tp, pp, data_parallel=dp)
    if gpu.vendor not in backend.images or planner._unloadable(backend, model, ckpt.precision, gpu):
        return "precision", 0
    if not planner._divides_heads(model, shape):
        return "heads", 0
    context = point["maxModelLen"] or model.max_position
    hw = Hardware(gpu.name, tp * dp, pp)
    try:
        if point["maxNumSeqs"] == 1 and not point["redundantExperts"]:  # the planner's path, batch and all
            fit = backend.fit(model, ckpt, gpu, hw, shape, point["utilization"], context,
                              Request(model=model.key, context=context, max_num_seqs=1,
                                      kv_cache_dtype=point["kvCacheDtype"]))
        else:  # EPLB, batch limits, eager, DeepEP: no plan asks for them, the chart counts them
            fit = catalog.fit(model, ckpt, gpu, tp, point["utilization"], context, point["maxNumSeqs"],
                              pipeline_parallel=pp, kv_cache_dtype=point["kvCacheDtype"], data_parallel=dp,
                              redundant_experts=point["redundantExperts"],
                              release=backend.vllm_release(gpu),
                              max_num_batched_tokens=point.get("maxNumBatchedTokens", 0),
                              eager=point.get("eager", False), all2all=point.get("all2allBackend", ""),
                              nodes=point.get("nodes", 1), chunked_prefill=point.get("chunkedPrefill", True),
                              expert_parallel=point.get("expertParallel", True))
    except catalog.DoesNotFit as refusal:
        numbers = refusal.numbers
        return ("weights" if numbers["kvCacheGiB"] <= 0 else "context"), numbers["kvTokens"]
    return "", fit.kv_tokens


@pytest.fixture(scope="module")
def chart_verdicts(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    chart = tmp_path_factory.mktemp("fitgrid")
    (chart / "templates").mkdir()
    shutil.copytree(COMMON, chart / "charts" / "common")
    common = yaml.safe_load((COMMON / "Chart.yaml").read_text())
    (chart / "Chart.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v2", "name": "fitgrid", "version": "0.1.0",
        "dependencies": [{"name": "common", "version": common["version"]}]}))
    (chart / "templates" / "grid.yaml").write_text(GRID_TEMPLATE)
    grid = _grid()
    values = chart / "grid.json"
    values.write_text(json.dumps({"grid": grid}))
    (doc,) = validation.helm_template(helm(HELM_VERSIONS[0]), values, chart=chart, crds=False)
    return grid, json.loads(doc["data"]["verdicts"])


def test_chart_and_planner_agree_on_the_whole_grid(chart_verdicts):
    grid, verdicts = chart_verdicts
    assert len(verdicts) == len(grid) > 10000
    disagreements = []
    for point, (problem, tokens) in zip(grid, verdicts, strict=True):
        expected = _planner_verdict(point)
        if (problem, tokens) != expected:
            disagreements.append(f"{point}: chart {problem or 'fits'} {tokens}, planner {expected[0] or 'fits'} "
                                 f"{expected[1]}")
    assert not disagreements, f"{len(disagreements)} of {len(grid)}:\n" + "\n".join(disagreements[:20])


def test_the_grid_covers_every_verdict(chart_verdicts):
    """A grid that never refuses (or never fits) would agree vacuously."""
    _, verdicts = chart_verdicts
    assert {problem for problem, _ in verdicts} == {"", "precision", "heads", "weights", "context"}


def test_extra_args_override_the_checked_values(tmp_path: Path):
    """vLLM takes the last of a flag given twice, so a --max-model-len in extraArgs is the one checked;
    offloading or speculative decoding change the arithmetic: the check stands aside for them."""
    profile = ROOT / "values" / "l4-24gb.yaml"
    with pytest.raises(validation.RenderError) as excinfo:
        render_with(profile, {"vllm": {"engine": {"extraArgs": ["--max-model-len", "131072"]}}}, tmp_path, crds=True)
    assert "vllm.engine.maxModelLen 131072 does not fit" in str(excinfo.value)
    assert render_with(profile, {"vllm": {"engine": {"maxModelLen": 131072, "extraArgs": ["--cpu-offload-gb=8"]}}},
                       tmp_path, crds=True)


def test_the_overhead_reads_the_batch_flags(tmp_path: Path):
    """The runtime overhead follows the flags that change it: the h200-141gb-x8 profile at utilization
    0.83 is refused at vLLM's default batch (maxNumBatchedTokens 0, tests/values-misfit/
    h200-141gb-x8-default-batch.yaml) and fits with its own 2048, or --max-num-batched-tokens 2048 in
    extraArgs, whose profile run's experts take 8 x 2048 tokens; on 2 x 8 H100 at tensor 8 x pipeline 2,
    --enforce-eager (no CUDA graphs) gives the context the graphs' estimate took."""
    profile = ROOT / "values" / "h200-141gb-x8.yaml"
    smaller = {"vllm": {"engine": {"gpuMemoryUtilization": 0.83, "maxNumBatchedTokens": 0,
                                   "extraArgs": ["--max-num-batched-tokens", "2048"]}}}
    assert render_with(profile, smaller, tmp_path, crds=True)
    assert render_with(profile, {"vllm": {"engine": {"gpuMemoryUtilization": 0.83}}}, tmp_path, crds=True)
    # 2 x 8 H100 at tensor 8 x pipeline 2 with 256 sequences: vLLM captures 51 piecewise and 35 full
    # graphs, 1.3 GiB for 31 layers per stage; the context that fits grows by what eager mode saves
    h100 = ROOT / "values" / "h100-80gb-2x8-vllm.yaml"
    busy = {"vllm": {"engine": {"maxNumSeqs": 256, "maxModelLen": 163840, "gpuMemoryUtilization": 0.6}}}
    with pytest.raises(validation.RenderError) as graphs:
        render_with(h100, busy, tmp_path, crds=True)
    assert "CUDA graphs 1.3" in str(graphs.value)
    eager = interface.merge(busy, {"vllm": {"engine": {"extraArgs": ["--enforce-eager"]}}})
    with pytest.raises(validation.RenderError) as none:
        render_with(h100, eager, tmp_path, crds=True)
    assert "CUDA graphs 0.0" in str(none.value)
    tokens = [int(str(e.value).split("which holds ")[1].split()[0]) for e in (graphs, none)]
    assert tokens[1] > tokens[0]
    # without chunked prefill vLLM 0.31 profiles a whole context: the last of the switches counts
    h100 = ROOT / "values" / "h100-80gb.yaml"
    tight = {"vllm": {"engine": {"gpuMemoryUtilization": 0.4}}}
    runs = []
    for extra in ([], ["--no-enable-chunked-prefill"], ["--no-enable-chunked-prefill", "--enable-chunked-prefill"]):
        with pytest.raises(validation.RenderError) as refused:
            render_with(h100, interface.merge(tight, {"vllm": {"engine": {"extraArgs": extra}}}), tmp_path, crds=True)
        runs.append(str(refused.value).split("profile run of ")[1].split()[0])
    assert runs == ["8192", "32768", "8192"]


def test_validate_reports_what_the_chart_checks():
    """The fit column of `llm-serving validate` reads the values as the chart's check does: KubeRay's
    data-parallel ranks count, and vLLM flags the arithmetic does not model leave the fit unchecked."""
    variant = validation.merged_values(ROOT / "tests" / "values-valid" / "kuberay-data-parallel.yaml")
    (report,) = fitcheck.reports(variant)
    assert report.checked and not report.note and report.ranks == 8, report
    offloaded = validation.merged_values(ROOT / "values" / "l4-24gb.yaml")
    offloaded["vllm"]["engine"]["extraArgs"] = ["--cpu-offload-gb=8"]
    (report,) = fitcheck.reports(offloaded)
    assert not report.checked and "--cpu-offload-gb" in report.note
