"""The `helm test` script, run here against a stand-in OpenAI-compatible server: it passes with
the right key, and fails with a wrong key or without a completion."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from generator.build import ROOT

from .conftest import find, rendered


class Handler(BaseHTTPRequestHandler):
    key = ""
    reply: dict = {"choices": [{"message": {"content": "ready"}}]}

    def _send(self, body: dict) -> None:
        if self.key and self.headers.get("Authorization") != f"Bearer {self.key}":
            self.send_response(401)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._send({"data": [{"id": "deepseek-r1"}]})

    def do_POST(self) -> None:  # noqa: N802
        json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self._send(self.reply)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def server():
    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    Handler.key, Handler.reply = "", {"choices": [{"message": {"content": "ready"}}]}


def script(values: str, url: str) -> tuple[str, str]:
    docs = rendered(ROOT / values)
    (pod,) = [d for d in find(docs, "Pod") if d["metadata"]["annotations"].get("helm.sh/hook") == "test"]
    args = pod["spec"]["containers"][0]["args"][0]
    return args.replace(url, "http://127.0.0.1:PORT"), url


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("key, given, passes", [("", None, True), ("k1", "k1", True), ("k1", "bad", False)])
def test_chat_test_script(server, key, given, passes):
    Handler.key = key
    text, _ = script("tests/values-valid/generated-api-key.yaml", "http://r1-vllm:8000")
    text = text.replace("PORT", str(server.server_address[1]))
    env = {"PATH": "/usr/bin:/bin"} | ({"API_KEY": given} if given else {})
    proc = subprocess.run(["sh", "-c", text], env=env, capture_output=True, text=True, timeout=60)
    assert (proc.returncode == 0) == passes, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_chat_test_script_fails_without_a_completion(server):
    Handler.reply = {"error": "model not loaded"}
    text, _ = script("values/cpu-only.yaml", "http://r1-ollama:11434")
    text = text.replace("PORT", str(server.server_address[1]))
    proc = subprocess.run(["sh", "-c", text], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
