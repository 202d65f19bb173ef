"""Per-instance deployment health: in-flight calls, latency EWMAs, usage windows, failures, cooldowns.

State lives in the process. On Lambda each instance learns on its own; that is the
trade-off documented in docs/routing.md (cooldowns converge within a few failed calls
per instance, and a cold instance starts optimistic).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

EWMA_ALPHA = 0.3
FAILURE_WINDOW = 60.0


@dataclass
class DeploymentStats:
    in_flight: int = 0
    latency: float | None = None
    ttft: float | None = None
    failures: deque[float] = field(default_factory=deque)
    cooldown_until: float = 0.0
    minute: int = 0
    requests_this_minute: int = 0
    tokens_this_minute: int = 0

    def _roll(self, now: float) -> None:
        minute = int(now // 60)
        if minute != self.minute:
            self.minute, self.requests_this_minute, self.tokens_this_minute = minute, 0, 0


class Health:
    """What the router knows about each deployment, keyed by deployment id."""

    def __init__(self, *, allowed_fails: int, cooldown_time: float) -> None:
        self.allowed_fails = allowed_fails
        self.cooldown_time = cooldown_time
        self._stats: dict[str, DeploymentStats] = {}
        self._now = time.monotonic

    def forget(self, deployment_id: str) -> None:
        """Drop what is known about a deployment that is no longer routed to (unless calls are in flight)."""
        stats = self._stats.get(deployment_id)
        if stats is not None and stats.in_flight == 0:
            del self._stats[deployment_id]

    def get(self, deployment_id: str) -> DeploymentStats:
        stats = self._stats.get(deployment_id)
        if stats is None:
            stats = self._stats[deployment_id] = DeploymentStats()
        return stats

    def cooling(self, deployment_id: str) -> bool:
        return self.get(deployment_id).cooldown_until > self._now()

    def started(self, deployment_id: str) -> float:
        stats = self.get(deployment_id)
        now = self._now()
        stats._roll(time.time())
        stats.in_flight += 1
        stats.requests_this_minute += 1
        return now

    def succeeded(self, deployment_id: str, started: float, *, tokens: int = 0, streamed: bool = False) -> None:
        stats = self.get(deployment_id)
        stats.in_flight = max(0, stats.in_flight - 1)
        elapsed = self._now() - started
        attr = "ttft" if streamed else "latency"
        previous = getattr(stats, attr)
        setattr(stats, attr, elapsed if previous is None else EWMA_ALPHA * elapsed + (1 - EWMA_ALPHA) * previous)
        stats.tokens_this_minute += tokens

    def failed(self, deployment_id: str, *, cool_now: bool = False) -> bool:
        """Record a failure; returns True when the deployment enters a cooldown."""
        stats = self.get(deployment_id)
        stats.in_flight = max(0, stats.in_flight - 1)
        now = self._now()
        stats.failures.append(now)
        while stats.failures and stats.failures[0] < now - FAILURE_WINDOW:
            stats.failures.popleft()
        if cool_now or len(stats.failures) >= max(1, self.allowed_fails):
            stats.cooldown_until = now + self.cooldown_time
            stats.failures.clear()
            return True
        return False

    def released(self, deployment_id: str) -> None:
        """A call ended without telling us about the deployment's health (e.g. the caller's own mistake)."""
        stats = self.get(deployment_id)
        stats.in_flight = max(0, stats.in_flight - 1)

    def usage(self, deployment_id: str) -> tuple[int, int]:
        """(requests, tokens) in the current minute."""
        stats = self.get(deployment_id)
        stats._roll(time.time())
        return stats.requests_this_minute, stats.tokens_this_minute
