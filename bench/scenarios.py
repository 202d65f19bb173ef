"""The load scenarios run against every target, and the per-server probes (DynamoDB, profile).

Each scenario is one bench/loadgen.py process (its own interpreter and core time), bounded
by duration and request count. ``Durations`` scales them all, so ``--quick`` exists for
development and the default keeps ``make bench`` under ten minutes.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from contenders import STREAM_TOKENS, Target, chat_body
from procs import BENCH
from setup_env import TOOLS_DIR, VENV_PY

RAMP = "1,4,16,32,64"


@dataclass
class Durations:
    latency_c1: float = 4.0
    latency_c32: float = 2.0
    ramp_step: float = 1.5
    stream: float = 2.5
    warmup: float = 0.4
    ddb_requests: int = 40

    @classmethod
    def quick(cls) -> Durations:
        return cls(latency_c1=1.0, latency_c32=1.0, ramp_step=0.7, stream=1.0, warmup=0.3, ddb_requests=10)


def loadgen(target: Target, model: str, *, concurrency: int = 1, duration: float = 3.0, warmup: float = 0.5,
            stream: bool = False, ramp: str | None = None, max_requests: int = 200_000,
            path: str | None = None, body: dict[str, Any] | None = None, deltas: bool = False) -> dict[str, Any]:
    """``path``/``body``: another front door than chat completions (on the target's own URL)."""
    url = f"{target.url}{path}" if path else target.url_for(model)
    argv = [str(VENV_PY), str(BENCH / "loadgen.py"), "--url", url,
            "--body", json.dumps(body or chat_body(model, stream=stream)), "--duration", str(duration),
            "--warmup", str(warmup), "--max-requests", str(max_requests), "--concurrency", str(concurrency)]
    for header in target.headers():
        argv += ["--header", header]
    if stream:
        argv += ["--stream", "--expect-tokens", str(STREAM_TOKENS)] + (["--delta-tokens"] if deltas else [])
    if ramp:
        argv += ["--ramp", ramp, "--ramp-stop-ms", "500"]
    limit = (duration + warmup) * (len(ramp.split(",")) if ramp else 1) + 60
    cpu_before = target.proc.cpu_seconds() if target.proc else 0.0
    done = subprocess.run(argv, capture_output=True, text=True, timeout=limit, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed on {target.name}/{model}: {done.stderr[-800:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    if target.proc and result.get("completed_total"):
        # the server's own CPU per answered request: steadier than latency on a shared box
        result["cpu_ms_per_request"] = round((target.proc.cpu_seconds() - cpu_before) * 1000
                                             / result["completed_total"], 3)
    return result


def run_scenarios(target: Target, d: Durations) -> dict[str, Any]:
    """Latency at c=1/c=32 (upstream 0 and 50 ms), the throughput ramp, and streams at c=1/c=16."""
    out: dict[str, Any] = {}
    # warm the server (adapters imported, pools open) before anything is measured
    loadgen(target, "bench-0", concurrency=8, duration=0.5, warmup=0.3)
    loadgen(target, "bench-stream", concurrency=4, duration=0.3, warmup=0.2, stream=True)
    for model in ("bench-0", "bench-50"):
        for concurrency, duration in ((1, d.latency_c1), (32, d.latency_c32)):
            name = f"{model}_c{concurrency}"
            out[name] = loadgen(target, model, concurrency=concurrency, duration=duration, warmup=d.warmup)
            _log(target, name, out[name])
    out["ramp"] = loadgen(target, "bench-0", ramp=RAMP, duration=d.ramp_step, warmup=0.3)
    best = max_throughput(out["ramp"])
    print(f"  {target.name:>16} ramp: best {best['rps'] if best else '-'} req/s (p99 < 100 ms)", flush=True)
    for concurrency in (1, 16):
        name = f"stream_c{concurrency}"
        out[name] = loadgen(target, "bench-stream", concurrency=concurrency, duration=d.stream, warmup=d.warmup,
                            stream=True)
        _log(target, name, out[name])
    return out


#: (scenario, front door path, model, passthrough?): each front door in front of a deployment of its own wire
#: format (passthrough) and of the other one (translated), the same upstream stream behind both
STREAM_PATHS = (
    ("chat_passthrough", "/v1/chat/completions", "path-openai", True),
    ("chat_translated", "/v1/chat/completions", "path-anthropic", False),
    ("messages_passthrough", "/v1/messages", "path-anthropic", True),
    ("messages_translated", "/v1/messages", "path-openai", False),
    ("responses_translated", "/v1/responses", "path-anthropic", False),
)


def messages_body(model: str) -> dict[str, Any]:
    return {"model": model, "max_tokens": 64, "temperature": 0.2, "stream": True, "system": "You are a helpful "
            "assistant.", "messages": [{"role": "user", "content": "Say hello in one short sentence."}]}


def responses_body(model: str) -> dict[str, Any]:
    return {"model": model, "max_output_tokens": 64, "temperature": 0.2, "stream": True, "store": False,
            "instructions": "You are a helpful assistant.", "input": "Say hello in one short sentence."}


def stream_paths(target: Target, d: Durations, concurrency: int = 8) -> dict[str, Any]:
    """Stream CPU per request on the passthrough path next to the translated one, per front door."""
    out: dict[str, Any] = {}
    for name, path, model, _ in STREAM_PATHS:
        deltas = path.endswith("responses")
        body = (responses_body(model) if deltas else chat_body(model, stream=True) if path.endswith("completions")
                else messages_body(model))
        loadgen(target, model, concurrency=2, duration=0.3, warmup=0.2, stream=True, path=path, body=body,
                deltas=deltas)
        out[name] = loadgen(target, model, concurrency=concurrency, duration=d.stream, warmup=d.warmup,
                            stream=True, path=path, body=body, deltas=deltas)
        _log(target, name, out[name])
    return out


def max_throughput(ramp: dict[str, Any]) -> dict[str, Any] | None:
    ok = [s for s in ramp["ramp"] if not s["errors"] and s["latency_ms"].get("p99", 1e9) < 100.0]
    return max(ok, key=lambda s: s["rps"]) if ok else None


def _log(target: Target, name: str, result: dict[str, Any]) -> None:
    lat = result["latency_ms"]
    extra = ""
    if result.get("ttft_ms"):
        extra = f" ttft p50 {result['ttft_ms']['p50']:.2f} gap p99 {result['gap_ms'].get('p99', 0):.2f}"
    errors = f" ERRORS {result['errors']}" if result["errors"] else ""
    cpu = f"  cpu {result['cpu_ms_per_request']:.2f} ms/req" if "cpu_ms_per_request" in result else ""
    print(f"  {target.name:>16} {name:<14} {result['rps']:>8.1f} req/s  p50 {lat.get('p50', 0):7.2f} ms  "
          f"p99 {lat.get('p99', 0):7.2f} ms{cpu}{extra}{errors}", flush=True)


# ---------------------------------------------------------------------------------------- DynamoDB


def _snapshot(counts: Path, timeout: float = 5.0) -> Counter[str]:
    request = Path(f"{counts}.req")
    request.touch()
    deadline = time.monotonic() + timeout
    while request.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    if request.exists():
        request.unlink(missing_ok=True)
        raise RuntimeError("the DynamoDB counter did not answer (sitecustomize not loaded?)")
    return Counter(json.loads(counts.read_text()))


def dynamodb_round_trips(target: Target, counts: Path, requests: int) -> dict[str, Any]:
    """Round trips per request with a warm key, by operation, for plain and streamed chat."""
    headers = {"authorization": f"Bearer {target.key}"}
    out: dict[str, Any] = {}
    with httpx.Client(timeout=30) as client:
        for kind, body in (("chat", chat_body("bench-0")), ("stream", chat_body("bench-stream", stream=True))):
            for _ in range(3):  # warm the key cache
                client.post(f"{target.url}/v1/chat/completions", json=body, headers=headers).read()
            time.sleep(1.5)  # let deferred writes of the warm-up land
            before = _snapshot(counts)
            for _ in range(requests):
                response = client.post(f"{target.url}/v1/chat/completions", json=body, headers=headers)
                response.read()
                if response.status_code != 200:
                    raise RuntimeError(f"{target.name}: HTTP {response.status_code} during the DynamoDB count")
            time.sleep(1.5)
            after = _snapshot(counts)
            delta = {op: after[op] - before.get(op, 0) for op in after if after[op] - before.get(op, 0)}
            calls = {op: n for op, n in delta.items() if not op.endswith(".ms")}
            waits = {op[:-3]: ms for op, ms in delta.items() if op.endswith(".ms")}
            out[kind] = {"per_request": round(sum(calls.values()) / requests, 2),
                         "by_operation": {op: round(n / requests, 2) for op, n in sorted(calls.items())},
                         "ms_per_request": round(sum(waits.values()) / requests, 2),
                         "ms_by_operation": {op: round(ms / max(calls.get(op, 1), 1), 2)
                                             for op, ms in sorted(waits.items())},
                         "requests": requests}
    return out


# ---------------------------------------------------------------------------------------- profile


def profile(target: Target, out_dir: Path, seconds: float = 6.0) -> dict[str, Any]:
    """py-spy samples the server while c=16 load runs; returns the heaviest frames."""
    assert target.proc is not None
    raw = out_dir / f"profile-{target.name}.txt"
    spy = subprocess.Popen([str(TOOLS_DIR / "bin" / "py-spy"), "record", "--pid", str(target.proc.pid),
                            "--duration", str(int(seconds)), "--rate", "200", "--format", "raw", "--output",
                            str(raw), "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    loadgen(target, "bench-0", concurrency=16, duration=seconds, warmup=0.2)
    try:
        _, err = spy.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        spy.kill()
        _, err = spy.communicate()
    if not raw.exists():
        return {"ok": False, "problem": err.decode(errors="replace")[-400:]}
    return {"ok": True, "file": str(raw.relative_to(BENCH.parent)), **summarize_profile(raw)}


def summarize_profile(raw: Path, top: int = 30) -> dict[str, Any]:
    """Inclusive and self sample shares per frame from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return {"samples": 0}

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(frame, round(100 * n / total, 1)) for frame, n in counter.most_common(top)]

    return {"samples": total, "inclusive_pct": share(inclusive), "self_pct": share(own)}


def _short(frame: str) -> str:
    """``func (/long/path/site-packages/pkg/mod.py:12)`` -> ``func (pkg/mod.py)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lambda/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"
