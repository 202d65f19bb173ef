"""Start-up and size figures: import wall time, emulated Lambda cold starts, package sizes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import coldstart
from contenders import MASTER_KEY, TABLE_NAMES, TABLE_PREFIX, chat_body
from procs import ROOT
from setup_env import LITELLM_PIN, LITELLM_PY, PIP_CACHE, TOOLS_DIR, VENV_PY

LITELLM_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False"}
#: the runtime subset used when layers/requirements.txt does not exist yet
FALLBACK_LAYER = ["fastapi==0.165.0", "mangum==0.22.0", "httpx==0.28.1", "pydantic==2.14.3", "PyYAML==6.0.3",
                  "aws-lambda-powertools==3.37.0", "uvicorn==0.54.0"]
#: litellm[proxy]==1.106.2 + mangum, measured by this module on 2026-11-24 (bench/run.py --litellm-size)
LITELLM_REFERENCE = {"ok": True, "unzipped_mb": 662.3, "zipped_mb": 218.6}
PLATFORM = ["--platform", "manylinux2014_aarch64", "--only-binary=:all:", "--python-version", "3.11",
            "--implementation", "cp"]


# ---------------------------------------------------------------------------------------- imports


def import_times(runs: int = 5, slow_runs: int = 3) -> dict[str, Any]:
    """Wall time of one import statement, in a fresh interpreter each run (best and all, ms).

    Runs are interleaved (one of each case per round), so drift on a shared box hits every case alike.
    LiteLLM's proxy app takes tens of seconds on a busy 2-core box, so it gets ``slow_runs``.
    """
    cases = {
        "tollway.handler": (VENV_PY, "import tollway.handler", {}, runs),
        "litellm": (LITELLM_PY, "import litellm", LITELLM_ENV, runs),
        "litellm.proxy.proxy_server": (LITELLM_PY, "import litellm.proxy.proxy_server", LITELLM_ENV, slow_runs),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    walls: dict[str, list[float]] = {name: [] for name in cases}
    out: dict[str, Any] = {}
    for i in range(max(count for *_, count in cases.values())):
        for name, (python, statement, env, count) in cases.items():
            if i >= count or name in out:
                continue
            code = f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"
            started = time.perf_counter()
            done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=120,
                                  env={**os.environ, **env}, check=False, cwd=ROOT)
            walls[name].append((time.perf_counter() - started) * 1000)
            if done.returncode != 0:
                out[name] = {"ok": False, "problem": done.stderr[-400:]}
                continue
            times[name].append(float(done.stdout.strip().splitlines()[-1]) * 1000)
    for name in cases:
        if name not in out:
            out[name] = {"ok": True, "best_ms": round(min(times[name]), 1),
                         "all_ms": [round(t, 1) for t in times[name]], "process_best_ms": round(min(walls[name]), 1)}
        print(f"  import {name:<28} {out[name].get('best_ms', 'FAILED')} ms", flush=True)
    return out


# ---------------------------------------------------------------------------------------- cold start


def cold_starts(config: Path, ddb_endpoint: str, runs: int = 3, slow_runs: int = 2) -> dict[str, Any]:
    """Best of ``runs`` cold starts for Tollway, ``slow_runs`` for LiteLLM (each takes tens of seconds)."""
    event = coldstart.rest_event("/v1/chat/completions", chat_body("bench-0"),
                                 {"Authorization": f"Bearer {MASTER_KEY}"})
    cases = {
        # as deployed by the stack: table names in TOLLWAY_TABLE_<NAME>, no DynamoDB endpoint override (so no
        # table bootstrap); botocore's global AWS_ENDPOINT_URL keeps every AWS call on the loopback moto server
        "tollway": (VENV_PY, "tollway.handler.handler",
                    {"TOLLWAY_CONFIG": str(config), "AWS_ENDPOINT_URL": ddb_endpoint, "TOLLWAY_LOG_LEVEL": "WARNING",
                     **{f"TOLLWAY_TABLE_{t.upper()}": f"{TABLE_PREFIX}{t}" for t in TABLE_NAMES}}),
        # LiteLLM ships this Mangum entry point itself: litellm/proxy/lambda.py (lifespan="on")
        "litellm": (LITELLM_PY, "litellm.proxy.lambda.handler",
                    {"CONFIG_FILE_PATH": str(config), "AWS_ENDPOINT_URL": ddb_endpoint, **LITELLM_ENV}),
    }
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    for i in range(runs):  # interleaved, so drift on a shared box hits both alike
        for name, (python, handler, env) in cases.items():
            if name == "litellm" and i >= slow_runs:
                continue
            results[name].append(coldstart.measure(name, str(python), handler, event, pythonpath=[TOOLS_DIR],
                                                   env=env))
    out = {name: coldstart.best_of(runs_) for name, runs_ in results.items()}
    for name, best in out.items():
        shown = (f"init {best['init_ms']} ms + first invoke {best['first_invoke_ms']} ms = {best['cold_total_ms']} ms"
                 if best.get("ok") else f"FAILED: {best.get('problem', '')[:300]}")
        print(f"  cold start {name:<9} {shown}", flush=True)
    return out


def primed_cold_starts(config: Path, ddb_endpoint: str, runs: int = 3) -> dict[str, Any]:
    """Tollway's cold start with and without SnapStart priming (``TOLLWAY_PRIME=1``), best of ``runs`` each.

    Primed, init does the work the first request would do (gateway, adapters, boto3 model, one in-process
    request); under SnapStart that init happens once, at publish, and restored environments skip it.
    Each run also reports the process's peak RSS and CPU time (``/proc``, Linux).
    """
    event = coldstart.rest_event("/v1/chat/completions", chat_body("bench-0"),
                                 {"Authorization": f"Bearer {MASTER_KEY}"})
    base = {"TOLLWAY_CONFIG": str(config), "AWS_ENDPOINT_URL": ddb_endpoint, "TOLLWAY_LOG_LEVEL": "WARNING",
            **{f"TOLLWAY_TABLE_{t.upper()}": f"{TABLE_PREFIX}{t}" for t in TABLE_NAMES}}
    cases = {"unprimed": base, "primed": {**base, "TOLLWAY_PRIME": "1"}}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, env in cases.items():
            results[name].append(coldstart.measure(f"tollway-{name}", str(VENV_PY), "tollway.handler.handler",
                                                   event, pythonpath=[TOOLS_DIR], env=env))
    out = {name: coldstart.best_of(runs_) for name, runs_ in results.items()}
    for name, best in out.items():
        shown = (f"init {best['init_ms']} ms + first invoke {best['first_invoke_ms']} ms, warm "
                 f"{best['warm_invoke_ms']} ms" if best.get("ok") else f"FAILED: {best.get('problem', '')[:300]}")
        print(f"  cold start tollway {name:<9} {shown}", flush=True)
    return out


# ---------------------------------------------------------------------------------------- sizes


def _tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _zip_size(root: Path, prefix: str, work: Path) -> int:
    target = work / f"{root.name}-{prefix.strip('/') or 'pkg'}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + str(path.relative_to(root)))
    size = target.stat().st_size
    target.unlink()
    return size


def _install_size(requirements: list[str], work: Path, name: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    target = work / name
    PIP_CACHE.mkdir(parents=True, exist_ok=True)
    argv = [str(VENV_PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--cache-dir",
            str(PIP_CACHE), *PLATFORM, *extra, "--target", str(target), *requirements]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=400, check=False)
    if done.returncode != 0:
        return {"ok": False, "problem": done.stderr[-500:]}
    return {"ok": True, "unzipped_mb": round(_tree_size(target) / 1e6, 1),
            "zipped_mb": round(_zip_size(target, "python/", work) / 1e6, 1)}


def sizes(*, measure_litellm: bool = False) -> dict[str, Any]:
    """Layer as Lambda would get it (aarch64 wheels for 3.11), the function package, LiteLLM's equivalent.

    LiteLLM's figure is measured only with ``measure_litellm`` (``run.py --litellm-size``), then cached in
    bench/.cache; without either, the reference measurement below is reported, marked as such.
    """
    layer_file = ROOT / "layers" / "requirements.txt"
    if layer_file.exists():
        layer_reqs, source = ["-r", str(layer_file)], "layers/requirements.txt"
    else:
        layer_reqs, source = FALLBACK_LAYER, "fallback runtime subset (layers/requirements.txt absent)"
    out: dict[str, Any] = {"layer_source": source}
    with tempfile.TemporaryDirectory(prefix="tollway-bench-size-") as tmp:
        work = Path(tmp)
        out["tollway_layer"] = _install_size(layer_reqs, work, "layer")
        package = work / "function"
        shutil.copytree(ROOT / "lambda" / "tollway", package / "tollway",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        out["tollway_function"] = {"ok": True, "unzipped_mb": round(_tree_size(package) / 1e6, 2),
                                   "zipped_mb": round(_zip_size(package, "", work) / 1e6, 2)}
        # LiteLLM's own wheel is manylinux_2_28 (glibc 2.28): it needs that tag too, and so an AL2023-based
        # runtime (python3.12+); the python3.11 runtime (Amazon Linux 2, glibc 2.26) could not load it.
        cache = PIP_CACHE.parent / f"size-litellm-{LITELLM_PIN}.json"
        if cache.exists() and not measure_litellm:
            # a pinned release's wheels do not change: measured once, then reused
            out["litellm_layer"] = {**json.loads(cache.read_text()), "cached": True}
        elif not measure_litellm:
            # ~600 MB of downloads and ~3 minutes would break the 10-minute budget of `make bench`
            out["litellm_layer"] = {**LITELLM_REFERENCE, "reference": True}
        else:
            out["litellm_layer"] = _install_size([f"litellm[proxy]=={LITELLM_PIN}", "mangum==0.22.0"], work,
                                                 "litellm", extra=("--platform", "manylinux_2_28_aarch64"))
            if out["litellm_layer"].get("ok"):
                cache.write_text(json.dumps(out["litellm_layer"]))
    for name in ("tollway_layer", "tollway_function", "litellm_layer"):
        item = out[name]
        note = " (cached)" if item.get("cached") else " (reference value)" if item.get("reference") else ""
        shown = (f"{item['zipped_mb']} MB zipped, {item['unzipped_mb']} MB unzipped{note}" if item.get("ok")
                 else f"FAILED: {item.get('problem', '')[:300]}")
        print(f"  size {name:<17} {shown}", flush=True)
    return out
