"""The servers under test, each one worker on loopback, all in front of the same fake upstream.

One LiteLLM-schema config serves both Tollway and LiteLLM (the compatibility promise), with
three model groups mapped to upstream behaviours by path (see bench/upstream.py):
``bench-0`` (answers at once), ``bench-50`` (50 ms) and ``bench-stream`` (a stream with a
fixed gap between tokens).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from procs import BENCH, ROOT, Proc, free_port, wait_ready
from setup_env import AIOHTTP_DIR, LITELLM_VENV, VENV_PY

MASTER_KEY = "sk-bench-master"
STREAM_GAP_MS = 10
STREAM_TOKENS = 20
MODELS = {"bench-0": (0, 0, 0), "bench-50": (50, 0, 0), "bench-stream": (0, STREAM_GAP_MS, STREAM_TOKENS)}
TABLE_PREFIX = "bench-"
TABLE_NAMES = ("identity", "counters", "spend", "audit", "responses")  # tollway.storage.tables.TABLES
PRICES = {"input_cost_per_token": 0.0000025, "output_cost_per_token": 0.00001}


def upstream_base(upstream: str, model: str) -> str:
    latency, gap, chunks = MODELS[model]
    return f"{upstream}/b/{latency}/{gap}/{chunks}/v1"


def chat_body(model: str, *, stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model, "max_tokens": 64, "temperature": 0.2,
        "messages": [{"role": "system", "content": "You are a helpful assistant."},
                     {"role": "user", "content": "Say hello in one short sentence."}],
    }
    if stream:
        body.update(stream=True, stream_options={"include_usage": True})
    return body


def write_paths_config(upstream: str, path: Path) -> Path:
    """Tollway only: the same upstream stream as an OpenAI-compatible and as an Anthropic deployment, so each
    front door meets one deployment of its own format (passthrough) and one of the other (translated)."""
    stream = upstream_base(upstream, "bench-stream")
    config = {
        "model_list": [
            {"model_name": "path-openai", "litellm_params": {"model": "openai/bench-stream", "api_base": stream,
                                                             "api_key": "sk-upstream", **PRICES}},
            {"model_name": "path-anthropic", "litellm_params": {
                "model": "anthropic/claude-bench", "api_base": stream.removesuffix("/v1"), "api_key": "sk-upstream",
                **PRICES}},
        ],
        "general_settings": {"master_key": MASTER_KEY},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def write_config(upstream: str, path: Path) -> Path:
    config = {
        "model_list": [
            {"model_name": name,
             "litellm_params": {"model": f"openai/{name}", "api_base": upstream_base(upstream, name),
                                "api_key": "sk-upstream", **PRICES}}
            for name in MODELS
        ],
        "litellm_settings": {"drop_params": True},
        "general_settings": {"master_key": MASTER_KEY},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@dataclass
class Target:
    """Where the load generator sends a model's requests, and with which key."""

    name: str
    url: str
    key: str = MASTER_KEY
    proc: Proc | None = None
    direct_upstream: str | None = None  # set for the direct baseline: paths per model
    notes: list[str] = field(default_factory=list)

    def url_for(self, model: str) -> str:
        if self.direct_upstream:
            return f"{upstream_base(self.direct_upstream, model)}/chat/completions"
        return f"{self.url}/v1/chat/completions"

    def headers(self) -> list[str]:
        return [f"authorization: Bearer {self.key}"]


def _store_env(ddb_endpoint: str, counts: Path | None) -> dict[str, str]:
    env = {"AWS_ENDPOINT_URL_DYNAMODB": ddb_endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
           "TOLLWAY_TABLE_PREFIX": TABLE_PREFIX}
    if counts is not None:
        env["TOLLWAY_BENCH_DDB_COUNTS"] = str(counts)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH / "hooks"), os.environ.get("PYTHONPATH")]))
    return env


def start_upstream() -> tuple[Proc, str]:
    port = free_port()
    proc = Proc("upstream", [str(VENV_PY), str(BENCH / "upstream.py"), "--port", str(port)]).start()
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{upstream_base(base, 'bench-0')}/chat/completions", json_body=chat_body("bench-0"), timeout=20)
    return proc, base


def start_moto() -> tuple[Proc, str]:
    port = free_port()
    proc = Proc("moto", [str(VENV_PY), str(BENCH / "moto_fast.py"), "-H", "127.0.0.1", "-p", str(port)],
                env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}).start()
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{base}/moto-api/", timeout=30)
    return proc, base


def ensure_tables(ddb_endpoint: str) -> None:
    """Create Tollway's tables on the moto server (what the CDK stack does on AWS)."""
    import subprocess

    code = "from tollway.storage import client; client.ensure_tables()"
    subprocess.run([str(VENV_PY), "-c", code], env={**os.environ, **_store_env(ddb_endpoint, None)}, check=True,
                   timeout=60)


def start_tollway(name: str, config: Path, ddb_endpoint: str | None, counts: Path | None, *,
                  data_dir: Path | None = None, fresh: bool = True) -> Target:
    """``tollway serve`` on DynamoDB (``ddb_endpoint``) or, with None, on its embedded SQLite store in
    ``data_dir`` (default bench/results/data-<name>, emptied first unless ``fresh`` is false)."""
    port = free_port()
    data_dir = data_dir or BENCH / "results" / f"data-{name}"
    if ddb_endpoint is None:
        if fresh:
            shutil.rmtree(data_dir, ignore_errors=True)
        env = {"AWS_ENDPOINT_URL_DYNAMODB": "", "TOLLWAY_TABLE_IDENTITY": ""}
    else:
        env = _store_env(ddb_endpoint, counts)
    proc = Proc(name, [str(ROOT / ".venv" / "bin" / "tollway"), "serve", "--config", str(config),
                       "--port", str(port), "--data-dir", str(data_dir)], env=env).start()
    url = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{url}/v1/chat/completions", json_body=chat_body("bench-0"),
               headers={"authorization": f"Bearer {MASTER_KEY}"}, timeout=60)
    target = Target(name, url, proc=proc)
    target.notes.append("store: DynamoDB (moto stand-in)" if ddb_endpoint else "store: embedded SQLite")
    return target


def start_tollway_nostore(config: Path, *, aiohttp: bool = False, ready_model: str = "bench-0",
                          name: str | None = None) -> Target:
    """The same app with no DynamoDB store (what a deployment without tables runs): master key only, no
    spend writes, so it compares like for like with LiteLLM without a database. ``tollway serve`` always
    brings a store, so this runs the app factory under uvicorn directly, with the same server settings.
    ``aiohttp=True``: the transport experiment (bench/hooks/aiohttp_transport.py)."""
    port = free_port()
    name = name or ("tollway-nostore-aiohttp" if aiohttp else "tollway-nostore")
    env = {"TOLLWAY_CONFIG": str(config), "AWS_ENDPOINT_URL_DYNAMODB": "", "TOLLWAY_TABLE_IDENTITY": ""}
    if aiohttp:
        env.update(PYTHONPATH=str(BENCH / "hooks"), TOLLWAY_BENCH_AIOHTTP=str(AIOHTTP_DIR))
    proc = Proc(name, [str(VENV_PY), "-m", "uvicorn", "tollway.app:create_app", "--factory",
                                    "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                                    "--no-access-log"], env=env).start()
    url = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{url}/v1/chat/completions", json_body=chat_body(ready_model),
               headers={"authorization": f"Bearer {MASTER_KEY}"}, timeout=60)
    return Target(name, url, proc=proc)


def start_litellm(config: Path) -> Target:
    port = free_port()
    env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False",
           "DISABLE_SCHEMA_UPDATE": "True"}
    proc = Proc("litellm", [str(LITELLM_VENV / "bin" / "litellm"), "--config", str(config), "--host", "127.0.0.1",
                            "--port", str(port), "--num_workers", "1"], env=env).start()
    url = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{url}/v1/chat/completions", json_body=chat_body("bench-0"),
               headers={"authorization": f"Bearer {MASTER_KEY}"}, timeout=120)
    return Target("litellm", url, proc=proc)


def start_passthrough(upstream: str, client: str = "httpx") -> Target:
    """The floor (httpx, in .venv); with ``client="aiohttp"`` the same app in LiteLLM's venv, which has aiohttp."""
    port = free_port()
    name = "floor" if client == "httpx" else f"floor-{client}"
    python = VENV_PY if client == "httpx" else LITELLM_VENV / "bin" / "python"
    routes = json.dumps({model: upstream_base(upstream, model) for model in MODELS})
    proc = Proc(name, [str(python), str(BENCH / "passthrough.py"), "--port", str(port), "--routes", routes,
                       "--master-key", MASTER_KEY, "--client", client]).start()
    url = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{url}/v1/chat/completions", json_body=chat_body("bench-0"),
               headers={"authorization": f"Bearer {MASTER_KEY}"}, timeout=20)
    return Target(name, url, proc=proc)


def virtual_key(target: Target) -> tuple[str | None, str]:
    """A virtual key with budget and limits from ``/key/generate`` (None and why, when identity isn't there)."""
    body = {"key_alias": "bench", "models": list(MODELS), "max_budget": 1_000_000.0,
            "rpm_limit": 10_000_000, "tpm_limit": 10_000_000_000, "metadata": {"purpose": "benchmark"}}
    try:
        response = httpx.post(f"{target.url}/key/generate", json=body, timeout=30,
                              headers={"authorization": f"Bearer {MASTER_KEY}"})
    except httpx.HTTPError as exc:
        return None, f"/key/generate failed: {type(exc).__name__}"
    if response.status_code != 200:
        return None, f"/key/generate answered HTTP {response.status_code} (identity not built yet)"
    key = response.json().get("key")
    return (key, "ok") if key else (None, "/key/generate answered without a key")


def metering_active(target: Target, key: str) -> tuple[bool, str]:
    response = httpx.post(f"{target.url}/v1/chat/completions", json=chat_body("bench-0"), timeout=30,
                          headers={"authorization": f"Bearer {key}"})
    if response.status_code != 200:
        return False, f"a chat call with the virtual key answered HTTP {response.status_code}: {response.text[:200]}"
    cost = response.headers.get("x-tollway-response-cost")
    return (cost is not None), (f"x-tollway-response-cost: {cost}" if cost is not None
                                else "no x-tollway-response-cost header (metering not built yet)")
