"""What the benchmarks install for themselves, pinned, outside the project's .venv.

* ``bench/.venv-litellm``: the LiteLLM proxy at ``LITELLM_PIN`` (the newest release whose
  dependencies resolve on this machine's package index), Mangum for its Lambda entry point, and
  httptools so its uvicorn parses HTTP with the same C parser as the other contenders.
* ``bench/.tools``: awslambdaric (the real Lambda runtime client) and the profilers, installed
  with ``pip --target`` so any 3.11 interpreter can use them through ``PYTHONPATH``, the
  way Lambda's runtime sits outside the function's own packages.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from procs import BENCH, ROOT

LITELLM_PIN = "1.106.2"
LITELLM_EXTRAS = ["mangum==0.22.0", "httptools==0.9.0"]
TOOLS = ["awslambdaric==4.2.2", "py-spy==0.4.3", "pyinstrument==5.1.3"]

VENV_PY = ROOT / ".venv" / "bin" / "python"
LITELLM_VENV = BENCH / ".venv-litellm"
LITELLM_PY = LITELLM_VENV / "bin" / "python"
TOOLS_DIR = BENCH / ".tools"
PIP_CACHE = BENCH / ".cache" / "pip"


def _pip(python: Path, *args: str) -> None:
    PIP_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--cache-dir", str(PIP_CACHE), *args], check=True)


def ensure_litellm() -> None:
    stamp = LITELLM_VENV / f".installed-{LITELLM_PIN}"
    if stamp.exists():
        return
    print(f"bench: installing litellm[proxy]=={LITELLM_PIN} into {LITELLM_VENV.relative_to(ROOT)} ...", flush=True)
    if not LITELLM_PY.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(LITELLM_VENV)], check=True)
    _pip(LITELLM_PY, f"litellm[proxy]=={LITELLM_PIN}", *LITELLM_EXTRAS)
    for old in LITELLM_VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def ensure_tools() -> None:
    stamp = TOOLS_DIR / (".installed-" + "-".join(t.replace("==", "_") for t in TOOLS))
    if stamp.exists():
        return
    print(f"bench: installing {' '.join(TOOLS)} into {TOOLS_DIR.relative_to(ROOT)} ...", flush=True)
    _pip(VENV_PY, "--target", str(TOOLS_DIR), "--upgrade", *TOOLS)
    stamp.touch()


AIOHTTP = "aiohttp==3.14.5"
AIOHTTP_DIR = BENCH / ".aiohttp"


def ensure_aiohttp() -> None:
    """aiohttp for the transport experiment (bench/hooks/aiohttp_transport.py), in its own folder."""
    stamp = AIOHTTP_DIR / f".installed-{AIOHTTP.replace('==', '_')}"
    if stamp.exists():
        return
    print(f"bench: installing {AIOHTTP} into {AIOHTTP_DIR.relative_to(ROOT)} ...", flush=True)
    _pip(VENV_PY, "--target", str(AIOHTTP_DIR), "--upgrade", AIOHTTP)
    stamp.touch()


def _version(python: Path, module: str) -> str:
    if not python.exists():  # a contender's venv that this run did not need (``--only paths``)
        return "?"
    code = f"import importlib.metadata as m; print(m.version({module!r}))"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import os

    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb, "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {
            "tollway": _version(VENV_PY, "tollway"), "fastapi": _version(VENV_PY, "fastapi"),
            "uvicorn": _version(VENV_PY, "uvicorn"), "httpx": _version(VENV_PY, "httpx"),
            "pydantic": _version(VENV_PY, "pydantic"), "litellm": _version(LITELLM_PY, "litellm"),
            "litellm_fastapi": _version(LITELLM_PY, "fastapi"), "awslambdaric": TOOLS[0].split("==")[1],
        },
    }
