"""Render a values file with helm and validate everything that comes out.

Steps per values file and helm version: the merged values against the umbrella schema
(jsonschema), `helm lint --strict`, `helm template`, then every rendered document: core
kinds against the Kubernetes OpenAPI schemas of the oldest and newest supported version
(kubernetes-validate's strict schemas, unknown fields rejected), custom kinds against
schemas/crds/. A kind with no schema is an error, never a skip.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
import yaml
from kubernetes_validate import utils as kv_utils
from referencing import Registry, Resource

from . import build, interface
from .build import KUBE_VERSIONS, ROOT, UMBRELLA
from .crds import schema_path

CHART = ROOT / UMBRELLA
CRD_ROOT = ROOT / "schemas" / "crds"


class RenderError(RuntimeError):
    """helm refused the values or the templates; the message is helm's."""


# ---------------------------------------------------------------- values

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: renders parse faster


def read_utf8(path: Path) -> str:
    """A text file's content; a ValueError naming the file, the byte and the fix if not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                         f"{exc.start}): save it as UTF-8") from exc


def load_yaml(path: Path) -> dict[str, Any]:
    """A values file: a YAML mapping in UTF-8 ({} when empty). Anything else is a ValueError
    naming the file and the fix; invalid YAML is yaml.YAMLError."""
    data = yaml.load(read_utf8(path), Loader=_LOADER)  # noqa: S506 - a safe loader (libyaml's when present)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the top level is a {type(data).__name__}, not a mapping of values: "
                         "start the file with keys such as `vllm:` or `ollama:`")
    return data


@functools.cache
def _umbrella_validator() -> jsonschema.protocols.Validator:
    """The chart's values.schema.json; without a checkout (plan -o of an installed package), the
    same schema built from the interface."""
    path = CHART / "values.schema.json"
    if path.is_file():
        schema = json.loads(path.read_text(encoding="utf-8"))
    else:
        schema = json.loads(build.values_schema(build.umbrella_interface(), "llm-serving values"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@functools.cache
def _chart_defaults(chart_values: Path) -> dict[str, Any]:
    # merge() copies it, so the cached tree is never changed
    if chart_values.is_file():
        return load_yaml(chart_values)
    return interface.defaults(build.umbrella_interface())


def merged_values(values_file: Path) -> dict[str, Any]:
    return interface.merge(_chart_defaults(CHART / "values.yaml"), load_yaml(values_file))


def values_errors(values_file: Path) -> list[str]:
    merged = merged_values(values_file)
    return [
        f"{'.'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in sorted(_umbrella_validator().iter_errors(merged), key=lambda e: list(map(str, e.path)))
    ]


# ---------------------------------------------------------------- helm

@functools.cache
def crd_api_versions() -> tuple[str, ...]:
    """`group/version/Kind` of every custom resource schemas/crds/ can validate: the suite renders
    as if the cluster served them (`--api-versions`), then validates what comes out."""
    out = set()
    for path in CRD_ROOT.glob("*/*.json"):
        props = json.loads(path.read_text())["properties"]
        out.add(f"{props['apiVersion']['enum'][0]}/{props['kind']['enum'][0]}")
    return tuple(sorted(out))


def _api_version_args() -> list[str]:
    return [arg for api in crd_api_versions() for arg in ("--api-versions", api)]


# helm runs for a fraction of a second and allocates little: with Go's garbage collector off until
# the heap reaches 2 GiB, its CPU time drops by about a fifth (measured on helm template of every
# profile). A GOGC or GOMEMLIMIT of the caller's own wins.
HELM_ENV = {"GOGC": "off", "GOMEMLIMIT": "2GiB"}


def _helm_env() -> dict[str, str]:
    return {**HELM_ENV, **os.environ}


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300, env=_helm_env())


def helm_template(helm: Path, values_file: Path, chart: Path = CHART, release: str = "r1",
                  extra: tuple[str, ...] = (), crds: bool = True) -> list[dict[str, Any]]:
    """Render; with `crds`, as for a cluster that serves every CRD we have a schema for."""
    proc = _run(_template_command(helm, values_file, chart, release, extra, crds))
    return _documents(proc.returncode, proc.stdout, proc.stderr)


def _template_command(helm: Path, values_file: Path, chart: Path = CHART, release: str = "r1",
                      extra: tuple[str, ...] = (), crds: bool = True) -> list[str]:
    return [str(helm), "template", release, str(chart), "-f", str(values_file),
            "--namespace", "llm", *(_api_version_args() if crds else []), *extra]


def _documents(returncode: int, stdout: str, stderr: str) -> list[dict[str, Any]]:
    if returncode != 0:
        raise RenderError(stderr.strip())
    return [doc for doc in yaml.load_all(stdout, Loader=_LOADER) if doc]


T = TypeVar("T")


def _run_together(commands: list[list[str]], meanwhile: Callable[[], T]) -> tuple[T, list[tuple[int, str, str]]]:
    """Start every command, run `meanwhile` while they work, then (its result, the (exit code,
    stdout, stderr) of each command). No command outlives the call, whatever raises."""
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_helm_env())
             for cmd in commands]
    try:
        done = meanwhile()
        outputs = [proc.communicate(timeout=300) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return done, [(proc.returncode, *out) for proc, out in zip(procs, outputs, strict=True)]


def _lint_command(helm: Path, values_file: Path, chart: Path) -> list[str]:
    # helm lint has no --api-versions: the operator check is switched off for linting only. The
    # values schema is checked by helm template of the same helm in the same run (and by
    # values_errors): lint skips that third check of the same values.
    return [str(helm), "lint", "--strict", "--skip-schema-validation", str(chart), "-f", str(values_file),
            "--set", "global.requireCRDs=false"]


def helm_lint(helm: Path, values_file: Path, chart: Path = CHART) -> None:
    proc = _run(_lint_command(helm, values_file, chart))
    if proc.returncode != 0:
        raise RenderError((proc.stdout + proc.stderr).strip())


# ---------------------------------------------------------------- manifests

@functools.cache
def _crd_validator(api_version: str, kind: str, crd_set: str = "") -> jsonschema.protocols.Validator | None:
    path = schema_path(CRD_ROOT, api_version, kind, crd_set)
    if not path.is_file():
        return None
    return jsonschema.Draft7Validator(json.loads(path.read_text()))


def _drop_nulls(node: Any) -> Any:
    """The API server prunes null fields of custom resources before it validates them."""
    if isinstance(node, dict):
        return {k: _drop_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_drop_nulls(v) for v in node]
    return node


def _describe(err: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in err.absolute_path) or "<root>"
    return f"{where}: {err.message[:300]}"


@functools.cache
def _definitions(schema_dir: str) -> Registry:
    """The shared definitions of one Kubernetes version, parsed once per run."""
    defs = kv_utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", schema_dir)
    return Resource.from_contents(defs) @ Registry()


@functools.cache
def _core_validator(api_version: str, kind: str, version: str) -> jsonschema.protocols.Validator | None:
    """kubernetes-validate's strict schema for a kind, built once (its own `validate` re-reads
    and re-parses the definitions file on every call, which dominated validation time)."""
    schema_version = [v for v in kv_utils.all_versions()
                      if kv_utils.major_minor(v) <= kv_utils.major_minor(version)][-1]
    schema_dir = f"v{schema_version}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kv_utils.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        return None
    registry = Resource.from_contents(schema) @ _definitions(schema_dir)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _core_errors(doc: dict[str, Any], version: str) -> list[str] | None:
    """Strict Kubernetes schema of `version`; None when Kubernetes has no schema for the kind."""
    validator = _core_validator(doc.get("apiVersion", ""), doc.get("kind", ""), version)
    if validator is None:
        return None
    error = next(iter(validator.iter_errors(doc)), None)  # the first, as kubernetes-validate reports
    return [] if error is None else [_describe(error)]


def document_errors(doc: dict[str, Any], crd_set: str = "") -> list[str]:
    """Every problem with one rendered document, prefixed with kind/name. Documents that render
    alike (most do, under both helm versions) are validated once."""
    return list(_document_errors(json.dumps(doc, sort_keys=True), crd_set))


@functools.lru_cache(maxsize=4096)
def _document_errors(text: str, crd_set: str) -> tuple[str, ...]:
    return tuple(_validate_document(json.loads(text), crd_set))


def _validate_document(doc: dict[str, Any], crd_set: str) -> list[str]:
    api_version, kind = doc.get("apiVersion", ""), doc.get("kind", "")
    name = f"{kind}/{doc.get('metadata', {}).get('name', '?')}"
    core = {version: _core_errors(doc, version) for version in KUBE_VERSIONS}
    if all(found is None for found in core.values()):
        crd = _crd_validator(api_version, kind, crd_set)
        if crd is None:
            return [f"{name}: no schema for {api_version} {kind} in Kubernetes "
                    f"{' or '.join(KUBE_VERSIONS)} nor in schemas/crds/"]
        return [f"{name}: {_describe(e)}" for e in crd.iter_errors(_drop_nulls(doc))]
    errors: list[str] = []
    for version, found in core.items():
        if found is None:
            errors.append(f"{name}: {api_version} {kind} is not served by Kubernetes {version}")
        else:
            errors.extend(f"{name} (k8s {version}): {e}" for e in found)
    return errors


# ---------------------------------------------------------------- one values file

@dataclass
class Result:
    values_file: Path
    helm_version: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_file(values_file: Path, helm_version: str, helm: Path, lint: bool = True,
                  chart: Path = CHART, check_values: bool = True) -> Result:
    """One values file with one helm: `check_values` checks the merged values against the schema
    (the same for every helm version), while helm template and helm lint run side by side."""
    result = Result(values_file, helm_version)
    commands = [_template_command(helm, values_file, chart)]
    if lint:
        commands.append(_lint_command(helm, values_file, chart))
    schema_errors, outputs = _run_together(commands, lambda: values_errors(values_file) if check_values else [])
    result.errors.extend(f"values: {e}" for e in schema_errors)
    # lint's message names the failing template or value first
    failures = [(out + err).strip() for code, out, err in outputs[1:] if code != 0]
    try:
        result.documents = _documents(outputs[0][0], outputs[0][1], outputs[0][2])
    except RenderError as exc:
        failures.append(str(exc))
    if failures:
        result.documents = []
        result.errors.append(f"helm {helm_version}: " + "\n".join(dict.fromkeys(failures)))
        return result
    for doc in result.documents:
        result.errors.extend(document_errors(doc))
    return result


def validate_all(files: list[Path], helms: dict[str, Path], jobs: int | None = None,
                 started: Callable[[Path, str], None] = lambda path, version: None) -> dict[tuple[Path, str], Result]:
    """Every file with every helm, `jobs` (file, helm) pairs at a time (default: one per CPU;
    each pair runs helm template and helm lint side by side). The values schema is checked once
    per file. `started` is told when a pair starts."""
    first = next(iter(helms))

    def one(path: Path, version: str) -> Result:
        started(path, version)
        return validate_file(path, version, helms[version], check_values=version == first)

    pairs = [(path, version) for path in files for version in helms]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = {pair: pool.submit(one, *pair) for pair in pairs}
        return {pair: future.result() for pair, future in futures.items()}
