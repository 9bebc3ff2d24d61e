"""`llm-serving` command line. Bad input ends with one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from . import __version__, build, catalog, paths, release, tools, write

EXIT_FAIL = 1
EXIT_USAGE = 2


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _bounded(low: int, high: int | None = None):
    """argparse type: an integer from low to high."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"{value} is out of range: give {bounds}")
        return value
    return parse


def cmd_generate(args: argparse.Namespace) -> int:
    root = paths.require_checkout()
    files = build.generated_files(lambda rel: write.read_text(root, rel))
    if args.check:
        stale = write.stale(root, files)
        if stale:
            print("stale generated files (run `llm-serving generate`):", file=sys.stderr)
            for entry in stale:
                print(f"  {entry}", file=sys.stderr)
            return EXIT_FAIL
        print(f"{len(files)} generated files up to date")
        return 0
    for rel in write.write(root, files):
        print(f"wrote {rel}")
    for orphan in write.stale(root, files):
        if orphan.orphan:
            (root / orphan.path).unlink()
            print(f"removed {orphan.path}")
    return 0


def _write_or_check(files: dict[str, str], check: bool) -> int:
    """Write changed files, or with `check` only list the stale ones (exit 1 if any)."""
    paths.require_checkout()
    if check:
        stale = [rel for rel, text in sorted(files.items()) if write.read_text(build.ROOT, rel) != text]
        for rel in stale:
            print(f"stale: {rel}", file=sys.stderr)
        return EXIT_FAIL if stale else 0
    for rel in write.write(build.ROOT, files):
        print(f"wrote {rel}")
    return 0


def cmd_crds(args: argparse.Namespace) -> int:
    from . import crds

    upstream = Path(args.upstream)
    if not upstream.is_dir():
        raise UsageError(f"--upstream {upstream}: not a directory of upstream CRD files")
    files = {f"schemas/crds/{rel}": text for rel, text in crds.convert_tree(upstream).items()}
    if not files:
        raise UsageError(f"--upstream {upstream}: no CustomResourceDefinition found")
    return _write_or_check(files, args.check)


def cmd_vendor(args: argparse.Namespace) -> int:
    from . import vendor

    upstream = Path(args.upstream)
    missing = [src for src in vendor.FILES.values() if not (upstream / src).is_file()]
    if missing:
        raise UsageError(f"--upstream {upstream}: missing {', '.join(missing)}")
    files = vendor.vendored(upstream)
    return _write_or_check(files, args.check)


def cmd_package(args: argparse.Namespace) -> int:
    import subprocess

    paths.require_checkout()
    stale = write.stale(build.ROOT, build.generated_files(lambda rel: write.read_text(build.ROOT, rel)))
    if stale:
        raise UsageError(f"generated files are stale ({', '.join(map(str, stale[:3]))}): run `llm-serving "
                         "generate` first")
    sign: list[str] = []
    if args.sign:
        if not args.key:
            raise UsageError("--sign needs --key: the name (or email) of the secret key to sign with")
        if not args.keyring or not Path(args.keyring).is_file():
            raise UsageError(f"--sign needs --keyring, a secret keyring file (got {args.keyring or 'none'}): "
                             "`gpg --export-secret-keys <key> > secring.gpg`")
        sign = ["--sign", "--key", args.key, "--keyring", args.keyring]
        if args.passphrase_file:
            given = Path(args.passphrase_file)
            if args.passphrase_file != "-" and (not given.is_file() or not given.read_bytes().strip()):
                raise UsageError(f"--passphrase-file {given}: missing or empty; leave it out for a key without "
                                 "a passphrase")
            sign += ["--passphrase-file", args.passphrase_file]
    elif args.key or args.keyring or args.passphrase_file:
        raise UsageError("--key, --keyring and --passphrase-file sign the package: add --sign")
    helm = next(iter(tools.find_helms(args.helm).values()))
    dest = Path(args.destination)
    dest.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(helm), "package", str(build.ROOT / build.UMBRELLA), "--destination", str(dest),
                           *sign], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UsageError(f"helm package failed: {proc.stderr.strip()}")
    print(proc.stdout.strip())
    if sign:
        print(f"provenance: {dest / f'{release.CHART}-{__version__}.tgz.prov'}")
    return 0


def _hardware(args: argparse.Namespace):
    import jsonschema
    import yaml

    from . import interface, planner, validation

    flags = {"--gpu": args.gpu, "--gpus-per-node": args.gpus_per_node, "--nodes": args.nodes,
             "--cpu": args.cpu, "--memory": args.memory, "--rdma": args.rdma or None, "--machine": args.machine}
    if args.hardware:
        # The file is the whole description: a flag beside it would silently lose or win.
        given = [flag for flag, value in flags.items() if value is not None]
        if given:
            raise UsageError(f"--hardware {args.hardware} describes the hardware; drop {', '.join(given)} "
                             "(set gpu, gpusPerNode, nodes, cpu, memoryGiB, interconnect.rdma in the file)")
        path = Path(args.hardware)
        try:
            data = yaml.safe_load(validation.read_utf8(path))
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        except yaml.YAMLError as exc:
            raise UsageError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
        data = {} if data is None else data
        schema = {"$schema": build.SCHEMA_DRAFT, **interface.schema(planner.HARDWARE)}
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(data), key=lambda e: list(e.path))
        if errors:
            found = "; ".join(f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
                              for e in errors[:3])
            raise UsageError(f"{path}: {found} (schema: schemas/hardware-profile.schema.json)")
        try:
            return planner.hardware_from_dict(data)
        except ValueError as exc:
            raise UsageError(f"{path}: {exc}") from exc
    gpu = None if args.gpu in (None, "", "none", "cpu") else args.gpu
    if gpu is not None and gpu not in planner.catalog.GPUS:
        raise UsageError(f"--gpu {args.gpu}: unknown; GPUs: {', '.join(planner.catalog.GPUS)} (or none)")
    if gpu is None and args.gpus_per_node is not None:
        raise UsageError(f"--gpus-per-node {args.gpus_per_node} without a GPU: name it with --gpu "
                         f"({', '.join(planner.catalog.GPUS)}), or drop --gpus-per-node for CPU nodes")
    per_node = args.gpus_per_node if args.gpus_per_node is not None else (1 if gpu else 0)
    nodes = args.nodes if args.nodes is not None else 1
    from . import platforms

    for name in args.machine or ():
        if name not in platforms.MACHINES:
            raise UsageError(f"--machine {name}: unknown; machines: {', '.join(platforms.MACHINES)}")
    try:
        return planner.Hardware(gpu, per_node, nodes, args.cpu, args.memory, args.rdma,
                                machines=tuple(args.machine or ()))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def cmd_plan(args: argparse.Namespace) -> int:
    import json
    import tempfile
    from dataclasses import replace

    from . import planner, validation

    hw = _hardware(args)
    req = planner.Request(model=args.model, engine=args.engine, context=args.context,
                          precision=args.precision, expert_parallel=args.expert_parallel,
                          kv_cache_dtype=args.kv_cache_dtype, objective=args.objective)
    try:
        result = planner.plan(hw, req)
    except planner.Refused as exc:
        if args.format == "json":
            print(json.dumps(exc.as_dict(), indent=2))
        print(f"llm-serving: no plan: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if args.format == "json":
        print(json.dumps(result.as_dict(), indent=2))
    else:
        width = max(len(k) for k, _ in result.table())
        for key, value in result.table():
            print(f"{key.ljust(width)}  {value}")
    if args.output:
        out = Path(args.output)
        name = out.stem
        profile = replace(result.profile, name=name, hardware=hw.describe(),
                          title=f"{hw.describe()}, {result.profile.checkpoint.repo} (planned)")
        out.parent.mkdir(parents=True, exist_ok=True)
        schema = os.path.relpath(build.ROOT / build.UMBRELLA / "values.schema.json", out.parent.resolve())
        text = build.profile_file(profile, schema_path=schema, values_path=str(out),
                                  origin="Written by `llm-serving plan`; yours to edit.")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, dir=out.parent) as tmp:
            tmp.write(text)
        try:
            errors = validation.values_errors(Path(tmp.name))
            if errors:
                raise UsageError(f"planned values fail the chart schema: {errors[0]}")
            Path(tmp.name).replace(out)
        finally:
            Path(tmp.name).unlink(missing_ok=True)  # nothing half-written
        print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_tools(args: argparse.Namespace) -> int:
    for version, path in tools.helm_binaries(install_missing=True).items():
        print(f"helm {version}: {path}")
    return 0


def _values_files(names: list[str]) -> list[Path]:
    if not names:
        files = sorted((build.ROOT / "values").glob("*.yaml"))
        if not files:
            raise UsageError("values/ has no profile: run `llm-serving generate` first")
        return files
    out = []
    for name in names:
        path = Path(name)
        if not path.suffix:
            path = build.ROOT / "values" / f"{name}.yaml"
        if not path.is_file():
            known = ", ".join(p.stem for p in sorted((build.ROOT / "values").glob("*.yaml")))
            raise UsageError(f"profile {name!r}: no such file {path} (profiles: {known})")
        out.append(path)
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    import yaml

    from . import fitcheck, validation
    from .backends import REGISTRY

    paths.require_checkout()
    if not args.no_generate:
        code = cmd_generate(argparse.Namespace(check=False))
        if code:
            return code
    files = _values_files(args.profiles)
    helms = tools.find_helms(args.helm)
    # Every file is read and shape-checked before any is validated: a bad one stops the run
    # with one line, not half a report.
    defaults = validation.load_yaml(validation.CHART / "values.yaml")
    merged_files = []
    for path in files:
        try:
            merged = validation.merged_values(path)
        except yaml.YAMLError as exc:
            raise UsageError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        for key, default in defaults.items():
            if isinstance(default, dict) and key in merged and not isinstance(merged[key], dict):
                raise UsageError(f"{path}: {key} is {merged[key]!r}, not a mapping: write `{key}:` with its "
                                 f"settings indented below it (see charts/llm-serving/values.yaml)")
        merged_files.append((path, merged))
    print("validating with " + ", ".join(f"helm {v} ({p})" for v, p in helms.items()), flush=True)
    outcome = validation.validate_all(
        [path for path, _ in merged_files], helms, args.jobs,
        started=lambda path, version: print(f"validating {path.name} with helm {version} ...", flush=True))
    rows = []
    failed = False
    for path, merged in merged_files:
        engines = [name for name in REGISTRY if merged.get(name, {}).get("enabled")]
        info = {"model": "-", "gpus": "-", "parallel": "-"}
        if len(engines) == 1:
            try:
                info = REGISTRY[engines[0]].summary(merged[engines[0]])
            except (KeyError, TypeError):
                pass
        results = [outcome[path, version] for version in helms]
        errors = [e for r in results for e in r.errors]
        failed |= bool(errors)
        fits = fitcheck.reports(merged)
        rows.append([path.stem, ",".join(engines) or "-", info["model"], info["gpus"],
                     info["parallel"], "; ".join(f.cell() for f in fits) or "-",
                     " / ".join(str(len(r.documents)) for r in results),
                     "ok" if not errors else f"FAIL ({len(errors)})"])
        sys.stdout.flush()
        for fit in fits:
            if not fit.checked:
                print(f"  warning: {path.name}: {fit.note}", file=sys.stderr, flush=True)
        for err in errors:
            print(f"  {path.name}: {err}", file=sys.stderr, flush=True)
    header = ["profile", "engine", "model", "GPUs", "TPxPP", "KV cache fit (tokens, sequences x context)",
              "objects (" + " / ".join(f"helm {v}" for v in helms) + ")", "result"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print(flush=True)
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return EXIT_FAIL if failed else 0


def parser() -> argparse.ArgumentParser:
    from .backends import REGISTRY
    from .backends.ollama import DEFAULT_CPU_MEMORY_GIB
    from .planner import KV_CACHE_DTYPES, MIN_REQUEST_CONTEXT, OBJECTIVES

    p = Parser(prog="llm-serving", description=__doc__)
    p.add_argument("--version", action="version", version=f"llm-serving {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write Chart.yaml, values, schemas, README tables and profiles")
    g.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale files")
    g.set_defaults(func=cmd_generate)
    v = sub.add_parser("validate", help="generate, then render and validate every profile")
    v.add_argument("profiles", nargs="*", help="profile names or values files (default: values/*.yaml)")
    v.add_argument("--no-generate", action="store_true", help="validate the files as they are")
    v.add_argument("--jobs", type=_bounded(1, 64), help="values files x helm versions validated at once "
                   "(default: one per CPU)")
    v.add_argument("--helm", action="append", metavar="PATH", help="helm binary to validate with, repeatable "
                   "(default: the pinned helm 4.3.1 and 3.19.0 when installed, else the helm on PATH)")
    v.set_defaults(func=cmd_validate)
    t = sub.add_parser("tools", help="install the pinned helm binaries into .tools/ when missing")
    t.set_defaults(func=cmd_tools)
    c = sub.add_parser("crds", help="convert upstream CRDs into schemas/crds/")
    c.add_argument("--upstream", required=True, help="folder of upstream CRD YAML files, one sub-folder per group")
    c.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale files")
    c.set_defaults(func=cmd_crds)
    pl = sub.add_parser("plan", help="plan engine, parallelism, precision and sizes for hardware")
    pl.add_argument("--gpu", help="catalog GPU (e.g. H100-80GB), or none for CPU")
    pl.add_argument("--gpus-per-node", type=_bounded(1, 16), help="GPUs in each node, 1-16 (default: 1 with --gpu)")
    pl.add_argument("--nodes", type=_bounded(1, 64), help="nodes of that shape, 1-64 (default: 1)")
    pl.add_argument("--cpu", type=_bounded(1), help="vCPUs per node")
    pl.add_argument("--memory", type=_bounded(1),
                    help=f"RAM per node, GiB (CPU plans assume {DEFAULT_CPU_MEMORY_GIB} without it)")
    pl.add_argument("--rdma", action="store_true", help="nodes are linked by RDMA")
    pl.add_argument("--machine", action="append", help="machine type of the nodes (e.g. g5.xlarge; repeatable, "
                    "one per platform): pods are sized to fit the smallest")
    pl.add_argument("--hardware", help="hardware profile YAML (schemas/hardware-profile.schema.json); "
                    "the whole description, not combined with the flags above")
    pl.add_argument("--model", default="deepseek-r1", help="catalog model or ollama tag (default: the 671B)")
    pl.add_argument("--engine", choices=list(REGISTRY), help="engine to plan for (default: the one the "
                    "hardware calls for)")
    pl.add_argument("--context", type=_bounded(MIN_REQUEST_CONTEXT),
                    help=f"max tokens per sequence, {MIN_REQUEST_CONTEXT} to the model's maximum")
    pl.add_argument("--expert-parallel", action="store_true",
                    help="spread a MoE model's experts over the GPUs (vLLM --enable-expert-parallel, Ray Serve's "
                    "engine kwarg); vLLM plans on one node of 8 NVIDIA GPUs enable it by themselves, as vLLM's "
                    "DeepSeek recipe does")
    pl.add_argument("--kv-cache-dtype", choices=list(KV_CACHE_DTYPES),
                    help="vLLM's --kv-cache-dtype: auto (the model's 16 bits) or fp8 (half the memory per "
                    "token). Default: auto, and fp8 only when nothing fits otherwise, stated in the plan")
    pl.add_argument("--objective", choices=list(OBJECTIVES), default="throughput",
                    help="which fitting layout to take: throughput (default: the most concurrent max-length "
                    "sequences, data-parallel attention with expert parallelism for DeepSeek's MoE where it fits) "
                    "or latency (tensor parallel, as vLLM's recipe runs low load)")
    pl.add_argument("--precision", help="bf16, fp8, nvfp4, w4a16 or awq-int4 (ollama: ollama-q4_K_M)")
    pl.add_argument("--format", choices=["table", "json"], default="table")
    pl.add_argument("-o", "--output", help="write a values file that validates against the chart schema")
    pl.set_defaults(func=cmd_plan)
    k = sub.add_parser("package", help="helm package the umbrella chart into dist/, signed with --sign")
    k.add_argument("--destination", default=str(build.ROOT / "dist"), help="output folder (default: dist/)")
    k.add_argument("--helm", action="append", metavar="PATH", help="helm binary to package with (default: as "
                   "for validate)")
    k.add_argument("--sign", action="store_true", help="sign with an OpenPGP key: writes the provenance file "
                   "<package>.tgz.prov that `helm verify` checks")
    k.add_argument("--key", help="name or email of the signing key in --keyring")
    k.add_argument("--keyring", help="secret keyring holding --key, in the legacy format helm reads "
                   "(`gpg --export-secret-keys <key> > secring.gpg`)")
    k.add_argument("--passphrase-file", help="file with the key's passphrase (- for stdin); none for a key "
                   "without one")
    k.set_defaults(func=cmd_package)
    d = sub.add_parser("vendor", help="copy upstream files the charts ship (Grafana dashboards)")
    d.add_argument("--upstream", required=True, help="the shared/upstream folder")
    d.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale files")
    d.set_defaults(func=cmd_vendor)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, tools.ToolError, paths.NoCheckout, catalog.DoesNotFit, release.ReleaseError,
            OSError) as exc:
        print(f"llm-serving: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
