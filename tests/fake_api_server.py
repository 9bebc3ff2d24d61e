"""A Kubernetes API server that answers discovery and GETs of the objects it is given, nothing
else: enough for `helm template --dry-run=server`, whose `lookup` calls read from it. Discovery
lists the kinds it is told of, so helm maps every rendered object."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def _resource(kind: str) -> dict[str, Any]:
    return {"name": kind.lower() + "s", "singularName": kind.lower(), "namespaced": True, "kind": kind,
            "verbs": ["get", "list", "create"]}


def routes(kinds: set[tuple[str, str]], objects: list[dict]) -> dict[str, dict]:
    """Path -> JSON body: /version, /api, /apis, one resource list per group version, one per object."""
    by_group: dict[str, set[str]] = {}
    for api_version, kind in kinds | {(o["apiVersion"], o["kind"]) for o in objects}:
        by_group.setdefault(api_version, set()).add(kind)
    out: dict[str, dict] = {
        "/version": {"major": "1", "minor": "33", "gitVersion": "v1.33.0", "platform": "linux/amd64"},
        "/api": {"kind": "APIVersions", "versions": ["v1"]},
        "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
             "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}}
            for gv in sorted(by_group) if "/" in gv]},
    }
    for gv, names in by_group.items():
        prefix = "/api/v1" if gv == "v1" else f"/apis/{gv}"
        out[prefix] = {"kind": "APIResourceList", "groupVersion": gv,
                       "resources": [_resource(k) for k in sorted(names)]}
    for obj in objects:
        gv, meta = obj["apiVersion"], obj["metadata"]
        prefix = "/api/v1" if gv == "v1" else f"/apis/{gv}"
        out[f"{prefix}/namespaces/{meta['namespace']}/{obj['kind'].lower()}s/{meta['name']}"] = obj
    return out


@contextmanager
def serving(kinds: set[tuple[str, str]], objects: list[dict], tmp_path: Path) -> Iterator[Path]:
    """Serve on 127.0.0.1; yields a kubeconfig (namespace llm) that points at it."""
    table = routes(kinds, objects)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            body = table.get(self.path.split("?", 1)[0])
            status = 200 if body is not None else 404
            data = json.dumps(body if body is not None else {
                "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u", "namespace": "llm"}}]}))
    try:
        yield kubeconfig
    finally:
        server.shutdown()
        server.server_close()
