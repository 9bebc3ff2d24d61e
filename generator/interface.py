"""The values interface: every key a chart accepts, its default, its schema and its description.

A chart's interface is a tree of `Group`s and `Value`s. From that one tree the generator
derives the chart's values.yaml (with the descriptions as comments), its values.schema.json
and the values table of its README, so the three never disagree.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Value:
    """A leaf key. `schema` is the JSON-schema fragment of the value (type, enum, bounds)."""

    key: str
    default: Any
    doc: str
    schema: Mapping[str, Any] = field(default_factory=dict)
    required: bool = True
    # False: only in the schema (keys helm injects, such as a subchart's copy of `global`),
    # never in values.yaml or the README table.
    documented: bool = True
    # A list of objects whose keys are known: `item` describes one element. The schema then
    # is an array of that object, and the README documents `key[].child` for each child.
    item: Group | None = None


@dataclass(frozen=True)
class Group:
    """A mapping with a fixed set of keys; rendered with `additionalProperties: false`."""

    key: str
    doc: str
    children: tuple[Node, ...]
    required: bool = True
    documented: bool = True


Node = Value | Group


def defaults(node: Node) -> Any:
    if isinstance(node, Value):
        return copy.deepcopy(node.default)
    return {child.key: defaults(child) for child in node.children if child.documented}


def schema(node: Node) -> dict[str, Any]:
    """JSON schema (draft-07) of a node, descriptions and defaults included for editors."""
    if isinstance(node, Value):
        out: dict[str, Any] = {"description": node.doc}
        if node.item is not None:
            out.update({"type": "array", "items": schema(node.item)})
        out.update(copy.deepcopy(dict(node.schema)))
        out["default"] = copy.deepcopy(node.default)
        return out
    return {
        "description": node.doc,
        "type": "object",
        "additionalProperties": False,
        "properties": {child.key: schema(child) for child in node.children},
        "required": [child.key for child in node.children if child.required],
    }


def leaves(node: Node, prefix: str = "") -> Iterator[tuple[str, Value]]:
    """(dotted key, Value) for every leaf, depth first, in declaration order."""
    path = f"{prefix}.{node.key}" if prefix else node.key
    if not node.documented:
        return
    if isinstance(node, Value):
        yield path, node
        if node.item is not None:
            for child in node.item.children:
                yield from leaves(child, f"{path}[]")
        return
    for child in node.children:
        yield from leaves(child, path)


def type_label(value: Value) -> str:
    if value.item is not None:
        return "array of object"
    s = value.schema
    if "enum" in s:
        return " \\| ".join(repr_scalar(v) for v in s["enum"])
    t = s.get("type", "any")
    if isinstance(t, list):
        return " \\| ".join(t)
    if t == "array" and isinstance(s.get("items"), Mapping) and "type" in s["items"]:
        return f"array of {s['items']['type']}"
    return str(t)


def repr_scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def merge(base: Any, override: Any) -> Any:
    """Helm's coalescing: maps merge key by key, anything else replaces, null deletes."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    out = copy.deepcopy(base)
    for key, val in override.items():
        if val is None:
            out.pop(key, None)
        elif key in out and isinstance(out[key], dict) and isinstance(val, dict):
            out[key] = merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out
