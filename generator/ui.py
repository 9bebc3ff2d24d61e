"""The chat UI, rendered by the umbrella chart: NextChat, wired to whichever engine is enabled.

Why NextChat (seed 003's choice) rather than Open WebUI (seed 000's): it is a small, stateless
server (chats stay in the browser, so no volume), it proxies requests so the API key stays
server-side, and access codes from a Secret keep it private. Open WebUI brings user accounts
and server-side history, at the cost of a multi-GB image, a database volume and model
downloads of its own at startup, which air-gapped clusters cannot serve.
"""

from __future__ import annotations

from .backends.common import K8S_NAME, http_route_group, image_group, ingress_group, integer, resources_schema, string
from .interface import Group, Value

NEXTCHAT_VERSION = "v2.16.1"

INTERFACE = Group(
    key="ui",
    doc="Web chat UI (NextChat) talking to the enabled engine's OpenAI-compatible API.",
    children=(
        Value("enabled", False, "Deploy the chat UI.", {"type": "boolean"}),
        image_group("Container image of NextChat.", "yidadaa/chatgpt-next-web", NEXTCHAT_VERSION,
                    "Image tag, pinned to a NextChat release."),
        Group("accessCode", "Passwords users type to use the UI (NextChat `CODE`), read from an "
              "existing Secret. Required when the UI is reachable from outside the cluster.", (
            Value("existingSecret", "", "Secret holding comma-separated access codes. Empty: no "
                  "password (only acceptable without Ingress).", K8S_NAME),
            Value("secretKey", "code", "Key inside the Secret.", string(minLength=1)),
        )),
        Group("service", "Service of the UI.", (
            Value("port", 3000, "Service port; NextChat listens on 3000.", integer(1, 65535)),
        )),
        ingress_group("The UI streams long answers: raise the proxy read timeout as for the API."),
        http_route_group(),
        Value("resources", {"requests": {"cpu": "100m", "memory": "256Mi"},
                            "limits": {"memory": "512Mi"}},
              "CPU and memory of the UI; a Node.js proxy needs little.", resources_schema()),
    ),
)
