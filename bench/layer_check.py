"""The Lambda layer on its own: build it for this machine, then serve from it with no project venv.

``check()`` builds the layer the stack would (``cdk.bundling.PipLayer``: base requirements plus the
``vertex_ai`` extra, pruned, bytecode compiled) for this machine's platform and Python, and the boto3
the Lambda runtime would provide, into ``bench/.cache``. A fresh interpreter started with ``-S -I``
(no site-packages) and only the layer, the runtime's boto3 and ``lambda/`` on its path then:
imports ``tollway.handler`` and answers a chat completion (mock provider) through Mangum, and
refreshes a Vertex service-account token against a fake OAuth token endpoint on loopback (RSA-signed
JWT grant, google-auth's urllib3 transport). Sizes of the Lambda (arm64) layers are ``sizes()``.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from procs import BENCH, ROOT

sys.path.insert(0, str(ROOT))

from cdk.bundling import PipLayer, directory_size

CACHE = BENCH / ".cache" / "layer-check"
LAYERS = ROOT / "layers"
BOTO3_PIN = next(line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("boto3=="))

PROBE = r"""
import asyncio, json, sys, time
started = time.perf_counter()
import tollway.handler
imported = time.perf_counter()
from tollway.providers.vertex_ai.auth import token_source
event = json.loads(sys.argv[1])
response = tollway.handler.handler(event, None)
token = asyncio.run(token_source(sys.argv[2]).token())
print(json.dumps({"status": response["statusCode"], "token": token,
                  "site_packages": [p for p in sys.path if "site-packages" in p],
                  "import_ms": round((imported - started) * 1000, 1)}))
"""


class FakeTokenEndpoint:
    """Google's OAuth token endpoint, as far as a service-account JWT grant needs it."""

    def __init__(self) -> None:
        self.grants: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                endpoint.grants.append(body)
                answer = json.dumps({"access_token": "ya29.fake-token", "expires_in": 3600,
                                     "token_type": "Bearer"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def host_platforms() -> tuple[str, ...]:
    machine = platform.machine()
    return (f"manylinux2014_{machine}", f"manylinux_2_28_{machine}")


def build(python_version: str) -> tuple[Path, Path]:
    """(layer dir, runtime-boto3 dir) for this machine, built once and cached."""
    layer = CACHE / f"layer-{python_version}"
    runtime = CACHE / f"runtime-{python_version}"
    if not (layer / "python").is_dir():
        layer.mkdir(parents=True, exist_ok=True)
        PipLayer([LAYERS / "requirements.txt", LAYERS / "vertex_ai.txt"], python_version,
                 host_platforms()).try_bundle(str(layer))
    if not runtime.is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--target", str(runtime), BOTO3_PIN], check=True)
    return layer, runtime


def _service_account(token_uri: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return json.dumps({"type": "service_account", "project_id": "bench", "private_key_id": "k1",
                       "private_key": pem, "client_email": "bench@bench.iam.gserviceaccount.com",
                       "client_id": "1", "token_uri": token_uri})


def check() -> dict[str, Any]:
    import coldstart
    from contenders import chat_body

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    layer, runtime = build(version)
    config = CACHE / "config.yaml"
    config.write_text("model_list:\n  - model_name: bench-model\n    litellm_params: {model: mock/bench-model}\n"
                      "general_settings: {master_key: sk-layer-check}\n")
    event = coldstart.rest_event("/v1/chat/completions", {**chat_body("layer"), "model": "bench-model"},
                                 {"Authorization": "Bearer sk-layer-check"})
    endpoint = FakeTokenEndpoint()
    try:
        env = {"PYTHONPATH": f"{ROOT / 'lambda'}:{layer / 'python'}:{runtime}", "TOLLWAY_CONFIG": str(config),
               "PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1"}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-S", "-c", PROBE, json.dumps(event), _service_account(endpoint.url)],
                              capture_output=True, text=True, env=env, timeout=120, check=False, cwd="/")
        wall = (time.perf_counter() - started) * 1000
    finally:
        endpoint.close()
    if done.returncode != 0:
        return {"ok": False, "problem": done.stderr[-800:]}
    report = json.loads(done.stdout.strip().splitlines()[-1])
    ok = (report["status"] == 200 and report["token"] == "ya29.fake-token" and not report["site_packages"]
          and len(endpoint.grants) == 1 and "jwt-bearer" in endpoint.grants[0])
    return {"ok": ok, **report, "process_ms": round(wall, 1), "layer_mb": round(directory_size(layer) / 1e6, 1)}


if __name__ == "__main__":
    print(json.dumps(check(), indent=2))
