"""Child-process plumbing for the benchmarks: start, wait until ready, measure memory, stop.

Every process is started in its own session and stopped by its own pid (never by name),
and memory is read from /proc so no extra dependency is needed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    log: Path | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        self.log = self.log or BENCH / "results" / "logs" / f"{self.name}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("wb")
        env = {**os.environ, **self.env}
        self.popen = subprocess.Popen(self.argv, env=env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, lines: int = 15) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def peak_rss_mb(self) -> float:
        """Peak resident memory (VmHWM) of the process plus its live descendants."""
        return round(sum(_vm_hwm_kb(pid) for pid in [self.pid, *_descendants(self.pid)]) / 1024, 1)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process (all its threads) so far."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=5)


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_ready(proc: Proc, url: str, *, json_body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
               timeout: float = 60.0) -> httpx.Response:
    """Poll until ``url`` answers 200 (POST ``json_body`` if given); raise with the log tail if it never does."""
    deadline = time.monotonic() + timeout
    last: str = "no answer"
    with httpx.Client(timeout=10) as client:
        while time.monotonic() < deadline:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited early:\n{proc.tail()}")
            try:
                if json_body is None:
                    response = client.get(url, headers=headers)
                else:
                    response = client.post(url, json=json_body, headers=headers)
                if response.status_code == 200:
                    return response
                last = f"HTTP {response.status_code}: {response.text[:300]}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.2)
    raise RuntimeError(f"{proc.name} not ready after {timeout:.0f}s ({last}):\n{proc.tail()}")
