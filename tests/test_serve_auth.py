"""Ray Serve's API key check: the middleware the kuberay chart mounts into every Ray pod, loaded
from the rendered ConfigMap and driven the way Ray Serve's HTTP proxy drives it."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from starlette.middleware import Middleware

from generator.build import ROOT

from .conftest import HELM_VERSIONS, find, rendered, secret_file

KEYED = ROOT / "tests" / "values-valid" / "kuberay-api-key.yaml"
UNKEYED = ROOT / "tests" / "values-valid" / "ui-with-kuberay.yaml"
KEY = "s3cret-key"


def _ray_pod_specs(docs: list[dict]) -> list[dict]:
    (service,) = find(docs, "RayService")
    cluster = service["spec"]["rayClusterConfig"]
    return [cluster["headGroupSpec"]["template"], *(g["template"] for g in cluster["workerGroupSpecs"])]


def _rendered_module(tmp_path: Path, version: str = HELM_VERSIONS[0]) -> ModuleType:
    """The module as the pods see it: the file in the rendered ConfigMap, imported."""
    (config,) = [c for c in find(rendered(KEYED, version), "ConfigMap") if c["metadata"]["name"].endswith("serve-auth")]
    path = tmp_path / "llm_serving_auth.py"
    path.write_text(config["data"]["llm_serving_auth.py"])
    spec = importlib.util.spec_from_file_location("llm_serving_auth", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _call(app, path: str, headers: list[tuple[bytes, bytes]], method: str = "POST",
          root_path: str = "") -> tuple[int, bytes]:
    """One HTTP request through an ASGI app; returns status and body."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": headers, "root_path": root_path}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def _engine(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"served"})


@pytest.fixture
def proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The proxy app wrapped as Ray Serve 2.52 wraps it (http_util._apply_middlewares)."""
    module = _rendered_module(tmp_path)
    monkeypatch.setenv(module.KEY_ENV, KEY)
    middlewares = module.middlewares()
    assert isinstance(middlewares, list) and all(isinstance(m, Middleware) for m in middlewares)
    app = _engine
    for m in middlewares:
        app = m.cls(app, *m.args, **m.kwargs)
    return app


@pytest.mark.parametrize("headers", [
    [], [(b"authorization", b"Bearer wrong")], [(b"authorization", KEY.encode())],
    [(b"authorization", f"Bearer {KEY}x".encode())], [(b"authorization", f"Bearer {KEY.upper()}".encode())],
    [(b"authorization", f"Bearer {KEY[:-1]}".encode())]],
    ids=["none", "wrong", "no-scheme", "longer", "other-case", "prefix"])
def test_request_without_the_key_is_refused(proxy, headers):
    status, body = _call(proxy, "/v1/chat/completions", headers)
    assert status == 401 and b"invalid_api_key" in body


def test_request_with_the_key_is_served(proxy):
    assert _call(proxy, "/v1/models", [(b"authorization", f"Bearer {KEY}".encode())]) == (200, b"served")


@pytest.mark.parametrize("path,method", [("/-/healthz", "GET"), ("/-/routes", "GET"),
                                         ("/v1/chat/completions", "OPTIONS")])
def test_health_probe_and_preflight_need_no_key(proxy, path, method):
    assert _call(proxy, path, [], method) == (200, b"served")


@pytest.mark.parametrize("path", ["/-/", "/-/other", "/-/healthz/", "/-/healthzx", "/-/routes/x", "/-/v1/models",
                                  "/x/-/healthz"])
def test_other_dash_paths_need_the_key(proxy, path):
    """Serve answers only /-/healthz and /-/routes itself; any other path reaches the application
    (by longest route prefix, so `/` catches them), and must carry the key."""
    assert _call(proxy, path, [], "GET")[0] == 401


def test_serve_own_paths_below_a_root_path(proxy):
    assert _call(proxy, "/api/-/healthz", [], "GET", root_path="/api") == (200, b"served")
    assert _call(proxy, "/api/-/other", [], "GET", root_path="/api")[0] == 401


def test_callback_refuses_to_start_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    module = _rendered_module(tmp_path)
    monkeypatch.delenv(module.KEY_ENV, raising=False)
    monkeypatch.delenv(module.KEY_FILE_ENV, raising=False)
    with pytest.raises(RuntimeError, match=module.KEY_ENV):
        module.middlewares()
    empty = tmp_path / "empty-key"
    empty.write_text("\n")
    monkeypatch.setenv(module.KEY_FILE_ENV, str(empty))
    with pytest.raises(RuntimeError, match=module.KEY_FILE_ENV):
        module.middlewares()


def test_key_is_read_from_the_mounted_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    module = _rendered_module(tmp_path)
    key_file = tmp_path / "api-key"
    key_file.write_text("s3cret\n")  # a Secret created from a file keeps its newline
    monkeypatch.setenv(module.KEY_FILE_ENV, str(key_file))
    monkeypatch.setenv(module.KEY_ENV, "not-this-one")
    assert module.configured_key() == "s3cret"


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_every_ray_pod_loads_the_check_with_the_key(version: str):
    docs = rendered(KEYED, version)
    configs = {c["metadata"]["name"]: c for c in find(docs, "ConfigMap")}
    for template in _ray_pod_specs(docs):
        spec = template["spec"]
        (container,) = spec["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert "LLM_SERVING_API_KEY" not in env  # no Secret in the environment: a mounted file
        key_secret = secret_file(spec, container, "LLM_SERVING_API_KEY_FILE")  # read-only, path matches
        assert key_secret["secretName"] == "llm-api-key" and key_secret["items"][0]["key"] == "api-key"
        assert env["RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH"]["value"] == "llm_serving_auth.middlewares"
        (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == env["PYTHONPATH"]["value"]]
        (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
        assert "llm_serving_auth.py" in configs[volume["configMap"]["name"]]["data"]
        assert "checksum/serve-auth" in template["metadata"]["annotations"]


def test_without_a_key_nothing_is_mounted():
    docs = rendered(UNKEYED)
    assert not [c for c in find(docs, "ConfigMap") if c["metadata"]["name"].endswith("serve-auth")]
    for template in _ray_pod_specs(docs):
        (container,) = template["spec"]["containers"]
        names = {e["name"] for e in container["env"]}
        assert not names & {"LLM_SERVING_API_KEY_FILE", "RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH", "PYTHONPATH"}


def test_chat_ui_sends_the_key_to_ray_serve():
    (ui,) = [d for d in find(rendered(KEYED), "Deployment") if d["metadata"]["name"].endswith("-chat-ui")]
    env = {e["name"]: e for e in ui["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["BASE_URL"]["value"] == "http://r1-kuberay-serve-svc:8000"
    assert env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "llm-api-key", "key": "api-key"}
