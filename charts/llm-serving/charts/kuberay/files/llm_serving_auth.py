"""API key check for Ray Serve's HTTP proxy (part of the llm-serving kuberay chart).

Ray Serve LLM has no API key option of its own. Ray Serve calls the function named by
RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH in every HTTP proxy and wraps the proxy in the
Starlette middlewares it returns. The chart mounts this file, puts its directory on PYTHONPATH,
sets that variable to `llm_serving_auth.middlewares` and mounts the release's API key Secret as
the file LLM_SERVING_API_KEY_FILE names (LLM_SERVING_API_KEY, the key itself, also works), so
every request needs `Authorization: Bearer <key>`, as vLLM asks with --api-key. Exempt: exactly
the two paths Serve's proxy answers itself, `/-/healthz` (KubeRay's readiness probe and the
operator's health check) and `/-/routes`, and CORS preflight (OPTIONS). Any other path, `/-/...`
included, is routed to the application by longest route prefix, so it needs the key. The proxy
compares the path below the ASGI `root_path` with those two (ASGIProxyRequest.is_health_request
and is_route_request in ray/serve/_private/proxy_request_response.py, the Ray 2.x proxy the
pinned rayproject/ray-llm 2.52 image runs); this check does the same.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KEY_ENV = "LLM_SERVING_API_KEY"
KEY_FILE_ENV = "LLM_SERVING_API_KEY_FILE"
# The paths Serve's HTTP proxy answers itself, without calling the application.
SERVE_OWN_PATHS = frozenset({"/-/healthz", "/-/routes"})

_REJECTION = json.dumps({"error": {
    "message": "Missing or wrong API key: send 'Authorization: Bearer <key>' with the key from "
               "the release's API key Secret.",
    "type": "invalid_request_error", "code": "invalid_api_key"}}).encode()


class ApiKeyMiddleware:
    """Pure ASGI middleware: 401 unless the bearer token equals `api_key`."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        if not api_key:
            raise ValueError(f"{KEY_ENV} is empty: the API key Secret has no value for its key")
        self.app = app
        self._expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "OPTIONS" or _route_path(scope) in SERVE_OWN_PATHS:
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if hmac.compare_digest(given, self._expected):
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"), (b"www-authenticate", b"Bearer"),
            (b"content-length", str(len(_REJECTION)).encode())]})
        await send({"type": "http.response.body", "body": _REJECTION})


def _route_path(scope: Scope) -> str:
    """The request path below the ASGI root_path, as Serve's proxy routes it."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def middlewares() -> list[Any]:
    """Ray Serve's HTTP proxy callback: the Starlette middlewares to wrap the proxy in."""
    from starlette.middleware import Middleware  # present wherever Ray Serve runs

    return [Middleware(ApiKeyMiddleware, api_key=configured_key())]


def configured_key() -> str:
    """The key from the file KEY_FILE_ENV names (surrounding whitespace dropped, as a Secret
    created from a file may end in a newline), else from KEY_ENV; never empty."""
    path = os.environ.get(KEY_FILE_ENV, "")
    if path:
        with open(path, encoding="utf-8") as handle:
            api_key = handle.read().strip()
        source = f"{KEY_FILE_ENV} ({path})"
    else:
        api_key, source = os.environ.get(KEY_ENV, ""), KEY_ENV
    if not api_key:
        raise RuntimeError(f"{source} gives no API key: the chart sets it from global.apiKey's "
                           "Secret; refusing to serve the API without its key")
    return api_key
