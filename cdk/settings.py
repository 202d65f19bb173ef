"""Deployment settings read from CDK context (``cdk.json`` or ``-c key=value``).

Values given with ``-c`` arrive as strings, values in ``cdk.json`` as JSON types; both are
accepted. A wrong value fails synth with a message that names the context key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class ContextReader(Protocol):
    def try_get_context(self, key: str) -> Any: ...


class SettingsError(ValueError):
    """A context value that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Settings:
    """Everything the stack can be told from outside. Defaults cost nothing at idle."""

    stage: str = "dev"
    config_path: str = "config.example.yaml"
    streaming: bool = True
    memory_mb: int = 1024
    timeout_seconds: int = 300
    reserved_concurrency: int | None = None
    log_retention_days: int = 30
    alarm_email: str | None = None
    allowed_principals: tuple[str, ...] = field(default_factory=tuple)
    kms: bool = False
    bearer_routes: bool = False
    throttle_rate: float = 50.0
    throttle_burst: int = 100
    latency_p99_ms: int = 30000
    provider_keys_secret: str = "tollway/provider-keys"  # noqa: S105 - a secret name, not a secret
    layer_dir: str | None = None

    @property
    def stack_name(self) -> str:
        return f"Tollway-{self.stage}"

    @property
    def integration_timeout_seconds(self) -> int:
        """Streaming integrations may run up to 15 minutes; buffered ones stop at API Gateway's 29 s."""
        return min(self.timeout_seconds, 900) if self.streaming else min(self.timeout_seconds, 29)


def from_context(node: ContextReader) -> Settings:
    """Read every setting from ``node`` (an App or construct node), validating as we go."""
    d = Settings()
    settings = Settings(
        stage=_text(node, "stage", d.stage),
        config_path=_text(node, "config", d.config_path),
        streaming=_bool(node, "streaming", d.streaming),
        memory_mb=_int(node, "memory", d.memory_mb, low=128, high=10240),
        timeout_seconds=_int(node, "timeout", d.timeout_seconds, low=1, high=900),
        reserved_concurrency=_optional_int(node, "reserved_concurrency", low=1),
        log_retention_days=_int(node, "log_retention_days", d.log_retention_days, low=1, high=3653),
        alarm_email=_optional_text(node, "alarm_email"),
        allowed_principals=_list(node, "allowed_principals"),
        kms=_bool(node, "kms", d.kms),
        bearer_routes=_bool(node, "bearer_routes", d.bearer_routes),
        throttle_rate=float(_int(node, "throttle_rate", int(d.throttle_rate), low=1, high=10000)),
        throttle_burst=_int(node, "throttle_burst", d.throttle_burst, low=1, high=5000),
        latency_p99_ms=_int(node, "latency_p99_ms", d.latency_p99_ms, low=1),
        provider_keys_secret=_text(node, "provider_keys_secret", d.provider_keys_secret),
        layer_dir=_optional_text(node, "layer_dir"),
    )
    if not settings.stage.replace("-", "").isalnum():
        raise SettingsError(f"context 'stage': use letters, digits and '-' (got {settings.stage!r})")
    if settings.alarm_email and "@" not in settings.alarm_email:
        raise SettingsError(f"context 'alarm_email': not an email address ({settings.alarm_email!r})")
    return settings


def _raw(node: ContextReader, key: str) -> Any:
    return node.try_get_context(key)


def _text(node: ContextReader, key: str, default: str) -> str:
    value = _raw(node, key)
    return default if value is None or str(value).strip() == "" else str(value).strip()


def _optional_text(node: ContextReader, key: str) -> str | None:
    value = _raw(node, key)
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _bool(node: ContextReader, key: str, default: bool) -> bool:
    value = _raw(node, key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise SettingsError(f"context '{key}': expected true or false (got {value!r})")


def _int(node: ContextReader, key: str, default: int, *, low: int, high: int | None = None) -> int:
    value = _raw(node, key)
    if value is None or value == "":
        return default
    return _checked_int(key, value, low, high)


def _optional_int(node: ContextReader, key: str, *, low: int) -> int | None:
    value = _raw(node, key)
    if value is None or value == "" or str(value).lower() in {"none", "null"}:
        return None
    return _checked_int(key, value, low, None)


def _checked_int(key: str, value: Any, low: int, high: int | None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"context '{key}': expected a whole number (got {value!r})") from None
    if number < low or (high is not None and number > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise SettingsError(f"context '{key}': {number} is out of range ({bounds})")
    return number


def _list(node: ContextReader, key: str) -> tuple[str, ...]:
    value = _raw(node, key)
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())
