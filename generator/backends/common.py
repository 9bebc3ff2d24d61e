"""Schema fragments and interface pieces shared by every engine backend."""

from __future__ import annotations

from typing import Any

from ..interface import Group, Value

QUANTITY = {
    "type": ["string", "integer"],
    "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$",
}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
K8S_NAME = {"type": "string", "pattern": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", "maxLength": 253}


def string(pattern: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string", **extra}
    if pattern:
        out["pattern"] = pattern
    return out


def integer(minimum: int | None = None, maximum: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        out["minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    return out


BOOLEAN = {"type": "boolean"}


def object_list(required: list[str] | None = None) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "object"}
    if required:
        items["required"] = required
    return {"type": "array", "items": items}


def resources_schema() -> dict[str, Any]:
    quantities = {"type": "object", "additionalProperties": QUANTITY}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {"requests": quantities, "limits": quantities},
    }


GLOBAL = Group(
    key="global",
    doc="Values shared by every engine subchart and the umbrella chart.",
    children=(
        Group(
            key="apiKey",
            doc="API key that clients must send as `Authorization: Bearer <key>`. Read only from an "
                "existing Secret, so the key never appears in values or in rendered manifests.",
            children=(
                Value("existingSecret", "",
                      "Name of a Secret in the release namespace holding the key. Empty: the API is "
                      "served without authentication (only acceptable behind a NetworkPolicy or a "
                      "gateway that authenticates). Create it with `kubectl create secret generic "
                      "llm-api-key --from-literal=api-key=$(openssl rand -hex 32)`.", K8S_NAME),
                Value("secretKey", "api-key", "Key inside the Secret whose value is the API key.",
                      string(minLength=1)),
            ),
        ),
        Value("imagePullSecrets", [],
              "Names of docker-registry Secrets used to pull every image of the release (mirrors, "
              "air-gapped registries). Empty: the node's own credentials are used.",
              {"type": "array", "items": K8S_NAME}),
    ),
)


def scheduling_values(vendor_hint: str) -> tuple[Value, ...]:
    """nodeSelector, tolerations and affinity, described once for every engine."""
    return (
        Value("nodeSelector", {},
              f"Node labels the pods must match, e.g. `{vendor_hint}` to land on a GPU pool. "
              "Empty: any node that has the requested GPU resource.", STRING_MAP),
        Value("tolerations", [],
              "Tolerations for tainted GPU nodes (GKE and most clouds taint GPU pools with "
              "`nvidia.com/gpu=present:NoSchedule`).", object_list()),
        Value("affinity", {}, "Pod affinity and anti-affinity rules, passed through as they are.",
              {"type": "object"}),
    )
