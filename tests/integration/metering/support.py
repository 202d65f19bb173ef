"""Test-only helpers: a KeyLookup built from a dict, and real gateway subprocesses sharing one store.

``StaticLookup`` stands in for identity (issue 4): it maps a key to an ``AuthContext`` with limits.
``GatewayProcess`` runs ``gateway_proc.py`` (the real app under uvicorn, with a StaticLookup loaded
from a JSON file) in its own Python process; nothing here is reachable from production code.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tollway.auth.context import AuthContext, Limits

ROOT = Path(__file__).resolve().parents[3]


class StaticLookup:
    def __init__(self, keys: dict[str, AuthContext], path: Path | None = None) -> None:
        self.keys = keys
        self.path = path
        self._mtime = -1

    async def authenticate(self, key: str) -> AuthContext | None:
        if self.path is not None and self.path.stat().st_mtime_ns != self._mtime:  # limits edited by the test
            self._mtime = self.path.stat().st_mtime_ns
            self.keys = StaticLookup.from_json(json.loads(self.path.read_text())).keys
        return self.keys.get(key)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StaticLookup:
        keys = {}
        for key, spec in data.items():
            limits = tuple(Limits(**limit) for limit in spec.pop("limits", []))
            keys[key] = AuthContext(kind="virtual_key", limits=limits, **spec)
        return cls(keys)


def lookup_json(keys: dict[str, AuthContext]) -> dict[str, Any]:
    out = {}
    for key, auth in keys.items():
        spec = {k: v for k, v in asdict(auth).items() if k in ("key_digest", "team_id", "user_id", "project_id")}
        spec["limits"] = [asdict(limit) for limit in auth.limits]
        out[key] = spec
    return out


def write_keys(path: Path, keys: dict[str, AuthContext]) -> None:
    """(Re)write the keys file atomically; processes re-read it on their next request."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(lookup_json(keys)))
    os.replace(tmp, path)


class GatewayProcess:
    """``python gateway_proc.py CONFIG KEYS`` in a new process; ``url`` once it listens."""

    def __init__(self, config: dict[str, Any], keys_path: Path) -> None:
        config_path = keys_path.with_name(f"config-{id(self)}.json")
        config_path.write_text(json.dumps(config))
        self.log_path = keys_path.with_name(f"proc-{id(self)}.log")
        env = {**os.environ,  # the store selected by the test (DynamoDB endpoint or SQLite data dir)
               "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT)])}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("gateway_proc.py")), str(config_path), str(keys_path)],
            stdout=subprocess.PIPE, stderr=self.log_path.open("w"), text=True, env=env, cwd=str(keys_path.parent),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.proc.kill()
            raise RuntimeError(f"gateway process did not start: {line!r} {self.log_path.read_text()[-3000:]}")
        self.url = line

    def kill(self) -> None:
        """SIGKILL: no cleanup, no settlement (a crashed instance)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
