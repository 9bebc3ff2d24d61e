"""A GitHub Actions workflow linter for the checks actionlint makes that matter here (actionlint
itself is a Go binary this environment cannot install): known keys at each level, `needs` naming
existing jobs without cycles, steps with exactly one of `uses`/`run`, unique step ids, expressions
using known contexts, `steps.<id>` naming an earlier step of the job and `needs.<job>` a job it
needs, `steps.<id>.outputs.<name>` written by that step (`name=` to $GITHUB_OUTPUT), permission
scopes and levels, and every `run` script passing `bash -n`."""

from __future__ import annotations

import re
import subprocess
from typing import Any

TOP = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"}
JOB = {"name", "needs", "runs-on", "permissions", "environment", "concurrency", "outputs", "env", "defaults", "if",
       "steps", "timeout-minutes", "strategy", "continue-on-error", "container", "services", "uses", "with",
       "secrets"}
STEP = {"id", "if", "name", "uses", "run", "shell", "with", "env", "continue-on-error", "timeout-minutes",
        "working-directory"}
CONTEXTS = {"github", "env", "vars", "job", "jobs", "steps", "runner", "secrets", "strategy", "matrix", "needs",
            "inputs"}
SCOPES = {"actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token", "issues",
          "models", "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses"}
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _permissions(where: str, perms: Any) -> list[str]:
    if perms in ("read-all", "write-all", None) or perms == {}:
        return []
    if not isinstance(perms, dict):
        return [f"{where}: permissions must be a map, read-all or write-all"]
    return [f"{where}: permission {k}: {v}" for k, v in perms.items()
            if k not in SCOPES or v not in ("read", "write", "none")]


def _outputs(run: str) -> set[str]:
    return set(re.findall(r"echo \"?([A-Za-z_][A-Za-z0-9_-]*)=[^\n]*>> \"?\$\{?GITHUB_OUTPUT", run))


def lint(doc: dict) -> list[str]:
    errors = [f"unknown top-level key {k!r}" for k in doc if k not in TOP and k is not True]
    if not (doc.get("on") or doc.get(True)):
        errors.append("no `on:` trigger")
    errors += _permissions("workflow", doc.get("permissions"))
    jobs = doc.get("jobs") or {}
    if not jobs:
        errors.append("no jobs")
    for name, job in jobs.items():
        where = f"job {name}"
        errors += [f"{where}: unknown key {k!r}" for k in job if k not in JOB]
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        errors += [f"{where}: needs unknown job {n!r}" for n in needs if n not in jobs]
        errors += _permissions(where, job.get("permissions"))
        if "runs-on" not in job and "uses" not in job:
            errors.append(f"{where}: no runs-on")
        seen: dict[str, set[str]] = {}
        for number, step in enumerate(job.get("steps", []), 1):
            at = f"{where} step {number} ({step.get('name', '?')})"
            errors += [f"{at}: unknown key {k!r}" for k in step if k not in STEP]
            if ("uses" in step) == ("run" in step):
                errors.append(f"{at}: needs exactly one of uses and run")
            for text in _strings(step):
                for expression in EXPRESSION.findall(text):
                    for context, rest in re.findall(r"(?<![\w.'\"-])([a-z][\w-]*)((?:\.[\w-]+)*)", expression):
                        if context in ("true", "false", "null") or context in ("contains", "startsWith", "endsWith",
                                                                                "format", "join", "toJSON",
                                                                                "fromJSON", "hashFiles",
                                                                                "success", "always", "failure",
                                                                                "cancelled"):
                            continue
                        if context not in CONTEXTS:
                            errors.append(f"{at}: unknown context {context!r} in ${{{{{expression}}}}}")
                        parts = rest.strip(".").split(".") if rest else []
                        if context == "steps" and parts:
                            if parts[0] not in seen:
                                errors.append(f"{at}: steps.{parts[0]} is not an earlier step of {name}")
                            elif len(parts) > 2 and parts[1] == "outputs" and parts[2] not in seen[parts[0]]:
                                errors.append(f"{at}: step {parts[0]} writes no output {parts[2]!r}")
                        if context == "needs" and parts and parts[0] not in needs:
                            errors.append(f"{at}: needs.{parts[0]} but {name} does not need it")
            if "run" in step:
                script = EXPRESSION.sub("EXPR", step["run"])
                proc = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    errors.append(f"{at}: bash -n: {proc.stderr.strip()}")
            if "id" in step:
                if step["id"] in seen:
                    errors.append(f"{at}: step id {step['id']!r} used twice")
                seen[step["id"]] = _outputs(step.get("run", ""))
    # needs without cycles
    state: dict[str, int] = {}

    def visit(job: str) -> bool:
        if state.get(job) == 1:
            return True
        if state.get(job) == 2 or job not in jobs:
            return False
        state[job] = 1
        needs = jobs[job].get("needs", [])
        cyclic = any(visit(n) for n in ([needs] if isinstance(needs, str) else needs))
        state[job] = 2
        return cyclic

    if any(visit(j) for j in jobs):
        errors.append("jobs need each other in a cycle")
    return errors
