"""Compare a rendered manifest with an upstream sample, wherever the sample sets a field.

`differences(sample, rendered)` lists every field the sample sets that the render lacks or sets
otherwise. Lists of objects with a `name` (containers, ports, env) are matched by name, other
lists of objects (tolerations) as sets, scalars as strings (the sample's `"8"` GPUs equal our 8),
and strings holding YAML (serveConfigV2) are parsed and compared as data.
"""

from __future__ import annotations

from typing import Any

import yaml

# Fields whose string value is itself YAML or JSON, compared as data.
EMBEDDED_YAML = {"serveConfigV2", "k8s.volcengine.com/pod-networks"}


def _scalar(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def differences(sample: Any, rendered: Any, path: str = "", key: str = "") -> list[str]:
    if key in EMBEDDED_YAML and isinstance(sample, str):
        parsed = yaml.safe_load(rendered or "") if isinstance(rendered, str) else rendered
        return differences(yaml.safe_load(sample), parsed, path + "(yaml)")
    if isinstance(sample, dict):
        if not isinstance(rendered, dict):
            return [f"{path or '.'}: sample has a mapping, render has {rendered!r}"]
        out = []
        for k, v in sample.items():
            sub = f"{path}.{k}" if path else k
            if k not in rendered:
                out.append(f"{sub}: set in the sample ({v!r}), missing in the render")
            else:
                out.extend(differences(v, rendered[k], sub, k))
        return out
    if isinstance(sample, list):
        if not isinstance(rendered, list):
            return [f"{path}: sample has a list, render has {rendered!r}"]
        for ident in ("name", "groupName"):
            if sample and all(isinstance(i, dict) and ident in i for i in sample):
                by_id = {i.get(ident): i for i in rendered if isinstance(i, dict)}
                out = []
                for item in sample:
                    sub = f"{path}[{ident}={item[ident]}]"
                    if item[ident] not in by_id:
                        out.append(f"{sub}: in the sample, missing in the render")
                    else:
                        out.extend(differences(item, by_id[item[ident]], sub))
                return out
        if all(isinstance(i, dict) for i in sample) and len(sample) != len(rendered):
            out = []
            for n, item in enumerate(sample):
                if not any(not differences(item, r) for r in rendered):
                    out.append(f"{path}[{n}]: {item!r} not in the render {rendered!r}")
            return out
        if len(sample) != len(rendered):
            return [f"{path}: sample {sample!r}, render {rendered!r}"]
        pairs = enumerate(zip(sample, rendered, strict=True))
        return [d for n, (s, r) in pairs for d in differences(s, r, f"{path}[{n}]")]
    if _scalar(sample) != _scalar(rendered):
        return [f"{path}: sample {sample!r}, render {rendered!r}"]
    return []
