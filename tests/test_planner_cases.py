"""The planner's answer for the cases of tests/data/planner-cases.yaml, which cover every GPU and
every model of the catalog: engine, precision and GPUs per replica, or a refusal naming its numbers;
and the same through `llm-serving plan --format json`."""

from __future__ import annotations

import json

import pytest
import yaml

from generator import catalog, cli
from generator.build import ROOT
from generator.planner import Hardware, Refused, Request, hardware_from_dict, plan, resolve_model

CASES = yaml.safe_load((ROOT / "tests" / "data" / "planner-cases.yaml").read_text())["cases"]


def hardware(case: dict) -> Hardware:
    """The case's hardware, read as `plan --hardware` reads a hardware profile file."""
    return hardware_from_dict({"gpusPerNode": 1 if case["gpu"] else 0, **case})


def case_id(case: dict) -> str:
    asked = case.get("ask", {}).get("precision")
    return f"{hardware(case).describe()}-{case['model']}" + (f"-{asked}" if asked else "")


def test_the_cases_cover_every_gpu_and_model():
    assert {c["gpu"] for c in CASES} - {None} == set(catalog.GPUS)
    assert {resolve_model(c["model"])[0].key for c in CASES} == set(catalog.MODELS)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_planner_case(case):
    ask = case.get("ask", {})
    req = Request(case["model"], precision=ask.get("precision"), engine=ask.get("engine"),
                  objective=ask.get("objective", "throughput"))
    if "refused" in case:
        with pytest.raises(Refused) as exc:
            plan(hardware(case), req)
        for text in case["refused"]:
            assert text in str(exc.value), case["why"]
        return
    result = plan(hardware(case), req)
    p = result.profile
    got = {"engine": p.engine, "precision": p.precision,
           "gpus": p.tensor_parallel * p.pipeline_parallel * p.data_parallel if p.gpu else 0}
    want = {k: case[k] for k in got}
    if "context" in case:
        got["context"], want["context"] = p.max_model_len, case["context"]
    if "layout" in case:
        got["layout"], want["layout"] = result.layout, case["layout"]
    if "sequences" in case:
        # concurrent sequences of the planned context: replicas x data-parallel ranks x what each KV cache holds
        fit = p.fit()
        got["sequences"] = p.replicas * p.data_parallel * (fit.kv_tokens // p.max_model_len)
        want["sequences"] = case["sequences"]
    assert got == want, case["why"]


def run_plan(case: dict, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    """`llm-serving plan --format json` for the case's hardware and request: exit code and JSON."""
    hw = hardware(case)
    args = ["--model", case["model"], "--format", "json", "--nodes", str(hw.nodes)]
    if hw.gpu:
        args += ["--gpu", hw.gpu, "--gpus-per-node", str(hw.gpus_per_node)]
    if hw.rdma:
        args.append("--rdma")
    for option in ("precision", "engine", "objective"):
        if case.get("ask", {}).get(option):
            args += [f"--{option}", case["ask"][option]]
    code = cli.main(["plan", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("case", [c for c in CASES if c["gpu"] in ("A100-80GB", "T4-16GB", "H100-80GB", "B200-180GB")],
                         ids=case_id)
def test_planner_case_from_the_command_line(case, capsys):
    code, data = run_plan(case, capsys)
    if "refused" in case:
        assert code == 1 and data["refused"] is True and data["numbers"]["weightsGiB"] > 0
        full = "\n".join([data["reason"], *data["details"]])
        assert all(text in full for text in case["refused"]), full
        return
    assert code == 0
    assert (data["engine"], data["precision"],
            data["tensorParallel"] * data["pipelineParallel"] * data["dataParallel"]) == \
        (case["engine"], case["precision"], case["gpus"])
    if "layout" in case:
        assert data["layout"] == case["layout"] and data["objective"] == case.get("ask", {}).get("objective",
                                                                                              "throughput")
