"""The README's helm and llm-serving commands work as written (helm ones offline: template, and
install as a client-side dry run)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

from generator import cli
from generator.build import ROOT

from .conftest import HELM_VERSIONS, helm

README = (ROOT / "README.md").read_text()


def commands(prefix: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    out = []
    for line in lines:
        line = line.split("  #")[0].strip()
        if line.startswith(prefix):
            out.append(line)
    return out


# Commands that take the chart or a profile from a registry or URL run against a real registry in
# tests/test_registry.py.
HELM_RENDER = [c for c in commands("helm ") if c.split()[1] in ("template", "install")
               and "://" not in c and "<" not in c and " llm-serving/llm-serving " not in c]


def test_readme_has_the_sections():
    for heading in ("## Quickstart", "## Hardware profiles", "### How to choose",
                    "### Plan a new profile", "## Prerequisites per engine", "## Call the API",
                    "## Edit values with schema checking", "## Chart-testing and CI",
                    "## Package and publish", "## Smoke-test a live release", "## Routing",
                    "## Install from a registry", "## Upgrade", "## Verify a release"):
        assert heading in README
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    assert re.findall(r"^make (validate|test)\b", quickstart, re.M) == ["validate", "test"]


@pytest.mark.parametrize("command", HELM_RENDER)
def test_helm_commands_render(command: str):
    args = shlex.split(command)[1:]
    if args[0] == "install":
        args += ["--dry-run=client"]
    env = {**os.environ, "KUBECONFIG": os.devnull}
    proc = subprocess.run([str(helm(HELM_VERSIONS[0])), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_helm_commands_found():
    assert len(HELM_RENDER) >= 4


PLAN = [c for c in commands(".venv/bin/llm-serving plan") if " -o " not in c]


@pytest.mark.parametrize("command", PLAN)
def test_plan_commands_run(command: str):
    refused = "refused" in README.split(command, 1)[1].split("\n", 1)[0]
    proc = subprocess.run([sys.executable, "-m", "generator", *shlex.split(command)[1:]], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == (1 if refused else 0), proc.stderr


@pytest.mark.parametrize("command", commands(".venv/bin/llm-serving"))
def test_llm_serving_subcommands_exist(command: str):
    argv = shlex.split(command)[1:]
    with pytest.raises(SystemExit) as exc:
        cli.parser().parse_args([argv[0], "--help"])
    assert exc.value.code == 0
