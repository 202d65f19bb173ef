"""Deployment settings read from CDK context (``cdk.json`` or ``-c key=value``).

Values given with ``-c`` arrive as strings, values in ``cdk.json`` as JSON types; both are
accepted. A wrong value fails synth with a message that names the context key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}
#: API Gateway's integration timeout for buffered (non-streamed) Lambda proxy responses
BUFFERED_INTEGRATION_TIMEOUT = 29
#: Lambda's maximum function timeout, which also caps a streamed integration
MAX_FUNCTION_TIMEOUT = 900
DEFAULT_STREAMING_TIMEOUT = 300
#: a buffered function must stop before API Gateway gives up on it (29 s), so the client sees the gateway's 504
DEFAULT_BUFFERED_TIMEOUT = BUFFERED_INTEGRATION_TIMEOUT - 1
#: the p99 latency alarm fires at this share of the integration timeout (above it no request can complete)
P99_SHARE_OF_TIMEOUT = 0.9
#: ``-c tracing=...``: ``xray`` = Lambda's active X-Ray tracing only; ``otel`` adds the ADOT collector layer
TRACING_MODES = ("xray", "otel")


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
    memory_mb: int = 512
    #: None = the mode's default (300 s streamed, 28 s buffered)
    timeout: int | None = None
    #: time kept between the gateway's own deadline and Lambda's, to answer and settle spend
    settlement_margin_ms: int = 2000
    #: None = derived (``throttle_rate x expected_request_seconds``); 0 = explicitly no reservation
    reserved_concurrency: int | None = None
    expected_request_seconds: float = 4.0
    log_retention_days: int = 30
    alarm_email: str | None = None
    allowed_principals: tuple[str, ...] = field(default_factory=tuple)
    kms: bool = False
    bearer_routes: bool = False
    throttle_rate: float = 50.0
    throttle_burst: int = 100
    #: None = derived from the integration timeout (``P99_SHARE_OF_TIMEOUT``)
    latency_p99_ms: int | None = None
    provider_keys_secret: str = "tollway/provider-keys"  # noqa: S105 - a secret name, not a secret
    layer_dir: str | None = None
    #: import the provider-keys secret by name (it survived an earlier ``make destroy``) instead of creating it
    provider_keys_existing: bool = False
    #: let this stack set API Gateway's account-wide CloudWatch logging role (false: keep the account's own)
    api_logging_role: bool = True
    #: Python runtime version (``3.13``); None = the newest aws-cdk-lib offers
    python: str | None = None
    #: SnapStart on the published version (Python: billed per GB-second cached, so opt-in)
    snapstart: bool = False
    #: extra function environment variables (``-c env=NAME=value,NAME2=value``) for ``os.environ/`` references
    env: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    #: request log lines to S3 through a subscription filter and Firehose, queried with Athena (cdk/request_logs.py)
    request_logs: bool = False
    #: request-log objects move to S3 Glacier Flexible Retrieval after this many days ...
    request_logs_glacier_days: int = 90
    #: ... and are deleted after this many (also the Athena partition projection's range)
    request_logs_expiry_days: int = 730
    #: the Athena workgroup cancels a query that would scan more than this many GB
    athena_scan_limit_gb: int = 10
    #: ``xray`` (default) or ``otel``: the ADOT collector layer and the gateway's OpenTelemetry spans (cdk/tracing.py)
    tracing: str = "xray"
    #: the ADOT collector layer to use instead of the one aws-cdk-lib documents for the region
    adot_layer_arn: str | None = None
    #: an OTLP/HTTP endpoint the collector also exports to (``https://otlp.example.com``)
    otlp_endpoint: str | None = None
    #: a Secrets Manager secret (name or ARN) holding the OTLP endpoint's headers as a JSON object
    otlp_headers_secret: str | None = None
    #: with ``tracing=otel``: export spans to X-Ray too (false needs ``otlp_endpoint``)
    otel_xray: bool = True

    @property
    def otel(self) -> bool:
        return self.tracing == "otel"

    @property
    def stack_name(self) -> str:
        return f"Tollway-{self.stage}"

    @property
    def timeout_seconds(self) -> int:
        """The function timeout: the one given, else the mode's default."""
        if self.timeout is not None:
            return self.timeout
        return DEFAULT_STREAMING_TIMEOUT if self.streaming else DEFAULT_BUFFERED_TIMEOUT

    @property
    def integration_timeout_seconds(self) -> int:
        """Streamed integrations follow the function timeout (up to 15 minutes); buffered ones stop at 29 s."""
        return min(self.timeout_seconds, MAX_FUNCTION_TIMEOUT) if self.streaming else BUFFERED_INTEGRATION_TIMEOUT

    @property
    def upstream_budget_seconds(self) -> float:
        """The longest an upstream call may take and still leave time to settle before Lambda stops."""
        return self.timeout_seconds - self.settlement_margin_ms / 1000

    @property
    def p99_threshold_ms(self) -> int:
        """The p99 latency alarm threshold: the one given, else 90 % of the integration timeout."""
        if self.latency_p99_ms is not None:
            return self.latency_p99_ms
        return int(self.integration_timeout_seconds * 1000 * P99_SHARE_OF_TIMEOUT)

    @property
    def reserved_executions(self) -> int | None:
        """Reserved concurrency for the function; None = no reservation (shares the account's pool).

        Default (Little's law): the stage throttle times the expected request duration, rounded up,
        e.g. 50 rps x 4 s = 200 concurrent executions.
        """
        if self.reserved_concurrency is None:
            return max(1, math.ceil(self.throttle_rate * self.expected_request_seconds))
        return self.reserved_concurrency or None


def from_context(node: ContextReader) -> Settings:
    """Read every setting from ``node`` (an App or construct node), validating as we go."""
    d = Settings()
    settings = Settings(
        stage=_text(node, "stage", d.stage),
        config_path=_text(node, "config", d.config_path),
        streaming=_bool(node, "streaming", d.streaming),
        memory_mb=_int(node, "memory", d.memory_mb, low=128, high=10240),
        timeout=_optional_int(node, "timeout", low=1, high=MAX_FUNCTION_TIMEOUT),
        settlement_margin_ms=_int(node, "settlement_margin_ms", d.settlement_margin_ms, low=0, high=60000),
        reserved_concurrency=_reserved(node),
        expected_request_seconds=_float(node, "expected_request_seconds", d.expected_request_seconds),
        log_retention_days=_int(node, "log_retention_days", d.log_retention_days, low=1, high=3653),
        alarm_email=_optional_text(node, "alarm_email"),
        allowed_principals=_list(node, "allowed_principals"),
        kms=_bool(node, "kms", d.kms),
        bearer_routes=_bool(node, "bearer_routes", d.bearer_routes),
        throttle_rate=float(_int(node, "throttle_rate", int(d.throttle_rate), low=1, high=10000)),
        throttle_burst=_int(node, "throttle_burst", d.throttle_burst, low=1, high=5000),
        latency_p99_ms=_optional_int(node, "latency_p99_ms", low=1),
        provider_keys_secret=_text(node, "provider_keys_secret", d.provider_keys_secret),
        layer_dir=_optional_text(node, "layer_dir"),
        env=_pairs(node, "env"),
        provider_keys_existing=_bool(node, "provider_keys_existing", d.provider_keys_existing),
        api_logging_role=_bool(node, "api_logging_role", d.api_logging_role),
        snapstart=_bool(node, "snapstart", d.snapstart),
        python=_optional_text(node, "python"),
        request_logs=_bool(node, "request_logs", d.request_logs),
        request_logs_glacier_days=_int(node, "request_logs_glacier_days", d.request_logs_glacier_days, low=1),
        request_logs_expiry_days=_int(node, "request_logs_expiry_days", d.request_logs_expiry_days, low=2),
        athena_scan_limit_gb=_int(node, "athena_scan_limit_gb", d.athena_scan_limit_gb, low=1, high=100_000),
        tracing=_text(node, "tracing", d.tracing).lower(),
        adot_layer_arn=_optional_text(node, "adot_layer_arn"),
        otlp_endpoint=_optional_text(node, "otlp_endpoint"),
        otlp_headers_secret=_optional_text(node, "otlp_headers_secret"),
        otel_xray=_bool(node, "otel_xray", d.otel_xray),
    )
    if not settings.stage.replace("-", "").isalnum():
        raise SettingsError(f"context 'stage': use letters, digits and '-' (got {settings.stage!r})")
    if settings.python and not re.fullmatch(r"3\.\d{1,2}", settings.python):
        raise SettingsError(f"context 'python': expected a version like 3.13 (got {settings.python!r})")
    if settings.snapstart and settings.python and int(settings.python.split(".")[1]) < 12:
        raise SettingsError(f"context 'snapstart': SnapStart needs Python 3.12 or later (context 'python' is "
                            f"{settings.python})")
    if settings.alarm_email and "@" not in settings.alarm_email:
        raise SettingsError(f"context 'alarm_email': not an email address ({settings.alarm_email!r})")
    check_time_budget(settings)
    check_request_logs(settings)
    check_tracing(settings)
    return settings


def check_request_logs(settings: Settings) -> None:
    """S3 expires an object only after its transition to Glacier (which bills at least 90 days there)."""
    if settings.request_logs_expiry_days <= settings.request_logs_glacier_days:
        raise SettingsError(
            f"context 'request_logs_expiry_days': {settings.request_logs_expiry_days} days must be more than "
            f"request_logs_glacier_days ({settings.request_logs_glacier_days})")


def check_tracing(settings: Settings) -> None:
    """``tracing`` is a known mode; the OTLP options make sense only with ``otel`` and need an https endpoint."""
    if settings.tracing not in TRACING_MODES:
        raise SettingsError(f"context 'tracing': expected one of {', '.join(TRACING_MODES)} "
                            f"(got {settings.tracing!r})")
    otel_only = {"adot_layer_arn": settings.adot_layer_arn, "otlp_endpoint": settings.otlp_endpoint,
                 "otlp_headers_secret": settings.otlp_headers_secret}
    for key, value in otel_only.items():
        if value and not settings.otel:
            raise SettingsError(f"context '{key}': needs tracing=otel (tracing is {settings.tracing!r})")
    if settings.otlp_endpoint and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", settings.otlp_endpoint):
        raise SettingsError(f"context 'otlp_endpoint': expected an http(s) URL (got {settings.otlp_endpoint!r})")
    if settings.otlp_headers_secret and not settings.otlp_endpoint:
        raise SettingsError("context 'otlp_headers_secret': needs otlp_endpoint (the headers are sent there)")
    if settings.otel and not settings.otel_xray and not settings.otlp_endpoint:
        raise SettingsError("context 'otel_xray': false leaves the collector no exporter; set otlp_endpoint")
    if settings.adot_layer_arn and not settings.adot_layer_arn.startswith("arn:"):
        raise SettingsError(f"context 'adot_layer_arn': expected a layer version ARN (got "
                            f"{settings.adot_layer_arn!r})")


def check_time_budget(settings: Settings) -> None:
    """Integration timeout > function timeout >= settlement margin (+ upstream time); else name the values."""
    timeout, margin_s = settings.timeout_seconds, settings.settlement_margin_ms / 1000
    if not settings.streaming and timeout >= BUFFERED_INTEGRATION_TIMEOUT:
        raise SettingsError(
            f"context 'timeout': {timeout} s is not below API Gateway's {BUFFERED_INTEGRATION_TIMEOUT} s integration "
            f"timeout in buffered mode (streaming=false): the client would get API Gateway's 504 while the function "
            f"keeps paying for the model call; use timeout <= {DEFAULT_BUFFERED_TIMEOUT} or streaming=true")
    if margin_s >= timeout:
        raise SettingsError(
            f"context 'settlement_margin_ms': {settings.settlement_margin_ms} ms leaves no time for the upstream "
            f"call within the function timeout ({timeout} s, context 'timeout')")
    if settings.p99_threshold_ms >= settings.integration_timeout_seconds * 1000:
        raise SettingsError(
            f"context 'latency_p99_ms': {settings.p99_threshold_ms} ms can never be reached: the integration "
            f"timeout is {settings.integration_timeout_seconds * 1000} ms")


def _reserved(node: ContextReader) -> int | None:
    """Unset -> None (derived); ``0``/``none``/``off`` -> 0 (explicitly no reservation); else >= 1."""
    value = _raw(node, "reserved_concurrency")
    if value is None:
        return None
    if str(value).strip().lower() in {"0", "none", "null", "off", "false", ""}:
        return 0
    return _checked_int("reserved_concurrency", value, 1, None)


def _float(node: ContextReader, key: str, default: float) -> float:
    value = _raw(node, key)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"context '{key}': expected a number (got {value!r})") from None
    if not number > 0:
        raise SettingsError(f"context '{key}': must be above 0 (got {value!r})")
    return number


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


def _optional_int(node: ContextReader, key: str, *, low: int, high: int | None = None) -> int | None:
    value = _raw(node, key)
    if value is None or value == "" or str(value).lower() in {"none", "null"}:
        return None
    return _checked_int(key, value, low, high)


def _checked_int(key: str, value: Any, low: int, high: int | None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"context '{key}': expected a whole number (got {value!r})") from None
    if number < low or (high is not None and number > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise SettingsError(f"context '{key}': {number} is out of range ({bounds})")
    return number


def _pairs(node: ContextReader, key: str) -> tuple[tuple[str, str], ...]:
    value = _raw(node, key)
    items = [f"{k}={v}" for k, v in value.items()] if isinstance(value, dict) else list(_list(node, key))
    pairs = []
    for item in items:
        name, eq, text = item.partition("=")
        if not eq or not name.strip().replace("_", "").isalnum():
            raise SettingsError(f"context '{key}': expected NAME=value[,NAME=value] (got {item!r})")
        pairs.append((name.strip(), text.strip()))
    return tuple(pairs)


def _list(node: ContextReader, key: str) -> tuple[str, ...]:
    value = _raw(node, key)
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())
